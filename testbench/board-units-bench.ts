/**
 * Unit benches of two board-wrapper blocks on their own: the board memory
 * (templates/board_ram.v.hbs, testbench/templates/tb_board_ram.sv.hbs) and the UART command
 * bridge (templates/uart_bridge.v.hbs, testbench/templates/tb_uart_bridge.sv.hbs). The RTL is
 * rendered from the module list the product emits (boardModules), with the board's memory size;
 * the testbenches drive random traffic and check against their own reference models.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedDescription } from "../generator/dsl/description.ts";
import { boardModules } from "../generator/elab/board.ts";
import { banner, renderRtl, renderTb } from "../generator/emit/render.ts";
import { Rng } from "../generator/model/rng.ts";
import { type SimResult, type Simulator, runSim } from "./sim.ts";

export type BoardUnit = "board_ram" | "uart_bridge";

/** A board block's Verilog as the product renders it, for a board memory of memBytes. */
export function boardUnitRtl(
  d: ResolvedDescription,
  role: BoardUnit,
  memBytes: number,
): { module: string; rtl: string; params: Record<string, unknown> } {
  const m = boardModules(d, { memBytes }).find((x) => x.role === role);
  if (m === undefined) throw new Error(`no ${role} module`);
  const params = m.params;
  const rtl = renderRtl(m.template, {
    banner: banner(`${m.module}: ${m.doc}`, `description "${d.name}"`),
    module: m.module,
    doc: m.doc,
    ...params,
  });
  return { module: m.module, rtl, params };
}

/** The testbenches' xorshift seed (never 0) from a test's seed. */
const seedHex = (seed: number): string =>
  ((new Rng(seed ^ 0x6b0a7d).u32() | 1) >>> 0).toString(16).padStart(8, "0");

export interface BoardRamBenchOptions {
  seed: number;
  /** Cycles of random traffic (after the fill, before the read-back). */
  cycles: number;
  /** Chance in percent that an idle host port starts a request. */
  hostPct?: number;
  /** RREADY / WVALID percentage. */
  readyPct?: number;
  waves?: boolean;
}

export interface BoardUnitResult extends SimResult {
  /** The COUNTS line's figures (board_ram) or the STATS line's (uart_bridge). */
  counts: Record<string, number>;
}

function countsOf(out: string, tag: string): Record<string, number> {
  const line = out.split("\n").find((l) => l.startsWith(tag));
  const c: Record<string, number> = {};
  for (const m of (line ?? "").matchAll(/(\w+)=(\d+)/g)) c[m[1] ?? ""] = Number(m[2]);
  return c;
}

function runBench(
  dir: string,
  sim: Simulator,
  rtl: string,
  tbTemplate: string,
  ctx: Record<string, unknown>,
  waves: boolean | undefined,
  tag: string,
  seed: number,
): BoardUnitResult {
  const work = join(dir, sim);
  mkdirSync(work, { recursive: true });
  const tb = renderTb(tbTemplate, ctx);
  writeFileSync(join(work, "dut.v"), rtl);
  writeFileSync(join(work, "tb.sv"), tb);
  writeFileSync(join(work, "seed.hex"), seedHex(seed) + "\n");
  // runs of another seed (a data file) reuse the build
  const key = createHash("sha256")
    .update(tb)
    .update("\0")
    .update(rtl)
    .update(`sim=${sim} waves=${waves}`)
    .digest("hex");
  const res = runSim(
    {
      dir: work,
      top: "tb",
      sources: [join(work, "tb.sv"), join(work, "dut.v")],
      ...(waves ? { waves: true } : {}),
    },
    sim,
    { key },
  );
  return { ...res, counts: countsOf(res.output, tag) };
}

export function runBoardRamBench(
  dir: string,
  d: ResolvedDescription,
  memBytes: number,
  sim: Simulator,
  o: BoardRamBenchOptions,
  rtlEdit: (src: string) => string = (s) => s,
): BoardUnitResult {
  const u = boardUnitRtl(d, "board_ram", memBytes);
  const p = u.params;
  return runBench(
    dir,
    sim,
    rtlEdit(u.rtl),
    "tb_board_ram.sv.hbs",
    {
      banner: banner(`Testbench for ${u.module}`, "testbench/templates/tb_board_ram.sv.hbs"),
      module: u.module,
      AW: p.AW,
      DW: p.DW,
      NB: p.NB,
      LNB: p.LNB,
      WORDS: p.WORDS,
      WAW: p.WAW,
      cycles: o.cycles,
      hostPct: o.hostPct ?? 30,
      readyPct: o.readyPct ?? 70,
    },
    o.waves,
    "COUNTS",
    o.seed,
  );
}

export interface UartBridgeBenchOptions {
  seed: number;
  /** Commands to send. */
  commands: number;
  /** UART clocks per bit: a byte takes ten bits; rx_data_i holds a byte for half a bit. */
  clksPerBit: number;
  waves?: boolean;
}

export function runUartBridgeBench(
  dir: string,
  d: ResolvedDescription,
  memBytes: number,
  sim: Simulator,
  o: UartBridgeBenchOptions,
  rtlEdit: (src: string) => string = (s) => s,
): BoardUnitResult {
  const u = boardUnitRtl(d, "uart_bridge", memBytes);
  const p = u.params;
  return runBench(
    dir,
    sim,
    rtlEdit(u.rtl),
    "tb_uart_bridge.sv.hbs",
    {
      banner: banner(`Testbench for ${u.module}`, "testbench/templates/tb_uart_bridge.sv.hbs"),
      module: u.module,
      LAW: p.LAW,
      HAW: p.HAW,
      ncmd: o.commands,
      cpb: o.clksPerBit,
      uart: p.uart,
    },
    o.waves,
    "STATS",
    o.seed,
  );
}
