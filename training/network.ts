/**
 * The networks (an MLP and a small CNN) and one training step, written once against an
 * Engine<T> so the FP32 baseline and the BFP8 runs share every line of layer code.
 *
 * Every layer is one GEMM per training step and kind (FP, BP, WG), in the shapes of
 * generator/model/gemm.ts; the host only rearranges stored values (lowering, transposes) and runs
 * the softmax/loss. Tensors are stored as the GEMMs write them: an FC output is N x features, a
 * convolution output is (N * H * W) x C (one row per pixel, blocks along the channels), so a
 * tensor's values in row-major order are always N, H, W, C.
 *
 * Convolution lowering (stride s, padding p, kernel kh x kw, no bias):
 *   FP  Y^T = forward(W, Xcol^T): Xcol^T is im2col of X, one row per output pixel, columns
 *       (ky, kx, ci) with ci fastest; W is Cout x (kh kw Cin) in the same column order.
 *   WG  dW = weightGradient(dY, Xcol): dY is Cout x (N Ho Wo) and Xcol (kh kw Cin) x (N Ho Wo), both
 *       re-blocked along the pixels.
 *   BP  dX is a transposed convolution. It is split into s x s phases by input pixel parity,
 *       (y + p) mod s and (x + p) mod s: the input pixels of one phase receive exactly the taps
 *       ky = (y + p) mod s (mod s), kx likewise, from output pixel ((y + p - ky) / s, (x + p - kx) / s),
 *       so each phase is a dense stride-1 gather with no inserted zeros. Per phase:
 *       dX_phase^T = backward(W_phase, dYcol_phase^T, mask_phase), W_phase = Cin x (taps Cout)
 *       taken from the stored W, dYcol_phase one row per input pixel of the phase with columns
 *       (tap, co). The phases' output rows are whole stored rows (blocks along Cin), so they are
 *       assembled into dX^T exactly. Only taps that fall outside the output (the image border)
 *       are structural zeros; they are skipped as zeros of the streamed operand.
 * Pooling is not used: downsampling is done by stride-2 convolutions, so there is no host layer.
 */
import type { OpCounters } from "../generator/model/gemm.ts";
import { Rng } from "../generator/model/rng.ts";
import type { Threshold } from "../generator/model/sparsity.ts";
import { CLASSES, IMAGE_SIDE } from "./data.ts";
import type { Engine, Stored } from "./engine.ts";

export interface Shape {
  h: number;
  w: number;
  c: number;
}

export type LayerSpec =
  | { kind: "conv"; name: string; out: number; kernel: number; stride: number; pad: number }
  | { kind: "fc"; name: string; out: number };

export type ModelName = "mlp" | "cnn" | "mlp14";

export const MODELS: Readonly<Record<ModelName, readonly LayerSpec[]>> = {
  mlp: [
    { kind: "fc", name: "fc1", out: 128 },
    { kind: "fc", name: "fc2", out: 64 },
    { kind: "fc", name: "fc3", out: CLASSES },
  ],
  // 14 x 14 (2 x 2 average-pooled) digits: every reduction (196, 64 inputs; the batch in WG)
  // fits the default preset's lane RAMs, so the whole step runs on the processor
  mlp14: [
    { kind: "fc", name: "fc1", out: 64 },
    { kind: "fc", name: "fc2", out: CLASSES },
  ],
  cnn: [
    { kind: "conv", name: "conv1", out: 32, kernel: 5, stride: 2, pad: 2 },
    { kind: "conv", name: "conv2", out: 16, kernel: 3, stride: 2, pad: 1 },
    { kind: "fc", name: "fc3", out: CLASSES },
  ],
};

/** One BP phase of a convolution (see the file comment). */
interface Phase {
  /** Input pixel (y * W + x) of each phase row, per image. */
  pix: Int32Array;
  /** Kernel tap (ky * kw + kx) of each phase column group. */
  taps: Int32Array;
  /** Output pixel (oy * Wo + ox) feeding row r through tap t at [r * taps + t], or -1. */
  src: Int32Array;
}

export interface Layer {
  spec: LayerSpec;
  inShape: Shape;
  outShape: Shape;
  /** Output features per position (Cout, or FC outputs). */
  M: number;
  /** Reduction length (kh kw Cin, or FC inputs). */
  K: number;
  /** ReLU after the GEMM (every layer but the last). */
  relu: boolean;
  /** FP32 master weights, M x K. */
  w: Float32Array;
  /** SGD momentum buffer, M x K. */
  vel: Float32Array;
  phases: Phase[];
}

function convOut(n: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((n + 2 * pad - kernel) / stride) + 1;
}

function convPhases(inS: Shape, outS: Shape, ks: number, s: number, p: number): Phase[] {
  const phases: Phase[] = [];
  for (let ry = 0; ry < s; ry++)
    for (let rx = 0; rx < s; rx++) {
      const ys: number[] = [];
      const xs: number[] = [];
      for (let y = 0; y < inS.h; y++) if ((y + p) % s === ry) ys.push(y);
      for (let x = 0; x < inS.w; x++) if ((x + p) % s === rx) xs.push(x);
      const kys: number[] = [];
      const kxs: number[] = [];
      for (let ky = 0; ky < ks; ky++) if (ky % s === ry) kys.push(ky);
      for (let kx = 0; kx < ks; kx++) if (kx % s === rx) kxs.push(kx);
      if (ys.length === 0 || xs.length === 0 || kys.length === 0 || kxs.length === 0) continue;
      const taps: number[] = [];
      for (const ky of kys) for (const kx of kxs) taps.push(ky * ks + kx);
      const pix: number[] = [];
      const src: number[] = [];
      for (const y of ys)
        for (const x of xs) {
          pix.push(y * inS.w + x);
          for (const ky of kys)
            for (const kx of kxs) {
              const oy = (y + p - ky) / s;
              const ox = (x + p - kx) / s;
              const inside = oy >= 0 && oy < outS.h && ox >= 0 && ox < outS.w;
              src.push(inside ? oy * outS.w + ox : -1);
            }
        }
      phases.push({
        pix: Int32Array.from(pix),
        taps: Int32Array.from(taps),
        src: Int32Array.from(src),
      });
    }
  return phases;
}

export const MNIST_SHAPE: Shape = { h: IMAGE_SIDE, w: IMAGE_SIDE, c: 1 };

/** Average-pooling factor of each model's input digits (1: the full 28 x 28). */
export const MODEL_POOL: Readonly<Record<ModelName, number>> = { mlp: 1, cnn: 1, mlp14: 2 };

/** Build a network with He-normal initial weights from a seed. */
export function buildNetwork(
  specs: readonly LayerSpec[],
  seed: number,
  input: Shape = MNIST_SHAPE,
): Layer[] {
  const rng = new Rng(seed);
  let shape: Shape = input;
  return specs.map((spec, li) => {
    let outShape: Shape;
    let K: number;
    let phases: Phase[] = [];
    if (spec.kind === "conv") {
      outShape = {
        h: convOut(shape.h, spec.kernel, spec.stride, spec.pad),
        w: convOut(shape.w, spec.kernel, spec.stride, spec.pad),
        c: spec.out,
      };
      K = spec.kernel * spec.kernel * shape.c;
      phases = convPhases(shape, outShape, spec.kernel, spec.stride, spec.pad);
    } else {
      outShape = { h: 1, w: 1, c: spec.out };
      K = shape.h * shape.w * shape.c;
    }
    const M = spec.out;
    const w = new Float32Array(M * K);
    const std = Math.sqrt(2 / K);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
    const layer: Layer = {
      spec,
      inShape: shape,
      outShape,
      M,
      K,
      relu: li < specs.length - 1,
      w,
      vel: new Float32Array(M * K),
      phases,
    };
    shape = outShape;
    return layer;
  });
}

/** Number of values of one sample of a shape. */
export function shapeSize(s: Shape): number {
  return s.h * s.w * s.c;
}

/** im2col: n x (h w c) NHWC -> (n ho wo) x (kh kw c), columns (ky, kx, ci). */
export function im2col(x: Float64Array, n: number, l: Layer): Float64Array {
  if (l.spec.kind !== "conv") throw new Error("im2col on an FC layer");
  const { kernel: ks, stride: s, pad: p } = l.spec;
  const { h, w, c } = l.inShape;
  const { h: ho, w: wo } = l.outShape;
  const out = new Float64Array(n * ho * wo * l.K);
  let o = 0;
  for (let img = 0; img < n; img++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let ky = 0; ky < ks; ky++) {
          const y = oy * s - p + ky;
          for (let kx = 0; kx < ks; kx++) {
            const xx = ox * s - p + kx;
            if (y >= 0 && y < h && xx >= 0 && xx < w) {
              const src = ((img * h + y) * w + xx) * c;
              for (let ci = 0; ci < c; ci++) out[o + ci] = x[src + ci]!;
            }
            o += c;
          }
        }
  return out;
}

export function transposeHost(d: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(d.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = d[r * cols + c]!;
  return out;
}

/** What one layer did in one step: the stored tensors it read and wrote and its GEMM counters. */
export interface LayerStep<T> {
  /** Input as stored (the previous layer's output, or the quantized images). */
  x: T;
  /** Output as written by FP. */
  y: T;
  /** Weights as stored for this step. */
  wq: T;
  /** Error gradient of the output, as read by BP and WG. */
  dy?: T;
  /** Error gradient of the input, as written by BP (absent for the first layer). */
  dx?: T;
  /** Weight gradient as written by WG. */
  dw?: T;
  fp: OpCounters;
  bp?: OpCounters;
  wg?: OpCounters;
}

interface Tape<T> {
  n: number;
  steps: LayerStep<T>[];
  /** Per layer: the FC operand X^T, or the conv im2col values (reused by WG). */
  operand: (T | Float64Array)[];
}

export function zeroCounters(): OpCounters {
  return {
    macsDense: 0,
    macsOutputSkipped: 0,
    macsInputSkipped: 0,
    macsIssued: 0,
    macsEffectual: 0,
    outputsComputed: 0,
    outputsSkipped: 0,
  };
}

export function addCounters(into: OpCounters, c: OpCounters): void {
  for (const key of Object.keys(into) as (keyof OpCounters)[]) into[key] += c[key];
}

/** A network bound to an engine. */
export class Net<T extends Stored> {
  constructor(
    readonly layers: Layer[],
    readonly eng: Engine<T>,
  ) {}

  /** T with the given shape: the stored tensor itself, or re-blocked when its rows differ. */
  private asRows(t: T, rows: number, cols: number): T {
    if (t.rows === rows && t.cols === cols) return t;
    return this.eng.pack(this.eng.unpack(t), rows, cols);
  }

  /**
   * FP through every layer. images: n x (input size). actThresholds[l] applies to layer l's output (the
   * last layer's logits are never thresholded). Returns the logits (n x 10) and the tape.
   */
  forward(
    images: Float32Array | Float64Array,
    n: number,
    actThresholds: readonly Threshold[],
  ): { logits: Float64Array; tape: Tape<T> } {
    const eng = this.eng;
    let x = eng.pack(images, n, shapeSize(this.layers[0]!.inShape));
    const steps: LayerStep<T>[] = [];
    const operand: (T | Float64Array)[] = [];
    this.layers.forEach((l, li) => {
      const wq = eng.pack(l.w, l.M, l.K);
      const th = l.relu ? (actThresholds[li] ?? { tm: 0, te: 0 }) : { tm: 0, te: 0 };
      let y: T;
      let fp: OpCounters;
      if (l.spec.kind === "conv") {
        const cols = im2col(eng.unpack(x), n, l);
        const rows = n * l.outShape.h * l.outShape.w;
        const r = eng.forward(wq, eng.pack(cols, rows, l.K), l.relu, th);
        y = r.out;
        fp = r.counters;
        operand.push(cols);
      } else {
        const xT = this.asRows(x, n, l.K);
        const r = eng.forward(wq, xT, l.relu, th);
        y = r.out;
        fp = r.counters;
        operand.push(xT);
      }
      steps.push({ x, y, wq, fp });
      x = y;
    });
    const logits = eng.unpack(x);
    return { logits, tape: { n, steps, operand } };
  }

  /**
   * BP and WG through every layer, last to first. dLogitsT: n x 10 loss gradient (host).
   * gradThresholds[l] applies to the error gradient of layer l's output (written by the BP of
   * layer l + 1). Returns the weight gradients (M x K each) and fills the tape's steps.
   */
  backward(
    tape: Tape<T>,
    dLogitsT: Float64Array,
    gradThresholds: readonly Threshold[],
  ): Float64Array[] {
    const eng = this.eng;
    const n = tape.n;
    const L = this.layers.length;
    const dws: Float64Array[] = new Array<Float64Array>(L);
    let dy = eng.pack(dLogitsT, n, this.layers[L - 1]!.M);
    for (let li = L - 1; li >= 0; li--) {
      const l = this.layers[li]!;
      const st = tape.steps[li]!;
      st.dy = dy;
      const positions = l.outShape.h * l.outShape.w;
      const rowsOut = n * positions;
      // WG
      const dyVals = eng.unpack(dy); // (n positions) x M in NHWC order
      const dyM = eng.pack(transposeHost(dyVals, rowsOut, l.M), l.M, rowsOut);
      let xK: T;
      const op = tape.operand[li]!;
      if (op instanceof Float64Array) xK = eng.pack(transposeHost(op, rowsOut, l.K), l.K, rowsOut);
      else xK = eng.transpose(op);
      const wg = eng.weightGradient(dyM, xK);
      st.wg = wg.counters;
      st.dw = wg.out;
      dws[li] = eng.unpack(wg.out);
      if (li === 0) break;
      // BP: the gradient of the previous layer's output, masked by its ReLU mask
      const th = gradThresholds[li - 1] ?? { tm: 0, te: 0 };
      const maskX = eng.mask(st.x);
      if (l.spec.kind === "fc") {
        const wT = eng.transpose(st.wq);
        const r = eng.backward(wT, this.asRows(dy, n, l.M), maskX, th);
        st.bp = r.counters;
        dy = r.out;
      } else {
        const r = this.convBackward(l, st.wq, dyVals, maskX, n, th);
        st.bp = r.counters;
        dy = r.out;
      }
      st.dx = dy;
    }
    return dws;
  }

  private convBackward(
    l: Layer,
    wq: T,
    dyVals: Float64Array,
    maskX: Uint8Array,
    n: number,
    th: Threshold,
  ): { out: T; counters: OpCounters } {
    const eng = this.eng;
    const { h, w, c: cin } = l.inShape;
    const cout = l.M;
    const positionsOut = l.outShape.h * l.outShape.w;
    const wVals = eng.unpack(wq); // cout x (kh kw cin)
    const counters = zeroCounters();
    const parts: { t: T; rows: Int32Array }[] = [];
    for (const ph of l.phases) {
      const T = ph.taps.length;
      const R = T * cout;
      const rpi = ph.pix.length;
      const rows = n * rpi;
      // W_phase: cin x (tap, co)
      const wp = new Float64Array(cin * R);
      for (let ci = 0; ci < cin; ci++)
        for (let t = 0; t < T; t++)
          for (let co = 0; co < cout; co++)
            wp[ci * R + t * cout + co] = wVals[co * l.K + ph.taps[t]! * cin + ci]!;
      // dYcol_phase: one row per input pixel of the phase, columns (tap, co)
      const dyc = new Float64Array(rows * R);
      const mk = new Uint8Array(rows * cin);
      const idx = new Int32Array(rows);
      for (let img = 0; img < n; img++)
        for (let r = 0; r < rpi; r++) {
          const row = img * rpi + r;
          for (let t = 0; t < T; t++) {
            const o = ph.src[r * T + t]!;
            if (o < 0) continue;
            const from = (img * positionsOut + o) * cout;
            dyc.set(dyVals.subarray(from, from + cout), row * R + t * cout);
          }
          const px = img * h * w + ph.pix[r]!;
          idx[row] = px;
          mk.set(maskX.subarray(px * cin, (px + 1) * cin), row * cin);
        }
      const res = eng.backward(eng.pack(wp, cin, R), eng.pack(dyc, rows, R), mk, th);
      addCounters(counters, res.counters);
      parts.push({ t: res.out, rows: idx });
    }
    return { out: eng.gatherRows(parts, n * h * w, cin), counters };
  }
}

/**
 * Softmax cross-entropy on the host. logits: n x 10. Returns the mean loss, the number of correct
 * predictions and dLoss/dlogits = (softmax - onehot) / n, rounded to float32.
 */
export function softmaxLoss(
  logits: Float64Array,
  labels: ArrayLike<number>,
  n: number,
): { loss: number; correct: number; grad: Float64Array } {
  const grad = new Float64Array(n * CLASSES);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const o = i * CLASSES;
    let mx = -Infinity;
    let arg = 0;
    for (let c = 0; c < CLASSES; c++) {
      const v = logits[o + c]!;
      if (v > mx) {
        mx = v;
        arg = c;
      }
    }
    const label = labels[i]!;
    if (arg === label) correct++;
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) sum += Math.exp(logits[o + c]! - mx);
    loss += Math.log(sum) - (logits[o + label]! - mx);
    for (let c = 0; c < CLASSES; c++) {
      const p = Math.exp(logits[o + c]! - mx) / sum;
      grad[o + c] = Math.fround((p - (c === label ? 1 : 0)) / n);
    }
  }
  return { loss: loss / n, correct, grad };
}

/** Prediction correctness only (evaluation). */
export function countCorrect(logits: Float64Array, labels: ArrayLike<number>, n: number): number {
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let arg = 0;
    for (let c = 1; c < CLASSES; c++)
      if (logits[i * CLASSES + c]! > logits[i * CLASSES + arg]!) arg = c;
    if (arg === labels[i]) correct++;
  }
  return correct;
}

/** SGD with momentum on the FP32 master weights: v = mu v + dW; w -= lr v. */
export function sgdUpdate(l: Layer, dw: Float64Array, lr: number, momentum: number): void {
  const w = l.w;
  const v = l.vel;
  for (let i = 0; i < w.length; i++) {
    const vi = Math.fround(momentum * v[i]! + dw[i]!);
    v[i] = vi;
    w[i] = w[i]! - lr * vi;
  }
}
