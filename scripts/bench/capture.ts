/**
 * A short MNIST training run in the golden model's BFP8 numerics that keeps the interim tensors
 * it writes: the activations of every hidden layer (written by FP) and their error gradients
 * (written by BP), at chosen steps.
 *
 * The step loop is the one of training/run.ts (`trainWith`): the same data split, initial
 * weights, data order, threshold policies, learning-rate schedule, SGD update and metrics
 * (training/metrics.ts RunMetrics: sparsity, operation counters, external traffic). It skips the
 * per-epoch test evaluation, which changes no weight. test/bench.test.ts checks that its metrics
 * equal runTraining's for the same configuration.
 */
import type { BfpMatrix } from "../../generator/model/bfp8.ts";
import { Rng } from "../../generator/model/rng.ts";
import { checkedBackend, fastBackend, modelBackend } from "../../training/backend.ts";
import {
  type Dataset,
  mnistSplit,
  permutation,
  pixelsOf,
  poolDataset,
  standardize,
} from "../../training/data.ts";
import { bfp8Engine } from "../../training/engine.ts";
import { RunMetrics } from "../../training/metrics.ts";
import {
  MODELS,
  MODEL_POOL,
  Net,
  buildNetwork,
  sgdUpdate,
  softmaxLoss,
  type Layer,
} from "../../training/network.ts";
import {
  type ThresholdPolicy,
  fixedThresholdPolicy,
  offPolicy,
  targetPolicy,
} from "../../training/policy.ts";
import { NUMERICS, type RunConfig, runCommand, runName } from "../../training/run.ts";
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

function policy(target: number | undefined, theta: number | undefined): ThresholdPolicy {
  if (target !== undefined) return targetPolicy(target);
  if (theta !== undefined) return fixedThresholdPolicy(theta);
  return offPolicy();
}

const splits = new Map<string, { train: Dataset; test: Dataset }>();

/** The training digits of a configuration, prepared as runTraining prepares them. */
function dataFor(c: RunConfig): Dataset {
  const pool = MODEL_POOL[c.model];
  const key = `${c.train}/${c.test}/${c.splitSeed}/${c.pixels}/${pool}`;
  let s = splits.get(key);
  if (s === undefined) {
    const full = mnistSplit(c.train, c.test, c.splitSeed);
    const split = { train: poolDataset(full.train, pool), test: poolDataset(full.test, pool) };
    s = c.pixels === "raw" ? split : standardize(split.train, split.test);
    splits.set(key, s);
  }
  return s.train;
}

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
  const train = dataFor(config);
  const backend =
    config.backend === "model"
      ? modelBackend
      : config.backend === "checked"
        ? checkedBackend()
        : fastBackend;
  const eng = bfp8Engine(NUMERICS, backend);
  const layers = buildNetwork(MODELS[config.model], config.seed, {
    h: train.side,
    w: train.side,
    c: 1,
  });
  const net = new Net(layers, eng);
  const L = layers.length;
  const hidden = (li: number): boolean => li < L - 1;
  const actPolicies = layers.map((_, li) =>
    hidden(li) ? policy(config.targetAct, config.thresholdAct) : offPolicy(),
  );
  const gradPolicies = layers.map((_, li) =>
    hidden(li) ? policy(config.targetGrad, config.thresholdGrad) : offPolicy(),
  );
  const stepsPerEpoch = Math.floor(train.n / config.batch);
  let totalSteps = stepsPerEpoch * config.epochs;
  if (config.maxSteps !== undefined) totalSteps = Math.min(totalSteps, config.maxSteps);
  const metrics = new RunMetrics(layers);
  const orderRng = new Rng((config.seed ^ 0x5eed5eed) >>> 0);
  const tensors: CapturedTensor[] = [];
  let step = 0;
  for (let ep = 0; ep < config.epochs && step < totalSteps; ep++) {
    const perm = permutation(train.n, orderRng);
    for (let s = 0; s < stepsPerEpoch && step < totalSteps; s++, step++) {
      const idx = perm.subarray(s * config.batch, (s + 1) * config.batch);
      const n = idx.length;
      const px = pixelsOf(train);
      const images = new Float32Array(n * px);
      const labels = new Uint8Array(n);
      idx.forEach((d, i) => {
        images.set(train.images.subarray(d * px, (d + 1) * px), i * px);
        labels[i] = train.labels[d]!;
      });
      const fw = net.forward(
        images,
        n,
        actPolicies.map((p) => p.current()),
      );
      const lossRes = softmaxLoss(fw.logits, labels, n);
      const dws = net.backward(
        fw.tape,
        lossRes.grad,
        gradPolicies.map((p) => p.current()),
      );
      const lr = (config.lr * (1 + Math.cos((Math.PI * step) / totalSteps))) / 2;
      layers.forEach((l, li) => sgdUpdate(l, dws[li]!, lr, config.momentum));
      metrics.record(eng, fw.tape.steps, config.bytes);
      if (captureAt.has(step))
        fw.tape.steps.forEach((st, li) => {
          if (!hidden(li)) return;
          const name = layers[li]!.spec.name;
          tensors.push(copy(st.y, step, name, "activations"));
          if (st.dy !== undefined) tensors.push(copy(st.dy, step, name, "gradients"));
        });
      fw.tape.steps.forEach((st, li) => {
        if (actPolicies[li]!.kind === "target") actPolicies[li]!.observe(eng.unpack(st.y));
        if (gradPolicies[li]!.kind === "target" && st.dy !== undefined)
          gradPolicies[li]!.observe(eng.unpack(st.dy));
      });
      onStep?.(step + 1, totalSteps);
    }
  }
  return {
    config,
    name: runName(config),
    command: runCommand(config),
    metrics,
    layers,
    tensors,
    steps: step,
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
