/**
 * Jobs for the compute core, computed by the golden model, and the files the generated
 * testbench reads (prog.hex, expect.hex, counters.hex).
 *
 * A job is one tile: C = A . B^T with A (I x R, I <= T lanes) and B (J x R), through the output
 * stage (ReLU, threshold, BP output mask), written as C^T (J x I, blocks along I). The three
 * training steps differ in where A and B come from (see `trainingOperands`).
 */
import type { CoreParams } from "../generator/elab/core.ts";
import {
  type BfpMatrix,
  type Rounding,
  SCALE_NAN,
  quantizeMatrix,
  transposeReblock,
} from "../generator/model/bfp8.ts";
import { type GemmResult, gemmABt } from "../generator/model/gemm.ts";
import { Rng } from "../generator/model/rng.ts";
import {
  type Threshold,
  THRESHOLD_OFF,
  thresholdForSparsity,
} from "../generator/model/sparsity.ts";

export type Step = "fp" | "bp" | "wg";

export interface CoreJob {
  kind: string;
  step: Step;
  a: BfpMatrix;
  b: BfpMatrix;
  relu: boolean;
  threshold: Threshold;
  /** Output mask, I x J row-major (BP output skipping). */
  outMask?: Uint8Array;
  /** Store every element of B, zeros included: the dense baseline (input skipping off). */
  denseB?: boolean;
  result: GemmResult;
}

export interface JobShape {
  I: number;
  J: number;
  R: number;
  /** Density of the streamed operand B. */
  density: number;
  /** Density of the BP output mask (BP only). */
  maskDensity?: number;
  /** Value spread: exponent range of the random values. */
  spread?: number;
  /** Zeros in runs instead of independently. */
  clustered?: boolean;
}

/** A random real matrix with the given density of non-zeros (and optional clustering). */
export function randomMatrix(
  rng: Rng,
  rows: number,
  cols: number,
  density: number,
  spread = 8,
  clustered = false,
): Float64Array {
  const x = new Float64Array(rows * cols);
  let on = rng.bernoulli(density);
  for (let i = 0; i < x.length; i++) {
    if (clustered) {
      if (rng.bernoulli(0.1)) on = rng.bernoulli(density);
    } else on = rng.bernoulli(density);
    if (!on) continue;
    const mag = 2 ** (rng.float() * spread - spread / 2);
    x[i] = (rng.bernoulli(0.5) ? -1 : 1) * mag * (0.5 + rng.float());
  }
  return x;
}

/**
 * The operands of one training step as the core sees them, from real-valued layer tensors:
 *   fp: A = W (I x R), B = X^T (J x R), ReLU and threshold
 *   bp: A = W^T re-blocked along the reduction (I x R), B = dY^T (J x R), output mask, threshold
 *   wg: A = X re-blocked along the batch (I x R), B = dY re-blocked (J x R); this computes dW^T
 *       row by row, which written as C^T is dW (J x I, blocks along I), the layout of W.
 */
export function trainingOperands(
  step: Step,
  rng: Rng,
  s: JobShape,
  k: number,
  rounding: Rounding,
): { a: BfpMatrix; b: BfpMatrix } {
  const q = (x: Float64Array, r: number, c: number): BfpMatrix =>
    quantizeMatrix(x, r, c, k, rounding);
  const spread = s.spread ?? 8;
  if (step === "fp") {
    return {
      a: q(randomMatrix(rng, s.I, s.R, 1, spread), s.I, s.R),
      b: q(randomMatrix(rng, s.J, s.R, s.density, spread, s.clustered), s.J, s.R),
    };
  }
  if (step === "bp") {
    // W is stored R x I (outputs x inputs, blocks along I); BP needs W^T blocked along R.
    const w = q(randomMatrix(rng, s.R, s.I, 1, spread), s.R, s.I);
    return {
      a: transposeReblock(w, k, rounding),
      b: q(randomMatrix(rng, s.J, s.R, s.density, spread, s.clustered), s.J, s.R),
    };
  }
  // WG: X^T is stored R x I (batch x inputs) and dY^T is stored R x J (batch x outputs).
  const xT = q(randomMatrix(rng, s.R, s.I, 1, spread), s.R, s.I);
  const dyT = q(randomMatrix(rng, s.R, s.J, s.density, spread, s.clustered), s.R, s.J);
  return { a: transposeReblock(xT, k, rounding), b: transposeReblock(dyT, k, rounding) };
}

export function makeJob(
  kind: string,
  step: Step,
  a: BfpMatrix,
  b: BfpMatrix,
  accWidth: number,
  rounding: Rounding,
  opts: { relu?: boolean; threshold?: Threshold; outMask?: Uint8Array; denseB?: boolean },
): CoreJob {
  const relu = opts.relu ?? false;
  const threshold = opts.threshold ?? THRESHOLD_OFF;
  const result = gemmABt(a, b, {
    accWidth,
    layout: "transposed",
    out: { relu, threshold, rounding, k: a.k },
    ...(opts.outMask === undefined ? {} : { outMask: opts.outMask }),
  });
  return {
    kind,
    step,
    a,
    b,
    relu,
    threshold,
    ...(opts.outMask === undefined ? {} : { outMask: opts.outMask }),
    ...(opts.denseB === true ? { denseB: true } : {}),
    result,
  };
}

/** A job of one training step on random tensors of the given shape. */
export function stepJob(
  kind: string,
  step: Step,
  rng: Rng,
  s: JobShape,
  core: CoreParams,
  rounding: Rounding,
  threshold?: number,
): CoreJob {
  const { a, b } = trainingOperands(step, rng, s, core.k, rounding);
  if (step === "wg") return makeJob(kind, step, a, b, core.accW, rounding, {});
  let outMask: Uint8Array | undefined;
  if (step === "bp") {
    outMask = new Uint8Array(s.I * s.J);
    const d = s.maskDensity ?? 0.5;
    for (let i = 0; i < outMask.length; i++) outMask[i] = rng.bernoulli(d) ? 1 : 0;
  }
  let thr: Threshold = THRESHOLD_OFF;
  if (threshold !== undefined) {
    // A threshold that zeroes about the given fraction of the job's own outputs.
    const probe = makeJob(kind, step, a, b, core.accW, rounding, {
      relu: step === "fp",
      ...(outMask === undefined ? {} : { outMask }),
    });
    const vals: number[] = [];
    probe.result.acc.forEach((acc) => {
      if (acc.m !== 0 && !acc.nan) vals.push(Math.abs(acc.m * 2 ** (acc.e - 266)));
    });
    thr = thresholdForSparsity(vals, threshold);
  }
  return makeJob(kind, step, a, b, core.accW, rounding, {
    relu: step === "fp",
    threshold: thr,
    ...(outMask === undefined ? {} : { outMask }),
  });
}

/** The testbench program line: type[4] lane[16] addr[16] data[dataW]. */
export function progLine(type: number, lane: number, addr: number, data: bigint, dataW: number) {
  const v =
    (BigInt(type) << BigInt(dataW + 32)) |
    (BigInt(lane) << BigInt(dataW + 16)) |
    (BigInt(addr) << BigInt(dataW)) |
    data;
  return v.toString(16).padStart(Math.ceil((dataW + 36) / 4), "0");
}

export function dataWidth(core: CoreParams): number {
  return Math.max(core.WB, core.entryW, core.rpW, core.T, 64);
}

const byte = (x: number): bigint => BigInt(x & 0xff);

/**
 * B entries of one matrix: per row, its non-zero elements (every element of the row's length
 * when `dense`: the baseline without input skipping); empty rows get one empty entry.
 */
export function bEntries(
  b: BfpMatrix,
  core: CoreParams,
  dense = false,
): { entries: bigint[]; rows: [number, number][] } {
  const entries: bigint[] = [];
  const rows: [number, number][] = [];
  const rs = BigInt(core.rW);
  const entry = (rowLast: boolean, blkLast: boolean, r: number, sb: number, q: number): bigint =>
    ((rowLast ? 1n : 0n) << (rs + 17n)) |
    ((blkLast ? 1n : 0n) << (rs + 16n)) |
    (BigInt(r) << 16n) |
    (byte(sb) << 8n) |
    byte(q);
  for (let j = 0; j < b.rows; j++) {
    const first = entries.length;
    let nanRow = false;
    for (let blk = 0; blk < b.blocksPerRow; blk++) {
      const sb = b.scale[j * b.blocksPerRow + blk] ?? 0;
      if (sb === SCALE_NAN) nanRow = true;
      const base = (j * b.blocksPerRow + blk) * b.k;
      const nz: number[] = [];
      for (let t = 0; t < b.k; t++)
        if ((b.q[base + t] ?? 0) !== 0 || (dense && blk * b.k + t < b.cols)) nz.push(t);
      nz.forEach((t, n) =>
        entries.push(entry(false, n === nz.length - 1, blk * b.k + t, sb, b.q[base + t] ?? 0)),
      );
    }
    // An empty row is one empty beat; a row with a NaN block ends with an empty beat whose
    // scale is NaN (its product is 0, so only the NaN flag changes).
    if (entries.length === first || nanRow)
      entries.push(entry(true, true, 0, nanRow ? SCALE_NAN : 0, 0));
    else {
      const last = entries.length - 1;
      entries[last] = (entries[last] ?? 0n) | (1n << (rs + 17n));
    }
    rows.push([first, entries.length - first]);
  }
  return { entries, rows };
}

/** Check a job fits the core's buffers. */
export function fits(job: CoreJob, core: CoreParams): string | undefined {
  if (job.a.rows > core.T) return `I = ${job.a.rows} > ${core.T} lanes`;
  if (job.a.blocksPerRow * job.a.k > core.rMax) return `R = ${job.a.cols} > ${core.rMax}`;
  if (job.b.rows > core.jMax) return `J = ${job.b.rows} > ${core.jMax}`;
  return undefined;
}

export interface CoreFiles {
  prog: string[];
  expect: string[];
  counters: string[];
  /** Output blocks of all jobs. */
  blocks: number;
}

/** Program, expected blocks and expected counters for a list of jobs. */
export function coreFiles(jobs: readonly CoreJob[], core: CoreParams): CoreFiles {
  const dw = dataWidth(core);
  const prog: string[] = [];
  const expect: string[] = [];
  const counters: string[] = [];
  for (const job of jobs) {
    const why = fits(job, core);
    if (why !== undefined) throw new Error(`job ${job.kind} does not fit the core: ${why}`);
    const { a, b } = job;
    const I = a.rows;
    const J = b.rows;
    const rLen = a.blocksPerRow * a.k;
    prog.push(progLine(2, 0, 0, 0n, dw));
    for (let l = 0; l < I; l++) {
      for (let w = 0; w < Math.ceil(rLen / core.BB); w++) {
        let data = 0n;
        for (let t = 0; t < core.BB; t++)
          data |= byte(a.q[l * rLen + w * core.BB + t] ?? 0) << BigInt(8 * t);
        prog.push(progLine(0, l, w, data, dw));
      }
      for (let blk = 0; blk < a.blocksPerRow; blk++)
        prog.push(progLine(1, l, blk, byte(a.scale[l * a.blocksPerRow + blk] ?? 0), dw));
    }
    const { entries, rows } = bEntries(b, core, job.denseB === true);
    if (entries.length > core.eDepth)
      throw new Error(`job ${job.kind}: ${entries.length} B entries > ${core.eDepth}`);
    entries.forEach((e, n) => prog.push(progLine(3, 0, n, e, dw)));
    rows.forEach(([first, count], j) =>
      prog.push(progLine(4, 0, j, (BigInt(count) << BigInt(core.eW)) | BigInt(first), dw)),
    );
    if (job.outMask !== undefined) {
      for (let j = 0; j < J; j++) {
        let m = 0n;
        for (let l = 0; l < I; l++) if (job.outMask[l * J + j]) m |= 1n << BigInt(l);
        prog.push(progLine(5, 0, j, m, dw));
      }
    }
    const te = job.threshold.te & 0xff;
    const jobData =
      BigInt(J) |
      (BigInt(I) << 16n) |
      ((job.relu ? 1n : 0n) << 32n) |
      ((job.outMask !== undefined ? 1n : 0n) << 33n) |
      (BigInt(te) << 34n) |
      (BigInt(job.threshold.tm) << 42n);
    prog.push(progLine(6, 0, 0, jobData, dw));
    // Expected output: row j of C^T, blocks 0 .. T/k - 1 (blocks past I are zero blocks).
    const out = job.result.out;
    for (let j = 0; j < J; j++) {
      for (let blk = 0; blk < core.nOutBlk; blk++) {
        let v = 0n;
        if (blk < out.blocksPerRow) {
          v = byte(out.scale[j * out.blocksPerRow + blk] ?? 0) << BigInt(8 * core.k);
          for (let t = 0; t < core.k; t++)
            v |= byte(out.q[(j * out.blocksPerRow + blk) * core.k + t] ?? 0) << BigInt(8 * t);
        }
        expect.push(v.toString(16).padStart(Math.ceil((8 + 8 * core.k) / 4), "0"));
      }
    }
    const c = job.result.counters;
    // rows of B whose valid lanes are all masked (BP output skipping): the core's row counter
    let rowsSkipped = 0;
    if (job.outMask !== undefined)
      for (let j = 0; j < J; j++) {
        let any = false;
        for (let l = 0; l < I; l++) any ||= job.outMask[l * J + j] === 1;
        if (!any) rowsSkipped++;
      }
    counters.push(
      ((BigInt(rowsSkipped) << 96n) | (BigInt(c.outputsSkipped) << 48n) | BigInt(c.macsIssued))
        .toString(16)
        .padStart(36, "0"),
    );
  }
  prog.push(progLine(7, 0, 0, 0n, dw));
  return { prog, expect, counters, blocks: expect.length };
}
