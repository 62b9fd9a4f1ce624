/**
 * The hardware GemmBackend: every layer GEMM of a training step runs on the simulated processor
 * (the emitted Verilog of a preset, Verilated or in Icarus) through the host runtime
 * (testbench/host/), one simulator run per GEMM, and is checked against the golden model.
 *
 * One call = one HostSession on a fresh memory image: the operands placed in the processor's
 * layouts (docs/top.md, "The three training steps"), one job per chunk of B's rows (planChunks:
 * every chunk fits the B buffer and the output buffer), the program run on one SimBackend that
 * is built once (cached per folder) and reused for every call, then
 *
 *   1. session.check: every register read (STATUS, IRQ_STATUS, JOB_OUT_BYTES, the PERF_*
 *      counters) and every byte of the final memory against the golden model's job reference;
 *   2. the result read back from the final memory (the output streams decoded with the golden
 *      model's codec, or the raw dW), and the hardware's PERF_MACS_ISSUED / _SKIP_IN / _SKIP_OUT
 *      asserted equal to the golden model's per job.
 *
 * Any difference throws (HwMismatchError) with the job, the register or the bytes. The result is
 * what generator/model/gemm.ts's forward / backward / weightGradient return, in the form the
 * processor stores it (FP and BP outputs through the codec: see storedBackend), so the backend
 * is wrapped in checkedBackend(hw, storedBackend(fastBackend)) to compare every tensor and
 * OpCounters once more with the training's own GEMMs.
 *
 *   FP  A = W (M x K) raw         B = X^T (N x K) streams   -> Y^T (N x M) streams + ReLU mask
 *   BP  A = W^T (K x M) raw       B = dY^T (N x M) streams  -> dX^T (N x K) streams, OUT_SKIP with
 *                                                              the mask of X (N x K, 1 = computed)
 *   WG  A = X (K x N) raw         B = dY (M x N) streams    -> dW (M x K) raw
 *
 * Counters: FP and BP return the hardware's three MAC counters and the golden model's other
 * fields (macsDense, macsEffectual, outputs...). WG streams dY on the processor (its output must
 * be blocked like W, so A = X), while gemm.ts's weightGradient streams X: the hardware skips dY's
 * zeros, the training's accounting X's. The returned WG counters are gemm.ts's (macsIssued =
 * M x the non-zeros of X; the fields that do not depend on the orientation come from the
 * hardware's GEMM); the hardware's own WG MACs are in the statistics.
 */
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import type { ResolvedDescription } from "../generator/dsl/description.ts";
import { elaborate } from "../generator/elab/elaborate.ts";
import { REPO_ROOT } from "../generator/emit/render.ts";
import { presetDescription } from "../generator/load.ts";
import type { BfpMatrix } from "../generator/model/bfp8.ts";
import type { LayerNumerics, OpCounters } from "../generator/model/gemm.ts";
import { THRESHOLD_OFF } from "../generator/model/sparsity.ts";
import { type HostContext, hostContext } from "../testbench/host/context.ts";
import { fcBackward, fcForward, fcWeightGrad } from "../testbench/host/fc.ts";
import { decodeMatrix, encodeMatrix } from "../testbench/host/layout.ts";
import { MemImage } from "../testbench/host/memory.ts";
import { type BusStalls, FULL_SPEED, SimBackend, designRtl } from "../testbench/host/runner.ts";
import {
  type CheckResult,
  HostSession,
  type JobRecord,
  type RunOutput,
} from "../testbench/host/session.ts";
import {
  type RowChunk,
  entriesOf,
  planChunks,
  putMask,
  putRaw,
  putStream,
  readRawTensor,
  readStreamTensor,
} from "../testbench/host/tensors.ts";
import type { Simulator } from "../testbench/sim.ts";
import type { BackendResult, GemmBackend } from "./backend.ts";
import { zeroCounters } from "./network.ts";

export type GemmKind = "fp" | "bp" | "wg";
export const GEMM_KINDS: readonly GemmKind[] = ["fp", "bp", "wg"];

/** Hardware figures of a set of GEMM calls (summed over their jobs). */
export interface HwCounts {
  /** Backend calls (one simulator run each) and processor jobs. */
  calls: number;
  jobs: number;
  /** PERF_CYCLES: cycles from each job's START to its end. */
  cycles: number;
  /** Testbench cycles from each job's first register write to its last register read. */
  wallCycles: number;
  /** I x J x R of the processor's jobs, and the MAC counters the processor reported. */
  macsDense: number;
  macsIssued: number;
  macsSkipIn: number;
  macsSkipOut: number;
  /** PERF_BYTES_RD / PERF_BYTES_WR. */
  bytesRd: number;
  bytesWr: number;
  /** Wall time of the simulator processes, and of the host side (golden model, check, read back). */
  simSeconds: number;
  hostSeconds: number;
}

/** A GEMM shape on the processor: A is I x R, B is J x R (J: the whole tensor, all chunks). */
export interface HwShape extends HwCounts {
  kind: GemmKind;
  I: number;
  J: number;
  R: number;
}

export interface HwStats {
  preset: string;
  sim: Simulator;
  /** MAC lanes (rows of A per tile) and block size of the processor. */
  T: number;
  k: number;
  /** Build folder (relative to the repository) and the build's compile time (0: a cached build). */
  folder: string;
  compileSeconds: number;
  /** Memory image of every run. */
  memBytes: number;
  /** SHA-256 of the processor's emitted Verilog (file names and texts, sorted): which RTL ran. */
  rtlSha256: string;
  kinds: Record<GemmKind, HwCounts>;
  /** Per GEMM shape, e.g. "fp 64x196 J32" (one entry per layer and kind at a fixed batch). */
  shapes: Record<string, HwShape>;
  total: HwCounts;
}

export interface HwBackendOptions {
  /** A shipped preset name (default "default") or a resolved description. */
  preset?: string | ResolvedDescription;
  sim?: Simulator;
  /** Work folder of the build (default build/train-hw/<name>; the simulator's folder under it). */
  dir?: string;
  /** Memory image of each run (default 256 KiB; part of the build). */
  memBytes?: number;
  /** Longest program (part of the build). */
  progMax?: number;
  bus?: BusStalls;
  /** Seed of the memory background pattern and of the testbench's delays. */
  seed?: number;
  /** Progress messages (the build). */
  log?: (msg: string) => void;
  /** Fault injection (tests): change a run's output before it is checked, or the result after. */
  tamper?: {
    run?: (kind: GemmKind, call: number, run: RunOutput, s: HostSession) => void;
    result?: (kind: GemmKind, call: number, r: BackendResult) => void;
  };
}

/** The processor and the golden model disagree (or the run failed). */
export class HwMismatchError extends Error {
  override readonly name = "HwMismatchError";
}

const BASE = 0x8000_0000;

function zeroCounts(): HwCounts {
  return {
    calls: 0,
    jobs: 0,
    cycles: 0,
    wallCycles: 0,
    macsDense: 0,
    macsIssued: 0,
    macsSkipIn: 0,
    macsSkipOut: 0,
    bytesRd: 0,
    bytesWr: 0,
    simSeconds: 0,
    hostSeconds: 0,
  };
}

function addCounts(into: HwCounts, c: HwCounts): void {
  for (const key of Object.keys(into) as (keyof HwCounts)[]) into[key] += c[key];
}

export interface HwBackend extends GemmBackend {
  readonly ctx: HostContext;
  readonly sim: SimBackend;
  /** Statistics so far (a copy). */
  stats(): HwStats;
}

export function hwBackend(o: HwBackendOptions = {}): HwBackend {
  const desc = typeof o.preset === "object" ? o.preset : presetDescription(o.preset ?? "default");
  const ctx = hostContext(desc);
  const simName: Simulator = o.sim ?? "verilator";
  const memBytes = o.memBytes ?? 1 << 18;
  const seed = o.seed ?? 1;
  const dir = o.dir ?? join(REPO_ROOT, "build", "train-hw", desc.name);
  const rtl = designRtl(elaborate(desc));
  const h = createHash("sha256");
  for (const [f, text] of [...rtl.entries()].sort(([x], [y]) => x.localeCompare(y)))
    h.update(`${f}\n${text}\n`);
  const rtlSha256 = h.digest("hex");
  const sim = new SimBackend(ctx, {
    rtl,
    sim: simName,
    dir,
    memBase: BASE,
    memBytes,
    bus: o.bus ?? FULL_SPEED,
    progMax: o.progMax ?? 2048,
    seed,
  });
  const log = o.log ?? ((): void => undefined);
  const kinds: Record<GemmKind, HwCounts> = {
    fp: zeroCounts(),
    bp: zeroCounts(),
    wg: zeroCounts(),
  };
  const shapes = new Map<string, HwShape>();
  let compileSeconds = 0;
  let calls = 0;

  const checkNumerics = (num: LayerNumerics): void => {
    const n = ctx.num;
    if (num.k !== n.k || num.rounding !== n.rounding || num.accWidth !== n.accWidth)
      throw new HwMismatchError(
        `the ${desc.name} processor computes k = ${n.k}, ${n.rounding}, ${n.accWidth}-bit accumulator; ` +
          `the training asked for k = ${num.k}, ${num.rounding}, ${num.accWidth}-bit (use a preset with the training's numerics)`,
      );
  };

  const session = (): HostSession =>
    new HostSession(ctx, new MemImage({ base: BASE, size: memBytes, seed: (seed + calls) >>> 0 }));

  const plan = (m: BfpMatrix, I: number): RowChunk[] =>
    planChunks(ctx, m.rows, [{ I, R: m.cols, entries: entriesOf(ctx, m) }]);

  /** Run a session's program on the simulator, check it, sum its jobs; returns the final memory. */
  const execute = (
    kind: GemmKind,
    s: HostSession,
    jobs: readonly JobRecord[],
    shape: { I: number; J: number; R: number },
  ): { mem: MemImage; golden: OpCounters; hw: HwCounts } => {
    const call = calls;
    s.end();
    if (call === 0)
      log(
        `hardware backend: ${desc.name} processor in ${simName} (${sim.folder}); the first run builds it unless cached`,
      );
    const tRun = performance.now();
    const run = sim.run(s.initial, s.ops);
    const tEnd = performance.now();
    if (run.compileMs > 0) {
      compileSeconds += run.compileMs / 1000;
      log(`hardware backend: built in ${(run.compileMs / 1000).toFixed(1)} s`);
    }
    o.tamper?.run?.(kind, call, run, s);
    const chk: CheckResult = s.check(run);
    const what = `hardware ${kind.toUpperCase()} (call ${call}, I ${shape.I} J ${shape.J} R ${shape.R}, ${jobs.length} jobs)`;
    if (!chk.ok)
      throw new HwMismatchError(
        `${what} differs from the golden model:\n  ${chk.errors.join("\n  ")}`,
      );
    if (run.mem === undefined) throw new HwMismatchError(`${what}: no memory dump`);
    const hw = zeroCounts();
    hw.calls = 1;
    hw.jobs = jobs.length;
    const golden: OpCounters = zeroCounters();
    for (const j of jobs) {
      const out = chk.outcomes[j.index];
      const g = j.golden.result?.counters;
      if (out === undefined || g === undefined)
        throw new HwMismatchError(`${what}: job ${j.label} has no outcome or no golden result`);
      // the PERF_* counters count modulo 2^counterBits
      const wrap = 2 ** ctx.counterBits;
      const got = [out.macsIssued, out.macsSkipIn, out.macsSkipOut];
      const want = [g.macsIssued, g.macsInputSkipped, g.macsOutputSkipped].map((v) => v % wrap);
      if (got.some((v, i) => v !== want[i]))
        throw new HwMismatchError(
          `${what}: job ${j.label} MACs issued / skipped in / skipped out ${got.join(" / ")}, golden model ${want.join(" / ")}`,
        );
      for (const key of Object.keys(golden) as (keyof OpCounters)[]) golden[key] += g[key];
      hw.cycles += out.cycles ?? 0;
      hw.wallCycles += out.wallCycles ?? 0;
      hw.macsDense += g.macsDense;
      hw.macsIssued += out.macsIssued ?? 0;
      hw.macsSkipIn += out.macsSkipIn ?? 0;
      hw.macsSkipOut += out.macsSkipOut ?? 0;
      hw.bytesRd += out.bytesRd ?? 0;
      hw.bytesWr += out.bytesWr ?? 0;
    }
    hw.simSeconds = (tEnd - tRun - run.compileMs) / 1000;
    // the build is neither simulation nor host work (record adds the host's time)
    hw.hostSeconds = -run.compileMs / 1000;
    // the hardware's own counters replace the golden model's (they are equal: asserted above)
    golden.macsIssued = hw.macsIssued;
    golden.macsInputSkipped = hw.macsSkipIn;
    golden.macsOutputSkipped = hw.macsSkipOut;
    return { mem: s.expected.withData(run.mem), golden, hw };
  };

  const record = (
    kind: GemmKind,
    shape: { I: number; J: number; R: number },
    hw: HwCounts,
    t0: number,
  ): void => {
    hw.hostSeconds += (performance.now() - t0) / 1000 - hw.simSeconds;
    addCounts(kinds[kind], hw);
    const key = `${kind} ${shape.I}x${shape.R} J${shape.J}`;
    let sh = shapes.get(key);
    if (sh === undefined) {
      sh = { kind, ...shape, ...zeroCounts() };
      shapes.set(key, sh);
    }
    addCounts(sh, hw);
    calls++;
  };

  const finish = (kind: GemmKind, r: BackendResult): BackendResult => {
    o.tamper?.result?.(kind, calls - 1, r);
    return r;
  };

  const backend: HwBackend = {
    name: `hw(${desc.name}, ${simName})`,
    ctx,
    sim,
    forward(w, xT, num, opts): BackendResult {
      const t0 = performance.now();
      checkNumerics(num);
      const s = session();
      const relu = opts.relu;
      const wt = putRaw(s, "w", w);
      const xs = putStream(s, "xT", xT, plan(xT, w.rows));
      const fp = fcForward(s, {
        label: "fp",
        w: wt,
        xT: xs,
        relu,
        threshold: opts.threshold ?? THRESHOLD_OFF,
      });
      const shape = { I: w.rows, J: xT.rows, R: w.cols };
      const r = execute("fp", s, fp.jobs, shape);
      const out = readStreamTensor(ctx, r.mem, fp.yT);
      record("fp", shape, r.hw, t0);
      return finish("fp", { out, counters: r.golden });
    },
    backward(wT, dyT, num, opts): BackendResult {
      const t0 = performance.now();
      checkNumerics(num);
      const s = session();
      const K = wT.rows;
      const N = dyT.rows;
      const wt = putRaw(s, "wT", wT);
      const ds = putStream(s, "dyT", dyT, plan(dyT, K));
      const maskX = opts.maskT === undefined ? undefined : putMask(s, "maskT", opts.maskT, N, K);
      const bp = fcBackward(s, {
        label: "bp",
        wT: wt,
        dyT: ds,
        ...(maskX === undefined ? {} : { maskX }),
        threshold: opts.threshold ?? THRESHOLD_OFF,
      });
      if (bp.dxT.kind !== "stream") throw new Error("bp: expected a stream output");
      const shape = { I: K, J: N, R: wT.cols };
      const r = execute("bp", s, bp.jobs, shape);
      const out = readStreamTensor(ctx, r.mem, bp.dxT.tensor);
      record("bp", shape, r.hw, t0);
      return finish("bp", { out, counters: r.golden });
    },
    weightGradient(dy, x, num): BackendResult {
      const t0 = performance.now();
      checkNumerics(num);
      const s = session();
      const xt = putRaw(s, "x", x);
      const ds = putStream(s, "dy", dy, plan(dy, x.rows));
      const wg = fcWeightGrad(s, { label: "wg", x: xt, dy: ds });
      const shape = { I: x.rows, J: dy.rows, R: x.cols };
      const r = execute("wg", s, wg.jobs, shape);
      const out = readRawTensor(r.mem, wg.dw);
      record("wg", shape, r.hw, t0);
      // gemm.ts's weightGradient streams X (B = x): its MACs issued are M x the non-zeros of X
      const M = dy.rows;
      let nnzX = 0;
      const w = x.blocksPerRow * x.k;
      for (let row = 0; row < x.rows; row++)
        for (let c = 0; c < x.cols; c++) if ((x.q[row * w + c] ?? 0) !== 0) nnzX++;
      const g = r.golden;
      const issued = M * nnzX;
      const counters: OpCounters = {
        macsDense: g.macsDense,
        macsOutputSkipped: 0,
        macsInputSkipped: g.macsDense - issued,
        macsIssued: issued,
        macsEffectual: g.macsEffectual,
        outputsComputed: g.outputsComputed,
        outputsSkipped: g.outputsSkipped,
      };
      return finish("wg", { out, counters });
    },
    stats(): HwStats {
      const total = zeroCounts();
      for (const k of GEMM_KINDS) addCounts(total, kinds[k]);
      return {
        preset: desc.name,
        sim: simName,
        T: ctx.top.T,
        k: ctx.top.k,
        folder: relative(REPO_ROOT, sim.folder),
        compileSeconds,
        memBytes,
        rtlSha256,
        kinds: { fp: { ...kinds.fp }, bp: { ...kinds.bp }, wg: { ...kinds.wg } },
        shapes: Object.fromEntries([...shapes].map(([key, v]) => [key, { ...v }])),
        total,
      };
    },
  };
  return backend;
}

/**
 * A reference backend's results as the processor stores them: FP and BP outputs go to memory
 * through the codec, which writes a block without a non-zero code with the canonical zero scale
 * (and a NaN block as a zero-scale block, docs/codec.md), so the reference's FP / BP tensor is
 * taken through the golden model's encode and decode; WG's raw output is stored as it is. The
 * values of the tensors are the same (a zero block's scale multiplies nothing); what the next
 * GEMM reads is the stored form. Compare the hardware with `checkedBackend(hw, stored(ref))`.
 */
export function storedBackend(reference: GemmBackend, ctx: HostContext): GemmBackend {
  const viaCodec = (r: BackendResult): BackendResult => ({
    out: decodeMatrix(encodeMatrix(r.out, ctx.codec).bytes, r.out.rows, r.out.cols, ctx.codec).m,
    counters: r.counters,
  });
  return {
    name: `${reference.name}, as stored`,
    forward: (w, xT, num, opts) => viaCodec(reference.forward(w, xT, num, opts)),
    backward: (wT, dyT, num, opts) => viaCodec(reference.backward(wT, dyT, num, opts)),
    weightGradient: (dy, x, num) => reference.weightGradient(dy, x, num),
  };
}

/** Markdown table of the hardware statistics (per GEMM kind and per shape). */
export function hwStatsMarkdown(st: HwStats, steps?: number): string {
  const L: string[] = [];
  const per = steps !== undefined && steps > 0 ? steps : undefined;
  const head =
    "| GEMM | calls | jobs | RTL cycles | cycles / ideal | MACs dense | MACs issued | issued / dense | skipped in / out | AXI bytes rd / wr | sim s | host s |";
  L.push(head);
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const row = (name: string, c: HwCounts): string => {
    const ideal = c.macsIssued / st.T;
    return `| ${name} | ${c.calls} | ${c.jobs} | ${c.cycles} | ${(c.cycles / Math.max(1, ideal)).toFixed(2)} | ${c.macsDense} | ${c.macsIssued} | ${(
      (100 * c.macsIssued) /
      Math.max(1, c.macsDense)
    ).toFixed(
      1,
    )}% | ${c.macsSkipIn} / ${c.macsSkipOut} | ${c.bytesRd} / ${c.bytesWr} | ${c.simSeconds.toFixed(1)} | ${c.hostSeconds.toFixed(1)} |`;
  };
  for (const k of GEMM_KINDS) L.push(row(k.toUpperCase(), st.kinds[k]));
  for (const [key, sh] of Object.entries(st.shapes).sort(([a], [b]) => a.localeCompare(b)))
    L.push(row(`  ${key}`, sh));
  L.push(row("**total**", st.total));
  const t = st.total;
  L.push(
    `\n${st.preset} processor (${st.T} lanes, k = ${st.k}) in ${st.sim}; ideal = MACs issued / T (compute only). ` +
      `RTL cycles are PERF_CYCLES summed over the jobs${per === undefined ? "" : ` (${Math.round(t.cycles / per)} per training step)`}; ` +
      `${t.calls} simulator runs, ${t.simSeconds.toFixed(0)} s in the simulator, ${t.hostSeconds.toFixed(0)} s on the host` +
      `${st.compileSeconds > 0 ? `, build ${st.compileSeconds.toFixed(0)} s` : " (cached build)"}.`,
  );
  return L.join("\n");
}
