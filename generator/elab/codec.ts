/**
 * Elaboration of the codec (encoder/decoder between the DMA and the on-chip buffers).
 * Every derived width and depth of the codec is computed here, once; the templates
 * (templates/codec_enc.v.hbs, codec_dec.v.hbs and their submodules codec_fifo.v.hbs,
 * codec_pack.v.hbs) only render what is computed here. docs/codec.md describes the design.
 *
 * Both modules are built from "section FIFOs": one per section of the stream layout of
 * generator/model/codecs.ts (mask levels or run tokens, exponents, mantissas). Each frame's data of a
 * section is padded to a whole RAM word (the bus width) inside its FIFO, so a frame's sections can
 * be read independently and concatenated (encoder) or split (decoder) at one bus word per cycle.
 * A FIFO holds two frames of its section (double buffering), so one frame is produced while the
 * previous one is consumed.
 */
import type { ResolvedDescription } from "../dsl/description.ts";
import { blockSliceLevel, type CodecFormat } from "../model/codecs.ts";
import type { ModuleInstance } from "./elaborate.ts";

const clog2 = (x: number): number => (x <= 1 ? 0 : Math.ceil(Math.log2(x)));
const pow2ceil = (x: number): number => 2 ** clog2(Math.max(1, x));
const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * How a level of the hierarchical mask maps onto BFP blocks (u = elements per bit of the level):
 *  - "top-in":   level 0 (stored whole), u <= k: nb = k / u bits per block.
 *  - "top-span": level 0, u > k: one bit per `bpg` blocks.
 *  - "A":        level l >= 1 whose grids lie inside a block (u_{l-1} <= k): `nbp` grids of g bits
 *                per block, one per parent bit; nb = nbp * g bits per block.
 *  - "B":        a grid spans `bpg` blocks (u_{l-1} > k) and u <= k: each block owns nb = k / u
 *                consecutive bits of the grid.
 *  - "C":        a grid spans `bpg` blocks and u > k: each bit of the grid covers `grp` blocks.
 */
export type LevelMode = "top-in" | "top-span" | "A" | "B" | "C";

export interface CodecLevel {
  /** Level index, 0 = top. */
  l: number;
  /** Elements per bit of this level: grid^(levels - 1 - l). */
  u: number;
  mode: LevelMode;
  /** Bits of this level per block (1 when a bit is shared by several blocks). */
  nb: number;
  /** Bits of the parent level per block (mode A; 1 otherwise). */
  nbp: number;
  /** Blocks per grid (B, C) or per top-level bit (top-span); 1 otherwise. */
  bpg: number;
  /** log2(bpg). */
  lbpg: number;
  /** Mode C: blocks per bit of this level (u / k); 1 otherwise. */
  grp: number;
  /** log2(grp). */
  lgrp: number;
  /** Parent level index (l - 1), for templates. */
  parent: number;
  isTopIn: boolean;
  isTopSpan: boolean;
  isA: boolean;
  isB: boolean;
  isC: boolean;
  /** Unit (bits) of this level's section FIFO: the encoder's push side and the decoder's pop side. */
  encU: number;
  decU: number;
  /** nb in FIFO units (top-in, B: per block) of the encoder and the decoder. */
  nbEncU: number;
  nbDecU: number;
  /** Grid bits in the decoder's FIFO units. */
  gridDecU: number;
  /** Decoder: the go signal of the stage that consumes this level's stage register. */
  nextGo: string;
  /** Decoder: a later level needs the block index (mode B or C below this one), and its low bits. */
  keepBi: boolean;
  biKeep: number;
}

/** One section FIFO (push side, RAM, pop window). All counts are in units of `u` bits. */
export interface CodecFifo {
  /** Signal prefix: lev0, lev1, ..., toks, exps, mants. */
  name: string;
  doc: string;
  /** Units of push and of pop counts in bits (1, 2, 4 or 8); u is the finer of the two. */
  ui: number;
  uo: number;
  u: number;
  /** log2 of the push and of the pop units per RAM word. */
  hwi: number;
  hwo: number;
  /** Most bits pushed per cycle. */
  inBits: number;
  /** Push accumulator: inBits + 2W bits, and that in push units. */
  accBits: number;
  accU: number;
  /** Most pop units popped per cycle (before the word alignment at a frame end). */
  outU: number;
  /** Bits of the window its consumer reads (the encoder: a word; the decoder: its largest pop). */
  view: number;
  /** Pop window bits (W times a power of two), in pop units, and log2 of that. */
  win: number;
  winU: number;
  rpw: number;
  /** RAM words (a power of two) and address width. */
  depth: number;
  aw: number;
  /** Encoder: width of the section's per-frame length in units (pb + lperByte) and cw padding to it. */
  flw: number;
  flwPad: number;
  /**
   * Encoder: width of the section's end in the frame (bytes, at most the sections' most bytes up
   * to and including this one) in a meta FIFO entry, its zero padding to pb bits and its bit
   * offset in the entry.
   */
  endW: number;
  endPad: number;
  endOff: number;
  /** Most bytes of this section in one frame, and RAM words for them. */
  maxFrameBytes: number;
  maxFrameWords: number;
  /** Push units per byte (8 / ui) and its log2. */
  perByte: number;
  lperByte: number;
  /** Decoder: the section needs its byte mask of the word (a slice of several bytes, which may straddle two words). */
  needLm: boolean;
  /** Stream-order index (0 = first section of a frame). */
  idx: number;
  /** Name of the previous section in stream order ("" for the first). */
  prev: string;
  isFirst: boolean;
  isLast: boolean;
}

export interface CodecSide {
  fifos: CodecFifo[];
  /** Width of every unit count inside the module (FIFO fills, push and pop counts). */
  cw: number;
  /** Total RAM bits of the section FIFOs. */
  ramBits: number;
}

export interface CodecRtlParams {
  format: CodecFormat;
  isDense: boolean;
  isRle: boolean;
  /** zvc, or hbm with one level: the element mask stored whole. */
  isMask: boolean;
  /** hbm with two or more levels. */
  isHier: boolean;
  isSparse: boolean;
  /** Block size k, its log2, and bits of a block's codes (8k). */
  k: number;
  lk: number;
  kBits: number;
  /** Bytes of a block's element mask (k / 8). */
  kBytes: number;
  /** Elements per frame and blocks per full frame. */
  frameElems: number;
  /** log2(frameElems). */
  lframe: number;
  nbf: number;
  /** nbf - 1. */
  nbfM1: number;
  /** Width of a block index inside a frame and of a block count (0..nbf): the same, at least 1. */
  biW: number;
  /** Width of an element count inside a frame (0..frameElems). */
  fnW: number;
  /**
   * Width in bits and bytes of the word the codec processes a cycle (codec.wordBits); lane index
   * width (0..wb). The section FIFOs, the encoder's word assembler and the decoder's capture
   * work on these words.
   */
  busBits: number;
  wb: number;
  lw: number;
  /** Width of the AXI bus on the module's ports (dma.dataWidth), and busBits words per bus word. */
  extBits: number;
  extWords: number;
  extBytes: number;
  /** log2(extWords), at least 1 (a counter width). */
  lextWords: number;
  /** The codec's word is narrower than the bus: a gearbox sits between the ports and the codec. */
  narrow: boolean;
  /**
   * Decoder, sparse formats with a narrow codec word narrower than a block's codes: the last
   * stage takes a block's non-zero codes `pc` (a codec word's bytes) a cycle, not all at once.
   */
  serialCodes: boolean;
  pc: number;
  /**
   * Encoder, sparse formats with byte-wide codec words narrower than the bus: a block's non-zero
   * codes go into the mantissa FIFO one a cycle (no compaction network, a byte-wide push).
   */
  serialEnc: boolean;
  grid: number;
  lgrid: number;
  /** grid / 8: bytes per grid; log2 of it. */
  gridBytes: number;
  lgridBytes: number;
  levels: number;
  runBits: number;
  /** Escape token 2^R - 1. */
  esc: number;
  /** Width of a count of leftover token bits (0..R-1), and W modulo 2^lrW. */
  lrW: number;
  wL: number;
  /** Most bytes of one frame on the bus, before padding to a word. */
  maxFrameBytes: number;
  /** Width of a byte offset inside a frame (pb), plus one bit for "beyond the frame" (p1). */
  pb: number;
  p1: number;
  /** Elements per top-level bit (hbm/zvc; 1 for a flat mask) and its log2. */
  u0: number;
  lu0: number;
  /** Mask levels (hbm/zvc). */
  levelInfo: CodecLevel[];
  /** Index of the bottom level (levels - 1). */
  bottom: number;
  /**
   * Decoder: the coarsest level whose bits cover at most one block (its bits decide which blocks
   * hold a non-zero, which sizes the exponent section), and the bits of that level per block.
   */
  lam: number;
  sliceBits: number;
  /** sliceBits / 8 when >= 8 (bytes per slice) and its log2; 1/0 otherwise. */
  sliceBytes: number;
  lsliceBytes: number;
  sliceSub: boolean;
  /** Run-length tokens a bus word completes at most (decoder) and their indices. */
  tokPerWord: number;
  /** Element position width for run-length decoding (frame positions plus one escape). */
  posW: number;
  /** Run-length block decoder: carry width (zeros left over after a block). */
  carryW: number;
  /** Width of a token count in a block (0..k+1). */
  tokCntW: number;
  /**
   * Frames in flight between the section logic and the word assembler (encoder) or between the
   * capture and the block pipeline (decoder): entries of the frame metadata / descriptor FIFO,
   * and its pointer width (log2 + 1). A frame takes at least max(1, blocks per frame) cycles and
   * about six cycles pass from a frame's last block (first word) to its first word (block), so
   * frames of one or two blocks need eight entries, longer frames four.
   */
  frameQ: number;
  frameQW: number;
  /** Encoder: meta FIFO entry width and field offsets. */
  metaW: number;
  /** Decoder: frame descriptor width ({last, blocks}). */
  descW: number;
  enc: CodecSide;
  dec: CodecSide;
  /** Sections in stream order. */
  sections: string[];
  /** Width of the block-count of NaN blocks in a frame. */
  nanW: number;
}

function levelInfo(k: number, grid: number, levels: number): CodecLevel[] {
  const out: CodecLevel[] = [];
  for (let l = 0; l < levels; l++) {
    const u = grid ** (levels - 1 - l);
    const up = l === 0 ? 0 : grid ** (levels - l);
    let mode: LevelMode;
    if (l === 0) mode = u <= k ? "top-in" : "top-span";
    else if (up <= k) mode = "A";
    else if (u <= k) mode = "B";
    else mode = "C";
    const nb = u <= k ? k / u : 1;
    const nbp = mode === "A" ? k / up : 1;
    const bpg = mode === "top-span" ? u / k : mode === "B" || mode === "C" ? up / k : 1;
    const grp = mode === "C" ? u / k : 1;
    out.push({
      l,
      u,
      mode,
      nb,
      nbp,
      bpg,
      lbpg: clog2(bpg),
      grp,
      lgrp: clog2(grp),
      parent: l - 1,
      isTopIn: mode === "top-in",
      isTopSpan: mode === "top-span",
      isA: mode === "A",
      isB: mode === "B",
      isC: mode === "C",
      encU: 0,
      decU: 0,
      nbEncU: 0,
      nbDecU: 0,
      gridDecU: 0,
      nextGo: l === levels - 1 ? "gof" : `go${l + 1}`,
      keepBi: false,
      biKeep: 0,
    });
  }
  for (const x of out) {
    const later = out.filter((y) => y.l > x.l && (y.isB || y.isC));
    x.keepBi = later.length > 0;
    x.biKeep = Math.max(0, ...later.map((y) => y.lbpg));
  }
  return out;
}

interface FifoSpec {
  name: string;
  doc: string;
  /** Most bytes of the section in one frame. */
  frameBytes: number;
  /** Push unit and most bits pushed per cycle. */
  pushUnit: number;
  inBits: number;
  /** Pop unit and most bits popped per cycle (before word alignment). */
  popUnit: number;
  outBits: number;
}

function makeFifos(specs: FifoSpec[], W: number, frameQ: number, minCw = 1): CodecSide {
  const wb = W / 8;
  const fifos: CodecFifo[] = specs.map((s, idx) => {
    const ui = Math.min(s.pushUnit, 8);
    const uo = Math.min(s.popUnit, 8);
    const u = Math.min(ui, uo);
    const maxFrameWords = Math.ceil(s.frameBytes / wb);
    // two frames (one produced while the other is consumed), and enough for the frames in
    // flight between the ends of the FIFO when frames are short: a section's words are held for
    // at most frameQ frames (the metadata / descriptor FIFO) plus the one being built, and the
    // window holds at least two of them, so frameQ * maxFrameWords words (at most 8) never fill
    const depth = pow2ceil(Math.max(2 * maxFrameWords, Math.min(8, frameQ * maxFrameWords)));
    // a pop of outBits plus the alignment to the next word must fit, one more word streams in;
    // the window is a ring of word slots, a power of two of them
    const need = s.outBits + W - uo;
    const win = W * pow2ceil((roundUp(need, W) + W) / W);
    const accBits = s.inBits + 2 * W;
    return {
      name: s.name,
      doc: s.doc,
      ui,
      uo,
      u,
      hwi: clog2(W / ui),
      hwo: clog2(W / uo),
      inBits: s.inBits,
      accBits,
      accU: accBits / ui,
      outU: s.outBits / uo,
      view: s.outBits,
      win,
      winU: win / uo,
      rpw: clog2(win / uo),
      depth,
      aw: clog2(depth),
      flw: 0,
      flwPad: 0,
      endW: 0,
      endPad: 0,
      endOff: 0,
      maxFrameBytes: s.frameBytes,
      maxFrameWords,
      perByte: 8 / ui,
      lperByte: clog2(8 / ui),
      needLm: false,
      idx,
      prev: idx === 0 ? "" : (specs[idx - 1]?.name ?? ""),
      isFirst: idx === 0,
      isLast: idx === specs.length - 1,
    };
  });
  const cw = Math.max(minCw, ...fifos.map((f) => clog2(Math.max(f.accU, f.winU) + 1)));
  return { fifos, cw, ramBits: fifos.reduce((a, f) => a + f.depth * W, 0) };
}

/** Per-frame length counters (encoder): frame byte offsets need pb bits. */
function setFrameLengthWidths(side: CodecSide, pb: number): void {
  for (const f of side.fifos) {
    f.flw = pb + f.lperByte;
    f.flwPad = f.flw - side.cw;
  }
  let end = 0;
  let off = 0;
  for (const f of side.fifos) {
    end += f.maxFrameBytes;
    f.endW = Math.min(pb, Math.max(1, clog2(end + 1)));
    f.endPad = pb - f.endW;
    f.endOff = off;
    off += f.endW;
  }
}

/** Every derived parameter of the codec of a description. */
export function codecParams(desc: ResolvedDescription): CodecRtlParams {
  const c = desc.codec;
  const format = c.format;
  const k = desc.numerics.blockSize;
  const F = c.frameElems;
  const W = c.wordBits;
  const wb = W / 8;
  const extBits = desc.dma.dataWidth;
  const g = c.grid;
  const R = c.runBits;
  const isHier = format === "hbm" && c.levels >= 2;
  const isMask = format === "zvc" || (format === "hbm" && c.levels === 1);
  const isRle = format === "rle";
  const isDense = format === "dense";
  const L = isHier ? c.levels : isMask ? 1 : 0;
  const lv = isHier ? levelInfo(k, g, L) : isMask ? levelInfo(k, F, 1) : [];

  // sections in stream order with their most bytes per frame and push/pop shapes
  const enc: FifoSpec[] = [];
  const dec: FifoSpec[] = [];
  const both = (s: Omit<FifoSpec, "pushUnit" | "inBits" | "popUnit" | "outBits">) => ({
    e: (pushUnit: number, inBits: number): FifoSpec => ({
      ...s,
      pushUnit,
      inBits,
      popUnit: 8,
      outBits: W,
    }),
    d: (popUnit: number, outBits: number): FifoSpec => ({
      ...s,
      pushUnit: 8,
      inBits: W,
      popUnit,
      outBits,
    }),
  });
  if (isMask) {
    const s = both({ name: "lev0", doc: "element mask, one bit per element", frameBytes: F / 8 });
    enc.push(s.e(8, k));
    dec.push(s.d(8, k));
  }
  if (isHier) {
    for (const x of lv) {
      if (x.l === 0) {
        const bits = Math.ceil(F / x.u);
        const s = both({
          name: "lev0",
          doc: `mask level 0 (one bit per ${x.u} elements, stored whole)`,
          frameBytes: Math.ceil(bits / 8),
        });
        const unit = x.isTopIn ? Math.min(x.nb, 8) : 1;
        enc.push(s.e(unit, x.isTopIn ? x.nb : 1));
        dec.push(s.d(unit, x.isTopIn ? x.nb : 1));
      } else {
        const s = both({
          name: `lev${x.l}`,
          doc: `mask level ${x.l} (${g}-bit grids of bits per ${x.u} element${x.u > 1 ? "s" : ""}, mode ${x.mode})`,
          frameBytes: F / x.u / 8,
        });
        enc.push(s.e(8, x.isA ? x.nb : g));
        if (x.isA) dec.push(s.d(8, x.nb));
        else if (x.isB) dec.push(s.d(Math.min(x.nb, 8), g));
        else dec.push(s.d(1, g));
      }
    }
  }
  if (isRle) {
    const s = both({
      name: "toks",
      doc: `run tokens of ${R} bits`,
      frameBytes: Math.ceil((F * R) / 8),
    });
    const unit = gcd(R, 8);
    enc.push(s.e(unit, (k + 1) * R));
    dec.push(s.d(unit, k * R));
  }
  {
    const s = both({ name: "exps", doc: "block exponents", frameBytes: F / k });
    enc.push(s.e(8, 8));
    dec.push(s.d(8, 8));
  }
  // A narrow decoder of a sparse format collects a block's codes a codec word at a time: the
  // mantissa window then holds one word's codes instead of a block's (the stream brings no more
  // than a word a cycle anyway)
  const serialCodes = !isDense && W < extBits && W < 8 * k;
  const pc = serialCodes ? W / 8 : k;
  // Likewise a byte-wide encoder of a sparse format pushes a block's codes one a cycle
  const serialEnc = !isDense && W === 8 && W < extBits;
  {
    const s = both({ name: "mants", doc: "mantissas (element codes)", frameBytes: F });
    enc.push(s.e(8, serialEnc ? 8 : 8 * k));
    dec.push(s.d(8, 8 * pc));
  }

  const maxFrameBytes = enc.reduce((a, s) => a + s.frameBytes, 0);
  const nbf = F / k;

  // decoder: the level whose bits decide which blocks are non-zero
  const { level: lam, bits: sliceBits } = blockSliceLevel(format, k, g, c.levels);
  const sliceSub = sliceBits < 8;
  const sliceBytes = sliceSub ? 1 : sliceBits / 8;

  const esc = 2 ** R - 1;
  const tokPerWord = Math.floor((W + R - 1) / R);
  const posW = clog2(F + esc + 1) + 1;
  const sections = enc.map((s) => s.name);
  // unit counts also count a block's codes (0..k): a serial encoder's mantissa FIFO alone would
  // need fewer bits
  const frameQ = nbf <= 2 ? 8 : 4;
  const encSide = makeFifos(enc, W, frameQ, clog2(k + 1));
  // the decoder's unit counts also count a block's codes (0..k), which a serial last stage
  // takes a few at a time from a window narrower than the block
  const decSide = makeFifos(dec, W, frameQ, clog2(k + 1));
  // The decoder's capture counts a section's bits from per-byte prefix sums; only a slice of
  // several bytes, which may straddle two words, still needs the level's byte mask.
  for (const f of decSide.fifos) f.needLm = !sliceSub && sliceBytes > 1 && f.name === `lev${lam}`;
  // frame byte offsets, and at least one bit more than any unit count (zero extensions)
  const fnW = clog2(F + 1);
  const pb = Math.max(clog2(maxFrameBytes + 2 * wb + 1), encSide.cw + 1, decSide.cw + 1, fnW + 1);
  setFrameLengthWidths(encSide, pb);
  for (const x of lv) {
    const fe = encSide.fifos.find((f) => f.name === `lev${x.l}`);
    const fd = decSide.fifos.find((f) => f.name === `lev${x.l}`);
    x.encU = fe?.ui ?? 8;
    x.decU = fd?.uo ?? 8;
    x.nbEncU = x.nb / x.encU;
    x.nbDecU = x.nb / x.decU;
    x.gridDecU = g / x.decU;
  }
  const nanW = Math.max(2, clog2(nbf + 1));
  // {NaN blocks, last, the end of every section in as few bits as it needs}
  const metaEndBits = encSide.fifos.reduce((a, f) => a + f.endW, 0);
  const metaW = metaEndBits + 1 + nanW;
  return {
    format,
    isDense,
    isRle,
    isMask,
    isHier,
    isSparse: !isDense,
    k,
    lk: clog2(k),
    kBits: 8 * k,
    kBytes: k / 8,
    frameElems: F,
    lframe: clog2(F),
    nbf,
    nbfM1: nbf - 1,
    biW: Math.max(1, clog2(nbf + 1)),
    fnW,
    busBits: W,
    wb,
    lw: clog2(wb + 1),
    extBits,
    extWords: extBits / W,
    extBytes: extBits / 8,
    lextWords: Math.max(1, clog2(extBits / W)),
    narrow: extBits > W,
    serialCodes,
    pc,
    serialEnc,
    grid: g,
    lgrid: clog2(g),
    gridBytes: g / 8,
    lgridBytes: clog2(g / 8),
    levels: L,
    runBits: R,
    esc,
    lrW: Math.max(1, clog2(R)),
    wL: W % 2 ** Math.max(1, clog2(R)),
    maxFrameBytes,
    pb,
    p1: pb + 1,
    u0: lv[0]?.u ?? 1,
    lu0: clog2(lv[0]?.u ?? 1),
    levelInfo: lv,
    bottom: Math.max(0, L - 1),
    lam,
    sliceBits,
    sliceBytes,
    lsliceBytes: clog2(sliceBytes),
    sliceSub,
    tokPerWord,
    posW,
    carryW: clog2(k + esc + 1),
    tokCntW: clog2(k + 2),
    frameQ,
    frameQW: clog2(frameQ) + 1,
    metaW,
    descW: Math.max(1, clog2(nbf + 1)) + 1,
    enc: encSide,
    dec: decSide,
    sections,
    nanW,
  };
}

/** One-line descriptions used in banners and config.json. */
export function codecEncDoc(p: CodecRtlParams): string {
  return `streaming ${p.format} encoder: BFP8 blocks of ${p.k} in, ${p.extBits}-bit bus words out${narrowDoc(p)}, frames of ${p.frameElems} elements`;
}
export function codecDecDoc(p: CodecRtlParams): string {
  return `streaming ${p.format} decoder: ${p.extBits}-bit bus words in${narrowDoc(p)}, BFP8 blocks of ${p.k} (values + element mask) out, frames of ${p.frameElems} elements`;
}
function narrowDoc(p: CodecRtlParams): string {
  return p.narrow ? ` (processed ${p.busBits} bits a cycle)` : "";
}

/** A compaction network instance (packs valid elements to the low end). */
export interface CodecCompactor {
  name: string;
  /** Elements, element bits, width of a shift count and number of stages. */
  n: number;
  ew: number;
  zw: number;
  sb: number;
}

function compactor(name: string, n: number, ew: number): CodecCompactor {
  const zw = Math.max(1, clog2(n));
  return { name, n, ew, zw, sb: zw };
}

/** Everything a side's template needs beyond the shared parameters. */
function sideContext(p: CodecRtlParams, side: CodecSide, compactors: CodecCompactor[]) {
  const toks = side.fifos.find((f) => f.name === "toks");
  return {
    side,
    compactors,
    nsec: side.fifos.length,
    metaEndBits: side.fifos.reduce((a, f) => a + f.endW, 0),
    padNan: p.nanW - 1,
    padNan32: 32 - p.nanW,
    tokUnits: toks === undefined ? 0 : p.runBits / toks.u,
    levelInfo: p.levelInfo.map((x) => ({
      ...x,
      padNbp: p.k + 1 - x.nbp,
      padGridNb: p.grid - x.nb,
      padGrid1: p.grid - 1,
    })),
  };
}

/** Template context of the encoder. */
export function codecEncContext(p: CodecRtlParams): Record<string, unknown> {
  const comp: CodecCompactor[] = [];
  if (p.isSparse && !p.serialEnc) comp.push(compactor("mants", p.k, 8));
  for (const x of p.levelInfo)
    if (x.isA && x.nbp > 1) comp.push(compactor(`lev${x.l}`, x.nbp, p.grid));
  if (p.isRle) comp.push(compactor("toks", p.k + 1, p.runBits));
  const { enc: _e, dec: _d, ...shared } = p;
  const ctx = sideContext(p, p.enc, comp);
  // the mantissa FIFO of a serial encoder is pushed a code at a time, not once a block
  const fifos = ctx.side.fifos.map((f) => ({
    ...f,
    serialPush: p.serialEnc && f.name === "mants",
  }));
  return { ...shared, ...ctx, side: { ...ctx.side, fifos } };
}

/** Template context of the decoder. */
export function codecDecContext(p: CodecRtlParams): Record<string, unknown> {
  const comp: CodecCompactor[] = [];
  if (p.isDense) comp.push(compactor("nz", p.k, 8));
  const { enc: _e, dec: _d, ...shared } = p;
  return { ...shared, ...sideContext(p, p.dec, comp) };
}

/** The codec's module instances for a description: encoder, decoder and their two submodules. */
export function codecModules(desc: ResolvedDescription): ModuleInstance[] {
  const p = codecParams(desc);
  const prefix = desc.name;
  const sub = { fifoModule: `${prefix}_codec_fifo`, packModule: `${prefix}_codec_pack` };
  return [
    {
      role: "codec_enc",
      module: `${prefix}_codec_enc`,
      template: "codec_enc.v.hbs",
      file: `${prefix}_codec_enc.v`,
      doc: codecEncDoc(p),
      params: { ...codecEncContext(p), ...sub },
    },
    {
      role: "codec_dec",
      module: `${prefix}_codec_dec`,
      template: "codec_dec.v.hbs",
      file: `${prefix}_codec_dec.v`,
      doc: codecDecDoc(p),
      params: { ...codecDecContext(p), ...sub },
    },
    {
      role: "codec_fifo",
      module: sub.fifoModule,
      template: "codec_fifo.v.hbs",
      file: `${sub.fifoModule}.v`,
      doc: "codec section FIFO: push accumulator, word RAM, pop window (parameterized per section)",
      params: {},
    },
    {
      role: "codec_pack",
      module: sub.packModule,
      template: "codec_pack.v.hbs",
      file: `${sub.packModule}.v`,
      doc: "codec compaction network: packs the valid elements of a vector (parameterized)",
      params: {},
    },
  ];
}
