/**
 * GemmBackend: where the training harness runs every layer GEMM. The three methods have the
 * signatures of forward/backward/weightGradient in generator/model/gemm.ts and must return the
 * same written tensor and operation counters bit for bit. Backends:
 *
 *   fast     training/fastgemm.ts (typed arrays; the default)
 *   model    generator/model/gemm.ts itself (slow; the reference)
 *   checked  runs fast and model and throws on the first difference (for tests and --verify)
 *   hw       training/hw-backend.ts: every GEMM on the simulated processor through the host
 *            runtime, checked against the golden model (training/run.ts wraps it in
 *            checkedBackend(hw, storedBackend(fast)))
 */
import type { BfpMatrix } from "../generator/model/bfp8.ts";
import {
  type LayerNumerics,
  type OpCounters,
  backward,
  forward,
  weightGradient,
} from "../generator/model/gemm.ts";
import type { Threshold } from "../generator/model/sparsity.ts";
import { fastBackward, fastForward, fastWeightGradient } from "./fastgemm.ts";

export interface BackendResult {
  /** The written tensor, as gemm.ts writes it. */
  out: BfpMatrix;
  counters: OpCounters;
}

export interface GemmBackend {
  readonly name: string;
  /** FP: Y = W . X. w: M x K (blocks along K); xT: N x K. Returns Y^T (N x M). */
  forward(
    w: BfpMatrix,
    xT: BfpMatrix,
    num: LayerNumerics,
    opts: { relu: boolean; threshold?: Threshold },
  ): BackendResult;
  /** BP: dX = (W^T . dY) (*) mask. wT: K x M; dyT: N x M; maskT: N x K. Returns dX^T (N x K). */
  backward(
    wT: BfpMatrix,
    dyT: BfpMatrix,
    num: LayerNumerics,
    opts: { maskT?: Uint8Array; threshold?: Threshold },
  ): BackendResult;
  /** WG: dW = dY . X^T. dy: M x N; x: K x N (both blocks along N). Returns dW (M x K). */
  weightGradient(dy: BfpMatrix, x: BfpMatrix, num: LayerNumerics): BackendResult;
}

export const fastBackend: GemmBackend = {
  name: "fast",
  forward: (w, xT, num, opts) => fastForward(w, xT, num, opts),
  backward: (wT, dyT, num, opts) => fastBackward(wT, dyT, num, opts),
  weightGradient: (dy, x, num) => fastWeightGradient(dy, x, num),
};

export const modelBackend: GemmBackend = {
  name: "model",
  forward: (w, xT, num, opts) => strip(forward(w, xT, num, opts)),
  backward: (wT, dyT, num, opts) => strip(backward(wT, dyT, num, opts)),
  weightGradient: (dy, x, num) => strip(weightGradient(dy, x, num)),
};

function strip(r: BackendResult): BackendResult {
  return { out: r.out, counters: r.counters };
}

/** First difference between two backend results, or undefined when they are identical. */
export function diffResults(a: BackendResult, b: BackendResult): string | undefined {
  const x = a.out;
  const y = b.out;
  if (x.rows !== y.rows || x.cols !== y.cols || x.k !== y.k)
    return `shape ${x.rows}x${x.cols}/k${x.k} vs ${y.rows}x${y.cols}/k${y.k}`;
  for (let i = 0; i < x.scale.length; i++)
    if (x.scale[i] !== y.scale[i]) return `scale of block ${i}: ${x.scale[i]} vs ${y.scale[i]}`;
  for (let i = 0; i < x.q.length; i++)
    if (x.q[i] !== y.q[i]) return `element ${i}: ${x.q[i]} vs ${y.q[i]}`;
  for (const key of Object.keys(a.counters) as (keyof OpCounters)[])
    if (a.counters[key] !== b.counters[key])
      return `counter ${key}: ${a.counters[key]} vs ${b.counters[key]}`;
  return undefined;
}

/** Runs both backends on every GEMM and throws on the first difference; returns the first's. */
export function checkedBackend(
  primary: GemmBackend = fastBackend,
  reference: GemmBackend = modelBackend,
): GemmBackend & { readonly checks: number } {
  let checks = 0;
  const check = (what: string, r1: BackendResult, r2: BackendResult): BackendResult => {
    const d = diffResults(r1, r2);
    if (d !== undefined)
      throw new Error(`${primary.name} and ${reference.name} backends differ in ${what}: ${d}`);
    checks++;
    return r1;
  };
  return {
    name: `checked(${primary.name} vs ${reference.name})`,
    get checks() {
      return checks;
    },
    forward: (w, xT, num, opts) =>
      check("forward", primary.forward(w, xT, num, opts), reference.forward(w, xT, num, opts)),
    backward: (wT, dyT, num, opts) =>
      check(
        "backward",
        primary.backward(wT, dyT, num, opts),
        reference.backward(wT, dyT, num, opts),
      ),
    weightGradient: (dy, x, num) =>
      check(
        "weightGradient",
        primary.weightGradient(dy, x, num),
        reference.weightGradient(dy, x, num),
      ),
  };
}
