/**
 * The short training runs the external-memory and energy sections share: MNIST MLP and CNN, each
 * in dense BFP8 and with sparsity scaling, in the golden model's numerics (fast backend), with
 * the interim tensors kept at a few steps (capture.ts).
 */
import { DEFAULT_CONFIG, type RunConfig } from "../../training/run.ts";
import { type CaptureResult, captureSteps, captureTraining } from "./capture.ts";
import { type SectionOptions, secs } from "./common.ts";

export interface TrainingParams {
  runs: RunConfig[];
  /** Steps of each run whose interim tensors are kept. */
  captures: number;
}

/** Sparsity-scaling targets (activations, error gradients) of the bench's sparse runs. */
export const SPARSE_TARGETS = { targetAct: 0.9, targetGrad: 0.95 } as const;

/** Steps per run (an epoch is 250): the quick version keeps training to well under a minute. */
export const STEPS: Record<"quick" | "full", Record<"mlp" | "cnn", number>> = {
  quick: { mlp: 100, cnn: 50 },
  full: { mlp: 250, cnn: 250 },
};

export function trainingParams(quick: boolean): TrainingParams {
  const steps = STEPS[quick ? "quick" : "full"];
  const runs: RunConfig[] = [];
  for (const model of ["mlp", "cnn"] as const) {
    const base = { ...DEFAULT_CONFIG, model, maxSteps: steps[model] };
    runs.push({ ...base, mode: "bfp8" });
    runs.push({ ...base, mode: "sparse", ...SPARSE_TARGETS });
  }
  return { runs, captures: quick ? 3 : 4 };
}

export interface TrainingData {
  params: TrainingParams;
  runs: CaptureResult[];
}

export function runTrainingData(opts: SectionOptions, p: TrainingParams): TrainingData {
  const runs = p.runs.map((c) => {
    const total = Math.min(c.maxSteps ?? Infinity, Math.floor(c.train / c.batch) * c.epochs);
    let shown = 0;
    const r = captureTraining(c, captureSteps(total, p.captures), (done, all) => {
      if (done === all || done >= shown + Math.ceil(all / 4)) {
        shown = done;
        opts.log(`  training ${c.model} ${c.mode}: step ${done}/${all}`);
      }
    });
    opts.log(`  ${r.name}: ${r.steps} steps, ${r.tensors.length} tensors kept, ${secs(r.ms)}`);
    return r;
  });
  return { params: p, runs };
}

/** A short label of a run for tables. */
export function runLabel(r: { config: RunConfig }): string {
  const c = r.config;
  const m = c.model.toUpperCase();
  if (c.mode === "bfp8") return `${m} dense BFP8`;
  const a = c.targetAct === undefined ? "" : `a${Math.round(c.targetAct * 100)}`;
  const g = c.targetGrad === undefined ? "" : `g${Math.round(c.targetGrad * 100)}`;
  return `${m} sparse ${[a, g].filter((s) => s !== "").join("/")}`;
}
