/**
 * Numeric engines: what a stored tensor is and how the three layer GEMMs run on it. The network
 * code (training/network.ts) is written once against Engine<T>; two engines implement it:
 *
 *   bfp8Engine  T = BfpMatrix. pack = the BFP8 quantizer (blocks along each row), unpack = the
 *               exact stored values, and every GEMM goes through a GemmBackend (the golden model's
 *               numerics, bit for bit). Re-blocking (a transpose, an im2col gather) is
 *               unpack -> rearrange -> pack, which equals the model's transposeReblock: BFP8
 *               values are exact float32 numbers, so nothing but the new blocking rounds.
 *   fp32Engine  T = a plain row-major matrix in float32 (or float64 for gradient checks): the
 *               FP32 baseline. Products are summed in float64 and rounded once to float32.
 *
 * Host arrays passed to pack/unpack are Float64Array in row-major order.
 */
import type { BfpMatrix, Rounding } from "../generator/model/bfp8.ts";
import { emptyBfp } from "../generator/model/bfp8.ts";
import type { LayerNumerics, OpCounters } from "../generator/model/gemm.ts";
import { type Threshold, thresholdValue } from "../generator/model/sparsity.ts";
import type { GemmBackend } from "./backend.ts";
import { dequantizeFast, maskFast, nonZerosFast, quantizeFast } from "./fastgemm.ts";

export interface Stored {
  readonly rows: number;
  readonly cols: number;
}

export interface GemmOut<T> {
  out: T;
  counters: OpCounters;
}

export interface Engine<T extends Stored> {
  readonly kind: "fp32" | "bfp8";
  readonly backendName: string;
  /** Store a rows x cols host matrix (BFP8: blocks along each row). */
  pack(data: Float64Array | Float32Array, rows: number, cols: number): T;
  /** The stored values, exactly, rows x cols. */
  unpack(t: T): Float64Array;
  /** The transposed matrix, stored (BFP8: re-blocked along the new rows). */
  transpose(t: T): T;
  /** 1 where the stored element is non-zero, rows x cols (the ReLU mask of an FP output). */
  mask(t: T): Uint8Array;
  nonZeros(t: T): number;
  /** A rows x cols tensor assembled from whole stored rows of parts (exact); other rows zero. */
  gatherRows(parts: readonly { t: T; rows: Int32Array }[], rows: number, cols: number): T;
  /** FP: Y^T = (W . X)^T with ReLU and threshold; w: M x K, xT: N x K -> N x M. */
  forward(w: T, xT: T, relu: boolean, threshold: Threshold): GemmOut<T>;
  /** BP: dX^T = ((W^T . dY) (*) mask)^T with threshold; wT: K x M, dyT: N x M -> N x K. */
  backward(wT: T, dyT: T, maskT: Uint8Array | undefined, threshold: Threshold): GemmOut<T>;
  /** WG: dW = dY . X^T; dy: M x N, x: K x N -> M x K. */
  weightGradient(dy: T, x: T): GemmOut<T>;
  /**
   * The element codes the codecs see: every stored element including row padding, in storage
   * order. BFP8 only; the FP32 baseline moves no BFP8 streams.
   */
  streamCodes?(t: T): Int8Array;
}

function transposeHost(d: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(d.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = d[r * cols + c]!;
  return out;
}

export function bfp8Engine(num: LayerNumerics, backend: GemmBackend): Engine<BfpMatrix> {
  const k = num.k;
  const rounding: Rounding = num.rounding;
  const pack = (d: Float64Array | Float32Array, rows: number, cols: number): BfpMatrix =>
    quantizeFast(d, rows, cols, k, rounding);
  return {
    kind: "bfp8",
    backendName: backend.name,
    pack,
    unpack: (t) => dequantizeFast(t),
    transpose: (t) => pack(transposeHost(dequantizeFast(t), t.rows, t.cols), t.cols, t.rows),
    mask: (t) => maskFast(t),
    nonZeros: (t) => nonZerosFast(t),
    gatherRows(parts, rows, cols) {
      const out = emptyBfp(rows, cols, k);
      const bpr = out.blocksPerRow;
      for (const { t, rows: idx } of parts) {
        if (t.cols !== cols || t.k !== k) throw new Error("gatherRows: part shape differs");
        for (let r = 0; r < idx.length; r++) {
          const dst = idx[r]!;
          out.scale.set(t.scale.subarray(r * bpr, (r + 1) * bpr), dst * bpr);
          out.q.set(t.q.subarray(r * bpr * k, (r + 1) * bpr * k), dst * bpr * k);
        }
      }
      return out;
    },
    forward: (w, xT, relu, threshold) => backend.forward(w, xT, num, { relu, threshold }),
    backward: (wT, dyT, maskT, threshold) =>
      backend.backward(wT, dyT, num, maskT === undefined ? { threshold } : { maskT, threshold }),
    weightGradient: (dy, x) => backend.weightGradient(dy, x, num),
    streamCodes: (t) => t.q,
  };
}

/** A plain row-major matrix of the FP32 baseline. */
export interface FloatMatrix extends Stored {
  readonly data: Float32Array | Float64Array;
}

/**
 * C = A . B^T in floating point with the same output stage (ReLU, threshold on |value|, output
 * mask) and the same operation counters as the BFP8 GEMM (zeros of B are skipped).
 */
function floatGemm(
  a: FloatMatrix,
  b: FloatMatrix,
  make: (n: number) => Float32Array | Float64Array,
  o: { relu: boolean; theta: number; outMask?: Uint8Array; transposed: boolean },
): GemmOut<FloatMatrix> {
  const I = a.rows;
  const J = b.rows;
  const R = a.cols;
  if (b.cols !== R) throw new Error(`floatGemm: reduction lengths differ (${R} vs ${b.cols})`);
  const out = make(I * J);
  const counters: OpCounters = {
    macsDense: I * J * R,
    macsOutputSkipped: 0,
    macsInputSkipped: 0,
    macsIssued: 0,
    macsEffectual: 0,
    outputsComputed: 0,
    outputsSkipped: 0,
  };
  const colNnzA = new Int32Array(R);
  for (let i = 0; i < I; i++)
    for (let c = 0; c < R; c++) if (a.data[i * R + c] !== 0) colNnzA[c]!++;
  const nzIdx = new Int32Array(R);
  const nzVal = new Float64Array(R);
  const ad = a.data;
  for (let j = 0; j < J; j++) {
    let n = 0;
    let eff = 0;
    for (let c = 0; c < R; c++) {
      const v = b.data[j * R + c]!;
      if (v !== 0) {
        nzIdx[n] = c;
        nzVal[n] = v;
        n++;
        eff += colNnzA[c]!;
      }
    }
    for (let i = 0; i < I; i++) {
      if (o.outMask !== undefined && o.outMask[i * J + j] === 0) {
        counters.macsOutputSkipped += R;
        counters.outputsSkipped++;
        continue;
      }
      counters.outputsComputed++;
      counters.macsIssued += n;
      counters.macsInputSkipped += R - n;
      const oa = i * R;
      let s = 0;
      for (let u = 0; u < n; u++) s += ad[oa + nzIdx[u]!]! * nzVal[u]!;
      if (o.outMask !== undefined) {
        for (let u = 0; u < n; u++) if (ad[oa + nzIdx[u]!] !== 0) counters.macsEffectual++;
      }
      if (o.relu && s < 0) s = 0;
      if (Math.abs(s) < o.theta) s = 0;
      out[o.transposed ? j * I + i : i * J + j] = s;
    }
    if (o.outMask === undefined) counters.macsEffectual += eff;
  }
  return {
    out: o.transposed ? { rows: J, cols: I, data: out } : { rows: I, cols: J, data: out },
    counters,
  };
}

/** The FP32 baseline (precision "f64" keeps every value in float64, for gradient checks). */
export function fp32Engine(precision: "f32" | "f64" = "f32"): Engine<FloatMatrix> {
  const make = (n: number): Float32Array | Float64Array =>
    precision === "f32" ? new Float32Array(n) : new Float64Array(n);
  const pack = (d: Float64Array | Float32Array, rows: number, cols: number): FloatMatrix => {
    const data = make(rows * cols);
    data.set(d);
    return { rows, cols, data };
  };
  const th = (t: Threshold): number => (t.tm === 0 ? 0 : thresholdValue(t));
  return {
    kind: "fp32",
    backendName: `float (${precision})`,
    pack,
    unpack: (t) => Float64Array.from(t.data),
    transpose: (t) =>
      pack(transposeHost(Float64Array.from(t.data), t.rows, t.cols), t.cols, t.rows),
    mask(t) {
      const m = new Uint8Array(t.data.length);
      for (let i = 0; i < m.length; i++) m[i] = t.data[i] !== 0 ? 1 : 0;
      return m;
    },
    nonZeros(t) {
      let n = 0;
      for (const v of t.data) if (v !== 0) n++;
      return n;
    },
    gatherRows(parts, rows, cols) {
      const data = make(rows * cols);
      for (const { t, rows: idx } of parts)
        for (let r = 0; r < idx.length; r++)
          data.set(t.data.subarray(r * cols, (r + 1) * cols), idx[r]! * cols);
      return { rows, cols, data };
    },
    forward: (w, xT, relu, t) => floatGemm(w, xT, make, { relu, theta: th(t), transposed: true }),
    backward(wT, dyT, maskT, t) {
      let outMask: Uint8Array | undefined;
      if (maskT !== undefined) {
        const K = wT.rows;
        const N = dyT.rows;
        outMask = new Uint8Array(K * N);
        for (let n = 0; n < N; n++)
          for (let c = 0; c < K; c++) outMask[c * N + n] = maskT[n * K + c]!;
      }
      return floatGemm(wT, dyT, make, {
        relu: false,
        theta: th(t),
        transposed: true,
        ...(outMask === undefined ? {} : { outMask }),
      });
    },
    weightGradient: (dy, x) => floatGemm(dy, x, make, { relu: false, theta: 0, transposed: false }),
  };
}
