/**
 * A fast implementation of the golden model's GEMM (generator/model/gemm.ts gemmABt) and of its
 * BFP8 quantizer, for training. Same operands, same block order, same accumulation rule
 * (generator/model/accum.ts), same output stage (ReLU, re-quantization, threshold) and the same
 * operation counters, computed on typed arrays with no object per accumulator or per element.
 * test/train/fastgemm.test.ts proves it bit-identical to the model on random shapes, densities,
 * masks, thresholds, block sizes, accumulator widths, tie rules and NaN blocks.
 *
 * The speed comes from three things only: the streamed operand's non-zeros are listed once per
 * row (input zero skipping, as the hardware does), masked outputs are not computed (output
 * skipping), and accumulators are three parallel typed arrays.
 */
import { require_ } from "../generator/errors.ts";
import { ACC_EXP_OFFSET, ACC_WIDTH_MAX } from "../generator/model/accum.ts";
import {
  type BfpMatrix,
  type Rounding,
  ELEM_FRAC_BITS,
  ELEM_MAX,
  SCALE_BIAS,
  SCALE_MAX,
  SCALE_MIN,
  SCALE_NAN,
  ZERO_BLOCK_SCALE,
  emptyBfp,
} from "../generator/model/bfp8.ts";
import type { GemmOptions, LayerNumerics, OpCounters } from "../generator/model/gemm.ts";
import { type Threshold, THRESHOLD_OFF, belowThreshold } from "../generator/model/sparsity.ts";

/** 2^i for i in 0..63 (exact). */
const POW2 = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);
/** Value of one element code step for each biased scale: 2^(S - 127 - 6); NaN for S = 255. */
const STEP = Float64Array.from({ length: 256 }, (_, s) =>
  s === SCALE_NAN ? NaN : 2 ** (s - SCALE_BIAS - ELEM_FRAC_BITS),
);
const ZERO_SCALE = ZERO_BLOCK_SCALE + SCALE_BIAS;
/** 2^(i - 300) for i in 0..599 (exact). */
const POW2_OFF = 300;
const POW2W = Float64Array.from({ length: 600 }, (_, i) => 2 ** (i - POW2_OFF));

/** Accumulators of a GEMM as parallel arrays, I x J row-major (the model's `acc` order). */
export interface FastAccs {
  m: Float64Array;
  e: Int16Array;
  nan: Uint8Array;
}

export interface FastGemmResult {
  out: BfpMatrix;
  counters: OpCounters;
  /** Present when asked for (tests): the raw accumulators, I x J row-major. */
  acc?: FastAccs;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The accumulation rule (accum.ts accAdd) for accumulator x of rows (m, E) and product (p, e). */
function accumulate(
  m: Float64Array,
  E: Int32Array,
  x: number,
  p: number,
  e: number,
  W: number,
  hi: number,
  lo: number,
): void {
  const mx = m[x]!;
  if (mx === 0) {
    m[x] = p > hi ? hi : p < lo ? lo : p;
    E[x] = e;
    return;
  }
  const Ex = E[x]!;
  if (e >= Ex) {
    const sh = e - Ex < W - 1 ? e - Ex : W - 1;
    const v = Math.floor(mx / POW2[sh]!) + p;
    m[x] = v > hi ? hi : v < lo ? lo : v;
    E[x] = e;
  } else {
    const sh = Ex - e < W - 1 ? Ex - e : W - 1;
    const v = mx + Math.floor(p / POW2[sh]!);
    m[x] = v > hi ? hi : v < lo ? lo : v;
  }
}

/**
 * Column kernel: the block products of streamed row j with every row of A, formed column by
 * column (P[i] += A[i][c] * b_c over the row's non-zeros b_c, i contiguous), then added into the
 * I accumulators (rowM, rowE) in block order.
 */
function columnKernel(
  I: number,
  nb: number,
  blkStart: Int32Array,
  nzIdx: Int32Array,
  nzVal: Int32Array,
  AT: Int32Array,
  SA: Int32Array,
  bs: Uint8Array,
  bsRow: number,
  P: Int32Array,
  rowM: Float64Array,
  rowE: Int32Array,
  W: number,
  hi: number,
  lo: number,
): void {
  for (let i = 0; i < I; i++) {
    rowM[i] = 0;
    rowE[i] = 0;
  }
  for (let blk = 0; blk < nb; blk++) {
    const u0 = blkStart[blk]!;
    const u1 = blkStart[blk + 1]!;
    if (u0 === u1) continue; // P = 0: only the NaN flag could change (handled per row)
    let bv = nzVal[u0]!;
    let off = nzIdx[u0]! * I;
    for (let i = 0; i < I; i++) P[i] = AT[off + i]! * bv;
    for (let u = u0 + 1; u < u1; u++) {
      bv = nzVal[u]!;
      off = nzIdx[u]! * I;
      for (let i = 0; i < I; i++) P[i] = P[i]! + AT[off + i]! * bv;
    }
    const sb = bs[bsRow + blk]!;
    const so = blk * I;
    for (let i = 0; i < I; i++) {
      const p = P[i]!;
      if (p !== 0) accumulate(rowM, rowE, i, p, SA[so + i]! + sb, W, hi, lo);
    }
  }
}

/** Row kernel: the accumulators of the nLive outputs live[0..nLive) of streamed row j. */
function rowKernel(
  nLive: number,
  live: Int32Array,
  I: number,
  Rp: number,
  nb: number,
  blkStart: Int32Array,
  nzIdx: Int32Array,
  nzVal: Int32Array,
  aq: Int8Array,
  SA: Int32Array,
  bs: Uint8Array,
  bsRow: number,
  rowM: Float64Array,
  rowE: Int32Array,
  W: number,
  hi: number,
  lo: number,
): void {
  for (let x = 0; x < nLive; x++) {
    const i = live[x]!;
    const oa = i * Rp;
    rowM[i] = 0;
    rowE[i] = 0;
    for (let blk = 0; blk < nb; blk++) {
      const u1 = blkStart[blk + 1]!;
      let p = 0;
      for (let u = blkStart[blk]!; u < u1; u++) p += aq[oa + nzIdx[u]!]! * nzVal[u]!;
      if (p !== 0) accumulate(rowM, rowE, i, p, SA[blk * I + i]! + bs[bsRow + blk]!, W, hi, lo);
    }
  }
}

/** Options of fastGemmABt: the model's, plus the output mask given transposed (J x I). */
export interface FastGemmOptions extends GemmOptions {
  /** Output mask as J x I row-major (the transpose of outMask); excludes outMask. */
  outMaskT?: Uint8Array;
}

/**
 * C = A . B^T: the same result and counters as gemmABt, with accumulators on request.
 *
 * Each streamed row j is processed once: its non-zeros are listed block by block (input
 * skipping), the outputs left by the mask are listed (output skipping), and the block products
 * go through the column kernel, or through the row kernel when the mask leaves fewer than a
 * quarter of the outputs. Either way each accumulator sees exactly the model's sequence of (P, e).
 */
export function fastGemmABt(
  a: BfpMatrix,
  b: BfpMatrix,
  opts: FastGemmOptions,
  keepAcc = false,
): FastGemmResult {
  require_(a.cols === b.cols, `gemm: reduction lengths differ (${a.cols} vs ${b.cols})`);
  require_(a.k === b.k, `gemm: block sizes differ (${a.k} vs ${b.k})`);
  const W = opts.accWidth;
  require_(W >= 16 && W <= ACC_WIDTH_MAX, `accumulator width ${W} out of range`);
  const I = a.rows;
  const J = b.rows;
  const R = a.cols;
  const k = a.k;
  const nb = a.blocksPerRow;
  const Rp = nb * k; // reduction length with padding (padding elements take part, as in dotRows)
  let maskT = opts.outMaskT;
  if (opts.outMask !== undefined) {
    const mask = opts.outMask;
    require_(maskT === undefined, "gemm: outMask and outMaskT exclude each other");
    require_(mask.length === I * J, `gemm: output mask has ${mask.length} bits for ${I}x${J}`);
    maskT = new Uint8Array(I * J);
    for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) maskT[j * I + i] = mask[i * J + j]!;
  } else if (maskT !== undefined) {
    require_(maskT.length === I * J, `gemm: output mask has ${maskT.length} bits for ${I}x${J}`);
  }
  const hi = 2 ** (W - 1) - 1;
  const lo = -(2 ** (W - 1));
  const aq = a.q;
  const bq = b.q;
  const as = a.scale;
  const bs = b.scale;
  const bpr = b.blocksPerRow;
  const strideB = bpr * k;

  // NaN flags: sticky over every block pair, so an output is NaN when its A row or B row holds one
  const nanA = new Uint8Array(I);
  for (let i = 0; i < I; i++)
    for (let blk = 0; blk < nb; blk++) if (as[i * nb + blk] === SCALE_NAN) nanA[i] = 1;

  // A column-major (AT[c * I + i]) for the column kernel, A's scales by block (SA[blk * I + i]),
  // and A's non-zero pattern per column for the effectual-MAC counter, as counts (no mask) and as
  // bit sets over the rows (with a mask)
  const AT = new Int32Array(Rp * I);
  const SA = new Int32Array(nb * I);
  const words = (I + 31) >>> 5;
  const colNnzA = new Int32Array(R);
  const colBits = maskT === undefined ? new Int32Array(0) : new Int32Array(R * words);
  for (let i = 0; i < I; i++) {
    const oa = i * Rp;
    for (let c = 0; c < Rp; c++) {
      const v = aq[oa + c]!;
      if (v === 0) continue;
      AT[c * I + i] = v;
      if (c < R) {
        colNnzA[c] = colNnzA[c]! + 1;
        if (maskT !== undefined) {
          const wi = c * words + (i >>> 5);
          colBits[wi] = colBits[wi]! | (1 << (i & 31));
        }
      }
    }
    for (let blk = 0; blk < nb; blk++) SA[blk * I + i] = as[i * nb + blk]!;
  }

  let cOutSkipped = 0;
  let cOutComputed = 0;
  let cIssued = 0;
  let cEff = 0;
  const transposed = opts.layout === "transposed";
  // accumulators in the written layout's order: transposed -> [j * I + i], direct -> [i * J + j]
  const accM = new Float64Array(I * J);
  const accE = new Int16Array(I * J);
  const accNan = new Uint8Array(I * J);

  const nzIdx = new Int32Array(Rp);
  const nzVal = new Int32Array(Rp);
  const blkStart = new Int32Array(nb + 1);
  const P = new Int32Array(I);
  const rowM = new Float64Array(I);
  const rowE = new Int32Array(I);
  const maskBits = new Int32Array(words);
  const live = new Int32Array(I);
  for (let j = 0; j < J; j++) {
    // the streamed row's non-zeros, block by block
    const ob = j * strideB;
    let n = 0;
    let nanB = 0;
    for (let blk = 0; blk < nb; blk++) {
      blkStart[blk] = n;
      const c0 = ob + blk * k;
      for (let t = 0; t < k; t++) {
        const v = bq[c0 + t]!;
        if (v !== 0) {
          nzIdx[n] = blk * k + t;
          nzVal[n] = v;
          n++;
        }
      }
    }
    blkStart[nb] = n;
    for (let blk = 0; blk < bpr; blk++) if (bs[j * bpr + blk] === SCALE_NAN) nanB = 1;
    let nnz = n;
    while (nnz > 0 && nzIdx[nnz - 1]! >= R) nnz--; // padding columns are not counted

    // which outputs of this row are computed
    let nLive = I;
    if (maskT !== undefined) {
      nLive = 0;
      maskBits.fill(0);
      const om = j * I;
      for (let i = 0; i < I; i++)
        if (maskT[om + i] !== 0) {
          live[nLive++] = i;
          maskBits[i >>> 5] = maskBits[i >>> 5]! | (1 << (i & 31));
        }
      for (let u = 0; u < nnz; u++) {
        const cw = nzIdx[u]! * words;
        for (let w = 0; w < words; w++) cEff += popcount(colBits[cw + w]! & maskBits[w]!);
      }
    } else {
      for (let u = 0; u < nnz; u++) cEff += colNnzA[nzIdx[u]!]!;
    }
    cOutSkipped += I - nLive;
    cOutComputed += nLive;
    cIssued += nLive * nnz;
    if (nLive === 0) continue;

    const bsRow = j * bpr;
    if (maskT === undefined || nLive * 4 >= I) {
      // column kernel over all I outputs (those masked out are computed and dropped)
      columnKernel(I, nb, blkStart, nzIdx, nzVal, AT, SA, bs, bsRow, P, rowM, rowE, W, hi, lo);
    } else {
      rowKernel(
        nLive,
        live,
        I,
        Rp,
        nb,
        blkStart,
        nzIdx,
        nzVal,
        aq,
        SA,
        bs,
        bsRow,
        rowM,
        rowE,
        W,
        hi,
        lo,
      );
    }
    if (maskT === undefined) {
      for (let i = 0; i < I; i++) {
        const o = transposed ? j * I + i : i * J + j;
        accM[o] = rowM[i]!;
        accE[o] = rowE[i]!;
        accNan[o] = nanA[i]! | nanB;
      }
    } else {
      for (let x = 0; x < nLive; x++) {
        const i = live[x]!;
        const o = transposed ? j * I + i : i * J + j;
        accM[o] = rowM[i]!;
        accE[o] = rowE[i]!;
        accNan[o] = nanA[i]! | nanB;
      }
    }
  }

  const counters: OpCounters = {
    macsDense: I * J * R,
    macsOutputSkipped: cOutSkipped * R,
    macsInputSkipped: cOutComputed * R - cIssued,
    macsIssued: cIssued,
    macsEffectual: cEff,
    outputsComputed: cOutComputed,
    outputsSkipped: cOutSkipped,
  };
  const rows = transposed ? J : I;
  const cols = transposed ? I : J;
  const out = writeOutputFast(accM, accE, accNan, rows, cols, opts.out);
  const res: FastGemmResult = { out, counters };
  if (keepAcc) {
    // back to the model's I x J order
    const m = new Float64Array(I * J);
    const e = new Int16Array(I * J);
    const nan = new Uint8Array(I * J);
    for (let i = 0; i < I; i++)
      for (let j = 0; j < J; j++) {
        const o = transposed ? j * I + i : i * J + j;
        m[i * J + j] = accM[o]!;
        e[i * J + j] = accE[o]!;
        nan[i * J + j] = accNan[o]!;
      }
    res.acc = { m, e, nan };
  }
  return res;
}

/**
 * The output stage (outputBlock of the model) over accumulators laid out as the written matrix,
 * rows x cols row-major: ReLU, re-quantization of m * 2^(E - 266) to BFP8, threshold.
 */
export function writeOutputFast(
  accM: Float64Array,
  accE: Int16Array,
  accNan: Uint8Array,
  rows: number,
  cols: number,
  st: { relu: boolean; threshold: Threshold; rounding: Rounding; k: number },
): BfpMatrix {
  const k = st.k;
  const out = emptyBfp(rows, cols, k);
  const bpr = out.blocksPerRow;
  const th = st.threshold;
  const relu = st.relu;
  const even = st.rounding === "even";
  const outQ = out.q;
  for (let r = 0; r < rows; r++) {
    for (let blk = 0; blk < bpr; blk++) {
      const c0 = blk * k;
      const n = k < cols - c0 ? k : cols - c0;
      const base = r * cols + c0;
      let special = false;
      let amax = -Infinity;
      for (let t = 0; t < n; t++) {
        if (accNan[base + t]) special = true;
        let m = accM[base + t]!;
        if (relu && m < 0) m = 0;
        if (m === 0) continue;
        const l = ilog2Fast(m < 0 ? -m : m) + accE[base + t]! - ACC_EXP_OFFSET;
        if (l > amax) amax = l;
      }
      const sIdx = r * bpr + blk;
      const qBase = sIdx * k;
      if (special) {
        out.scale[sIdx] = SCALE_NAN;
        continue;
      }
      if (amax === -Infinity) {
        out.scale[sIdx] = ZERO_SCALE;
        continue;
      }
      if (amax > SCALE_MAX) {
        out.scale[sIdx] = SCALE_NAN;
        continue;
      }
      const s = amax > SCALE_MIN ? amax : SCALE_MIN;
      const scale = s + SCALE_BIAS;
      out.scale[sIdx] = scale;
      for (let t = 0; t < n; t++) {
        let m = accM[base + t]!;
        if (relu && m < 0) m = 0;
        if (m === 0) continue;
        // round |m| * 2^sh to an integer (roundMagnitude), exactly: a power-of-two scaling of an
        // integer below 2^53 is exact, and values far below one half round to 0 either way
        const sh = accE[base + t]! - ACC_EXP_OFFSET + ELEM_FRAC_BITS - s;
        const y = (m < 0 ? -m : m) * (sh < -POW2_OFF ? 0 : POW2W[sh + POW2_OFF]!);
        const fl = Math.floor(y);
        const rem = y - fl;
        let mag = rem > 0.5 ? fl + 1 : rem < 0.5 ? fl : even && fl % 2 === 0 ? fl : fl + 1;
        if (mag > ELEM_MAX) mag = ELEM_MAX;
        const q = m < 0 ? -mag : mag;
        outQ[qBase + t] = th.tm !== 0 && belowThreshold(q, scale, th) ? 0 : q;
      }
    }
  }
  return out;
}

/** floor(log2(n)) of an integer 1 <= n < 2^53, exactly. */
function ilog2Fast(n: number): number {
  if (n < 2147483648) return 31 - Math.clz32(n);
  let l = Math.floor(Math.log2(n));
  if (POW2W[l + POW2_OFF]! > n) l--;
  else if (POW2W[l + 1 + POW2_OFF]! <= n) l++;
  return l;
}

/** FP: Y = W . X, as forward() of the model. */
export function fastForward(
  w: BfpMatrix,
  xT: BfpMatrix,
  num: LayerNumerics,
  opts: { relu: boolean; threshold?: Threshold },
): FastGemmResult {
  return fastGemmABt(w, xT, {
    accWidth: num.accWidth,
    layout: "transposed",
    out: {
      relu: opts.relu,
      threshold: opts.threshold ?? THRESHOLD_OFF,
      rounding: num.rounding,
      k: num.k,
    },
  });
}

/** BP: dX = (W^T . dY) (*) mask, as backward() of the model (maskT is N x K row-major). */
export function fastBackward(
  wT: BfpMatrix,
  dyT: BfpMatrix,
  num: LayerNumerics,
  opts: { maskT?: Uint8Array; threshold?: Threshold },
): FastGemmResult {
  const K = wT.rows;
  const N = dyT.rows;
  if (opts.maskT !== undefined) {
    require_(
      opts.maskT.length === N * K,
      `backward: mask has ${opts.maskT.length} bits for ${N}x${K}`,
    );
  }
  // the model's output mask is maskT transposed (K x N); the fast GEMM takes it as it is
  return fastGemmABt(wT, dyT, {
    accWidth: num.accWidth,
    layout: "transposed",
    out: {
      relu: false,
      threshold: opts.threshold ?? THRESHOLD_OFF,
      rounding: num.rounding,
      k: num.k,
    },
    ...(opts.maskT === undefined ? {} : { outMaskT: opts.maskT }),
  });
}

/** WG: dW = dY . X^T, as weightGradient() of the model. */
export function fastWeightGradient(
  dy: BfpMatrix,
  x: BfpMatrix,
  num: LayerNumerics,
): FastGemmResult {
  return fastGemmABt(dy, x, {
    accWidth: num.accWidth,
    layout: "direct",
    out: { relu: false, threshold: THRESHOLD_OFF, rounding: num.rounding, k: num.k },
  });
}

/**
 * Quantize a row-major matrix (rows x cols) with blocks along its rows: bit-identical to the
 * model's quantizeMatrix. Values are rounded to float32 first; the block exponent is
 * floor(log2(max |x|)), taken from Math.log2 and corrected exactly against powers of two.
 */
export function quantizeFast(
  data: Float64Array | Float32Array,
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
  const q = out.q;
  const scale = out.scale;
  const bpr = out.blocksPerRow;
  const even = rounding === "even";
  for (let r = 0; r < rows; r++) {
    for (let blk = 0; blk < bpr; blk++) {
      const c0 = blk * k;
      const n = k < cols - c0 ? k : cols - c0;
      const base = r * cols + c0;
      // max |x| over the raw values, then rounded: float32 rounding is monotonic
      let amax = 0;
      let special = false;
      for (let t = 0; t < n; t++) {
        const x = data[base + t]!;
        const v = x < 0 ? -x : x;
        if (v > amax) amax = v;
        else if (v !== v) special = true;
      }
      amax = Math.fround(amax);
      const sIdx = r * bpr + blk;
      if (special || amax === Infinity) {
        scale[sIdx] = 255;
        continue;
      }
      if (amax === 0) continue; // zero block: the scale is already the zero-block scale
      let l = Math.floor(Math.log2(amax));
      if (POW2W[l + POW2_OFF]! > amax) l--;
      else if (POW2W[l + 1 + POW2_OFF]! <= amax) l++;
      const s = l > -127 ? l : -127;
      scale[sIdx] = s + 127;
      const mul = POW2W[6 - s + POW2_OFF]!;
      const qBase = sIdx * k;
      for (let t = 0; t < n; t++) {
        const x = Math.fround(data[base + t]!);
        if (x === 0) continue;
        const y = (x < 0 ? -x : x) * mul; // exact: a power-of-two scaling of a float32
        const fl = Math.floor(y);
        const rem = y - fl;
        let mag = rem > 0.5 ? fl + 1 : rem < 0.5 ? fl : even && fl % 2 === 0 ? fl : fl + 1;
        if (mag > 127) mag = 127;
        q[qBase + t] = x < 0 ? -mag : mag;
      }
    }
  }
  return out;
}

/** Exact values of a BFP matrix, rows x cols row-major (NaN blocks read as NaN). */
export function dequantizeFast(m: BfpMatrix, into?: Float64Array): Float64Array {
  const out = into ?? new Float64Array(m.rows * m.cols);
  const k = m.k;
  const bpr = m.blocksPerRow;
  for (let r = 0; r < m.rows; r++) {
    for (let blk = 0; blk < bpr; blk++) {
      const step = STEP[m.scale[r * bpr + blk]!]!;
      const c0 = blk * k;
      const n = Math.min(k, m.cols - c0);
      const qb = (r * bpr + blk) * k;
      const ob = r * m.cols + c0;
      for (let t = 0; t < n; t++) out[ob + t] = m.q[qb + t]! * step;
    }
  }
  return out;
}

/** Count of non-zero element codes over the logical elements (padding excluded). */
export function nonZerosFast(m: BfpMatrix): number {
  let n = 0;
  const stride = m.blocksPerRow * m.k;
  for (let r = 0; r < m.rows; r++) {
    const o = r * stride;
    for (let c = 0; c < m.cols; c++) if (m.q[o + c] !== 0) n++;
  }
  return n;
}

/** Element mask (1 = non-zero code), rows x cols row-major: the model's reluMask. */
export function maskFast(m: BfpMatrix): Uint8Array {
  const out = new Uint8Array(m.rows * m.cols);
  const stride = m.blocksPerRow * m.k;
  for (let r = 0; r < m.rows; r++) {
    const o = r * stride;
    const oo = r * m.cols;
    for (let c = 0; c < m.cols; c++) out[oo + c] = m.q[o + c] !== 0 ? 1 : 0;
  }
  return out;
}
