/**
 * The simulation backend: renders testbench/templates/tb_top.sv.hbs for a description, builds it
 * with the processor's RTL in Icarus Verilog or Verilator (testbench/sim.ts) once per work
 * folder, and runs host programs on it: the memory image goes in as mem_init.hex, the program
 * as prog.hex; the register reads, marks and cycle count come back from the output and the final
 * memory from mem_out.hex. A build is reused while its sources and parameters are unchanged (only
 * the data files change between runs), so a host flow of several runs compiles once.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { boardParams, uartCodes } from "../../generator/elab/board.ts";
import { type Design, elaborate } from "../../generator/elab/elaborate.ts";
import { type FileSet, emitRtl } from "../../generator/emit/emit.ts";
import { banner, renderTb } from "../../generator/emit/render.ts";
import { Rng } from "../../generator/model/rng.ts";
import { type AxiMemStalls, FULL_SPEED_MEM, renderAxiTbModels, stallParams } from "../dma-bench.ts";
import { type SimResult, type Simulator, runSim } from "../sim.ts";
import type { HostContext } from "./context.ts";
import type { Backend } from "./golden-backend.ts";
import { type MemImage, parseHexDump } from "./memory.ts";
import { type Op, opLine } from "./program.ts";
import type { AxiTraffic, RunOutput } from "./session.ts";

/** The AXI memory model's stalls and latencies (percent = probability per cycle). */
export type BusStalls = AxiMemStalls;

export const FULL_SPEED: BusStalls = FULL_SPEED_MEM;

/** Every channel stalls with probability pct percent, with the given latencies. */
export function stalls(pct: number, rdLatency = 0, wrLatency = rdLatency): BusStalls {
  const p = 100 - pct;
  return {
    rdLatency,
    wrLatency,
    arReadyPct: p,
    rValidPct: p,
    awReadyPct: p,
    wReadyPct: p,
    bValidPct: p,
  };
}

/** An address range the memory model answers with an error response (word addresses lo..hi-1). */
export interface ErrRegion {
  read: boolean;
  write: boolean;
  resp: 2 | 3;
  lo: number;
  hi: number;
}

export const ERR_SLOTS = 4;

export interface SimBackendOptions {
  sim: Simulator;
  /** Work folder of the build (created; reused while the build is the same). */
  dir: string;
  /** Memory the programs run on: its base and size are part of the build. */
  memBase: number;
  memBytes: number;
  bus?: BusStalls;
  /** AXI4-Lite master: ready probability of B and R, longest random delay of AW, W, AR. */
  axilReadyPct?: number;
  axilMaxDelay?: number;
  /** Longest program (lines of prog.hex). */
  progMax?: number;
  /** Seed of the stall generators (build) and of the master's delays (per run). */
  seed?: number;
  waves?: boolean;
  /** The processor's RTL (file -> text) and top module; default: the description's, emitted. */
  rtl?: FileSet;
  top?: string;
  /** Global cycle limit of a run (default: the sum of the program's wait limits). */
  cycleLimit?: number;
  /** Wall-clock limit of a run, ms. */
  timeoutMs?: number;
  /**
   * What the program talks to: "axi" (default) the processor's ports straight from the
   * testbench (tb_top.sv.hbs, the AXI memory model with `bus` stalls); "uart" the board wrapper,
   * everything over its UART (tb_board.sv.hbs: memory loaded and read back through the bridge,
   * the board's on-chip memory of memBytes bytes at memBase).
   */
  harness?: "axi" | "uart";
  /** UART bit time in cycles for the "uart" harness (the board's CLKS_PER_BIT; default 4). */
  clksPerBit?: number;
}

/** The processor's emitted Verilog: every module of the design (the top among them). */
export function designRtl(design: Design): FileSet {
  return emitRtl(design);
}

const hex = (v: bigint, bits: number): string => v.toString(16).padStart(Math.ceil(bits / 4), "0");

function errLine(e: ErrRegion | undefined): string {
  if (e === undefined) return hex(0n, 136);
  return hex(
    (BigInt((e.read ? 1 : 0) | (e.write ? 2 : 0)) << 132n) |
      (BigInt(e.resp) << 128n) |
      (BigInt(e.lo) << 64n) |
      BigInt(e.hi),
    136,
  );
}

/** Failure lines of a testbench's output (what sim.ts's verdict looks for). */
const FAIL = /MISMATCH|PROTOCOL ERROR|TIMEOUT|FATAL|\$fatal|ERROR|FAILED/i;

export class SimBackend implements Backend {
  readonly name: string;
  readonly o: Required<
    Omit<SimBackendOptions, "rtl" | "top" | "cycleLimit" | "timeoutMs" | "harness" | "clksPerBit">
  > &
    Pick<SimBackendOptions, "cycleLimit" | "timeoutMs">;
  /** Error regions of the next runs. */
  errRegions: ErrRegion[] = [];
  private readonly work: string;
  private readonly sources: string[];
  private readonly key: string;
  /** The last run's compile and run results (from sim.ts on a fresh build). */
  last: SimResult | undefined;
  readonly harness: "axi" | "uart";
  readonly clksPerBit: number;

  constructor(
    readonly ctx: HostContext,
    opts: SimBackendOptions,
  ) {
    this.o = {
      sim: opts.sim,
      dir: opts.dir,
      memBase: opts.memBase,
      memBytes: opts.memBytes,
      bus: opts.bus ?? FULL_SPEED,
      axilReadyPct: opts.axilReadyPct ?? 70,
      axilMaxDelay: opts.axilMaxDelay ?? 3,
      progMax: opts.progMax ?? 8192,
      seed: opts.seed ?? 1,
      waves: opts.waves ?? false,
      ...(opts.cycleLimit === undefined ? {} : { cycleLimit: opts.cycleLimit }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    };
    this.harness = opts.harness ?? "axi";
    this.clksPerBit = opts.clksPerBit ?? 4;
    this.name = this.harness === "uart" ? `${opts.sim} (UART)` : opts.sim;
    const desc = ctx.desc;
    const top = opts.top ?? `${desc.name}_${this.harness === "uart" ? "board" : "top"}`;
    const rtl = opts.rtl ?? designRtl(elaborate(desc));
    const files = new Map<string, string>();
    for (const [f, text] of rtl) files.set(`rtl_${f}`, text);
    const models = renderAxiTbModels();
    files.set("axi_monitor.sv", models.monitor);
    if (this.harness === "uart") {
      const m = this.o.memBytes;
      const bp = boardParams(desc, { memBytes: m });
      if (this.o.memBase % m !== 0)
        throw new Error(
          `the board memory (${m} bytes at 0x${this.o.memBase.toString(16)}) must sit at a multiple of its size`,
        );
      files.set(
        "tb.sv",
        renderTb("tb_board.sv.hbs", {
          banner: banner(`Testbench for ${top}`, "testbench/templates/tb_board.sv.hbs"),
          board: top,
          uart: uartCodes(),
          dw: desc.dma.dataWidth,
          bytes: ctx.busBytes,
          aw: desc.dma.addrWidth,
          lAddrWidth: desc.regfile.addrWidth,
          progMax: this.o.progMax,
          clksPerBit: this.clksPerBit,
          memBytes: m,
          waw: bp.WAW,
          memBase: hex(BigInt(this.o.memBase), 32),
          maxBurst: desc.dma.maxBurst,
          maxOutstanding: desc.dma.maxOutstanding,
        }),
      );
    } else files.set("axi_mem_model.sv", models.memModel);
    const rng = new Rng(this.o.seed ^ 0x70b);
    const seedHex = (): string => ((rng.u32() | 1) >>> 0).toString(16).padStart(8, "0");
    const b = this.o.bus;
    if (this.harness === "axi")
      files.set(
        "tb.sv",
        renderTb("tb_top.sv.hbs", {
          banner: banner(`Testbench for ${top}`, "testbench/templates/tb_top.sv.hbs"),
          top,
          dw: desc.dma.dataWidth,
          bytes: ctx.busBytes,
          aw: desc.dma.addrWidth,
          lAddrWidth: desc.regfile.addrWidth,
          progMax: this.o.progMax,
          nErr: ERR_SLOTS,
          axilReadyPct: this.o.axilReadyPct,
          axilMaxDelay: this.o.axilMaxDelay,
          memBytes: this.o.memBytes,
          memBase: hex(BigInt(this.o.memBase), 64),
          ...stallParams(b),
          memSeed: seedHex(),
          maxBurst: desc.dma.maxBurst,
          maxOutstanding: desc.dma.maxOutstanding,
        }),
      );
    const h = createHash("sha256");
    for (const [f, text] of [...files.entries()].sort(([x], [y]) => x.localeCompare(y)))
      h.update(`${f}\n${text}\n`);
    h.update(`sim=${opts.sim} waves=${this.o.waves} top=${top} harness=${this.harness}`);
    this.key = h.digest("hex");
    this.work = resolve(opts.dir, opts.sim);
    mkdirSync(this.work, { recursive: true });
    this.sources = [];
    for (const [f, text] of files) {
      const path = join(this.work, f);
      if (!existsSync(path) || readFileSync(path, "utf8") !== text) writeFileSync(path, text);
      if (f.endsWith(".v") || f.endsWith(".sv")) this.sources.push(path);
    }
    // only this build's files are compiled (a folder may hold files of an older build)
    this.sources.sort();
  }

  /** The work folder (waves: wave.vcd in it). */
  get folder(): string {
    return this.work;
  }

  run(initial: MemImage, ops: readonly Op[]): RunOutput {
    const { o, ctx } = this;
    if (initial.base !== o.memBase || initial.size !== o.memBytes)
      throw new Error(
        `memory image 0x${initial.base.toString(16)}+${initial.size} differs from the build's 0x${o.memBase.toString(16)}+${o.memBytes}`,
      );
    if (ops.length > o.progMax)
      throw new Error(`program of ${ops.length} operations > progMax ${o.progMax}`);
    if (this.errRegions.length > ERR_SLOTS) throw new Error(`more than ${ERR_SLOTS} error regions`);
    const lines = ops.map(opLine);
    const endLine = opLine({ op: "end", note: "" });
    while (lines.length < o.progMax) lines.push(endLine);
    const w = this.work;
    writeFileSync(join(w, "prog.hex"), lines.join("\n") + "\n");
    writeFileSync(join(w, "mem_init.hex"), initial.hexWords(ctx.busBytes).join("\n") + "\n");
    writeFileSync(
      join(w, "mem_err.hex"),
      Array.from({ length: ERR_SLOTS }, (_, i) => errLine(this.errRegions[i])).join("\n") + "\n",
    );
    // over the UART a register access takes about 80 bit times, the memory 10 per byte each way
    const uart = this.harness === "uart";
    const perOp = uart ? 120 * this.clksPerBit : 60;
    const fixed = uart ? 10_000 + 25 * this.clksPerBit * o.memBytes : 10_000;
    const limit =
      o.cycleLimit ??
      Math.min(
        2 ** 31 - 1,
        ops.reduce(
          (n, x) =>
            n +
            (x.op === "poll" || x.op === "waitIrq"
              ? x.timeout + perOp
              : x.op === "idle"
                ? x.cycles
                : perOp),
          fixed,
        ),
      );
    // the master's delays depend on the program only: the same program takes the same cycles in
    // every simulator and on every run
    const runSeed =
      (parseInt(
        createHash("sha256")
          .update(`${o.seed}\n${lines.join("\n")}`)
          .digest("hex")
          .slice(0, 8),
        16,
      ) |
        1) >>>
      0;
    writeFileSync(
      join(w, "args.hex"),
      [runSeed >>> 0, limit, 0, 0].map((v) => hex(BigInt(v), 32)).join("\n") + "\n",
    );
    rmSync(join(w, "mem_out.hex"), { force: true });
    const res = runSim(
      {
        dir: w,
        top: "tb",
        sources: this.sources,
        ...(o.waves ? { waves: true } : {}),
        ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
      },
      o.sim,
      { key: this.key },
    );
    this.last = res;
    return this.parse(res);
  }

  private parse(res: SimResult): RunOutput {
    const reads = new Map<number, number>();
    const marks = new Map<number, number>();
    const messages: string[] = [];
    let cycles: number | undefined;
    let axi: AxiTraffic | undefined;
    for (const line of res.output.split("\n")) {
      let m: RegExpMatchArray | null;
      const t = line.match(
        /^PASS .* rd (\d+) bursts (\d+) beats, wr (\d+) bursts (\d+) beats, outstanding rd (\d+) wr (\d+)/,
      );
      if (t !== null) {
        const n = t.slice(1).map(Number);
        axi = {
          rdBursts: n[0] ?? 0,
          rdBeats: n[1] ?? 0,
          wrBursts: n[2] ?? 0,
          wrBeats: n[3] ?? 0,
          rdOutMax: n[4] ?? 0,
          wrOutMax: n[5] ?? 0,
        };
      }
      if ((m = line.match(/^RD (\d+) ([0-9a-fA-FxXzZ]+) /)) !== null)
        reads.set(Number(m[1]), parseHex32(m[2] ?? "0"));
      else if ((m = line.match(/^POLL (\d+) ([0-9a-fA-FxXzZ]+) /)) !== null)
        reads.set(Number(m[1]), parseHex32(m[2] ?? "0"));
      else if ((m = line.match(/^IRQV (\d+) (\S+)/)) !== null)
        reads.set(Number(m[1]), m[2] === "1" ? 1 : 0);
      else if ((m = line.match(/^MARK (\d+) (\d+)/)) !== null)
        marks.set(Number(m[1]), Number(m[2]));
      else if ((m = line.match(/^(PASS|FAILED) .*?(\d+) cycles/)) !== null) cycles = Number(m[2]);
      if (FAIL.test(line) && !line.startsWith("PASS")) messages.push(line.trim());
    }
    if (!res.ok && messages.length === 0)
      messages.push(
        `the simulation failed (${res.compileMs > 0 && res.runMs === 0 ? "compile" : "run"}):\n${res.output.split("\n").slice(0, 60).join("\n")}`,
      );
    let mem: Uint8Array | undefined;
    const dump = join(this.work, "mem_out.hex");
    if (existsSync(dump))
      mem = parseHexDump(readFileSync(dump, "utf8"), this.ctx.busBytes, this.o.memBytes);
    return {
      backend: this.name,
      ok: res.ok,
      mem,
      reads,
      marks,
      cycles,
      ...(axi === undefined ? {} : { axi }),
      messages,
      output: res.output,
      compileMs: res.compileMs,
      runMs: res.runMs,
    };
  }
}

/** A 32-bit hex word from the output (unknown bits read as 0). */
function parseHex32(s: string): number {
  return parseInt(s.replace(/[xXzZ]/g, "0"), 16) >>> 0;
}
