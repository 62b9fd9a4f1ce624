/**
 * One training run from a configuration: data split, network, engine, threshold policies, the
 * step loop (FP -> loss on the host -> BP/WG -> SGD on the FP32 master weights), evaluation and
 * metrics. scripts/train.ts is the command line over runTraining().
 *
 *   mode fp32    the FP32 baseline (training/engine.ts fp32Engine).
 *   mode bfp8    every GEMM in the golden model's BFP8 numerics, no threshold (dense BFP8).
 *   mode sparse  BFP8 with sparsity scaling: a threshold policy per interim tensor.
 */
import { DEFAULTS } from "../generator/dsl/description.ts";
import { GenError } from "../generator/errors.ts";
import type { LayerNumerics } from "../generator/model/gemm.ts";
import { Rng } from "../generator/model/rng.ts";
import { thresholdValue } from "../generator/model/sparsity.ts";
import { type GemmBackend, checkedBackend, fastBackend, modelBackend } from "./backend.ts";
import {
  type Dataset,
  mnistSplit,
  permutation,
  pixelsOf,
  poolDataset,
  SPLIT_SEED,
  standardize,
} from "./data.ts";
import { type Engine, type Stored, bfp8Engine, fp32Engine } from "./engine.ts";
import { type HwBackendOptions, type HwStats, hwBackend, storedBackend } from "./hw-backend.ts";
import {
  CODEC,
  type Count,
  RunMetrics,
  type Traffic,
  type TrafficKind,
  summarize,
} from "./metrics.ts";
import {
  type Layer,
  type LayerStep,
  type ModelName,
  MODELS,
  MODEL_POOL,
  Net,
  type Shape,
  buildNetwork,
  countCorrect,
  sgdUpdate,
  softmaxLoss,
} from "./network.ts";
import { type ThresholdPolicy, fixedThresholdPolicy, offPolicy, targetPolicy } from "./policy.ts";
import { Progress, type ProgressSink } from "./progress.ts";

export type Mode = "fp32" | "bfp8" | "sparse";
export type BackendName = "fast" | "model" | "checked" | "hw";

export interface RunConfig {
  model: ModelName;
  mode: Mode;
  /** sparse: target sparsity of activations / of error gradients (target policy). */
  targetAct?: number;
  targetGrad?: number;
  /** sparse: fixed thresholds (real values) of activations / of error gradients. */
  thresholdAct?: number;
  thresholdGrad?: number;
  epochs: number;
  batch: number;
  lr: number;
  momentum: number;
  seed: number;
  splitSeed: number;
  train: number;
  test: number;
  backend: BackendName;
  /** Account external bytes (BFP8 modes). */
  bytes: boolean;
  /** Stop after this many steps (tests). */
  maxSteps?: number;
  /** Input pixels: standardized with the training set's mean and std, or raw [0, 1]. */
  pixels: "standardized" | "raw";
  /** backend hw: the processor (a preset), its simulator, and whether evaluation runs on it too. */
  hw?: { preset: string; sim: "verilator" | "icarus"; evalOnHw: boolean };
}

export const DEFAULT_CONFIG: Omit<RunConfig, "model" | "mode"> = {
  epochs: 4,
  batch: 32,
  lr: 0.02,
  momentum: 0.9,
  seed: 1,
  splitSeed: SPLIT_SEED,
  train: 8000,
  test: 2000,
  backend: "fast",
  bytes: true,
  pixels: "standardized",
};

/** BFP8 numerics of the default preset. */
export const NUMERICS: LayerNumerics = {
  k: DEFAULTS.numerics.blockSize,
  rounding: DEFAULTS.numerics.rounding,
  accWidth: DEFAULTS.numerics.accWidth,
};

export interface EpochLog {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testAcc: number;
  actSparsity: number;
  gradSparsity: number;
  overallSparsity: number;
  seconds: number;
}

export interface LayerResult {
  name: string;
  kind: "conv" | "fc";
  inShape: Shape;
  outShape: Shape;
  params: number;
  act: Count;
  grad: Count;
  fp: RunMetrics["layers"][number]["fp"];
  bp: RunMetrics["layers"][number]["bp"];
  wg: RunMetrics["layers"][number]["wg"];
  /** Final thresholds (real values; null when the tensor has no policy). */
  thetaAct: number | null;
  thetaGrad: number | null;
}

export interface RunResult {
  name: string;
  command: string;
  config: RunConfig;
  numerics: LayerNumerics | null;
  codec: typeof CODEC;
  backend: string;
  steps: number;
  epochs: EpochLog[];
  testAcc: number;
  layers: LayerResult[];
  traffic: Record<TrafficKind, Traffic> | null;
  summary: ReturnType<typeof summarize>;
  seconds: number;
  /** backend hw: the processor's figures (training steps only unless evaluation ran on it). */
  hardware?: HardwareResult;
}

export interface HardwareResult extends HwStats {
  /** Training steps, their wall time (FP, loss, BP, WG, update; no evaluation, no build) and rate. */
  steps: number;
  stepSeconds: number;
  stepsPerSecond: number;
  /** Where the test accuracy was measured. */
  evalBackend: string;
  /** GEMMs compared with the fast backend by checkedBackend (every one of them). */
  checkedGemms: number;
  /** --hw-eval: the evaluations' GEMMs on the processor (not in the figures above). */
  evaluation?: HwStats & { checkedGemms: number };
}

function pct(x: number): string {
  return String(Math.round(x * 1000) / 10).replace(".", "p");
}

/** A short stable name for a configuration, e.g. cnn-sparse-a90-g95. */
export function runName(c: RunConfig): string {
  let name = `${c.model}-${c.mode}`;
  if (c.mode === "sparse") {
    if (c.targetAct !== undefined) name += `-a${pct(c.targetAct)}`;
    if (c.thresholdAct !== undefined) name += `-ta${c.thresholdAct}`;
    if (c.targetGrad !== undefined) name += `-g${pct(c.targetGrad)}`;
    if (c.thresholdGrad !== undefined) name += `-tg${c.thresholdGrad}`;
  }
  if (c.pixels !== DEFAULT_CONFIG.pixels) name += `-${c.pixels}`;
  if (c.seed !== DEFAULT_CONFIG.seed) name += `-s${c.seed}`;
  if (c.backend === "hw") name += "-hw";
  return name;
}

/** The command that reproduces a run. */
export function runCommand(c: RunConfig): string {
  const a = [`npm run train -- --model ${c.model} --mode ${c.mode}`];
  if (c.targetAct !== undefined) a.push(`--target-act ${c.targetAct}`);
  if (c.targetGrad !== undefined) a.push(`--target-grad ${c.targetGrad}`);
  if (c.thresholdAct !== undefined) a.push(`--threshold-act ${c.thresholdAct}`);
  if (c.thresholdGrad !== undefined) a.push(`--threshold-grad ${c.thresholdGrad}`);
  const d = DEFAULT_CONFIG;
  if (c.epochs !== d.epochs) a.push(`--epochs ${c.epochs}`);
  if (c.batch !== d.batch) a.push(`--batch ${c.batch}`);
  if (c.lr !== d.lr) a.push(`--lr ${c.lr}`);
  if (c.momentum !== d.momentum) a.push(`--momentum ${c.momentum}`);
  if (c.seed !== d.seed) a.push(`--seed ${c.seed}`);
  if (c.splitSeed !== d.splitSeed) a.push(`--split-seed ${c.splitSeed}`);
  if (c.train !== d.train) a.push(`--train ${c.train}`);
  if (c.test !== d.test) a.push(`--test ${c.test}`);
  if (c.pixels === "raw") a.push("--raw-pixels");
  if (c.backend !== d.backend) a.push(`--backend ${c.backend}`);
  if (c.backend === "hw" && c.hw !== undefined) {
    if (c.hw.preset !== "default") a.push(`--preset ${c.hw.preset}`);
    if (c.hw.sim !== "verilator") a.push(`--sim ${c.hw.sim}`);
    if (c.hw.evalOnHw) a.push("--hw-eval");
  }
  if (c.bytes !== d.bytes) a.push("--no-bytes");
  if (c.maxSteps !== undefined) a.push(`--max-steps ${c.maxSteps}`);
  return a.join(" ");
}

function checkConfig(c: RunConfig): void {
  const bad = (field: string, msg: string, hint: string): never => {
    throw new GenError("E_MODEL_ARG", `${field} ${msg}`, { field, hint });
  };
  const frac = (v: number | undefined, field: string): void => {
    if (v !== undefined && !(v >= 0 && v < 1))
      bad(field, `must be in [0, 1), got ${v}`, "a target sparsity such as 0.9");
  };
  frac(c.targetAct, "--target-act");
  frac(c.targetGrad, "--target-grad");
  for (const [v, f] of [
    [c.thresholdAct, "--threshold-act"],
    [c.thresholdGrad, "--threshold-grad"],
  ] as const)
    if (v !== undefined && !(v > 0 && Number.isFinite(v)))
      bad(f, `must be a positive number, got ${v}`, "a real threshold such as 0.05");
  const sparseOpts = [c.targetAct, c.targetGrad, c.thresholdAct, c.thresholdGrad];
  if (c.mode === "sparse" && sparseOpts.every((v) => v === undefined))
    bad(
      "--mode sparse",
      "needs a target sparsity or a threshold",
      "add --target-sparsity 0.9 (or --target-act/--target-grad, --threshold-act/--threshold-grad)",
    );
  if (c.mode !== "sparse" && sparseOpts.some((v) => v !== undefined))
    bad(`--mode ${c.mode}`, "takes no threshold options", "use --mode sparse");
  if (c.targetAct !== undefined && c.thresholdAct !== undefined)
    bad("--threshold-act", "and --target-act exclude each other", "pick one");
  if (c.targetGrad !== undefined && c.thresholdGrad !== undefined)
    bad("--threshold-grad", "and --target-grad exclude each other", "pick one");
  for (const [v, f] of [
    [c.epochs, "--epochs"],
    [c.batch, "--batch"],
  ] as const)
    if (!(Number.isInteger(v) && v >= 1)) bad(f, `must be a positive integer, got ${v}`, "e.g. 4");
  if (!(c.lr > 0)) bad("--lr", `must be positive, got ${c.lr}`, "e.g. 0.05");
  if (!(c.momentum >= 0 && c.momentum < 1))
    bad("--momentum", `must be in [0, 1), got ${c.momentum}`, "e.g. 0.9");
}

function makePolicy(target: number | undefined, theta: number | undefined): ThresholdPolicy {
  if (target !== undefined) return targetPolicy(target);
  if (theta !== undefined) return fixedThresholdPolicy(theta);
  return offPolicy();
}

function backendByName(name: BackendName): GemmBackend {
  if (name === "model") return modelBackend;
  if (name === "checked") return checkedBackend();
  return fastBackend;
}

/** The hardware backend, checked on every GEMM against the fast backend (throws on a difference). */
function hardwareBackend(
  config: RunConfig,
  hooks: RunHooks,
): { backend: GemmBackend & { readonly checks: number }; stats: () => HwStats; rMax: number } {
  const hw = hwBackend({
    preset: config.hw?.preset ?? "default",
    sim: config.hw?.sim ?? "verilator",
    ...hooks.hw,
  });
  const n = hw.ctx.num;
  if (n.k !== NUMERICS.k || n.rounding !== NUMERICS.rounding || n.accWidth !== NUMERICS.accWidth)
    throw new GenError(
      "E_MODEL_ARG",
      `--preset ${config.hw?.preset}: the processor computes k = ${n.k}, ${n.rounding}, ${n.accWidth}-bit accumulator, the training k = ${NUMERICS.k}, ${NUMERICS.rounding}, ${NUMERICS.accWidth}-bit`,
      { field: "--preset", hint: "use the default preset (the training's numerics)" },
    );
  return {
    rMax: hw.ctx.top.rMax,
    backend: checkedBackend(hw, storedBackend(fastBackend, hw.ctx)),
    stats: () => hw.stats(),
  };
}

/** Every reduction must fit the processor's lane RAMs: FP's K, BP's M, WG's batch x positions. */
function checkFits(layers: readonly Layer[], config: RunConfig, rMax: number): void {
  layers.forEach((l, li) => {
    const reductions: [string, number][] = [
      ["FP", l.K],
      ["BP", li > 0 ? l.M : 0],
      ["WG (batch x positions)", config.batch * l.outShape.h * l.outShape.w],
    ];
    for (const [step, r] of reductions)
      if (r > rMax)
        throw new GenError(
          "E_MODEL_ARG",
          `--model ${config.model} --batch ${config.batch}: ${l.spec.name}'s ${step} reduces over ${r} > rMax = ${rMax} of the processor`,
          { field: "--model", hint: "mlp14 with a batch of at most 256 fits the default preset" },
        );
  });
}

export interface RunHooks {
  /** Where the progress bar goes (undefined: no progress output). */
  progress?: ProgressSink;
  /** Called after every step (tests, progress of callers): 0-based step, its loss, the run's steps. */
  onStep?: (step: number, loss: number, totalSteps: number) => void;
  /**
   * Called after every step with what FP and BP wrote, layer by layer (the bench keeps some of
   * these interim tensors), before the thresholds observe them.
   */
  onTape?: (step: number, tape: readonly LayerStep<Stored>[], layers: readonly Layer[]) => void;
  /** Called once at the end with the run's metrics object (the result holds their summary). */
  onMetrics?: (metrics: RunMetrics) => void;
  /** Skip the per-epoch test evaluation (it changes no weight; testAcc is then NaN). */
  skipEval?: boolean;
  /** backend hw: progress messages, the build folder, fault injection (tests). */
  hw?: Pick<HwBackendOptions, "log" | "dir" | "tamper">;
}

function batchImages(data: Dataset, idx: Int32Array): { images: Float32Array; labels: Uint8Array } {
  const px = pixelsOf(data);
  const images = new Float32Array(idx.length * px);
  const labels = new Uint8Array(idx.length);
  idx.forEach((s, i) => {
    images.set(data.images.subarray(s * px, (s + 1) * px), i * px);
    labels[i] = data.labels[s]!;
  });
  return { images, labels };
}

/** Test accuracy with the current weights and activation thresholds. */
export function evaluate<T extends Stored>(
  net: Net<T>,
  data: Dataset,
  actPolicies: readonly ThresholdPolicy[],
  batch = 500,
): number {
  let correct = 0;
  const th = actPolicies.map((p) => p.current());
  for (let s = 0; s < data.n; s += batch) {
    const n = Math.min(batch, data.n - s);
    const idx = Int32Array.from({ length: n }, (_, i) => s + i);
    const { images, labels } = batchImages(data, idx);
    correct += countCorrect(net.forward(images, n, th).logits, labels, n);
  }
  return correct / data.n;
}

export function runTraining(config: RunConfig, hooks: RunHooks = {}): RunResult {
  checkConfig(config);
  const full = mnistSplit(config.train, config.test, config.splitSeed);
  const pool = MODEL_POOL[config.model];
  const split = { train: poolDataset(full.train, pool), test: poolDataset(full.test, pool) };
  const { train, test } = config.pixels === "raw" ? split : standardize(split.train, split.test);
  const layers = buildNetwork(MODELS[config.model], config.seed, {
    h: train.side,
    w: train.side,
    c: 1,
  });
  if (config.mode === "fp32")
    return trainWith(fp32Engine("f32"), layers, config, train, test, hooks);
  if (config.backend === "hw") {
    const hw = hardwareBackend(config, hooks);
    checkFits(layers, config, hw.rMax);
    const eng = bfp8Engine(NUMERICS, hw.backend);
    // evaluation on its own backend instance (the same build), so the figures stay apart
    const hwEval = config.hw?.evalOnHw === true ? hardwareBackend(config, hooks) : undefined;
    const evalEng = bfp8Engine(NUMERICS, hwEval?.backend ?? fastBackend);
    const timing = { stepSeconds: 0 };
    const r = trainWith(eng, layers, config, train, test, hooks, evalEng, timing);
    const st = hw.stats();
    // the processor's build (the first run, when not cached) is not a training step
    const stepSeconds = timing.stepSeconds - st.compileSeconds;
    r.hardware = {
      ...st,
      steps: r.steps,
      stepSeconds,
      stepsPerSecond: r.steps / stepSeconds,
      evalBackend: evalEng.backendName,
      checkedGemms: hw.backend.checks,
      ...(hwEval === undefined
        ? {}
        : { evaluation: { ...hwEval.stats(), checkedGemms: hwEval.backend.checks } }),
    };
    return r;
  }
  const eng = bfp8Engine(NUMERICS, backendByName(config.backend));
  return trainWith(eng, layers, config, train, test, hooks);
}

function trainWith<T extends Stored>(
  eng: Engine<T>,
  layers: Layer[],
  config: RunConfig,
  train: Dataset,
  test: Dataset,
  hooks: RunHooks,
  evalEng: Engine<T> = eng,
  timing: { stepSeconds: number } = { stepSeconds: 0 },
): RunResult {
  const t0 = performance.now();
  const net = new Net(layers, eng);
  const evalNet = evalEng === eng ? net : new Net(layers, evalEng);
  const L = layers.length;
  const hidden = (li: number): boolean => li < L - 1;
  const actPolicies = layers.map((_, li) =>
    hidden(li) ? makePolicy(config.targetAct, config.thresholdAct) : offPolicy(),
  );
  const gradPolicies = layers.map((_, li) =>
    hidden(li) ? makePolicy(config.targetGrad, config.thresholdGrad) : offPolicy(),
  );
  const stepsPerEpoch = Math.floor(train.n / config.batch);
  let totalSteps = stepsPerEpoch * config.epochs;
  if (config.maxSteps !== undefined) totalSteps = Math.min(totalSteps, config.maxSteps);
  const metrics = new RunMetrics(layers);
  const orderRng = new Rng((config.seed ^ 0x5eed5eed) >>> 0);
  const bar = new Progress(totalSteps, `${runName(config)}`, hooks.progress);
  const epochs: EpochLog[] = [];
  let step = 0;
  for (let ep = 0; ep < config.epochs && step < totalSteps; ep++) {
    const te = performance.now();
    const perm = permutation(train.n, orderRng);
    const epochMetrics = new RunMetrics(layers);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let s = 0; s < stepsPerEpoch && step < totalSteps; s++, step++) {
      const ts = performance.now();
      const idx = perm.subarray(s * config.batch, (s + 1) * config.batch);
      const { images, labels } = batchImages(train, idx);
      const n = idx.length;
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
      // cosine learning-rate schedule over the whole run
      const lr = (config.lr * (1 + Math.cos((Math.PI * step) / totalSteps))) / 2;
      layers.forEach((l, li) => sgdUpdate(l, dws[li]!, lr, config.momentum));
      metrics.record(eng, fw.tape.steps, config.bytes);
      epochMetrics.record(eng, fw.tape.steps, false);
      hooks.onTape?.(step, fw.tape.steps, layers);
      fw.tape.steps.forEach((st, li) => {
        if (actPolicies[li]!.kind === "target") actPolicies[li]!.observe(eng.unpack(st.y));
        if (gradPolicies[li]!.kind === "target" && st.dy !== undefined)
          gradPolicies[li]!.observe(eng.unpack(st.dy));
      });
      timing.stepSeconds += (performance.now() - ts) / 1000;
      lossSum += lossRes.loss * n;
      correct += lossRes.correct;
      seen += n;
      hooks.onStep?.(step, lossRes.loss, totalSteps);
      const sum = summarize(epochMetrics);
      bar.update(step + 1, {
        loss: lossSum / seen,
        acc: correct / seen,
        sparsity: sum.overallSparsity,
        extra: `epoch ${ep + 1}/${config.epochs}`,
      });
    }
    const testAcc = hooks.skipEval === true ? NaN : evaluate(evalNet, test, actPolicies);
    const sum = summarize(epochMetrics);
    const log: EpochLog = {
      epoch: ep + 1,
      trainLoss: lossSum / Math.max(1, seen),
      trainAcc: correct / Math.max(1, seen),
      testAcc,
      actSparsity: sum.actSparsity,
      gradSparsity: sum.gradSparsity,
      overallSparsity: sum.overallSparsity,
      seconds: (performance.now() - te) / 1000,
    };
    epochs.push(log);
    bar.done(
      `epoch ${log.epoch}: train loss ${log.trainLoss.toFixed(4)} acc ${(100 * log.trainAcc).toFixed(2)}% | ` +
        `test acc ${(100 * testAcc).toFixed(2)}%${evalEng === eng ? "" : ` (evaluated on the ${evalEng.backendName} backend)`} | sparsity act ${(100 * log.actSparsity).toFixed(1)}% ` +
        `grad ${(100 * log.gradSparsity).toFixed(1)}% overall ${(100 * log.overallSparsity).toFixed(1)}% | ` +
        `${log.seconds.toFixed(1)}s`,
    );
  }
  hooks.onMetrics?.(metrics);
  const theta = (p: ThresholdPolicy): number | null =>
    p.kind === "off" ? null : thresholdValue(p.current());
  const result: RunResult = {
    name: runName(config),
    command: runCommand(config),
    config,
    numerics: eng.kind === "bfp8" ? NUMERICS : null,
    codec: CODEC,
    backend: eng.backendName,
    steps: step,
    epochs,
    testAcc: epochs.at(-1)?.testAcc ?? NaN,
    layers: layers.map((l, li) => {
      const m = metrics.layers[li]!;
      return {
        name: l.spec.name,
        kind: l.spec.kind,
        inShape: l.inShape,
        outShape: l.outShape,
        params: l.M * l.K,
        act: m.act,
        grad: m.grad,
        fp: m.fp,
        bp: m.bp,
        wg: m.wg,
        thetaAct: theta(actPolicies[li]!),
        thetaGrad: theta(gradPolicies[li]!),
      };
    }),
    traffic: eng.kind === "bfp8" && config.bytes ? metrics.traffic : null,
    summary: summarize(metrics),
    seconds: (performance.now() - t0) / 1000,
  };
  return result;
}
