/**
 * A training chain through memory: FP -> BP -> WG of an FC layer where each step's inputs are what
 * the previous jobs wrote. Two layers, so that BP has the ReLU mask of its input to skip with:
 *
 *   run 1: FP0  X1^T = relu(W0 . X0)^T, compressed, + X1's mask      (X0^T written by the host)
 *          FP1  Y1^T = (W1 . X1)^T, compressed; B = FP0's output chunks in memory, JOB_B_BYTES
 *               from the JOB_OUT_BYTES the hardware reported
 *   host:  reads Y1^T back, dY1 = Y1 - target (sparsified), W1^T re-blocked; X1^T read back and
 *          re-blocked along the batch (WG's A), dY1 re-blocked (WG's B)
 *   run 2: BP1  dX1^T = (W1^T . dY1)^T with OUT_SKIP on the mask FP0 wrote
 *          WG1  dW1 = dY1 . X1^T, raw
 *
 * Every run is checked against the golden model (reads, counters, every memory byte), and the
 * tensors read back are compared with the model's whole-tensor forward / backward /
 * weightGradient (so chunking, layouts and re-blocking are checked end to end).
 */
import { type BfpMatrix, dequantizeMatrix } from "../../generator/model/bfp8.ts";
import { backward, forward, weightGradient } from "../../generator/model/gemm.ts";
import { Rng } from "../../generator/model/rng.ts";
import { type Threshold, THRESHOLD_OFF, reluMask } from "../../generator/model/sparsity.ts";
import { randomMatrix } from "../core.ts";
import type { HostContext } from "./context.ts";
import { fcBackward, fcForward, fcWeightGrad, quantize, reblock } from "./fc.ts";
import type { Backend } from "./golden-backend.ts";
import { compareMatrices } from "./layout.ts";
import type { MemImage } from "./memory.ts";
import { type CheckResult, HostSession, type RunOutput, type WaitMode } from "./session.ts";
import {
  type PlaceOptions,
  entriesOf,
  planChunks,
  putRaw,
  putStream,
  readMaskTensor,
  readRawTensor,
  readStreamTensor,
} from "./tensors.ts";

export interface ChainSpec {
  /** Layer 0: K0 -> K1 (ReLU); layer 1: K1 -> M1. Batch N (WG's reduction: N <= rMax). */
  K0: number;
  K1: number;
  M1: number;
  N: number;
  /** Density of X0. */
  density: number;
  /** Fraction of dY1's elements kept (the rest zeroed). */
  gradDensity: number;
  seed: number;
  fpThreshold?: Threshold;
  bpThreshold?: Threshold;
  /** Longest chunk of the batch per job. */
  maxRows?: number;
  wait?: WaitMode | readonly WaitMode[];
  place?: PlaceOptions;
}

export interface ChainResult {
  runs: RunOutput[];
  checks: CheckResult[];
  /** Whole-tensor comparisons with the golden model's layer functions. */
  tensorErrors: string[];
  ok: boolean;
  /** Jobs per run. */
  jobs: number[];
  sessions: HostSession[];
}

export function runFcChain(
  ctx: HostContext,
  backend: Backend,
  mem: MemImage,
  spec: ChainSpec,
): ChainResult {
  const { K0, K1, M1, N } = spec;
  if (N > ctx.top.rMax)
    throw new Error(`chain: N = ${N} > rMax ${ctx.top.rMax} (WG reduces over N)`);
  const rng = new Rng(spec.seed);
  const num = ctx.num;
  const place = spec.place;
  const wait = spec.wait === undefined ? {} : { wait: spec.wait };
  const pl = place === undefined ? {} : { place };
  const tensorErrors: string[] = [];
  // what the processor applies: thresholds and output skipping only where it has them
  const thr = (t: Threshold | undefined): Threshold =>
    ctx.top.threshold ? (t ?? THRESHOLD_OFF) : THRESHOLD_OFF;
  const cmp = (what: string, got: BfpMatrix, want: BfpMatrix): void => {
    const e = compareMatrices(what, got, want);
    if (e !== undefined) tensorErrors.push(e);
  };

  // ---------------------------------------------------------------- run 1: FP0, FP1
  const s1 = new HostSession(ctx, mem);
  s1.checkIdentity();
  const w0 = quantize(ctx, randomMatrix(rng, K1, K0, 1, 6), K1, K0);
  const x0T = quantize(ctx, randomMatrix(rng, N, K0, spec.density, 6), N, K0);
  const w1 = quantize(ctx, randomMatrix(rng, M1, K1, 1, 6), M1, K1);
  // X0's chunks are FP0's jobs and, through FP0's output, FP1's: fit both (FP1's B unknown yet)
  const chunks = planChunks(
    ctx,
    N,
    [
      { I: K1, R: K0, entries: entriesOf(ctx, x0T) },
      { I: M1, R: K1 },
    ],
    spec.maxRows,
  );
  const w0t = putRaw(s1, "w0", w0, place);
  const x0s = putStream(s1, "x0T", x0T, chunks, place);
  const fp0 = fcForward(s1, {
    label: "fp0",
    w: w0t,
    xT: x0s,
    relu: true,
    writeMask: true,
    ...(spec.fpThreshold === undefined ? {} : { threshold: spec.fpThreshold }),
    ...wait,
    ...pl,
  });
  const maskX1 = fp0.mask;
  if (maskX1 === undefined) throw new Error("chain: FP0 writes no mask");
  const w1t = putRaw(s1, "w1", w1, place);
  const fp1 = fcForward(s1, { label: "fp1", w: w1t, xT: fp0.yT, relu: false, ...wait, ...pl });
  s1.end();
  const run1 = backend.run(s1.initial, s1.ops);
  const check1 = s1.check(run1);
  const runs = [run1];
  const checks = [check1];
  const sessions = [s1];
  const done = (): ChainResult => ({
    runs,
    checks,
    tensorErrors,
    ok: checks.every((c) => c.ok) && tensorErrors.length === 0 && checks.length === 2,
    jobs: sessions.map((s) => s.jobs.length),
    sessions,
  });
  if (run1.mem === undefined) return done();
  const mem1 = s1.expected.withData(run1.mem);
  const x1T = readStreamTensor(ctx, mem1, fp0.yT);
  const y1T = readStreamTensor(ctx, mem1, fp1.yT);
  const mask1 = readMaskTensor(mem1, maskX1);
  const fp0Ref = forward(w0, x0T, num, { relu: true, threshold: thr(spec.fpThreshold) });
  cmp("FP0 X1^T", x1T, fp0Ref.out);
  const refMask = reluMask(fp0Ref.out);
  if (refMask.some((b, i) => b !== mask1[i]))
    tensorErrors.push("FP0: X1's mask differs from reluMask");
  cmp("FP1 Y1^T", y1T, forward(w1, x1T, num, { relu: false }).out);

  // ---------------------------------------------------------------- host: the gradient
  const y = dequantizeMatrix(y1T);
  const g = new Float64Array(N * M1);
  for (let i = 0; i < g.length; i++) {
    const target = rng.normal() * 4;
    g[i] = rng.bernoulli(spec.gradDensity) ? (y[i] ?? 0) - target : 0;
  }
  const dy1T = quantize(ctx, g, N, M1);
  const w1T = reblock(ctx, w1);
  const x1 = reblock(ctx, x1T);
  const dy1 = reblock(ctx, dy1T);

  // ---------------------------------------------------------------- run 2: BP1, WG1
  const s2 = s1.next(run1.mem);
  sessions.push(s2);
  const w1Tt = putRaw(s2, "w1T", w1T, place);
  const dys = putStream(
    s2,
    "dy1T",
    dy1T,
    planChunks(ctx, N, [{ I: K1, R: M1, entries: entriesOf(ctx, dy1T) }], spec.maxRows),
    place,
  );
  const bp1 = fcBackward(s2, {
    label: "bp1",
    wT: w1Tt,
    dyT: dys,
    maskX: maskX1,
    ...(spec.bpThreshold === undefined ? {} : { threshold: spec.bpThreshold }),
    ...wait,
    ...pl,
  });
  const x1t = putRaw(s2, "x1", x1, place);
  const dy1s = putStream(
    s2,
    "dy1",
    dy1,
    planChunks(ctx, M1, [{ I: K1, R: N, entries: entriesOf(ctx, dy1) }]),
    place,
  );
  const wg1 = fcWeightGrad(s2, { label: "wg1", x: x1t, dy: dy1s, ...wait, ...pl });
  s2.end();
  const run2 = backend.run(s2.initial, s2.ops);
  runs.push(run2);
  checks.push(s2.check(run2));
  if (run2.mem === undefined) return done();
  const mem2 = s2.expected.withData(run2.mem);
  if (bp1.dxT.kind !== "stream") throw new Error("chain: BP writes streams");
  const dx1T = readStreamTensor(ctx, mem2, bp1.dxT.tensor);
  cmp(
    "BP1 dX1^T",
    dx1T,
    backward(w1T, dy1T, num, {
      ...(ctx.top.outputSkipping ? { maskT: mask1 } : {}),
      threshold: thr(spec.bpThreshold),
    }).out,
  );
  cmp("WG1 dW1", readRawTensor(mem2, wg1.dw), weightGradient(dy1, x1, num).out);
  return done();
}
