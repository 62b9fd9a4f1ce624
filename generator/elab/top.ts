/**
 * Elaboration of the processor's top level and its sequencer (docs/top.md). Every limit a job
 * must respect, and every width of the sequencer, is computed here once; the host runtime
 * (testbench/host/) and the templates (templates/top.v.hbs, templates/sequencer.v.hbs) use
 * these values and nothing else.
 */
import type { ResolvedDescription } from "../dsl/description.ts";
import { JOB_ADDRESS_BASES } from "../dsl/regmap.ts";
import type { CoreParams } from "./core.ts";
import type { ModuleInstance } from "./elaborate.ts";
import type { RegfileReg } from "./regfile.ts";

const log2 = (x: number): number => Math.round(Math.log2(x));
const clog2 = (x: number): number => (x <= 1 ? 0 : Math.ceil(Math.log2(x)));

/** Limits of one job and the sequencer's derived widths. */
export interface TopParams {
  /** Lanes: rows of A per tile. */
  T: number;
  /** Block size. */
  k: number;
  /** Bus bytes. */
  wb: number;
  /** Longest reduction R. */
  rMax: number;
  /** Most rows of B (J). */
  jMax: number;
  /** B entries the B buffer holds (non-zeros, plus one per empty or NaN row). */
  eDepth: number;
  /** Output blocks the output buffer holds: J x ceil(I / k) must not exceed it. */
  obufBlocks: number;
  /** log2(obufBlocks): output-buffer address width. */
  obufW: number;
  /** Output-buffer word: {nz mask (k), scale (8), codes (8k)}. */
  obufWordW: number;
  /** Largest I (16-bit register field). */
  iMax: number;
  /** Bus words per block of codes (k / wb) and its log2. */
  wordsPerBlock: number;
  lwpb: number;
  /** Mask bytes per block (k / 8). */
  maskBytesPerBlock: number;
  /** Input skipping, output skipping and the threshold are generated. */
  inputSkipping: boolean;
  outputSkipping: boolean;
  threshold: boolean;
}

export function topParams(d: ResolvedDescription, core: CoreParams): TopParams {
  const k = d.numerics.blockSize;
  const wb = d.dma.dataWidth / 8;
  const obufBlocks = d.buffers.outputBytes / k;
  return {
    T: core.T,
    k,
    wb,
    rMax: core.rMax,
    jMax: core.jMax,
    eDepth: core.eDepth,
    obufBlocks,
    obufW: log2(obufBlocks),
    obufWordW: 9 * k + 8,
    iMax: 65535,
    wordsPerBlock: k / wb,
    lwpb: clog2(k / wb),
    maskBytesPerBlock: k / 8,
    inputSkipping: d.features.inputSkipping,
    outputSkipping: d.features.outputSkipping,
    threshold: d.features.threshold,
  };
}

/** Bits of an unsigned value from 0 to x. */
const bitsFor = (x: number): number => {
  let b = 1;
  while (2 ** b <= x) b++;
  return b;
};

/**
 * Widths of the sequencer's job values, loop counters and products. A job that fails the check
 * (DIM_ERR) reaches no loop and no product, so each value is bounded by the job's limits: I, J
 * and R are 16-bit fields, J <= jMax, R <= rMax, and J x ceil(I / k) <= obufBlocks (so
 * I <= obufBlocks x k and I x J <= obufBlocks x k). The checks J <= jMax, R <= rMax and
 * I <= obufBlocks x k are bit tests (the limits are powers of two); `chk*` says whether a limit is
 * below 2^16, i.e. whether its check exists, and `*L` is its log2.
 */
export function sequencerWidths(p: TopParams, core: CoreParams, maskWpb: number) {
  // the JOB_DIM_* fields are 16 bits: I's limit without the output buffer (iMax) bounds J and R too
  const field = p.iMax;
  const iLim = Math.min(field, p.obufBlocks * p.k);
  const jLim = Math.min(field, p.jMax);
  const rLim = Math.min(field, p.rMax);
  const nbiLim = Math.ceil(iLim / p.k);
  const nbrLim = Math.ceil(rLim / p.k);
  const ijLim = Math.min(iLim * jLim, p.obufBlocks * p.k);
  const w = {
    /** I, J, R and the blocks of a row of the output (ceil(I / k)) and of B (ceil(R / k)) */
    IW: bitsFor(iLim),
    JCW: bitsFor(jLim),
    RCW: bitsFor(rLim),
    NBIW: bitsFor(nbiLim),
    NBRW: bitsFor(nbrLim),
    /** first row of A of a tile, and the next tile's (up to I + T - 1); wider than I */
    I0W: Math.max(bitsFor(iLim + p.T - 1), bitsFor(iLim) + 1),
    /** first output block of a tile in a row of C^T (up to ceil(I / T) x T / k), at least an output-buffer address */
    TOW: Math.max(bitsFor(Math.ceil(iLim / p.T) * core.nOutBlk), p.obufW + 1),
    /** lane-RAM word of a row of A (up to ceil(R / k) x k / wb), at least the lane-RAM address */
    AWC: Math.max(bitsFor((nbrLim * p.k) / p.wb), core.aWordW),
    /** scales: block of a row (up to ceil(R / k)); mask: byte of a row (up to T / 8); at least the scale address */
    SBW: Math.max(bitsFor(nbrLim), bitsFor(p.T / 8), core.blkW),
    /** bus word of a block's codes or mask */
    WIW: bitsFor(Math.max(p.wordsPerBlock, maskWpb)),
    /** the job's products: I x J x R (the dense MACs), J x ceil(I / k), J x ceil(R / k), skipped outputs x R */
    DNW: Math.max(
      bitsFor(ijLim * rLim),
      bitsFor(jLim * nbiLim),
      bitsFor(jLim * nbrLim),
      p.obufW + 2,
    ),
    /** elements of B: J x ceil(R / k) x k */
    EBW: bitsFor(jLim * nbrLim * p.k),
    chkI: p.obufBlocks * p.k <= field,
    IL: log2(p.obufBlocks * p.k),
    chkJ: p.jMax <= field,
    JL: log2(p.jMax),
    chkR: p.rMax <= field,
    RL: log2(p.rMax),
  };
  /** the multiplier's second operand: J, R, ceil(I / k) or ceil(R / k) */
  return { ...w, MBW: Math.max(w.JCW, w.RCW, w.NBIW, w.NBRW) };
}

/** Why a job does not fit (the sequencer's DIM_ERR), or undefined. */
export function jobFits(p: TopParams, I: number, J: number, R: number): string | undefined {
  if (!Number.isInteger(I) || I < 1 || I > p.iMax) return `I = ${I}: allowed 1..${p.iMax}`;
  if (!Number.isInteger(J) || J < 1 || J > p.jMax) return `J = ${J}: allowed 1..${p.jMax}`;
  if (!Number.isInteger(R) || R < 1 || R > p.rMax) return `R = ${R}: allowed 1..${p.rMax}`;
  const blocks = J * Math.ceil(I / p.k);
  if (blocks > p.obufBlocks)
    return `J x ceil(I / k) = ${blocks} output blocks: the output buffer holds ${p.obufBlocks}`;
  return undefined;
}

/**
 * One port connection of the register file inside the top level, as data: the template writes
 * the Verilog. `sig` is a 32-bit sequencer wire; `perf` a counter (counterBits wide), `hi` its
 * upper word, `msb:lsb` the counter bits the register holds and `pad` the zero bits above them;
 * `wire` a host-written value the top declares; `irqSet` the sequencer's interrupt pulses;
 * `zero` a constant 0 (the hardware-set bits of the description's extra registers).
 */
export interface RegConn {
  port: string;
  kind: "sig" | "perf" | "wire" | "irqSet" | "zero";
  name: string;
  hi: boolean;
  msb: number;
  lsb: number;
  pad: number;
  isSig: boolean;
  isPerf: boolean;
  isWire: boolean;
  isIrqSet: boolean;
  isZero: boolean;
}

/** A job address from its `_LO` register wire and, over 32 bits, its `_HI` one. */
export interface AddrConn {
  lo: string;
  hi: string;
  /** Highest bit of the `_HI` register that holds address bits (addrWidth - 33). */
  hiMsb: number;
  wide: boolean;
  /** Below 32 bits: the `_LO` register's address bits are `[loMsb:0]` (addrWidth - 1). */
  narrow: boolean;
  loMsb: number;
}

/** A register wire, or bits `[msb:lsb]` of it, that no block uses. */
export interface SpareBits {
  wire: string;
  part: boolean;
  msb: number;
  lsb: number;
}

function conn(
  port: string,
  kind: RegConn["kind"],
  name = "",
  hi = false,
  bits: { msb: number; lsb: number } = { msb: 31, lsb: 0 },
): RegConn {
  return {
    port,
    kind,
    name,
    hi,
    msb: bits.msb,
    lsb: bits.lsb,
    pad: 31 - (bits.msb - bits.lsb),
    isSig: kind === "sig",
    isPerf: kind === "perf",
    isWire: kind === "wire",
    isIrqSet: kind === "irqSet",
    isZero: kind === "zero",
  };
}

/**
 * How every register of the map meets the sequencer: the register file's port connections and
 * the wires the top level declares for the host-written values. Registers the sequencer does not
 * use (the description's extra registers) are collected in `spare` (read back by the host only).
 */
export function regConnections(
  regs: readonly RegfileReg[],
  aw: number,
  counterBits: number,
): { conns: RegConn[]; wires: string[]; spare: SpareBits[]; addr: Record<string, AddrConn> } {
  const conns: RegConn[] = [];
  const wires: string[] = [];
  const spare: SpareBits[] = [];
  const whole = (wire: string): SpareBits => ({ wire, part: false, msb: 31, lsb: 0 });
  const perf: Record<string, string> = {
    PERF_CYCLES: "perf_cycles",
    PERF_MACS_ISSUED: "perf_issued",
    PERF_MACS_SKIP_IN: "perf_skip_in",
    PERF_MACS_SKIP_OUT: "perf_skip_out",
    PERF_BYTES_RD: "perf_rd",
    PERF_BYTES_WR: "perf_wr",
  };
  const ro: Record<string, string> = { STATUS: "seq_status", JOB_OUT_BYTES: "seq_out_bytes" };
  for (const r of regs) {
    if (r.isConst) continue;
    const w = `${r.port}_w`;
    if (r.isRo) {
      const m = /^(.*)_(LO|HI)$/.exec(r.name);
      const p = m === null ? undefined : perf[m[1] ?? ""];
      const sig = ro[r.name];
      const hi = m?.[2] === "HI";
      const bits = hi
        ? { msb: counterBits - 1, lsb: 32 }
        : { msb: Math.min(counterBits, 32) - 1, lsb: 0 };
      if (p !== undefined) conns.push(conn(`${r.port}_i`, "perf", p, hi, bits));
      else if (sig !== undefined) conns.push(conn(`${r.port}_i`, "sig", sig));
      else conns.push(conn(`${r.port}_i`, "zero"));
    } else if (r.isW1c) {
      conns.push(conn(`${r.port}_set_i`, r.name === "IRQ_STATUS" ? "irqSet" : "zero"));
      conns.push(conn(`${r.port}_o`, "wire", w));
      wires.push(w);
      if (r.name !== "IRQ_STATUS") spare.push(whole(w));
    } else {
      conns.push(conn(`${r.port}_o`, "wire", w));
      wires.push(w);
    }
  }
  const used = new Set([
    "CMD",
    "IRQ_ENABLE",
    "IRQ_STATUS",
    "JOB_MODE",
    "JOB_DIM_I",
    "JOB_DIM_J",
    "JOB_DIM_R",
    "JOB_THRESHOLD",
    "JOB_B_BYTES",
    "JOB_OUT_MAX",
  ]);
  const addr: Record<string, AddrConn> = {};
  for (const base of JOB_ADDRESS_BASES) {
    const lo = `reg_${base.toLowerCase()}_lo_w`;
    const hi = `reg_${base.toLowerCase()}_hi_w`;
    addr[base] = { lo, hi, hiMsb: aw - 33, wide: aw > 32, narrow: aw < 32, loMsb: aw - 1 };
    // below 32 bits the _LO register's upper bits are not address bits
    if (aw < 32) spare.push({ wire: lo, part: true, msb: 31, lsb: aw });
    used.add(`${base}_LO`);
    used.add(`${base}_HI`);
  }
  for (const r of regs)
    if (r.isRw && !used.has(r.name)) spare.push(whole(`${r.port}_w`));
    else if (r.isRw && r.name.endsWith("_HI") && aw > 32 && aw - 32 < 32)
      spare.push({ wire: `${r.port}_w`, part: true, msb: 31, lsb: aw - 32 });
  return { conns, wires, spare, addr };
}

/** Module instances of the top level: the sequencer and the top itself. */
export function topModules(
  d: ResolvedDescription,
  core: CoreParams,
  regs: readonly RegfileReg[],
): ModuleInstance[] {
  const p = topParams(d, core);
  const n = d.name;
  const aw = d.dma.addrWidth;
  const lwb = log2(p.wb);
  const mb = p.maskBytesPerBlock;
  const maskSplit = mb >= p.wb;
  const maskWpb = maskSplit ? mb / p.wb : 1;
  const rc = regConnections(regs, aw, d.regfile.counterBits);
  const shared = {
    AW: aw,
    DW: d.dma.dataWidth,
    WB: p.wb,
    LWB: lwb,
    K: p.k,
    LK: log2(p.k),
    KB: 8 * p.k,
    T: p.T,
    LT: log2(p.T),
    LTW: core.laneW,
    AWW: core.aWordW,
    BLKW: core.blkW,
    EW: core.eW,
    CEW: core.cntEW,
    RW: core.rW,
    JW: core.jW,
    OBW: core.obW,
    ENTW: core.entryW,
    RPW: core.rpW,
    // PERF_* counters (CW bits, modulo 2^CW); the core's per-tile counts and the engines' byte
    // counts are SW bits (no more than 48)
    CW: d.regfile.counterBits,
    SW: core.cntW,
    cwOverSw: d.regfile.counterBits > core.cntW,
  };
  const seq = `${n}_sequencer`;
  return [
    {
      role: "sequencer",
      module: seq,
      template: "sequencer.v.hbs",
      file: `${seq}.v`,
      doc: `Sequencer: one layer job (B through the decoder, tiles of ${p.T} rows of A, output buffer of ${p.obufBlocks} blocks, output through the encoder or raw)`,
      params: {
        ...shared,
        ...p,
        NOB: core.nOutBlk,
        OBUFD: p.obufBlocks,
        OBUFW: p.obufW,
        OWW: p.obufWordW,
        WPB: p.wordsPerBlock,
        MB: mb,
        EDEPTH: p.eDepth,
        JMAX: p.jMax,
        RMAX: p.rMax,
        maskSplit,
        // mask words per block (split) or mask bytes per block (pack) of the write phase
        maskWpb,
        ...sequencerWidths(p, core, maskWpb),
        lwbP1: lwb + 1,
        sdpRam: `${n}_sdp_ram`,
        // word wi of a block's codes starts at bit wi x DW: wi has LK - LWB bits (none when a
        // block is one word), the index LK + 3 bits
        widxW: log2(p.k) - lwb,
        widxMsb: log2(p.k) - lwb - 1,
        codeIdxW: log2(p.k) + 3,
      },
    },
    {
      role: "top",
      module: `${n}_top`,
      template: "top.v.hbs",
      file: `${n}_top.v`,
      doc: `Processor top level: ${p.T} MAC lanes, BFP8 blocks of ${p.k}, ${d.codec.format} codec, ${d.dma.dataWidth}-bit AXI4 master, AXI4-Lite registers`,
      params: {
        ...shared,
        name: n,
        RA: d.regfile.addrWidth,
        wires: rc.wires,
        conns: rc.conns,
        spare: rc.spare,
        addrA: rc.addr.JOB_ADDR_A,
        addrAS: rc.addr.JOB_ADDR_A_SCALE,
        addrB: rc.addr.JOB_ADDR_B,
        addrMI: rc.addr.JOB_ADDR_MASK_IN,
        addrOut: rc.addr.JOB_ADDR_OUT,
        addrOS: rc.addr.JOB_ADDR_OUT_SCALE,
        addrMO: rc.addr.JOB_ADDR_MASK_OUT,
        regfileModule: `${n}_regfile`,
        dmaRdModule: `${n}_axi_dma_rd`,
        dmaWrModule: `${n}_axi_dma_wr`,
        decModule: `${n}_codec_dec`,
        encModule: `${n}_codec_enc`,
        coreModule: `${n}_compute_core`,
        seqModule: seq,
      },
    },
  ];
}
