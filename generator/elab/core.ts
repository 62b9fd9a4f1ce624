/**
 * Elaboration of the compute core: the output lanes, buffer geometries and every width of the
 * core, the requantizer and the MAC lanes, computed once from the description.
 */
import type { ResolvedDescription } from "../dsl/description.ts";
import { countBits } from "./dma.ts";
import { type ModuleInstance, type PeParams, balancedTree } from "./elaborate.ts";

const log2 = (x: number): number => Math.round(Math.log2(x));
const clog2 = (x: number): number => Math.max(1, Math.ceil(Math.log2(x)));

export interface RequantParams {
  k: number;
  accW: number;
  rounding: "nearest" | "even";
  even: boolean;
  kAccBits: number;
  kExpBits: number;
  kBits: number;
  tagW: number;
  lopW: number;
  lMax: number;
  /** accW + 1: the right shift beyond which every bit is gone. */
  accWp1: number;
  /** Width of a right shift amount 0..accW. */
  rsW: number;
  idx: number[];
  maxTree: { out: string; a: string; b: string }[];
  maxRoot: string;
  /** Element indices from the highest: the order of the template's concatenations. */
  revIdx: number[];
  /** Elements re-quantized a cycle (array.requantElems); below k the stage is serial. */
  p: number;
  pAccBits: number;
  pExpBits: number;
  /** Serial form: width of the code shift r = n + 6, clog2(accW + 8). */
  xrW: number;
  serial: boolean;
  /** Serial form only: steps a pass (k / p), cycles a block (2 k / p + 3), step index width, last step. */
  ns?: number;
  blkCycles?: number;
  stW?: number;
  nsLast?: number;
  pIdx?: number[];
  revPIdx?: number[];
  stepTree?: { out: string; a: string; b: string }[];
  stepRoot?: string;
}

/**
 * Cycles the output stage takes per block: 1 for the block-a-cycle pipeline, 2 k / p + 3 for the
 * serial form (a scale pass and a code pass of k / p steps, two derive steps between them, and the
 * last step leaving the pipeline).
 */
export const requantCycles = (k: number, p: number): number => (p < k ? (2 * k) / p + 3 : 1);

export function requantParams(
  k: number,
  accW: number,
  rounding: "nearest" | "even",
  tagW: number,
  p: number = k,
): RequantParams {
  const idx = Array.from({ length: k }, (_, i) => i);
  const rev = [...idx].reverse();
  const tree = balancedTree(k, "mx");
  // serial form: p elements a step, k / p steps a pass
  const pIdx = Array.from({ length: p }, (_, i) => i);
  const step = balancedTree(p, "mx");
  const ns = k / p;
  return {
    k,
    accW,
    rounding,
    even: rounding === "even",
    kAccBits: k * accW,
    kExpBits: k * 9,
    kBits: k * 8,
    pAccBits: p * accW,
    pExpBits: p * 9,
    xrW: Math.ceil(Math.log2(accW + 8)),
    tagW,
    lopW: Math.ceil(Math.log2(accW + 1)),
    lMax: accW - 1 + 508,
    accWp1: accW + 1,
    rsW: Math.ceil(Math.log2(accW + 1)),
    idx,
    maxTree: tree.nodes,
    maxRoot: tree.root,
    revIdx: rev,
    p,
    serial: p < k,
    ...(p < k
      ? {
          ns,
          blkCycles: requantCycles(k, p),
          stW: clog2(ns),
          nsLast: ns - 1,
          pIdx,
          revPIdx: [...pIdx].reverse(),
          stepTree: step.nodes,
          stepRoot: step.root,
        }
      : {}),
  };
}

/** The compute core's geometry (see docs/compute-core.md). */
export interface CoreParams {
  /** Output lanes (rows of the A tile computed at once): rows x cols. */
  T: number;
  /** Passes over a row of B (array.macPasses): each MAC unit computes that many output lanes. */
  passes: number;
  /** MAC units: T / passes; unit u computes lanes u, u + TP, u + 2 TP, ... */
  TP: number;
  /** log2(TP), log2(passes) (0 for one) */
  tpLog: number;
  psLog: number;
  k: number;
  kLog: number;
  accW: number;
  /** Bus bytes: reduction elements per lane-RAM word. */
  BB: number;
  bbLog: number;
  bbLogW: number;
  /** Lane-RAM word width in bits. */
  WB: number;
  /** Longest reduction a tile holds: weightBytes / (2 T) (two tiles, double-buffered). */
  rMax: number;
  rW: number;
  aWords: number;
  aWordW: number;
  blkMax: number;
  blkW: number;
  /** B entries the input buffer holds (4 bytes each): inputBytes / 4. */
  eDepth: number;
  eW: number;
  /** Entry-count field of a row-table word. */
  cntEW: number;
  /** Width of the job's counters (MACs, skipped outputs): countBits (dma.ts), modular. */
  cntW: number;
  entryW: number;
  /** Row-table word: {count, first}. */
  rpW: number;
  /**
   * Rows of B per tile: outputBytes * 8 / T (the mask RAM holds T bits a row), and at most
   * outputBytes / k: no job has more rows, as its J x ceil(I / k) output blocks must fit the
   * output buffer's outputBytes / k.
   */
  jMax: number;
  jW: number;
  /** Output blocks per row: T / k. */
  nOutBlk: number;
  /** Index of the last output block of a row. */
  nbLast: number;
  obW: number;
  laneW: number;
  kAccBits: number;
  kBits: number;
}

export function coreParams(d: ResolvedDescription): CoreParams {
  const T = d.array.rows * d.array.cols;
  const k = d.numerics.blockSize;
  const BB = d.dma.dataWidth / 8;
  // the lane RAMs hold two tiles (double buffering): weightBytes = 2 x T x rMax
  const rMax = d.buffers.weightBytes / (2 * T);
  const eDepth = d.buffers.inputBytes / 4;
  const jMax = Math.min((d.buffers.outputBytes * 8) / T, d.buffers.outputBytes / k);
  const rW = log2(rMax);
  const eW = log2(eDepth);
  const cntEW = eW + 1;
  const nOutBlk = T / k;
  const passes = d.array.macPasses;
  return {
    T,
    passes,
    TP: T / passes,
    tpLog: log2(T / passes),
    psLog: log2(passes),
    k,
    kLog: log2(k),
    accW: d.numerics.accWidth,
    BB,
    bbLog: log2(BB),
    bbLogW: clog2(BB),
    WB: BB * 8,
    rMax,
    rW,
    aWords: rMax / BB,
    aWordW: log2(rMax / BB),
    blkMax: rMax / k,
    blkW: log2(rMax / k),
    eDepth,
    eW,
    cntEW,
    entryW: 18 + rW,
    rpW: cntEW + eW,
    jMax,
    jW: log2(jMax),
    nOutBlk,
    nbLast: nOutBlk - 1,
    obW: clog2(nOutBlk),
    laneW: clog2(T),
    kAccBits: k * d.numerics.accWidth,
    kBits: k * 8,
    // the job's counters: counted modulo the PERF_* counters' width, at most 48 bits
    cntW: countBits(d),
  };
}

/**
 * Bits of one lane-queue item of the per-lane schedule: a word of `sW` B entries, its first and
 * last slot, and the masked rows that come before it (0..jMax).
 */
export function laneItemBits(core: CoreParams, sW: number): number {
  return sW * core.entryW + 2 * log2(sW) + core.jW + 1;
}

/** Bits of one lane result: {masked rows before it (0..jMax), NaN, exponent[9], accumulator}. */
export const laneResultBits = (core: CoreParams): number => core.accW + 10 + core.jW + 1;

/**
 * Widths of the core's job counters, the bits each count can reach in any job (the ports stay
 * cntW wide, zero-extended): a job has at most 2^(jW+1) rows (the row counter wraps), each with
 * at most T skipped outputs (T <= 2^laneW) and one all-masked flag; with the shared schedule a
 * pass issues at most 2^cntEW entries (a count of 0 wraps), each a MAC per computed lane, so at
 * most 2^(jW+1+cntEW+laneW) MACs. The per-lane writer follows row-last flags, which bound
 * nothing, so its MAC count keeps cntW bits.
 */
export function counterWidths(
  core: CoreParams,
  perLane: boolean,
): { macW: number; oskW: number; rskW: number } {
  const rowsLog = core.jW + 1;
  return {
    macW: perLane ? core.cntW : Math.min(core.cntW, rowsLog + core.cntEW + core.laneW + 1),
    oskW: Math.min(core.cntW, rowsLog + core.laneW + 1),
    rskW: Math.min(core.cntW, rowsLog + 1),
  };
}

/** Roles of the modules that make up the compute core (the files a core testbench compiles). */
export const CORE_ROLES: readonly string[] = [
  "core",
  "core_mac",
  "sdp_ram",
  "requant",
  "lane_queue",
];

/** Module instances of the compute core: MAC lane, RAM, requantizer, core. */
export function coreModules(
  d: ResolvedDescription,
  core: CoreParams,
  mac: PeParams,
  macDoc: string,
): ModuleInstance[] {
  const p = d.name;
  // the output stage's tag is the block only: rows leave in order, so the core counts them
  const rq = requantParams(core.k, core.accW, d.numerics.rounding, core.obW, d.array.requantElems);
  const names = {
    mac: `${p}_core_mac`,
    sdpRam: `${p}_sdp_ram`,
    requant: `${p}_bfp8_requant`,
    queue: `${p}_lane_queue`,
  };
  const perLane = d.array.schedule === "per-lane";
  const sW = d.array.streamEntries;
  const cw = counterWidths(core, perLane);
  const queue: ModuleInstance[] = perLane
    ? [
        {
          role: "lane_queue",
          module: names.queue,
          template: "lane_queue.v.hbs",
          file: `${names.queue}.v`,
          doc: "Lane queue of the compute core: first-word-fall-through FIFO on a block RAM",
          params: { sdpRam: names.sdpRam },
        },
      ]
    : [];
  return [
    {
      role: "core_mac",
      module: names.mac,
      template: "bfp8_dot_pe.v.hbs",
      file: `${names.mac}.v`,
      doc: `MAC lane of the compute core (${macDoc})`,
      params: { ...mac },
    },
    {
      role: "sdp_ram",
      module: names.sdpRam,
      template: "sdp_ram.v.hbs",
      file: `${names.sdpRam}.v`,
      doc: "Simple dual-port RAM (inferable block RAM)",
      params: {},
    },
    {
      role: "requant",
      module: names.requant,
      template: "bfp8_requant.v.hbs",
      file: `${names.requant}.v`,
      doc: `Output stage: ReLU, BFP8 re-quantization of ${core.k} accumulators ${rq.serial ? `(${rq.p} a cycle, ${requantCycles(core.k, rq.p)} cycles a block)` : "(a block a cycle)"}, sparsity-scaling threshold`,
      params: { ...rq },
    },
    ...queue,
    {
      role: "core",
      module: `${p}_compute_core`,
      template: "compute_core.v.hbs",
      file: `${p}_compute_core.v`,
      doc: `Compute core: ${core.T} BFP8 MAC lanes (${d.array.rows}x${d.array.cols})${core.passes > 1 ? ` on ${core.TP} MAC units (${core.passes} passes a row)` : ""}, ${perLane ? `a schedule per lane (${sW} B entries a cycle, queues of ${d.array.laneQueue})` : "one shared schedule"}, input zero skipping, output skipping, output stage; reduction up to ${core.rMax}, ${core.jMax} B rows and ${core.eDepth} B non-zeros per tile`,
      params: {
        ...core,
        ...names,
        inputSkipping: d.features.inputSkipping,
        // the job's counters in the bits their counts reach (counterWidths)
        cntMacW: cw.macW,
        cntOskW: cw.oskW,
        cntRskW: cw.rskW,
        cntMacPad: core.cntW - cw.macW,
        cntOskPad: core.cntW - cw.oskW,
        cntRskPad: core.cntW - cw.rskW,
        perLane,
        // per-lane schedule: the B entries in sW banks, one word of sW entries read a cycle
        sW,
        sLog: log2(sW),
        eDepthW: core.eDepth / sW,
        laneQueue: d.array.laneQueue,
        laneQueueW: log2(d.array.laneQueue),
        queueItemW: laneItemBits(core, sW),
        queueResultW: laneResultBits(core),
        // two banks of the A tile and the output mask (load one while the other computes); a
        // MAC unit's RAMs hold the A rows of all its lanes (one per pass)
        multiPass: core.passes > 1,
        // the output stage: serial (the result register rotates each block by rqP elements a
        // step) or a block a cycle; one output block a row needs no block multiplexer
        rqSerial: rq.serial,
        rqP: rq.p,
        rqPAccBits: rq.pAccBits,
        rqPExpBits: rq.pExpBits,
        oneOutBlk: core.nOutBlk === 1,
        onePhys: core.TP === 1,
        // one MAC unit, one output block a row, a serial output stage of one element a step: the
        // row's results are a RAM the output stage reads an element a step (no rotating register)
        resRam: core.TP === 1 && core.nOutBlk === 1 && rq.serial && rq.p === 1,
        aWords2: 2 * core.passes * core.aWords,
        aRamW: core.aWordW + 1 + core.psLog,
        blkMax2: 2 * core.passes * core.blkMax,
        asRamW: core.blkW + 1 + core.psLog,
        jMax2: 2 * core.jMax,
      },
    },
  ];
}
