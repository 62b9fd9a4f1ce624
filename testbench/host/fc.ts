/**
 * Fully connected layers on the processor (docs/top.md, "The three training steps"): Y = W . X
 * with batch N, W (M x K), activations stored batch-major (X^T, N x K).
 *
 * | step | A (raw)                        | B (chunk streams)          | result                 |
 * | FP   | W (M x K)                      | X^T (N x K)                | Y^T (N x M), stream    |
 * | BP   | W^T re-blocked (K x M)         | dY^T (N x M)               | dX^T (N x K), stream   |
 * | WG   | X re-blocked along N (K x N)   | dY re-blocked (M x N)      | dW (M x K), raw        |
 *
 * Each chunk of B's rows is one job (the hardware loops over tiles of A; the host's job list
 * loops over chunks of J). The transposes of BP and WG are the golden model's
 * `transposeReblock`, done by the host.
 */
import { type BfpMatrix, quantizeMatrix, transposeReblock } from "../../generator/model/bfp8.ts";
import { type Threshold, THRESHOLD_OFF } from "../../generator/model/sparsity.ts";
import type { HostContext } from "./context.ts";
import { type Job, NO_ADDRESSES } from "./job.ts";
import { maskPitch, rawSizes } from "./layout.ts";
import type { HostSession, JobRecord, WaitMode } from "./session.ts";
import {
  type MaskTensor,
  type PlaceOptions,
  type RawTensor,
  type RowChunk,
  type StreamTensor,
  allocMask,
  allocRaw,
  allocStream,
  entriesOf,
  planChunks,
  putMask,
  putRaw,
  putStream,
} from "./tensors.ts";

/** Quantize a row-major float matrix with the processor's block size and rounding. */
export function quantize(
  ctx: HostContext,
  x: ArrayLike<number>,
  rows: number,
  cols: number,
): BfpMatrix {
  return quantizeMatrix(x, rows, cols, ctx.num.k, ctx.num.rounding);
}

/** The transposed matrix re-blocked along its new rows (W^T for BP, X and dY for WG). */
export function reblock(ctx: HostContext, m: BfpMatrix): BfpMatrix {
  return transposeReblock(m, ctx.num.k, ctx.num.rounding);
}

export type OutSpec = { kind: "stream"; tensor: StreamTensor } | { kind: "raw"; tensor: RawTensor };

export interface GemmSpec {
  label: string;
  /** A (I x R), raw. */
  a: RawTensor;
  /** B (J x R) as chunk streams: one job per chunk. */
  b: StreamTensor;
  /** The result C^T (J x I): chunk streams with B's chunking, or one raw tensor. */
  out: OutSpec;
  /** Mask of the result written with WRITE_MASK (J x I). */
  maskOut?: MaskTensor;
  /** Mask read with OUT_SKIP (J x I). */
  maskIn?: MaskTensor;
  relu?: boolean;
  threshold?: Threshold;
  /** How the host waits for each job: one mode, or cycled through per job. */
  wait?: WaitMode | readonly WaitMode[];
}

/** Submit C^T = (A . B^T)^T chunk by chunk of B's rows; output chunks get their lengths. */
export function gemmJobs(s: HostSession, g: GemmSpec): JobRecord[] {
  const { a, b } = g;
  const k = s.ctx.top.k;
  if (a.cols !== b.cols) throw new Error(`${g.label}: A has ${a.cols} columns, B ${b.cols}`);
  const I = a.rows;
  const R = a.cols;
  const out = g.out;
  if (out.tensor.rows !== b.rows || out.tensor.cols !== I)
    throw new Error(
      `${g.label}: output ${out.tensor.rows}x${out.tensor.cols}, expected ${b.rows}x${I}`,
    );
  for (const m of [g.maskOut, g.maskIn])
    if (m !== undefined && (m.rows !== b.rows || m.cols !== I))
      throw new Error(`${g.label}: mask ${m.name} is ${m.rows}x${m.cols}, expected ${b.rows}x${I}`);
  const waits =
    g.wait === undefined ? ["busy" as const] : typeof g.wait === "string" ? [g.wait] : g.wait;
  const pitch = maskPitch(I, k);
  const raw = rawSizes(1, I, k);
  return b.chunks.map((c, ci) => {
    let outAddr: number;
    let outScale = 0;
    let outMax = 0;
    let outChunk: StreamTensor["chunks"][number] | undefined;
    if (out.kind === "stream") {
      outChunk = out.tensor.chunks[ci];
      if (outChunk === undefined || outChunk.row0 !== c.row0 || outChunk.rows !== c.rows)
        throw new Error(`${g.label}: the output's chunks differ from B's`);
      outAddr = outChunk.region.addr;
      outMax = outChunk.region.bytes;
    } else {
      outAddr = out.tensor.codes.addr + c.row0 * raw.codePitch;
      outScale = out.tensor.scales.addr + c.row0 * raw.scalePitch;
    }
    const job: Job = {
      I,
      J: c.rows,
      R,
      relu: g.relu ?? false,
      outSkip: g.maskIn !== undefined,
      outCompressed: out.kind === "stream",
      writeMask: g.maskOut !== undefined,
      threshold: g.threshold ?? THRESHOLD_OFF,
      addr: {
        ...NO_ADDRESSES,
        a: a.codes.addr,
        aScale: a.scales.addr,
        b: c.region.addr,
        maskIn: g.maskIn === undefined ? 0 : g.maskIn.region.addr + c.row0 * pitch,
        out: outAddr,
        outScale,
        maskOut: g.maskOut === undefined ? 0 : g.maskOut.region.addr + c.row0 * pitch,
      },
      bBytes: c.bytes,
      outMax,
    };
    const slot = outChunk === undefined ? undefined : s.newSlot();
    const rec = s.job(job, {
      label: `${g.label}[${ci}]`,
      wait: waits[ci % waits.length] ?? "busy",
      ...(c.slot !== undefined && c.slot.session === s ? { bBytesSlot: c.slot.id } : {}),
      ...(slot === undefined ? {} : { outBytesSlot: slot }),
    });
    if (outChunk !== undefined) {
      outChunk.bytes = rec.golden.outBytes ?? 0;
      if (slot !== undefined) outChunk.slot = { session: s, id: slot };
    }
    return rec;
  });
}

// ------------------------------------------------------------------ the three steps

export interface FpSpec {
  label?: string;
  w: RawTensor;
  xT: StreamTensor;
  relu?: boolean;
  threshold?: Threshold;
  /** Write Y's mask (the ReLU mask BP of the next layer reads). Default: with ReLU. */
  writeMask?: boolean;
  wait?: WaitMode | readonly WaitMode[];
  place?: PlaceOptions;
}

/** FP: Y^T (N x M) = (W . X)^T as chunk streams, and its mask. */
export function fcForward(
  s: HostSession,
  f: FpSpec,
): { yT: StreamTensor; mask: MaskTensor | undefined; jobs: JobRecord[] } {
  const label = f.label ?? "fp";
  const M = f.w.rows;
  const N = f.xT.rows;
  const relu = f.relu ?? true;
  const yT = allocStream(s, `${label}.yT`, N, M, f.xT.chunks, f.place);
  const mask = (f.writeMask ?? relu) ? allocMask(s, `${label}.mask`, N, M, f.place) : undefined;
  const jobs = gemmJobs(s, {
    label,
    a: f.w,
    b: f.xT,
    out: { kind: "stream", tensor: yT },
    relu,
    ...(mask === undefined ? {} : { maskOut: mask }),
    ...(f.threshold === undefined ? {} : { threshold: f.threshold }),
    ...(f.wait === undefined ? {} : { wait: f.wait }),
  });
  return { yT, mask, jobs };
}

export interface BpSpec {
  label?: string;
  /** W^T re-blocked (K x M). */
  wT: RawTensor;
  dyT: StreamTensor;
  /** Mask of X (N x K): outputs with 0 are skipped (OUT_SKIP). */
  maskX?: MaskTensor;
  threshold?: Threshold;
  /** Write dX^T raw instead of as streams. */
  raw?: boolean;
  writeMask?: boolean;
  wait?: WaitMode | readonly WaitMode[];
  place?: PlaceOptions;
}

/** BP: dX^T (N x K) = (W^T . dY)^T, masked by X's mask. */
export function fcBackward(
  s: HostSession,
  f: BpSpec,
): { dxT: OutSpec; mask: MaskTensor | undefined; jobs: JobRecord[] } {
  const label = f.label ?? "bp";
  const K = f.wT.rows;
  const N = f.dyT.rows;
  const dxT: OutSpec =
    f.raw === true
      ? { kind: "raw", tensor: allocRaw(s, `${label}.dxT`, N, K, f.place) }
      : { kind: "stream", tensor: allocStream(s, `${label}.dxT`, N, K, f.dyT.chunks, f.place) };
  const mask = f.writeMask === true ? allocMask(s, `${label}.mask`, N, K, f.place) : undefined;
  const jobs = gemmJobs(s, {
    label,
    a: f.wT,
    b: f.dyT,
    out: dxT,
    ...(f.maskX === undefined ? {} : { maskIn: f.maskX }),
    ...(mask === undefined ? {} : { maskOut: mask }),
    ...(f.threshold === undefined ? {} : { threshold: f.threshold }),
    ...(f.wait === undefined ? {} : { wait: f.wait }),
  });
  return { dxT, mask, jobs };
}

export interface WgSpec {
  label?: string;
  /** X re-blocked along the batch (K x N). */
  x: RawTensor;
  /** dY re-blocked along the batch (M x N), chunk streams over M. */
  dy: StreamTensor;
  wait?: WaitMode | readonly WaitMode[];
  place?: PlaceOptions;
}

/** WG: dW (M x K) = dY . X^T, raw, in the layout of W. */
export function fcWeightGrad(s: HostSession, f: WgSpec): { dw: RawTensor; jobs: JobRecord[] } {
  const label = f.label ?? "wg";
  const dw = allocRaw(s, `${label}.dw`, f.dy.rows, f.x.rows, f.place);
  const jobs = gemmJobs(s, {
    label,
    a: f.x,
    b: f.dy,
    out: { kind: "raw", tensor: dw },
    ...(f.wait === undefined ? {} : { wait: f.wait }),
  });
  return { dw, jobs };
}

// ------------------------------------------------------------------ from float tensors

/** One FC layer's float tensors (row-major): W (M x K), X^T (N x K), dY^T (N x M), X's mask (N x K). */
export interface FcFloats {
  M: number;
  K: number;
  N: number;
  w: ArrayLike<number>;
  xT: ArrayLike<number>;
  dyT: ArrayLike<number>;
  /** Mask of X for BP's output skipping (N x K, 0/1; omit: no skipping). */
  maskX?: Uint8Array;
}

export interface FcStepOptions {
  label?: string;
  relu?: boolean;
  fpThreshold?: Threshold;
  bpThreshold?: Threshold;
  wait?: WaitMode | readonly WaitMode[];
  place?: PlaceOptions;
  /** Longest chunk (rows of B per job); default: as long as the buffers allow. */
  maxRows?: number;
  steps?: readonly ("fp" | "bp" | "wg")[];
}

export interface FcSteps {
  /** Quantized operands as placed. */
  w: BfpMatrix;
  xT: BfpMatrix;
  dyT: BfpMatrix;
  wT: BfpMatrix;
  x: BfpMatrix;
  dy: BfpMatrix;
  fp?: ReturnType<typeof fcForward>;
  bp?: ReturnType<typeof fcBackward>;
  wg?: ReturnType<typeof fcWeightGrad>;
}

/**
 * The three steps of one layer from float tensors, each on its own operands (not chained):
 * quantized, placed in memory (X^T and dY^T chunked for their jobs), submitted.
 */
export function fcSteps(s: HostSession, f: FcFloats, o: FcStepOptions = {}): FcSteps {
  const ctx = s.ctx;
  const label = o.label ?? "fc";
  const steps = o.steps ?? ["fp", "bp", "wg"];
  const place = o.place;
  const w = quantize(ctx, f.w, f.M, f.K);
  const xT = quantize(ctx, f.xT, f.N, f.K);
  const dyT = quantize(ctx, f.dyT, f.N, f.M);
  const wT = reblock(ctx, w);
  const x = reblock(ctx, xT);
  const dy = reblock(ctx, dyT);
  const res: FcSteps = { w, xT, dyT, wT, x, dy };
  const plan = (m: BfpMatrix, I: number): RowChunk[] =>
    planChunks(ctx, m.rows, [{ I, R: m.cols, entries: entriesOf(ctx, m) }], o.maxRows);
  const wait = o.wait === undefined ? {} : { wait: o.wait };
  const pl = place === undefined ? {} : { place };
  if (steps.includes("fp")) {
    const wt = putRaw(s, `${label}.w`, w, place);
    const xs = putStream(s, `${label}.xT`, xT, plan(xT, f.M), place);
    res.fp = fcForward(s, {
      label: `${label}.fp`,
      w: wt,
      xT: xs,
      relu: o.relu ?? true,
      ...(o.fpThreshold === undefined ? {} : { threshold: o.fpThreshold }),
      ...wait,
      ...pl,
    });
  }
  if (steps.includes("bp")) {
    const wTt = putRaw(s, `${label}.wT`, wT, place);
    const dys = putStream(s, `${label}.dyT`, dyT, plan(dyT, f.K), place);
    const maskX =
      f.maskX === undefined ? undefined : putMask(s, `${label}.maskX`, f.maskX, f.N, f.K, place);
    res.bp = fcBackward(s, {
      label: `${label}.bp`,
      wT: wTt,
      dyT: dys,
      ...(maskX === undefined ? {} : { maskX }),
      ...(o.bpThreshold === undefined ? {} : { threshold: o.bpThreshold }),
      ...wait,
      ...pl,
    });
  }
  if (steps.includes("wg")) {
    const xt = putRaw(s, `${label}.x`, x, place);
    const dys = putStream(s, `${label}.dy`, dy, plan(dy, f.K), place);
    res.wg = fcWeightGrad(s, { label: `${label}.wg`, x: xt, dy: dys, ...wait, ...pl });
  }
  return res;
}
