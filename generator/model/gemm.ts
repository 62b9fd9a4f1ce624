/**
 * The three training GEMMs on BFP8 operands, with the output stage and operation counters.
 *
 * Every GEMM is computed in one shape: C = A . B^T, where A (I x R) and B (J x R) are both
 * blocked along R, the reduction axis. The three training steps map onto it as:
 *
 *   FP  Y  = W  . X      A = W    (M x K, blocks along K)   B = X^T  (N x K, blocks along K)
 *   BP  dX = W^T . dY    A = W^T  (K x M, blocks along M)   B = dY^T (N x M, blocks along M)
 *   WG  dW = dY . X^T    A = dY   (M x N, blocks along N)   B = X    (K x N, blocks along N)
 *
 * B is the streamed, sparse operand (activations in FP and WG, error gradients in BP): its zeros
 * are skipped. Outputs are written as C^T (J x I, blocks along I) for FP and BP, the layout the
 * next step reads, and as C (I x J, blocks along J) for WG, the layout of W.
 */
import { require_ } from "../errors.ts";
import { type BfpMatrix, type Rounding, SCALE_NAN, emptyBfp, quantizeDyadicBlock } from "./bfp8.ts";
import { type Acc, ACC_EXP_OFFSET, accAdd, accZero } from "./accum.ts";
import { type Threshold, THRESHOLD_OFF, belowThreshold } from "./sparsity.ts";

export interface OpCounters {
  /** MACs a dense array does: I * J * R. */
  macsDense: number;
  /** MACs not done because the output was masked out (BP output skipping). */
  macsOutputSkipped: number;
  /** MACs not done because the streamed operand's element was zero (input zero skipping). */
  macsInputSkipped: number;
  /** MACs issued to the array: dense - outputSkipped - inputSkipped. */
  macsIssued: number;
  /** MACs where both operands are non-zero (information only: the effectual work). */
  macsEffectual: number;
  /** Outputs computed and outputs skipped. */
  outputsComputed: number;
  outputsSkipped: number;
}

export interface OutputStage {
  /** Apply ReLU to the accumulators before quantization (FP). */
  relu: boolean;
  /** Sparsity-scaling threshold applied to the written elements. */
  threshold: Threshold;
  rounding: Rounding;
  /** Block size of the written tensor. */
  k: number;
}

export interface GemmOptions {
  accWidth: number;
  out: OutputStage;
  /** Write C^T (blocks along I, "transposed") or C (blocks along J, "direct"). */
  layout: "transposed" | "direct";
  /** Output mask (I x J row-major): outputs with 0 are not computed (BP output skipping). */
  outMask?: Uint8Array;
}

export interface GemmResult {
  /** The written tensor (see layout). */
  out: BfpMatrix;
  /** Raw accumulators, I x J row-major, before the output stage. */
  acc: Acc[];
  counters: OpCounters;
}

/** Dot product of row i of A and row j of B, block by block in order (the accumulation rule). */
export function dotRows(a: BfpMatrix, i: number, b: BfpMatrix, j: number, accWidth: number): Acc {
  let acc = accZero();
  const k = a.k;
  for (let blk = 0; blk < a.blocksPerRow; blk++) {
    const oa = (i * a.blocksPerRow + blk) * k;
    const ob = (j * b.blocksPerRow + blk) * k;
    let p = 0;
    for (let t = 0; t < k; t++) p += (a.q[oa + t] ?? 0) * (b.q[ob + t] ?? 0);
    acc = accAdd(
      acc,
      p,
      a.scale[i * a.blocksPerRow + blk] ?? 0,
      b.scale[j * b.blocksPerRow + blk] ?? 0,
      accWidth,
    );
  }
  return acc;
}

/**
 * The output stage for one block of accumulators: ReLU, re-quantization to BFP8, threshold.
 */
export function outputBlock(
  accs: readonly Acc[],
  st: OutputStage,
): { scale: number; q: Int8Array } {
  let special = false;
  const vals = accs.map((a) => {
    if (a.nan) special = true;
    const m = st.relu && a.m < 0 ? 0 : a.m;
    return { m, e: a.e - ACC_EXP_OFFSET };
  });
  const blk = quantizeDyadicBlock(vals, st.k, st.rounding, special);
  if (blk.scale !== SCALE_NAN) {
    for (let t = 0; t < blk.q.length; t++) {
      if (belowThreshold(blk.q[t] ?? 0, blk.scale, st.threshold)) blk.q[t] = 0;
    }
  }
  return blk;
}

/** Write accumulators (I x J) through the output stage into a BFP matrix of the given layout. */
export function writeOutput(
  acc: readonly Acc[],
  I: number,
  J: number,
  st: OutputStage,
  layout: "transposed" | "direct",
): BfpMatrix {
  const rows = layout === "transposed" ? J : I;
  const cols = layout === "transposed" ? I : J;
  const out = emptyBfp(rows, cols, st.k);
  const at = (r: number, c: number): Acc =>
    (layout === "transposed" ? acc[c * J + r] : acc[r * J + c]) ?? accZero();
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < out.blocksPerRow; b++) {
      const blockAccs: Acc[] = [];
      for (let t = 0; t < st.k && b * st.k + t < cols; t++) blockAccs.push(at(r, b * st.k + t));
      const blk = outputBlock(blockAccs, st);
      out.scale[r * out.blocksPerRow + b] = blk.scale;
      out.q.set(blk.q, (r * out.blocksPerRow + b) * st.k);
    }
  }
  return out;
}

/** C = A . B^T with both operands blocked along the reduction axis. */
export function gemmABt(a: BfpMatrix, b: BfpMatrix, opts: GemmOptions): GemmResult {
  require_(a.cols === b.cols, `gemm: reduction lengths differ (${a.cols} vs ${b.cols})`);
  require_(a.k === b.k, `gemm: block sizes differ (${a.k} vs ${b.k})`);
  const I = a.rows;
  const J = b.rows;
  const R = a.cols;
  if (opts.outMask !== undefined) {
    require_(
      opts.outMask.length === I * J,
      `gemm: output mask has ${opts.outMask.length} bits for ${I}x${J}`,
    );
  }
  const nnzB = new Array<number>(J).fill(0);
  for (let j = 0; j < J; j++) {
    for (let c = 0; c < R; c++) if ((b.q[j * b.blocksPerRow * b.k + c] ?? 0) !== 0) nnzB[j]!++;
  }
  const nnzA = new Uint8Array(I * R);
  for (let i = 0; i < I; i++)
    for (let c = 0; c < R; c++)
      nnzA[i * R + c] = (a.q[i * a.blocksPerRow * a.k + c] ?? 0) !== 0 ? 1 : 0;

  const counters: OpCounters = {
    macsDense: I * J * R,
    macsOutputSkipped: 0,
    macsInputSkipped: 0,
    macsIssued: 0,
    macsEffectual: 0,
    outputsComputed: 0,
    outputsSkipped: 0,
  };
  const acc: Acc[] = new Array<Acc>(I * J);
  for (let i = 0; i < I; i++) {
    for (let j = 0; j < J; j++) {
      const skip = opts.outMask !== undefined && opts.outMask[i * J + j] === 0;
      if (skip) {
        acc[i * J + j] = accZero();
        counters.macsOutputSkipped += R;
        counters.outputsSkipped++;
        continue;
      }
      counters.outputsComputed++;
      const nz = nnzB[j] ?? 0;
      counters.macsIssued += nz;
      counters.macsInputSkipped += R - nz;
      for (let c = 0; c < R; c++) {
        if (nnzA[i * R + c] && (b.q[j * b.blocksPerRow * b.k + c] ?? 0) !== 0)
          counters.macsEffectual++;
      }
      acc[i * J + j] = dotRows(a, i, b, j, opts.accWidth);
    }
  }
  const out = writeOutput(acc, I, J, opts.out, opts.layout);
  return { out, acc, counters };
}

export interface LayerNumerics {
  k: number;
  rounding: Rounding;
  accWidth: number;
}

/** FP: Y = W . X. w: M x K (blocks along K); xT: N x K. Returns Y^T (N x M, blocks along M). */
export function forward(
  w: BfpMatrix,
  xT: BfpMatrix,
  num: LayerNumerics,
  opts: { relu: boolean; threshold?: Threshold },
): GemmResult {
  return gemmABt(w, xT, {
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

/**
 * BP: dX = (W^T . dY) (*) mask. wT: K x M (blocks along M); dyT: N x M (blocks along M);
 * maskT: the ReLU mask of X as stored, N x K row-major (omit to compute every output).
 * Returns dX^T (N x K, blocks along K).
 */
export function backward(
  wT: BfpMatrix,
  dyT: BfpMatrix,
  num: LayerNumerics,
  opts: { maskT?: Uint8Array; threshold?: Threshold },
): GemmResult {
  const K = wT.rows;
  const N = dyT.rows;
  let outMask: Uint8Array | undefined;
  if (opts.maskT !== undefined) {
    require_(
      opts.maskT.length === N * K,
      `backward: mask has ${opts.maskT.length} bits for ${N}x${K}`,
    );
    outMask = new Uint8Array(K * N);
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) outMask[k * N + n] = opts.maskT[n * K + k] ?? 0;
  }
  return gemmABt(wT, dyT, {
    accWidth: num.accWidth,
    layout: "transposed",
    out: {
      relu: false,
      threshold: opts.threshold ?? THRESHOLD_OFF,
      rounding: num.rounding,
      k: num.k,
    },
    ...(outMask === undefined ? {} : { outMask }),
  });
}

/** WG: dW = dY . X^T. dy: M x N (blocks along N); x: K x N (blocks along N). Returns dW (M x K). */
export function weightGradient(dy: BfpMatrix, x: BfpMatrix, num: LayerNumerics): GemmResult {
  return gemmABt(dy, x, {
    accWidth: num.accWidth,
    layout: "direct",
    out: { relu: false, threshold: THRESHOLD_OFF, rounding: num.rounding, k: num.k },
  });
}
