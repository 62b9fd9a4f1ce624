/**
 * The board wrapper (tiny_board: the processor, its on-chip memory and the UART bridge) driven
 * the way a board is: every register access and every memory byte goes over the UART
 * (testbench/templates/tb_board.sv.hbs). The host program is an FC layer's FP -> BP -> WG through
 * the board memory (testbench/host/), and the final memory and every register read are
 * compared with the golden model; the AXI4 port between the processor and the board memory is
 * watched by the protocol monitor. In Icarus Verilog and Verilator. The memory reaches the board
 * only through the UART, so a broken link fails the jobs; a wrong byte in what comes back must
 * be caught.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { presetDescription } from "../../generator/load.ts";
import {
  type HostSession,
  memBase,
  randomFcSession,
  type RunOutput,
  SimBackend,
  hostContext,
} from "../../testbench/host/index.ts";
import type { Simulator } from "../../testbench/sim.ts";

const WORK = join(REPO_ROOT, "build", "test-sim", "board");
const MEM = 8192;
const ctx = hostContext(presetDescription("tiny"));
const BASE = memBase(ctx.addrWidth, MEM);

function session(seed: number): HostSession {
  const layer = { M: 11, K: 19, N: 6, xDensity: 0.4, dyDensity: 0.3, maskDensity: 0.5 };
  return randomFcSession(ctx, { base: BASE, size: MEM }, seed, layer, {
    label: "fc",
    wait: ["busy", "irq", "done"],
    place: { skew: 1 },
  });
}

describe.each<Simulator>(["verilator", "icarus"])("board wrapper over the UART (%s)", (sim) => {
  const backend = (clksPerBit = 4): SimBackend =>
    new SimBackend(ctx, {
      sim,
      dir: join(WORK, `cpb${clksPerBit}`),
      memBase: BASE,
      memBytes: MEM,
      harness: "uart",
      clksPerBit,
      progMax: 1024,
    });

  let last: { s: HostSession; r: RunOutput } | undefined;

  it("runs FP, BP and WG through the UART, byte-exact against the golden model", () => {
    const s = session(3);
    const r = backend().run(s.initial, s.ops);
    last = { s, r };
    const chk = s.check(r);
    if (!chk.ok) console.log(chk.errors.join("\n"));
    console.log(
      `[board-sim] ${sim}: ${s.jobs.length} jobs, ${r.cycles} cycles; ` +
        (r.output.split("\n").find((l) => l.startsWith("UART store")) ?? ""),
    );
    expect(r.messages).toEqual([]);
    expect(chk.ok).toBe(true);
    expect(s.jobs.length).toBeGreaterThanOrEqual(3);
    // the processor worked on the board memory: the monitor saw its AXI traffic
    expect(r.axi?.rdBeats ?? 0).toBeGreaterThan(0);
    expect(r.axi?.wrBeats ?? 0).toBeGreaterThan(0);
  }, 600_000);

  it("a wrong byte read back over the UART is caught", () => {
    expect(last).toBeDefined();
    const { s, r } = last!;
    const w = s.jobs.flatMap((j) => j.golden.writes).find((x) => x.bytes.length > 0);
    expect(w).toBeDefined();
    const bad = r.mem!.slice();
    const at = w!.addr - BASE;
    bad[at] = bad[at]! ^ 0x01;
    const chk = s.check({ ...r, mem: bad });
    expect(chk.ok).toBe(false);
  });
});
