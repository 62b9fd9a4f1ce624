/**
 * Sparsity scaling and the ReLU mask.
 *
 * Threshold. theta is stored in hardware as an 8-bit mantissa and a signed 8-bit exponent,
 * theta = tm * 2^te (tm 0..255, te -128..127; tm = 0 disables the threshold). It is applied to
 * the BFP8 elements as they are written out: an element q in a block of biased scale S is zeroed
 * when |q| * 2^(S - 133) < tm * 2^te. NaN blocks are left as they are. The block's scale is kept.
 *
 * ReLU mask. In FP with ReLU, the mask bit of an output is 1 when its stored (ReLU'd, quantized,
 * thresholded) element is non-zero: the derivative of the activation the network actually used.
 * BP computes dX only where the mask is 1 (output skipping); the rest is zero.
 */
import { SCALE_BIAS, SCALE_NAN, ELEM_FRAC_BITS, type BfpMatrix, bfpGet } from "./bfp8.ts";
import { f32ToDyadic, ilog2 } from "./exact.ts";

export interface Threshold {
  /** Mantissa 0..255 (0 disables). */
  tm: number;
  /** Exponent -128..127. */
  te: number;
}

export const THRESHOLD_OFF: Threshold = { tm: 0, te: 0 };

/** Real value of a threshold. */
export function thresholdValue(t: Threshold): number {
  return t.tm * 2 ** t.te;
}

/**
 * The representable threshold nearest below-or-equal to a real theta >= 0, with 8 significant
 * bits (rounded down so the hardware never zeroes more than asked).
 */
export function thresholdFromReal(theta: number): Threshold {
  if (!(theta > 0) || !Number.isFinite(theta)) return THRESHOLD_OFF;
  const d = f32ToDyadic(Math.fround(theta));
  // Math.fround may round up to the next power of two; tm is then 127 (7 significant bits).
  const lg = ilog2(Math.abs(d.m)) + d.e;
  const te = Math.min(127, Math.max(-128, lg - 7));
  let tm = Math.floor(theta / 2 ** te);
  if (tm > 255) tm = 255;
  return { tm, te };
}

/** Is element code q (block scale S) below threshold t? Exact integer comparison. */
export function belowThreshold(q: number, scale: number, t: Threshold): boolean {
  if (t.tm === 0 || q === 0 || scale === SCALE_NAN) return false;
  const a = Math.abs(q);
  const d = scale - SCALE_BIAS - ELEM_FRAC_BITS - t.te; // |q| * 2^d < tm ?
  if (d >= 9) return false; // |q| * 2^d >= 512 > 255
  if (d <= -8) return true; // tm * 2^-d >= 256 > 127 >= |q|
  return d >= 0 ? a * 2 ** d < t.tm : a < t.tm * 2 ** -d;
}

/** Apply a threshold to every element of a BFP matrix, in place; returns how many were zeroed. */
export function applyThreshold(m: BfpMatrix, t: Threshold): number {
  let zeroed = 0;
  if (t.tm === 0) return 0;
  for (let r = 0; r < m.rows; r++) {
    for (let b = 0; b < m.blocksPerRow; b++) {
      const s = m.scale[r * m.blocksPerRow + b] ?? 0;
      for (let i = 0; i < m.k; i++) {
        const idx = (r * m.blocksPerRow + b) * m.k + i;
        const q = m.q[idx] ?? 0;
        if (belowThreshold(q, s, t)) {
          m.q[idx] = 0;
          zeroed++;
        }
      }
    }
  }
  return zeroed;
}

/** Threshold policy: a fixed theta. */
export function fixedPolicy(theta: number): () => Threshold {
  const t = thresholdFromReal(theta);
  return () => t;
}

/**
 * Threshold policy that reaches a target sparsity from a tensor's statistics: theta is the
 * smallest magnitude such that at least `target` of the values are below it (existing zeros
 * count), rounded down to a representable threshold. Returns THRESHOLD_OFF when the tensor is
 * already at least that sparse.
 */
export function thresholdForSparsity(values: ArrayLike<number>, target: number): Threshold {
  const n = values.length;
  if (n === 0 || target <= 0) return THRESHOLD_OFF;
  const mags = new Float64Array(n);
  for (let i = 0; i < n; i++) mags[i] = Math.abs(values[i] ?? 0);
  mags.sort();
  const idx = Math.min(n - 1, Math.ceil(Math.min(target, 1) * n) - 1);
  // values strictly below theta are zeroed: theta just above mags[idx]
  const v = mags[idx] ?? 0;
  if (v === 0) return THRESHOLD_OFF;
  const t = thresholdFromReal(v);
  // bump to the next representable step so mags[idx] itself is below theta
  return t.tm >= 255 ? { tm: 128, te: t.te + 1 } : { tm: t.tm + 1, te: t.te };
}

/** ReLU mask of a stored FP output (rows x cols): 1 where the element code is non-zero. */
export function reluMask(y: BfpMatrix): Uint8Array {
  const mask = new Uint8Array(y.rows * y.cols);
  for (let r = 0; r < y.rows; r++)
    for (let c = 0; c < y.cols; c++) mask[r * y.cols + c] = bfpGet(y, r, c) !== 0 ? 1 : 0;
  return mask;
}
