/**
 * One fully connected layer's FP, BP and WG on the simulated processor, every job checked against
 * the golden model: what `npm run bench:top` and the compute section of `npm run bench` measure.
 * The dense baseline is the same description with input and output skipping off and the dense
 * codec.
 */
import { join } from "node:path";
import type { ResolvedDescription } from "../../generator/dsl/description.ts";
import { validateDescription } from "../../generator/dsl/validate.ts";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { GenError } from "../../generator/errors.ts";
import { reluMask } from "../../generator/model/sparsity.ts";
import type { Simulator } from "../sim.ts";
import { hostContext } from "./context.ts";
import { type FcSteps, fcSteps, quantize } from "./fc.ts";
import { MemImage, memBase } from "./memory.ts";
import { SimBackend, stalls } from "./runner.ts";
import { HostSession, type JobOutcome, type JobRecord } from "./session.ts";

export type Step = "fp" | "bp" | "wg";
export const STEPS: readonly Step[] = ["fp", "bp", "wg"];

export interface StepResult {
  jobs: number;
  /** PERF_CYCLES summed over the step's jobs. */
  cycles: number;
  /** Testbench cycles from each job's first register write to its last read, summed. */
  wall: number;
  rd: number;
  wr: number;
  /** The golden model's MACs issued and dense MACs. */
  issued: number;
  dense: number;
}

export interface LayerResult {
  name: string;
  steps: Record<Step, StepResult>;
  ok: boolean;
  errors: string[];
  /** Register reads that differ from the golden model, and memory bytes. */
  badReads: number;
  memDiffs: number;
  compileS: number;
  runS: number;
  T: number;
}

/** Float tensors of one layer: W (M x K), X^T (N x K), dY^T (N x M), row-major. */
export interface LayerData {
  w: Float64Array;
  xT: Float64Array;
  dyT: Float64Array;
}

export interface LayerRunOptions {
  sim: Simulator;
  /** BP skips outputs with X's ReLU mask. */
  skipOut: boolean;
  /** AXI stall probability per channel (percent) and latency. */
  stallPct?: number;
  latency?: number;
  seed?: number;
  waves?: boolean;
  /** Build folder (default build/bench-top/<name>). */
  dir?: string;
  log?: (s: string) => void;
}

/** The dense baseline: input and output skipping off, the dense codec. */
export function baselineOf(d: ResolvedDescription): ResolvedDescription {
  return validateDescription({
    ...d,
    name: `${d.name}_dense`,
    features: { ...d.features, inputSkipping: false, outputSkipping: false },
    codec: { ...d.codec, format: "dense" },
  });
}

const nextPow2 = (x: number): number => 2 ** Math.ceil(Math.log2(Math.max(2, x)));

/** Run FP, BP and WG of an M x K layer with batch N on one processor. */
export function runLayer(
  desc: ResolvedDescription,
  M: number,
  K: number,
  N: number,
  data: LayerData,
  o: LayerRunOptions,
): LayerResult {
  const ctx = hostContext(desc);
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  if (N > ctx.top.rMax)
    throw new GenError(
      "E_MODEL_ARG",
      `batch ${N}: WG reduces over the batch, at most rMax = ${ctx.top.rMax}`,
    );
  if (K > ctx.top.rMax || M > ctx.top.rMax)
    throw new GenError(
      "E_MODEL_ARG",
      `layer ${M}x${K}: FP reduces over K and BP over M, at most rMax = ${ctx.top.rMax} each`,
      { hint: "a larger buffers.weightBytes raises rMax (weightBytes / lanes)" },
    );
  // room for every operand and output (raw worst case, plus streams and masks), with margin
  const memBytes = nextPow2(12 * (M * K + K * N + M * N) + (1 << 16));
  const base = memBase(desc.dma.addrWidth, memBytes);
  const seed = o.seed ?? 1;
  const s = new HostSession(ctx, new MemImage({ base, size: memBytes, seed }));
  const maskX = o.skipOut ? reluMask(quantize(ctx, data.xT, N, K)) : undefined;
  log(`${desc.name}: golden model and program (${M}x${K}, batch ${N}) ...`);
  const st: FcSteps = fcSteps(
    s,
    { M, K, N, ...data, ...(maskX === undefined ? {} : { maskX }) },
    { label: "layer", wait: "busy" },
  );
  s.end();
  const be = new SimBackend(ctx, {
    sim: o.sim,
    dir: o.dir ?? join(REPO_ROOT, "build", "bench-top", desc.name),
    memBase: base,
    memBytes,
    bus: stalls(o.stallPct ?? 0, o.latency ?? 0),
    progMax: nextPow2(Math.max(1024, s.ops.length)),
    seed,
    waves: o.waves ?? false,
  });
  log(`${desc.name}: ${s.jobs.length} jobs in ${o.sim} (${be.folder}) ...`);
  const run = be.run(s.initial, s.ops);
  const chk = s.check(run);
  const sum = (jobs: readonly JobRecord[]): StepResult => {
    const out = jobs.map((j) => chk.outcomes[j.index]);
    const add = (f: (x: JobOutcome) => number | undefined): number =>
      out.reduce((n, x) => n + (x === undefined ? 0 : (f(x) ?? 0)), 0);
    return {
      jobs: jobs.length,
      cycles: add((x) => x.cycles),
      wall: add((x) => x.wallCycles),
      rd: add((x) => x.bytesRd),
      wr: add((x) => x.bytesWr),
      issued: jobs.reduce((n, j) => n + j.golden.counters.macsIssued, 0),
      dense: jobs.reduce((n, j) => n + j.job.I * j.job.J * j.job.R, 0),
    };
  };
  return {
    name: desc.name,
    steps: {
      fp: sum(st.fp?.jobs ?? []),
      bp: sum(st.bp?.jobs ?? []),
      wg: sum(st.wg?.jobs ?? []),
    },
    ok: chk.ok,
    errors: chk.errors,
    badReads: run.messages.filter((m) => m.startsWith("MISMATCH")).length,
    memDiffs: chk.memDiffs,
    compileS: run.compileMs / 1000,
    runS: run.runMs / 1000,
    T: ctx.top.T,
  };
}
