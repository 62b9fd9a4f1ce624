/**
 * The processor description: what a user writes. Every field is optional except the name;
 * `resolveDefaults` fills the rest and `validate` (validate.ts) checks it. A description file is
 * a TypeScript module whose default export (or `description` export) is a ProcessorDescription.
 */
import type { Rounding } from "../model/exact.ts";
import type { CodecFormat } from "../model/codecs.ts";

export type Target = "generic" | "ice40";

export interface NumericsDesc {
  /** BFP8 block size k (elements sharing one 8-bit scale): 8, 16 or 32 (32 = OCP MXINT8). */
  blockSize?: number;
  /** Tie rule of every BFP8 quantizer: "nearest" (ties away from zero) or "even". */
  rounding?: Rounding;
  /** Accumulator width in bits, from 15 + log2(blockSize) to 48. */
  accWidth?: number;
}

export interface ArrayDesc {
  /** PE rows (outputs of A computed in parallel): power of two, 1..64. */
  rows?: number;
  /** PE columns (outputs of B computed in parallel): power of two, 1..64. */
  cols?: number;
  /** Multipliers per PE (element pairs per cycle): power of two dividing blockSize. */
  lanes?: number;
  /**
   * How the compute core's lanes take the streamed operand (docs/compute-core.md):
   * "per-lane" (each lane has its own queue of B entries, so a masked BP output costs its lane
   * one cycle and no other lane waits for it) or "shared" (every lane follows one B schedule:
   * masked outputs save MACs, not cycles; smaller).
   */
  schedule?: LaneSchedule;
  /** "per-lane": B entries read per cycle into the lane queues, power of two 2..16. */
  streamEntries?: number;
  /** "per-lane": depth of each lane's entry queue and result queue, power of two 2..64. */
  laneQueue?: number;
  /**
   * Block elements the output stage re-quantizes a cycle: power of two 1..blockSize, default
   * blockSize (a block a cycle). Below blockSize the stage is serial, smaller, and takes
   * 2 x blockSize / requantElems + 3 cycles a block (a pass for the block's scale, one for its codes).
   */
  requantElems?: number;
  /**
   * "shared" schedule only: output lanes each MAC unit computes, one pass over a row of B per
   * lane it holds; power of two 1..rows x cols, default 1. The core has rows x cols / macPasses
   * MAC units and each row of B takes macPasses passes: smaller, up to macPasses times slower.
   */
  macPasses?: number;
}

export type LaneSchedule = "shared" | "per-lane";

export interface FeaturesDesc {
  /** Skip zeros of the streamed operand (input zero skipping). */
  inputSkipping?: boolean;
  /** Skip BP outputs whose ReLU mask bit is 0. */
  outputSkipping?: boolean;
  /** Sparsity-scaling threshold in the output stage. */
  threshold?: boolean;
}

export interface CodecDesc {
  /** External format of interim tensors: "hbm" (hierarchical bit-mask), "zvc", "rle" or "dense". */
  format?: CodecFormat;
  /** hbm: grid size in elements, power of two 8..64. */
  grid?: number;
  /** hbm: mask levels, 1..3. */
  levels?: number;
  /** rle: run field width in bits, 2..8. */
  runBits?: number;
  /** Elements per frame, power of two, a multiple of blockSize and of grid^(levels-1). */
  frameElems?: number;
  /**
   * Width in bits of the word the encoder and decoder process a cycle: a power of two from 8 to
   * dma.dataWidth, default dma.dataWidth. A narrower word moves wordBits / 8 stream bytes a cycle
   * instead of a bus word, for much less logic and fewer block RAMs (the FPGA presets); the stream
   * format, with its frames padded to a bus word, is the same.
   */
  wordBits?: number;
}

export interface BuffersDesc {
  /**
   * Weight buffer size in bytes (power of two): the lane RAMs, two tiles of rows x cols rows of A
   * (one loads while the other computes), so the longest reduction is weightBytes / (2 x rows x cols).
   */
  weightBytes?: number;
  /** Activation / gradient input buffer size in bytes (power of two). */
  inputBytes?: number;
  /** Output buffer size in bytes (power of two). */
  outputBytes?: number;
}

export interface DmaDesc {
  /** AXI4 data width in bits: 32, 64 or 128. */
  dataWidth?: number;
  /**
   * AXI4 address width in bits, 17..64. Below 32 the job's address registers hold only these
   * bits (a board with on-chip memory needs few); above 32 each has a `_HI` register.
   */
  addrWidth?: number;
  /** Longest burst in beats: power of two, 1..256, and at most 4096 bytes. */
  maxBurst?: number;
  /** Outstanding transactions per direction, 1..16. */
  maxOutstanding?: number;
}

export interface RegisterFieldDesc {
  name: string;
  /** Lowest bit. */
  lsb: number;
  width: number;
  doc: string;
}

export interface RegisterDesc {
  /** Upper-case identifier. */
  name: string;
  /** "rw": host writes, hardware reads; "ro": hardware writes; "w1c": status, write one to clear. */
  access: "rw" | "ro" | "w1c";
  doc: string;
  /** Reset value (rw registers). */
  reset?: number;
  fields?: RegisterFieldDesc[];
}

export interface RegfileDesc {
  /** AXI4-Lite address width in bits, 8..16. */
  addrWidth?: number;
  /**
   * Width of the PERF_* counters in bits, 16..64, default 64. A counter counts modulo
   * 2^counterBits (it wraps); its `_HI` register exists when counterBits exceeds 32. Narrow
   * counters are for small FPGAs: 32 bits wrap after 107 s at 40 MHz.
   */
  counterBits?: number;
  /** Registers added after the standard map (user scratch/config registers). */
  extraRegisters?: RegisterDesc[];
}

export interface ProcessorDescription {
  /** Identifier: lower case letters, digits and _, starting with a letter. Prefixes module names. */
  name: string;
  target?: Target;
  numerics?: NumericsDesc;
  array?: ArrayDesc;
  features?: FeaturesDesc;
  codec?: CodecDesc;
  buffers?: BuffersDesc;
  dma?: DmaDesc;
  regfile?: RegfileDesc;
}

/** The description with every default filled in. */
export interface ResolvedDescription {
  name: string;
  target: Target;
  numerics: Required<NumericsDesc>;
  array: Required<ArrayDesc>;
  features: Required<FeaturesDesc>;
  codec: Required<CodecDesc>;
  buffers: Required<BuffersDesc>;
  dma: Required<DmaDesc>;
  regfile: { addrWidth: number; counterBits: number; extraRegisters: RegisterDesc[] };
}

export const DEFAULTS: Omit<ResolvedDescription, "name"> = {
  target: "generic",
  numerics: { blockSize: 32, rounding: "nearest", accWidth: 32 },
  array: {
    rows: 8,
    cols: 8,
    lanes: 8,
    schedule: "per-lane",
    streamEntries: 8,
    laneQueue: 32,
    requantElems: 32,
    macPasses: 1,
  },
  features: { inputSkipping: true, outputSkipping: true, threshold: true },
  codec: { format: "hbm", grid: 8, levels: 2, runBits: 4, frameElems: 512, wordBits: 64 },
  buffers: { weightBytes: 32768, inputBytes: 16384, outputBytes: 16384 },
  dma: { dataWidth: 64, addrWidth: 32, maxBurst: 16, maxOutstanding: 4 },
  regfile: { addrWidth: 8, counterBits: 64, extraRegisters: [] },
};

/** Fill defaults (no validation). */
export function resolveDefaults(d: ProcessorDescription): ResolvedDescription {
  return {
    name: d.name,
    target: d.target ?? DEFAULTS.target,
    numerics: { ...DEFAULTS.numerics, ...stripUndefined(d.numerics) },
    array: {
      ...DEFAULTS.array,
      // a block a cycle unless the description says otherwise
      requantElems: d.numerics?.blockSize ?? DEFAULTS.numerics.blockSize,
      ...stripUndefined(d.array),
    },
    features: { ...DEFAULTS.features, ...stripUndefined(d.features) },
    codec: {
      ...DEFAULTS.codec,
      // the bus width unless the description says otherwise
      wordBits: d.dma?.dataWidth ?? DEFAULTS.dma.dataWidth,
      ...stripUndefined(d.codec),
    },
    buffers: { ...DEFAULTS.buffers, ...stripUndefined(d.buffers) },
    dma: { ...DEFAULTS.dma, ...stripUndefined(d.dma) },
    regfile: {
      addrWidth: d.regfile?.addrWidth ?? DEFAULTS.regfile.addrWidth,
      counterBits: d.regfile?.counterBits ?? DEFAULTS.regfile.counterBits,
      extraRegisters: d.regfile?.extraRegisters ?? [],
    },
  };
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  if (o === undefined) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
