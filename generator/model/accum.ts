/**
 * The accumulation rule: how block-pair dot products are summed into a wide accumulator.
 *
 * A block pair (a from one operand, b from the other, both with k elements) contributes the exact
 * integer P = sum_t qa_t * qb_t, worth P * 2^(Sa + Sb - 254 - 12) where Sa, Sb are the biased
 * scales. |P| <= k * 127^2 < 2^(14 + log2 k), so P fits in productWidth(k) = 15 + log2(k) signed
 * bits.
 *
 * The accumulator is (m, E, nan): a signed ACC_W-bit integer m worth m * 2^(E - 266), where E is
 * the biased exponent sum Sa + Sb (0..508) of the block pair that set its scale. Adding (P, e):
 *
 *   1. nan |= (Sa == 255 || Sb == 255); the NaN flag is sticky for the dot product.
 *   2. if P == 0:            nothing changes.
 *   3. else if m == 0:       m = P, E = e.
 *   4. else if e >= E:       m = sat((m >>> min(e - E, ACC_W - 1)) + P),          E = e
 *   5. else:                 m = sat(m + (P >>> min(E - e, ACC_W - 1))),          E unchanged
 *
 * where >>> is an arithmetic (flooring) right shift and sat() saturates to ACC_W-bit two's
 * complement. Block pairs are added in increasing block order along the reduction axis; the RTL
 * follows the same order.
 */
import { require_ } from "../errors.ts";
import { SCALE_NAN } from "./bfp8.ts";
import { asr, saturate } from "./exact.ts";

/** Exponent offset: value = m * 2^(E - ACC_EXP_OFFSET). 254 = two scale biases, 12 = two q/64. */
export const ACC_EXP_OFFSET = 266;
/** Largest accumulator width the model supports exactly (JS integers are exact to 2^53). */
export const ACC_WIDTH_MAX = 48;

export interface Acc {
  m: number;
  /** Biased exponent sum Sa + Sb (0..508) of the accumulator's least-significant bit. */
  e: number;
  nan: boolean;
}

export function accZero(): Acc {
  return { m: 0, e: 0, nan: false };
}

/** Signed width of one block-pair product sum for block size k. */
export function productWidth(k: number): number {
  return 15 + Math.log2(k);
}

/** Width of the exponent-sum field (0..508). */
export const ACC_EXP_WIDTH = 9;

/** Add one block-pair product P with biased scales sa, sb into acc (returns a new Acc). */
export function accAdd(acc: Acc, p: number, sa: number, sb: number, accWidth: number): Acc {
  require_(
    accWidth >= 16 && accWidth <= ACC_WIDTH_MAX,
    `accumulator width ${accWidth} out of range`,
  );
  const nan = acc.nan || sa === SCALE_NAN || sb === SCALE_NAN;
  const e = sa + sb;
  if (p === 0) return { m: acc.m, e: acc.e, nan };
  if (acc.m === 0) return { m: saturate(p, accWidth), e, nan };
  if (e >= acc.e) {
    const m = saturate(asr(acc.m, Math.min(e - acc.e, accWidth - 1)) + p, accWidth);
    return { m, e, nan };
  }
  const m = saturate(acc.m + asr(p, Math.min(acc.e - e, accWidth - 1)), accWidth);
  return { m, e: acc.e, nan };
}

/** Real value of an accumulator. */
export function accValue(acc: Acc): number {
  if (acc.nan) return NaN;
  return acc.m * 2 ** (acc.e - ACC_EXP_OFFSET);
}

/** Exact integer dot product of two element-code vectors (one block pair). */
export function blockProduct(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let p = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) p += (a[i] ?? 0) * (b[i] ?? 0);
  return p;
}
