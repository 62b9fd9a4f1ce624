/**
 * The top-level testbench (tb_top.sv.hbs) and the simulation backend on a stand-in top
 * (stub-top.ts: the generated register file and DMA engines copying B to OUT), independent of
 * the real sequencer, in Icarus (the processor's own test, test/sim/top.sim.test.ts, runs the
 * same testbench in both simulators): register reads and their checks, slots, polls, interrupt
 * waits, marks, the memory loaded and dumped with every guard byte intact, error regions, build
 * reuse, and failures (a wrong expectation, a poll that times out) reported as such.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { elaborate } from "../../generator/elab/elaborate.ts";
import { emitRtl } from "../../generator/emit/emit.ts";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { presetDescription } from "../../generator/load.ts";
import {
  MemImage,
  type Op,
  type RunOutput,
  SimBackend,
  hostContext,
  memBase,
  stalls,
} from "../../testbench/host/index.ts";
import type { Simulator } from "../../testbench/sim.ts";

const SIMS: readonly Simulator[] = ["icarus"];
import { stubTop } from "./stub-top.ts";

const desc = presetDescription("tiny");
const design = elaborate(desc);
const ctx = hostContext(desc);
const rtl = emitRtl(design, ["regfile", "dma_rd", "dma_wr"]);
rtl.set("stub_top.v", stubTop(design));
const WORK = join(REPO_ROOT, "build", "test-sim", "host-stub");
const BASE = memBase(ctx.addrWidth, 1 << 14);

const backends = new Map<Simulator, SimBackend>();
function backend(sim: Simulator): SimBackend {
  let b = backends.get(sim);
  if (b === undefined) {
    b = new SimBackend(ctx, {
      sim,
      dir: WORK,
      memBase: BASE,
      memBytes: 1 << 14,
      rtl,
      top: "stub_top",
      bus: stalls(40, 3, 5),
      progMax: 256,
    });
    backends.set(sim, b);
  }
  return b;
}

const R = (n: string): number => ctx.regs.offset(n);
const all = 0xffffffff;

/** A copy job of n bytes, its checks and its memory image. */
function copyProgram(n: number, skewSrc: number, skewDst: number, wrongCheck = false) {
  const mem = new MemImage({ base: BASE, size: 1 << 14, guard: 32 });
  const src = mem.alloc("src", n, { skew: skewSrc });
  const dst = mem.alloc("dst", n, { skew: skewDst });
  const data = new Uint8Array(n).map((_, i) => (i * 13 + 5) & 0xff);
  mem.write(src.addr, data);
  const expected = mem.clone();
  expected.write(dst.addr, data);
  const ops: Op[] = [
    {
      op: "read",
      addr: R("ID"),
      expect: { value: ctx.regs.reg("ID").value ?? 0, mask: all },
      note: "ID",
    },
    { op: "irq", expect: 0, note: "irq idle" },
    { op: "write", addr: R("IRQ_ENABLE"), value: 1, note: "IRQ_ENABLE" },
    { op: "write", addr: R("JOB_ADDR_B_LO"), value: src.addr, note: "B" },
    { op: "write", addr: R("JOB_ADDR_OUT_LO"), value: dst.addr, note: "OUT" },
    { op: "write", addr: R("JOB_B_BYTES"), value: n, note: "bytes" },
    { op: "mark", id: 0, note: "start" },
    { op: "write", addr: R("CMD"), value: 1, note: "START" },
    { op: "waitIrq", level: 1, timeout: 20_000, note: "wait" },
    { op: "mark", id: 1, note: "done" },
    {
      op: "read",
      addr: R("JOB_OUT_BYTES"),
      expect: { value: wrongCheck ? n + 1 : n, mask: all },
      toSlot: 5,
      note: "JOB_OUT_BYTES",
    },
    { op: "write", addr: R("JOB_OUT_MAX"), value: 0, fromSlot: 5, note: "slot to JOB_OUT_MAX" },
    { op: "read", addr: R("JOB_OUT_MAX"), expect: { value: n, mask: all }, note: "JOB_OUT_MAX" },
    { op: "read", addr: R("PERF_BYTES_RD_LO"), expect: { value: n, mask: all }, note: "rd" },
    { op: "irq", expect: 1, note: "irq set" },
    { op: "write", addr: R("IRQ_STATUS"), value: 1, note: "clear" },
    { op: "irq", expect: 0, note: "irq clear" },
    { op: "poll", addr: R("STATUS"), mask: 1, value: 0, timeout: 100, note: "idle" },
    { op: "idle", cycles: 7, note: "idle" },
    { op: "end", note: "end" },
  ];
  return { mem, expected, ops, dst };
}

describe("tb_top on a stand-in top", () => {
  it.each(SIMS)("runs a program, copies memory and keeps every guard byte in %s", (sim) => {
    const b = backend(sim);
    const p = copyProgram(1000, 1, 3);
    const r: RunOutput = b.run(p.mem, p.ops);
    if (!r.ok) console.log(r.output.slice(0, 3000));
    expect(r.messages).toEqual([]);
    expect(r.ok).toBe(true);
    expect(p.expected.diff(r.mem!).count).toBe(0);
    expect(r.reads.get(10)).toBe(1000);
    expect(r.reads.get(12)).toBe(1000);
    expect(r.reads.get(14)).toBe(1);
    expect(r.reads.get(16)).toBe(0);
    const t0 = r.marks.get(0)!;
    const t1 = r.marks.get(1)!;
    expect(t1 - t0).toBeGreaterThan(1000 / ctx.busBytes);
    console.log(
      `[host-stub] ${sim}: ${r.cycles} cycles, compile ${(r.compileMs / 1000).toFixed(1)} s, run ${(r.runMs / 1000).toFixed(1)} s`,
    );
    // a second program on the same build: no compile, a different copy
    const q = copyProgram(37, 2, 0);
    const r2 = b.run(q.mem, q.ops);
    expect(r2.ok).toBe(true);
    expect(r2.compileMs).toBe(0);
    expect(q.expected.diff(r2.mem!).count).toBe(0);
  });

  it.each(SIMS)("reports a wrong expectation and an error response in %s", (sim) => {
    const b = backend(sim);
    const p = copyProgram(64, 0, 0, true);
    // the destination answers SLVERR: nothing is written there, STATUS.DMA_ERR
    const lo = p.dst.addr - (p.dst.addr % 4);
    b.errRegions = [{ read: false, write: true, resp: 2, lo, hi: lo + 128 }];
    const r = b.run(p.mem, p.ops);
    b.errRegions = [];
    expect(r.ok).toBe(false);
    expect(r.messages.join("\n")).toMatch(
      /MISMATCH op 10: read of 0x50 got 00000040 expected 00000041/,
    );
    expect(p.mem.diff(r.mem!).count).toBe(0);
  });

  it("times out a poll that never succeeds, still dumping the memory", () => {
    const b = backend("icarus");
    const p = copyProgram(16, 0, 0);
    const ops: Op[] = [
      { op: "poll", addr: R("STATUS"), mask: 1, value: 1, timeout: 50, note: "never" },
      { op: "end", note: "end" },
    ];
    const r = b.run(p.mem, ops);
    expect(r.ok).toBe(false);
    expect(r.messages.join("\n")).toMatch(/TIMEOUT op 0/);
    expect(p.mem.diff(r.mem!).count).toBe(0);
  });
});
