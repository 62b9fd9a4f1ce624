/**
 * Raw output with WRITE_MASK through the tiny top (the packer going from the raw scales to the
 * mask, S_WSCL -> S_WMSK): BP jobs of several shapes, with and without OUT_SKIP, every memory byte
 * and register read checked against the golden model, in Verilator and Icarus. A packer that kept
 * the last scale word into the mask wrote corrupt masks here (101 bytes), which no other test saw.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { presetDescription } from "../../generator/load.ts";
import { Rng } from "../../generator/model/rng.ts";
import { randomMatrix } from "../../testbench/core.ts";
import {
  HostSession,
  MemImage,
  memBase,
  SimBackend,
  fcBackward,
  hostContext,
  putMask,
  putRaw,
  putStream,
  quantize,
  planChunks,
  entriesOf,
  stalls,
} from "../../testbench/host/index.ts";

const TINY = presetDescription("tiny");
const MEM = 1 << 17;
const BASE = memBase(TINY.dma.addrWidth, MEM);
const ctx = hostContext(TINY);

describe.each(["verilator", "icarus"] as const)("raw + mask (%s)", (sim) => {
  it("BP raw with WRITE_MASK, with and without OUT_SKIP", () => {
    const b = new SimBackend(ctx, {
      sim,
      dir: join(REPO_ROOT, "build", "test-sim", "rawmask"),
      memBase: BASE,
      memBytes: MEM,
      bus: stalls(25, 4, 6),
      axilReadyPct: 70,
      progMax: 4096,
      seed: 7,
      waves: false,
    });
    const s = new HostSession(ctx, new MemImage({ base: BASE, size: MEM, seed: 11 }));
    s.checkIdentity();
    const rng = new Rng(21);
    const shapes: readonly (readonly [number, number, number])[] = [
      [8, 8, 4],
      [13, 21, 37],
      [5, 40, 9],
      [20, 16, 64],
      [1, 9, 3],
    ];
    shapes.forEach(([M, K, N], i) => {
      const wT = quantize(ctx, randomMatrix(rng, K, M, 1), K, M);
      const dyT = quantize(ctx, randomMatrix(rng, N, M, 0.5), N, M);
      const wt = putRaw(s, `wT${i}`, wT, { skew: i % 4 });
      const plan = planChunks(ctx, dyT.rows, [{ I: K, R: M, entries: entriesOf(ctx, dyT) }]);
      const dys = putStream(s, `dyT${i}`, dyT, plan, { skew: (i + 1) % 4 });
      const maskBits = new Uint8Array(N * K).map(() => (rng.bernoulli(0.6) ? 1 : 0));
      const maskX = i % 2 === 0 ? putMask(s, `mx${i}`, maskBits, N, K, { skew: 2 }) : undefined;
      const r = fcBackward(s, {
        label: `bp${i}`,
        wT: wt,
        dyT: dys,
        raw: true,
        writeMask: true,
        ...(maskX === undefined ? {} : { maskX }),
        wait: ["busy", "irq", "done"],
      });
      expect(r.jobs.length).toBeGreaterThan(0);
      for (const j of r.jobs) {
        expect(j.job.writeMask).toBe(true);
        expect(j.job.outCompressed).toBe(false);
      }
    });
    s.end();
    const out = b.run(s.initial, s.ops);
    const chk = s.check(out);
    console.log(`[rawmask] ${sim}: ${s.jobs.length} jobs, ${out.cycles} cycles`);
    expect(chk.errors.slice(0, 12).join("\n")).toBe("");
    expect(chk.ok).toBe(true);
  });
});
