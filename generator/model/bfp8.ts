/**
 * BFP8: block floating point with 8-bit two's-complement elements and one shared 8-bit E8M0
 * scale per block of k elements. For k = 32 this is OCP Microscaling MXINT8.
 *
 *   value(element i) = q_i / 64 * 2^(S - 127),  q_i in [-127, 127],  S in [0, 254], S = 255 is NaN
 *
 * The scale is floor(log2(max |x_i|)) (read from the number's bits), clamped to [-127, 127];
 * an all-zero block gets scale -126 (the reference implementation takes log2 of FP32_MIN_NORMAL
 * for a zero block). Elements are round(x_i / 2^scale * 64) with the chosen tie rule, clamped to
 * [-127, 127]: -128 is never produced. A block that holds a NaN or an infinity, or whose scale
 * would exceed 127, gets the NaN scale and reads back as NaN.
 */
import { require_ } from "../errors.ts";
import { type Dyadic, type Rounding, f32ToDyadic, floorLog2, roundMagnitude } from "./exact.ts";

export type { Rounding } from "./exact.ts";

export const SCALE_BIAS = 127;
export const SCALE_NAN = 0xff;
/** Unbiased scale given to an all-zero block (biased 0, as the reference C++/CUDA kernels do). */
export const ZERO_BLOCK_SCALE = -127;
export const SCALE_MIN = -127;
export const SCALE_MAX = 127;
/** Fraction bits of an element: q / 64. */
export const ELEM_FRAC_BITS = 6;
export const ELEM_MAX = 127;

export const BLOCK_SIZES = [8, 16, 32] as const;

/** One quantized block: its biased E8M0 scale and its k element codes. */
export interface BfpBlock {
  scale: number;
  q: Int8Array;
}

/**
 * Quantize one block of exact values (or NaN/Inf markers) to BFP8.
 * `values` are dyadic numbers; `special` says the block held NaN or Inf.
 */
export function quantizeDyadicBlock(
  values: readonly Dyadic[],
  k: number,
  rounding: Rounding,
  special = false,
): BfpBlock {
  require_(values.length <= k, `quantizeDyadicBlock: ${values.length} values for block size ${k}`);
  const q = new Int8Array(k);
  if (special) return { scale: SCALE_NAN, q };
  let amaxLog: number | undefined;
  for (const v of values) {
    if (v.m === 0) continue;
    const l = floorLog2(v);
    if (amaxLog === undefined || l > amaxLog) amaxLog = l;
  }
  if (amaxLog === undefined) return { scale: ZERO_BLOCK_SCALE + SCALE_BIAS, q };
  if (amaxLog > SCALE_MAX) return { scale: SCALE_NAN, q };
  const s = Math.max(amaxLog, SCALE_MIN);
  values.forEach((v, i) => {
    if (v.m === 0) return;
    const mag = Math.min(
      roundMagnitude(Math.abs(v.m), v.e + ELEM_FRAC_BITS - s, rounding),
      ELEM_MAX,
    );
    q[i] = v.m < 0 ? -mag : mag;
  });
  return { scale: s + SCALE_BIAS, q };
}

/** Quantize one block of float32 values (numbers are first rounded to float32). */
export function quantizeBlock(xs: ArrayLike<number>, k: number, rounding: Rounding): BfpBlock {
  const vals: Dyadic[] = [];
  let special = false;
  for (let i = 0; i < xs.length; i++) {
    const x = Math.fround(xs[i] ?? 0);
    if (!Number.isFinite(x)) {
      special = true;
      vals.push({ m: 0, e: 0 });
    } else {
      vals.push(f32ToDyadic(x));
    }
  }
  return quantizeDyadicBlock(vals, k, rounding, special);
}

/** Real value of element code q under biased scale S (NaN for the NaN scale). */
export function elementValue(q: number, scale: number): number {
  if (scale === SCALE_NAN) return NaN;
  return (q / 64) * 2 ** (scale - SCALE_BIAS);
}

/**
 * A matrix in BFP8, stored row-major with each row cut into blocks along its columns (the GEMM's
 * reduction axis). Rows are padded with zero elements up to a whole number of blocks.
 */
export interface BfpMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly k: number;
  readonly blocksPerRow: number;
  /** rows * blocksPerRow * k element codes; padding elements are 0. */
  readonly q: Int8Array;
  /** rows * blocksPerRow biased scales. */
  readonly scale: Uint8Array;
}

export function emptyBfp(rows: number, cols: number, k: number): BfpMatrix {
  require_(rows >= 0 && cols >= 0, "emptyBfp: negative shape");
  require_((BLOCK_SIZES as readonly number[]).includes(k), `block size k=${k} is not 8, 16 or 32`);
  const blocksPerRow = Math.ceil(cols / k);
  return {
    rows,
    cols,
    k,
    blocksPerRow,
    q: new Int8Array(rows * blocksPerRow * k),
    scale: new Uint8Array(rows * blocksPerRow).fill(ZERO_BLOCK_SCALE + SCALE_BIAS),
  };
}

/**
 * Quantize a row-major float matrix (rows x cols) with blocks along its rows.
 */
export function quantizeMatrix(
  data: ArrayLike<number>,
  rows: number,
  cols: number,
  k: number,
  rounding: Rounding,
): BfpMatrix {
  require_(
    data.length === rows * cols,
    `quantizeMatrix: ${data.length} values for ${rows}x${cols}`,
  );
  const out = emptyBfp(rows, cols, k);
  const buf = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < out.blocksPerRow; b++) {
      const c0 = b * k;
      const n = Math.min(k, cols - c0);
      for (let i = 0; i < n; i++) buf[i] = data[r * cols + c0 + i] ?? 0;
      const blk = quantizeBlock(buf.subarray(0, n), k, rounding);
      out.scale[r * out.blocksPerRow + b] = blk.scale;
      out.q.set(blk.q, (r * out.blocksPerRow + b) * k);
    }
  }
  return out;
}

/** Element code of (r, c). */
export function bfpGet(m: BfpMatrix, r: number, c: number): number {
  return m.q[r * m.blocksPerRow * m.k + c] ?? 0;
}

/** Biased scale of the block holding (r, c). */
export function bfpScale(m: BfpMatrix, r: number, c: number): number {
  return m.scale[r * m.blocksPerRow + Math.floor(c / m.k)] ?? 0;
}

/** Dequantize to a row-major Float64Array (rows x cols). */
export function dequantizeMatrix(m: BfpMatrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      out[r * m.cols + c] = elementValue(bfpGet(m, r, c), bfpScale(m, r, c));
    }
  }
  return out;
}

/** The element of (r, c) as an exact dyadic number (NaN blocks are not representable). */
export function bfpDyadic(m: BfpMatrix, r: number, c: number): Dyadic {
  return { m: bfpGet(m, r, c), e: bfpScale(m, r, c) - SCALE_BIAS - ELEM_FRAC_BITS };
}

/**
 * Re-block: the transposed matrix (cols x rows), blocked along the new rows. Values are taken
 * exactly from the source and re-quantized, so this is the one lossy step a transpose costs in
 * BFP8 (quantization and transposition do not commute). NaN blocks stay NaN.
 */
export function transposeReblock(m: BfpMatrix, k: number, rounding: Rounding): BfpMatrix {
  const out = emptyBfp(m.cols, m.rows, k);
  for (let r = 0; r < out.rows; r++) {
    for (let b = 0; b < out.blocksPerRow; b++) {
      const vals: Dyadic[] = [];
      let special = false;
      for (let i = 0; i < k && b * k + i < out.cols; i++) {
        const src = b * k + i; // source row
        if (bfpScale(m, src, r) === SCALE_NAN) special = true;
        vals.push(bfpDyadic(m, src, r));
      }
      const blk = quantizeDyadicBlock(vals, k, rounding, special);
      out.scale[r * out.blocksPerRow + b] = blk.scale;
      out.q.set(blk.q, (r * out.blocksPerRow + b) * k);
    }
  }
  return out;
}

/** Count of non-zero element codes (padding excluded). */
export function bfpNonZeros(m: BfpMatrix): number {
  let n = 0;
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) if (bfpGet(m, r, c) !== 0) n++;
  return n;
}
