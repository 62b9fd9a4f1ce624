/**
 * Sparsity-scaling threshold policies: which theta the host writes into a layer's threshold
 * register before the step's GEMM runs. One policy per interim tensor (each hidden layer's
 * activations, each hidden layer's error gradients).
 *
 *   off      theta = 0 (dense BFP8).
 *   fixed    a constant theta (fixedPolicy of generator/model/sparsity.ts).
 *   target   reach a target sparsity. The policy sees only what the GEMM wrote (the thresholded
 *            tensor), so it works unchanged with a hardware backend. After each step:
 *              measured < target: theta = thresholdForSparsity(written values, target): the
 *                smallest representable theta with the target fraction of the written values
 *                (zeros included) below it. All written non-zeros are >= the old theta, so this
 *                only raises theta.
 *              measured >= target: theta shrinks by 2^(-GAIN (measured - target)), a gentle
 *                decay so that theta follows data whose magnitudes drift down.
 *            The first step runs with theta = 0. thresholdForSparsity is applied to a strided
 *            sample of at most SAMPLE values.
 */
import {
  THRESHOLD_OFF,
  type Threshold,
  fixedPolicy,
  thresholdForSparsity,
  thresholdFromReal,
  thresholdValue,
} from "../generator/model/sparsity.ts";

export const SAMPLE = 16384;
export const GAIN = 8;

export interface ThresholdPolicy {
  readonly kind: "off" | "fixed" | "target";
  current(): Threshold;
  /** Written values of this step (logical elements, zeros included). */
  observe(values: Float64Array): void;
}

export function offPolicy(): ThresholdPolicy {
  return { kind: "off", current: () => THRESHOLD_OFF, observe: () => {} };
}

export function fixedThresholdPolicy(theta: number): ThresholdPolicy {
  const p = fixedPolicy(theta);
  return { kind: "fixed", current: p, observe: () => {} };
}

export function targetPolicy(target: number): ThresholdPolicy {
  let theta: Threshold = THRESHOLD_OFF;
  return {
    kind: "target",
    current: () => theta,
    observe(values) {
      const n = values.length;
      if (n === 0) return;
      let zeros = 0;
      for (let i = 0; i < n; i++) if (values[i] === 0) zeros++;
      const measured = zeros / n;
      if (measured < target) {
        const m = Math.min(n, SAMPLE);
        const sample = new Float64Array(m);
        for (let i = 0; i < m; i++) sample[i] = values[Math.floor((i * n) / m)]!;
        const t = thresholdForSparsity(sample, target);
        if (thresholdValue(t) > thresholdValue(theta)) theta = t;
      } else if (theta.tm !== 0) {
        theta = thresholdFromReal(thresholdValue(theta) * 2 ** (-GAIN * (measured - target)));
      }
    },
  };
}
