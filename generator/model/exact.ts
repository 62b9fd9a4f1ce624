/**
 * Exact dyadic numbers m * 2^e (m an integer with |m| < 2^53, e an integer). Every value the
 * golden model handles is one of these: float32 inputs, BFP8 elements, block products and
 * accumulators. Working on them exactly is what lets the model and the RTL agree bit for bit.
 */
export interface Dyadic {
  /** Signed integer significand, |m| < 2^53. */
  m: number;
  /** Power-of-two exponent of the significand's least-significant bit. */
  e: number;
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** Raw IEEE-754 binary32 bits of a number (after rounding it to float32). */
export function f32Bits(x: number): number {
  f32buf[0] = x;
  return u32buf[0] ?? 0;
}

/** The float32 value with the given bits. */
export function f32FromBits(bits: number): number {
  u32buf[0] = bits >>> 0;
  return f32buf[0] ?? 0;
}

/**
 * Decompose a finite float32 value into m * 2^e, read from its bits (no log2).
 * Zero gives {m: 0, e: 0}.
 */
export function f32ToDyadic(x: number): Dyadic {
  const bits = f32Bits(x);
  const sign = bits >>> 31 ? -1 : 1;
  const expField = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (expField === 0xff) throw new RangeError("f32ToDyadic: not finite");
  if (expField === 0) {
    return frac === 0 ? { m: 0, e: 0 } : { m: sign * frac, e: -149 };
  }
  return { m: sign * (frac + 0x800000), e: expField - 150 };
}

/** floor(log2(n)) of a positive integer n < 2^53, by bit length (exact). */
export function ilog2(n: number): number {
  if (!(n >= 1)) throw new RangeError(`ilog2 of ${n}`);
  if (n < 2 ** 31) return 31 - Math.clz32(n);
  const hi = Math.floor(n / 2 ** 31);
  return 31 + (31 - Math.clz32(hi));
}

/** floor(log2(|v|)) of a non-zero dyadic value, exactly. */
export function floorLog2(v: Dyadic): number {
  return ilog2(Math.abs(v.m)) + v.e;
}

/** Rounding of a tie: away from zero (OCP reference default) or to even. */
export type Rounding = "nearest" | "even";

/**
 * Round |m| * 2^sh to an integer (sh may be positive or negative), with the given tie rule.
 * Returns a non-negative integer. Exact for |m| < 2^53 and results < 2^53.
 */
export function roundMagnitude(absM: number, sh: number, rounding: Rounding): number {
  if (sh >= 0) return absM * 2 ** sh;
  if (sh < -60) return 0; // far below one half: |m| < 2^53 <= 2^59
  const div = 2 ** -sh;
  const fl = Math.floor(absM / div);
  const rem = absM - fl * div;
  const twice = rem * 2;
  if (twice > div) return fl + 1;
  if (twice < div) return fl;
  // exact tie
  if (rounding === "nearest") return fl + 1;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** Arithmetic shift right (floor division by 2^s) of a signed integer, exact. */
export function asr(x: number, s: number): number {
  if (s <= 0) return x;
  return Math.floor(x / 2 ** s);
}

/** Saturate a signed integer to `width` bits two's complement. */
export function saturate(x: number, width: number): number {
  const hi = 2 ** (width - 1) - 1;
  const lo = -(2 ** (width - 1));
  return x > hi ? hi : x < lo ? lo : x;
}
