/**
 * A short MNIST training run in the golden model's BFP8 numerics that keeps the interim tensors
 * it writes: the activations of every hidden layer (written by FP) and their error gradients
 * (written by BP), at chosen steps.
 *
 * It is training/run.ts's runTraining, with hooks: `onTape` hands over what every step wrote,
 * `onMetrics` the run's full metrics (training/metrics.ts RunMetrics: sparsity, operation
 * counters, external traffic), and `skipEval` leaves out the per-epoch test evaluation, which
 * changes no weight.
 */
import type { BfpMatrix } from "../../generator/model/bfp8.ts";
import type { Stored } from "../../training/engine.ts";
import type { RunMetrics } from "../../training/metrics.ts";
import type { Layer } from "../../training/network.ts";
import { type RunConfig, runTraining } from "../../training/run.ts";
import type { StoredTensor } from "./codec-sizes.ts";

export type TensorKind = "activations" | "gradients";

export interface CapturedTensor extends StoredTensor {
  /** Training step (0-based). */
  step: number;
  layer: string;
  kind: TensorKind;
}

export interface CaptureResult {
  config: RunConfig;
  name: string;
  /** The `npm run train` command of the same run (its metrics are the same). */
  command: string;
  metrics: RunMetrics;
  layers: Layer[];
  tensors: CapturedTensor[];
  steps: number;
  ms: number;
}

const isBfp = (m: Stored): m is BfpMatrix => "q" in m && "scale" in m;

function copy(m: BfpMatrix, step: number, layer: string, kind: TensorKind): CapturedTensor {
  return {
    step,
    layer,
    kind,
    rows: m.rows,
    cols: m.cols,
    k: m.k,
    q: Int8Array.from(m.q),
    scale: Uint8Array.from(m.scale),
  };
}

/**
 * Train (BFP8 modes only) and keep the hidden layers' activations and error gradients at the
 * steps in `captureAt`. Logits and the loss gradient are host data and are not kept.
 */
export function captureTraining(
  config: RunConfig,
  captureAt: ReadonlySet<number>,
  onStep?: (step: number, total: number) => void,
): CaptureResult {
  if (config.mode === "fp32") throw new Error("captureTraining: BFP8 modes only");
  const t0 = performance.now();
  const tensors: CapturedTensor[] = [];
  let metrics: RunMetrics | undefined;
  let layers: readonly Layer[] = [];
  const r = runTraining(config, {
    skipEval: true,
    onStep: (step, _loss, total) => onStep?.(step + 1, total),
    onMetrics: (m) => (metrics = m),
    onTape: (step, tape, ls) => {
      layers = ls;
      if (!captureAt.has(step)) return;
      tape.forEach((st, li) => {
        if (li === ls.length - 1) return; // logits and the loss gradient are host data
        const name = ls[li]!.spec.name;
        if (isBfp(st.y)) tensors.push(copy(st.y, step, name, "activations"));
        if (st.dy !== undefined && isBfp(st.dy)) tensors.push(copy(st.dy, step, name, "gradients"));
      });
    },
  });
  if (metrics === undefined) throw new Error("captureTraining: the run gave no metrics");
  return {
    config,
    name: r.name,
    command: r.command,
    metrics,
    layers: [...layers],
    tensors,
    steps: r.steps,
    ms: performance.now() - t0,
  };
}

/** `count` steps spread over a run of `total` steps, after its first (which has no threshold). */
export function captureSteps(total: number, count: number): Set<number> {
  const out = new Set<number>();
  if (total <= 1) return new Set([0]);
  for (let i = 1; i <= count; i++)
    out.add(Math.min(total - 1, Math.round((i * (total - 1)) / count)));
  return out;
}
