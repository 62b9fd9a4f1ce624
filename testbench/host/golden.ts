/**
 * The golden reference of one job, computed from the memory image the job runs on: A read in its
 * raw layout, B decoded from its stream with the golden model's codec (what the decoder
 * delivers), the OUT_SKIP mask read in its layout, then `gemmABt` through the output stage, and
 * from its result the bytes the job writes, the STATUS / IRQ_STATUS values, JOB_OUT_BYTES and
 * the counters, with the byte counts of docs/top.md.
 */
import { jobFits } from "../../generator/elab/top.ts";
import { type BfpMatrix, SCALE_NAN } from "../../generator/model/bfp8.ts";
import type { Encoded } from "../../generator/model/codecs.ts";
import { type GemmResult, gemmABt } from "../../generator/model/gemm.ts";
import { THRESHOLD_OFF } from "../../generator/model/sparsity.ts";
import type { HostContext } from "./context.ts";
import type { Job } from "./job.ts";
import {
  blocksOf,
  decodeMatrix,
  encodeMatrix,
  maskBytesOf,
  maskPitch,
  outMaskFromMaskT,
  rawBytes,
  readRaw,
  unpackMask,
} from "./layout.ts";
import type { MemImage } from "./memory.ts";

/** A write the job does: bytes at an address. */
export interface MemWrite {
  what: string;
  addr: number;
  bytes: Uint8Array;
}

/** Expected counters (undefined: not defined for this job, not checked). */
export interface JobCounters {
  macsIssued: number;
  macsSkipOut: number;
  macsSkipIn: number;
  bytesRd: number;
  bytesWr: number | undefined;
}

export interface StatusBits {
  nan: boolean;
  dmaErr: boolean;
  dmaResp: number;
  dimErr: boolean;
  bOverflow: boolean;
  bFormat: boolean;
  outOverflow: boolean;
}

export interface GoldenJob {
  job: Job;
  /** Why the dimensions do not fit (DIM_ERR: nothing is read or written). */
  dimErr: string | undefined;
  /** A as read, B as the decoder delivers it, the output mask (I x J) when OUT_SKIP. */
  a: BfpMatrix | undefined;
  b: BfpMatrix | undefined;
  outMask: Uint8Array | undefined;
  result: GemmResult | undefined;
  /** The compressed output's stream. */
  stream: Encoded | undefined;
  writes: MemWrite[];
  bits: StatusBits;
  /** STATUS after the job (BUSY clear). */
  status: number;
  /** IRQ_STATUS after the job (DONE, and ERROR when an error bit is set). */
  irqStatus: number;
  /** JOB_OUT_BYTES (the whole stream length, also on OUT_OVERFLOW; undefined when not defined: DIM_ERR, B_FORMAT, B_OVERFLOW). */
  outBytes: number | undefined;
  counters: JobCounters;
  /** B entries the B buffer holds for this B. */
  bEntries: number;
}

/** B entries of a matrix (docs/compute-core.md): non-zeros, or every element without input skipping; plus one per empty or NaN row. */
export function bEntryCount(b: BfpMatrix, inputSkipping: boolean): number {
  let n = 0;
  for (let j = 0; j < b.rows; j++) n += rowEntries(b, j, inputSkipping);
  return n;
}

export function rowEntries(b: BfpMatrix, j: number, inputSkipping: boolean): number {
  let nz = 0;
  let nan = false;
  for (let blk = 0; blk < b.blocksPerRow; blk++)
    if (b.scale[j * b.blocksPerRow + blk] === SCALE_NAN) nan = true;
  if (!inputSkipping) nz = b.cols;
  else for (let c = 0; c < b.cols; c++) if ((b.q[j * b.blocksPerRow * b.k + c] ?? 0) !== 0) nz++;
  return nz + (nz === 0 || nan ? 1 : 0);
}

export function statusValue(ctx: HostContext, s: StatusBits): number {
  const r = ctx.regs;
  const b = (on: boolean, f: string): number => (on ? r.bit("STATUS", f) : 0);
  return (
    (b(s.nan, "NAN") |
      b(s.dmaErr, "DMA_ERR") |
      r.set("STATUS", "DMA_RESP", s.dmaResp) |
      b(s.dimErr, "DIM_ERR") |
      b(s.bOverflow, "B_OVERFLOW") |
      b(s.bFormat, "B_FORMAT") |
      b(s.outOverflow, "OUT_OVERFLOW")) >>>
    0
  );
}

export function isError(s: StatusBits): boolean {
  return s.dmaErr || s.dimErr || s.bOverflow || s.bFormat || s.outOverflow;
}

export function irqStatusValue(ctx: HostContext, s: StatusBits): number {
  const r = ctx.regs;
  return (r.bit("IRQ_STATUS", "DONE") | (isError(s) ? r.bit("IRQ_STATUS", "ERROR") : 0)) >>> 0;
}

const NO_BITS: StatusBits = {
  nan: false,
  dmaErr: false,
  dmaResp: 0,
  dimErr: false,
  bOverflow: false,
  bFormat: false,
  outOverflow: false,
};

/** AXI bytes a job reads (docs/top.md, "Order of work and AXI traffic"). */
export function jobReadBytes(ctx: HostContext, j: Job, outSkip: boolean): number {
  const { T, k } = ctx.top;
  const nbR = blocksOf(j.R, k);
  let n = j.bBytes;
  for (let t = 0; t * T < j.I; t++) {
    const lanes = Math.min(T, j.I - t * T);
    n += lanes * nbR * k + lanes * nbR;
    if (outSkip) n += j.J * Math.ceil(lanes / 8);
  }
  return n;
}

/**
 * The golden reference of a job on a memory image (the image is not changed; apply `writes`),
 * with the errors of docs/top.md: DIM_ERR (nothing read or written), B_FORMAT and B_OVERFLOW (B
 * read, nothing else), OUT_OVERFLOW (the first JOB_OUT_MAX bytes of the stream written).
 */
export function goldenJob(ctx: HostContext, mem: MemImage, job: Job): GoldenJob {
  const { top } = ctx;
  const dimErr =
    jobFits(top, job.I, job.J, job.R) ??
    (job.bBytes === 0
      ? "JOB_B_BYTES = 0"
      : job.outCompressed && job.outMax === 0
        ? "OUT_COMPRESSED with JOB_OUT_MAX = 0"
        : undefined);
  const nothing = (
    bits: StatusBits,
    bytesRd: number,
    why: string,
    b?: BfpMatrix,
    entries = 0,
  ): GoldenJob => ({
    job,
    dimErr: why,
    a: undefined,
    b,
    outMask: undefined,
    result: undefined,
    stream: undefined,
    writes: [],
    bits,
    status: statusValue(ctx, bits),
    irqStatus: irqStatusValue(ctx, bits),
    outBytes: undefined,
    counters: { macsIssued: 0, macsSkipOut: 0, macsSkipIn: 0, bytesRd, bytesWr: 0 },
    bEntries: entries,
  });
  // DIM_ERR: nothing is read or written
  if (dimErr !== undefined) return nothing({ ...NO_BITS, dimErr: true }, 0, dimErr);
  const k = top.k;
  let b: BfpMatrix;
  try {
    b = decodeMatrix(mem.read(job.addr.b, job.bBytes), job.J, job.R, ctx.codec).m;
  } catch (e) {
    // B_FORMAT: B was read, nothing else
    const why = `B's stream does not decode: ${e instanceof Error ? e.message : String(e)}`;
    return { ...nothing({ ...NO_BITS, bFormat: true }, job.bBytes, why), dimErr: undefined };
  }
  const entries = bEntryCount(b, top.inputSkipping);
  // B_OVERFLOW: B was read; nothing computed or written
  if (entries > top.eDepth)
    return {
      ...nothing({ ...NO_BITS, bOverflow: true }, job.bBytes, "", b, entries),
      dimErr: undefined,
    };
  const a = readRaw(mem, job.I, job.R, k, job.addr.a, job.addr.aScale);
  const outSkip = job.outSkip && top.outputSkipping;
  let outMask: Uint8Array | undefined;
  if (outSkip) {
    const bitsT = unpackMask(
      mem.read(job.addr.maskIn, job.J * maskPitch(job.I, k)),
      job.J,
      job.I,
      k,
    );
    outMask = outMaskFromMaskT(bitsT, job.J, job.I);
  }
  const threshold = top.threshold ? job.threshold : THRESHOLD_OFF;
  const result = gemmABt(a, b, {
    accWidth: ctx.num.accWidth,
    layout: "transposed",
    out: { relu: job.relu, threshold, rounding: ctx.num.rounding, k },
    ...(outMask === undefined ? {} : { outMask }),
  });
  const out = result.out;
  const nbI = blocksOf(job.I, k);
  const writes: MemWrite[] = [];
  const bits: StatusBits = { ...NO_BITS };
  for (const s of out.scale) if (s === SCALE_NAN) bits.nan = true;
  let outBytes: number | undefined;
  let bytesWr: number | undefined;
  let stream: Encoded | undefined;
  if (job.outCompressed) {
    stream = encodeMatrix(out, ctx.codec);
    const len = stream.bytes.length;
    // JOB_OUT_BYTES is the stream's length; with OUT_OVERFLOW only JOB_OUT_MAX bytes are
    // written (and counted in PERF_BYTES_WR)
    outBytes = len;
    if (len > job.outMax) {
      bits.outOverflow = true;
      writes.push({
        what: "output stream (cut)",
        addr: job.addr.out,
        bytes: stream.bytes.slice(0, job.outMax),
      });
      bytesWr = job.outMax;
    } else {
      writes.push({ what: "output stream", addr: job.addr.out, bytes: stream.bytes });
      bytesWr = len;
    }
  } else {
    const raw = rawBytes(out);
    writes.push({ what: "output codes", addr: job.addr.out, bytes: raw.codes });
    writes.push({ what: "output scales", addr: job.addr.outScale, bytes: raw.scales });
    outBytes = job.J * nbI * k;
    bytesWr = raw.codes.length + raw.scales.length;
  }
  if (job.writeMask) {
    const m = maskBytesOf(out);
    writes.push({ what: "output mask", addr: job.addr.maskOut, bytes: m });
    if (bytesWr !== undefined) bytesWr += m.length;
  }
  const c = result.counters;
  const counters: JobCounters = top.inputSkipping
    ? {
        macsIssued: c.macsIssued,
        macsSkipOut: c.macsOutputSkipped,
        macsSkipIn: c.macsInputSkipped,
        bytesRd: jobReadBytes(ctx, job, outSkip),
        bytesWr,
      }
    : {
        // every element of B is stored and issued: R MACs per computed output
        macsIssued: c.macsIssued + c.macsInputSkipped,
        macsSkipOut: c.macsOutputSkipped,
        macsSkipIn: 0,
        bytesRd: jobReadBytes(ctx, job, outSkip),
        bytesWr,
      };
  return {
    job,
    dimErr: undefined,
    a,
    b,
    outMask,
    result,
    stream,
    writes,
    bits,
    status: statusValue(ctx, bits),
    irqStatus: irqStatusValue(ctx, bits),
    outBytes,
    counters,
    bEntries: entries,
  };
}

export function applyWrites(mem: MemImage, writes: readonly MemWrite[]): void {
  for (const w of writes) mem.write(w.addr, w.bytes);
}
