/**
 * Sparse codecs for BFP8 tensors, with their exact bit-level stream layout.
 *
 * A tensor is a flat sequence of n elements (n a multiple of the block size k) with one biased
 * scale per block, in storage order. The stream is cut into frames of F elements (the last frame
 * may be shorter). Each frame is laid out as sections, each section padded with zero bits to a
 * whole byte, and the frame padded with zero bytes to a whole bus word (W bits):
 *
 *   hbm   index:  the hierarchical mask, top level first (see below)
 *   zvc   index:  one bit per element (a one-level hierarchical mask)
 *   rle   index:  run tokens of R bits (see below)
 *   dense index:  (none)
 *   then  exps:   8 bits per block that holds a non-zero element (dense: every block), in order
 *   then  mants:  8 bits per non-zero element (dense: every element), in order, two's complement
 *
 * Hierarchical mask with grid g and L levels: level L-1 (the bottom) is the element mask, one bit
 * per element; level l-1 has one bit per grid of g bits of level l, set when that grid has a set
 * bit. The top level (level 0, ceil(F / g^(L-1)) bits) is stored whole; every lower level stores
 * only the g-bit grids whose bit in the level above is set, in order. Bits of a grid that fall past
 * the frame's end are 0. Each level is padded to a whole byte.
 *
 * Run tokens: a token v < 2^R - 1 means "v zeros, then one non-zero element"; the escape token
 * 2^R - 1 means "2^R - 1 zeros". Trailing zeros of a frame are covered by escapes; the decoder
 * stops when the frame's element count is reached.
 *
 * Bits go onto the stream least-significant first (see bits.ts); a bus word of W bits carries
 * stream bits [W n, W n + W). Exponents are placed before mantissas so a decoder can pair each
 * mantissa with its block's scale as it streams in.
 *
 * Blocks without a non-zero element decode to the canonical zero block (biased scale 0).
 * NaN blocks cannot be represented in the sparse formats; encoding counts them (the hardware
 * raises a status flag) and they decode as zero blocks.
 */
import { GenError, require_ } from "../errors.ts";
import { BitReader, BitWriter } from "./bits.ts";
import { SCALE_BIAS, SCALE_NAN, ZERO_BLOCK_SCALE } from "./bfp8.ts";

export type CodecFormat = "dense" | "zvc" | "rle" | "hbm";
export const CODEC_FORMATS: readonly CodecFormat[] = ["dense", "zvc", "rle", "hbm"];

export interface CodecParams {
  format: CodecFormat;
  /** BFP block size. */
  k: number;
  /** Elements per frame (a multiple of k). */
  frameElems: number;
  /** Bus width in bits (a multiple of 8); frames are padded to it. */
  busBits: number;
  /** hbm: grid size (power of two). */
  grid: number;
  /** hbm: number of mask levels (>= 1; 1 is a flat mask). */
  levels: number;
  /** rle: run field width in bits. */
  runBits: number;
}

export const CANONICAL_ZERO_SCALE = ZERO_BLOCK_SCALE + SCALE_BIAS;

/**
 * The mask level whose bits tell which blocks of k elements hold a non-zero: the coarsest level
 * whose bits each cover at most one block (level l of an L-level mask has one bit per
 * grid^(L-1-l) elements; zvc's flat mask, one bit per element), and the bits of one block's slice
 * of it. Formats without a mask: level 0, k bits.
 */
export function blockSliceLevel(
  format: CodecFormat,
  k: number,
  grid: number,
  levels: number,
): { level: number; bits: number } {
  if (format !== "hbm") return { level: 0, bits: k };
  let level = 0;
  while (level < levels - 1 && grid ** (levels - 1 - level) > k) level++;
  return { level, bits: k / grid ** (levels - 1 - level) };
}

/** A flat BFP8 tensor. */
export interface BfpStream {
  k: number;
  /** n element codes, n a multiple of k. */
  q: Int8Array;
  /** n / k biased scales. */
  scale: Uint8Array;
}

export interface Encoded {
  bytes: Uint8Array;
  /** Exact bit counts per section, summed over frames (before byte padding). */
  bits: { index: number; exps: number; mants: number; padding: number; total: number };
  nanBlocks: number;
}

/** Canonical form: blocks with no non-zero element get the canonical zero scale. */
export function canonicalize(t: BfpStream): BfpStream {
  const scale = Uint8Array.from(t.scale);
  for (let b = 0; b < scale.length; b++) {
    let nz = false;
    for (let i = 0; i < t.k; i++) if ((t.q[b * t.k + i] ?? 0) !== 0) nz = true;
    if (!nz) scale[b] = CANONICAL_ZERO_SCALE;
  }
  return { k: t.k, q: Int8Array.from(t.q), scale };
}

export function checkParams(p: CodecParams): void {
  const pow2 = (x: number): boolean => Number.isInteger(x) && x > 0 && (x & (x - 1)) === 0;
  require_(pow2(p.k), `codec: block size k=${p.k} must be a power of two`);
  require_(
    p.frameElems > 0 && p.frameElems % p.k === 0,
    `codec: frameElems=${p.frameElems} must be a positive multiple of k=${p.k}`,
  );
  require_(
    p.busBits >= 8 && p.busBits % 8 === 0,
    `codec: busBits=${p.busBits} must be a multiple of 8`,
  );
  if (p.format === "hbm") {
    require_(pow2(p.grid) && p.grid >= 2, `codec: grid=${p.grid} must be a power of two >= 2`);
    require_(
      Number.isInteger(p.levels) && p.levels >= 1 && p.levels <= 4,
      `codec: levels=${p.levels} must be 1..4`,
    );
  }
  if (p.format === "rle") {
    require_(
      Number.isInteger(p.runBits) && p.runBits >= 1 && p.runBits <= 16,
      `codec: runBits=${p.runBits} must be 1..16`,
    );
  }
}

/** Mask level sizes (bits) of a frame of n elements, top level first. */
function levelSizes(n: number, grid: number, levels: number): number[] {
  const sizes = [n];
  for (let l = 1; l < levels; l++) sizes.unshift(Math.ceil((sizes[0] ?? 0) / grid));
  return sizes;
}

function writeHierMask(w: BitWriter, mask: Uint8Array, grid: number, levels: number): void {
  // build levels bottom-up
  const lv: Uint8Array[] = [mask];
  for (let l = 1; l < levels; l++) {
    const below = lv[0]!;
    const above = new Uint8Array(Math.ceil(below.length / grid));
    for (let i = 0; i < below.length; i++) if (below[i]) above[Math.floor(i / grid)] = 1;
    lv.unshift(above);
  }
  for (const b of lv[0]!) w.writeBit(b);
  w.alignTo(8);
  for (let l = 1; l < levels; l++) {
    const above = lv[l - 1]!;
    const cur = lv[l]!;
    for (let gi = 0; gi < above.length; gi++) {
      if (!above[gi]) continue;
      for (let t = 0; t < grid; t++) w.writeBit(cur[gi * grid + t] ?? 0);
    }
    w.alignTo(8);
  }
}

function readHierMask(r: BitReader, n: number, grid: number, levels: number): Uint8Array {
  const sizes = levelSizes(n, grid, levels);
  let above = new Uint8Array(sizes[0] ?? 0);
  for (let i = 0; i < above.length; i++) above[i] = r.readBit();
  r.alignTo(8);
  for (let l = 1; l < levels; l++) {
    const cur = new Uint8Array(sizes[l] ?? 0);
    for (let gi = 0; gi < above.length; gi++) {
      if (!above[gi]) continue;
      let any = 0;
      for (let t = 0; t < grid; t++) {
        const bit = r.readBit();
        const idx = gi * grid + t;
        if (idx < cur.length) cur[idx] = bit;
        else if (bit) throw new GenError("E_CODEC", `mask bit set past the frame end (level ${l})`);
        any |= bit;
      }
      if (!any)
        throw new GenError("E_CODEC", `empty grid ${gi} flagged non-zero at level ${l - 1}`);
    }
    r.alignTo(8);
    above = cur;
  }
  return above;
}

function writeRuns(w: BitWriter, mask: Uint8Array, runBits: number): void {
  const esc = 2 ** runBits - 1;
  let gap = 0;
  for (const b of mask) {
    if (!b) {
      gap++;
      continue;
    }
    while (gap >= esc) {
      w.write(esc, runBits);
      gap -= esc;
    }
    w.write(gap, runBits);
    gap = 0;
  }
  while (gap > 0) {
    w.write(esc, runBits);
    gap -= Math.min(gap, esc);
  }
}

function readRuns(r: BitReader, n: number, runBits: number): Uint8Array {
  const esc = 2 ** runBits - 1;
  const mask = new Uint8Array(n);
  let pos = 0;
  while (pos < n) {
    const v = r.read(runBits);
    if (v === esc) {
      pos += esc;
      continue;
    }
    pos += v;
    if (pos >= n) throw new GenError("E_CODEC", `run token points past the frame end`);
    mask[pos] = 1;
    pos++;
  }
  return mask;
}

/** Encode a BFP8 tensor. */
export function encode(t: BfpStream, p: CodecParams): Encoded {
  checkParams(p);
  require_(t.k === p.k, `encode: tensor block size ${t.k} differs from codec k=${p.k}`);
  require_(
    t.q.length === t.scale.length * t.k,
    `encode: ${t.q.length} elements for ${t.scale.length} blocks`,
  );
  const w = new BitWriter();
  const bits = { index: 0, exps: 0, mants: 0, padding: 0, total: 0 };
  let nanBlocks = 0;
  const n = t.q.length;
  for (let f0 = 0; f0 < n; f0 += p.frameElems) {
    const fn = Math.min(p.frameElems, n - f0);
    const mask = new Uint8Array(fn);
    for (let i = 0; i < fn; i++) mask[i] = (t.q[f0 + i] ?? 0) !== 0 ? 1 : 0;
    // index
    let start = w.length;
    if (p.format === "hbm") writeHierMask(w, mask, p.grid, p.levels);
    else if (p.format === "zvc") writeHierMask(w, mask, p.grid, 1);
    else if (p.format === "rle") writeRuns(w, mask, p.runBits);
    bits.index += w.length - start;
    bits.padding += pad(w, 8);
    // exponents
    start = w.length;
    for (let b = f0 / p.k; b < (f0 + fn) / p.k; b++) {
      const s = t.scale[b] ?? 0;
      if (s === SCALE_NAN) nanBlocks++;
      let nz = false;
      for (let i = 0; i < p.k; i++) if (mask[b * p.k - f0 + i]) nz = true;
      if (p.format === "dense" || nz)
        w.write(p.format !== "dense" && s === SCALE_NAN ? CANONICAL_ZERO_SCALE : s, 8);
    }
    bits.exps += w.length - start;
    // mantissas
    start = w.length;
    for (let i = 0; i < fn; i++) {
      if (p.format === "dense" || mask[i]) w.write((t.q[f0 + i] ?? 0) & 0xff, 8);
    }
    bits.mants += w.length - start;
    bits.padding += pad(w, p.busBits);
  }
  bits.total = w.length;
  return { bytes: w.toBytes(), bits, nanBlocks };
}

function pad(w: BitWriter, to: number): number {
  const before = w.length;
  w.alignTo(to);
  return w.length - before;
}

/** Decode n elements of a stream produced by encode(); returns the tensor and its element mask. */
export function decode(
  bytes: Uint8Array,
  n: number,
  p: CodecParams,
): { t: BfpStream; mask: Uint8Array; bitsRead: number } {
  checkParams(p);
  require_(n % p.k === 0, `decode: n=${n} is not a multiple of k=${p.k}`);
  const r = new BitReader(bytes);
  const q = new Int8Array(n);
  const scale = new Uint8Array(n / p.k).fill(CANONICAL_ZERO_SCALE);
  const fullMask = new Uint8Array(n);
  for (let f0 = 0; f0 < n; f0 += p.frameElems) {
    const fn = Math.min(p.frameElems, n - f0);
    let mask: Uint8Array;
    if (p.format === "hbm") mask = readHierMask(r, fn, p.grid, p.levels);
    else if (p.format === "zvc") mask = readHierMask(r, fn, p.grid, 1);
    else if (p.format === "rle") mask = readRuns(r, fn, p.runBits);
    else mask = new Uint8Array(fn).fill(1);
    r.alignTo(8);
    for (let b = f0 / p.k; b < (f0 + fn) / p.k; b++) {
      let nz = false;
      for (let i = 0; i < p.k; i++) if (mask[b * p.k - f0 + i]) nz = true;
      if (nz) scale[b] = r.read(8);
    }
    for (let i = 0; i < fn; i++) {
      if (!mask[i]) continue;
      const v = r.read(8);
      q[f0 + i] = v >= 128 ? v - 256 : v;
      if (p.format === "dense") mask[i] = q[f0 + i] !== 0 ? 1 : 0;
      else if (q[f0 + i] === 0)
        throw new GenError("E_CODEC", `zero mantissa listed as non-zero at element ${f0 + i}`);
    }
    fullMask.set(mask, f0);
    r.alignTo(p.busBits);
  }
  return { t: { k: p.k, q, scale }, mask: fullMask, bitsRead: r.position };
}

/**
 * Exact encoded size in bits, computed from the mask alone (no encoding), for accounting and
 * benchmarks. Equal to encode(t, p).bits.total.
 */
export function encodedBits(mask: Uint8Array, p: CodecParams): number {
  checkParams(p);
  const n = mask.length;
  let total = 0;
  const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;
  for (let f0 = 0; f0 < n; f0 += p.frameElems) {
    const fn = Math.min(p.frameElems, n - f0);
    const m = mask.subarray(f0, f0 + fn);
    let nnz = 0;
    for (const b of m) nnz += b;
    let index = 0;
    if (p.format === "hbm" || p.format === "zvc") {
      const levels = p.format === "zvc" ? 1 : p.levels;
      // count set bits per level bottom-up
      let cur = Uint8Array.from(m);
      const sizes = levelSizes(fn, p.grid, levels);
      index += roundUp(sizes[0] ?? 0, 8);
      for (let l = levels - 1; l >= 1; l--) {
        const above = new Uint8Array(Math.ceil(cur.length / p.grid));
        for (let i = 0; i < cur.length; i++) if (cur[i]) above[Math.floor(i / p.grid)] = 1;
        let set = 0;
        for (const b of above) set += b;
        index += roundUp(set * p.grid, 8);
        cur = above;
      }
    } else if (p.format === "rle") {
      const esc = 2 ** p.runBits - 1;
      let gap = 0;
      let tokens = 0;
      for (const b of m) {
        if (!b) {
          gap++;
          continue;
        }
        tokens += Math.floor(gap / esc) + 1;
        gap = 0;
      }
      tokens += Math.ceil(gap / esc);
      index = tokens * p.runBits;
    }
    let blocks = 0;
    for (let b = 0; b < fn / p.k; b++) {
      let nz = p.format === "dense";
      for (let i = 0; i < p.k && !nz; i++) if (m[b * p.k + i]) nz = true;
      if (nz) blocks++;
    }
    const mants = p.format === "dense" ? fn : nnz;
    const frameBits = roundUp(index, 8) + blocks * 8 + mants * 8;
    total += roundUp(frameBits, p.busBits);
  }
  return total;
}

/** Binary entropy H(p) in bits. */
export function binaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0;
  return -p * Math.log2(p) - (1 - p) * Math.log2(1 - p);
}
