/**
 * Tensor layouts in external memory, exactly as docs/top.md specifies them:
 *
 * - raw matrix (rows x cols, nb = ceil(cols / k) blocks a row): codes rows x nb*k bytes, row
 *   pitch nb*k, two's complement; scales in a second array, rows x nb bytes, biased E8M0;
 * - stream: the golden model's `encode` of the matrix's blocks in row-major order;
 * - mask: rows x nb*k bits, rows padded to nb*k bits (nb*k/8 bytes a row), bit t of a row in
 *   byte t/8, bit t%8; bit (j, t) is 1 where code (j, t) is non-zero.
 */
import { type BfpMatrix, emptyBfp } from "../../generator/model/bfp8.ts";
import { type CodecParams, type Encoded, decode, encode } from "../../generator/model/codecs.ts";
import type { MemImage } from "./memory.ts";

export const blocksOf = (cols: number, k: number): number => Math.ceil(cols / k);

// ------------------------------------------------------------------ raw

export interface RawSizes {
  /** Bytes of the codes array (rows x nb*k). */
  codeBytes: number;
  /** Bytes of the scales array (rows x nb). */
  scaleBytes: number;
  /** Row pitch of the codes and of the scales. */
  codePitch: number;
  scalePitch: number;
}

export function rawSizes(rows: number, cols: number, k: number): RawSizes {
  const nb = blocksOf(cols, k);
  return { codeBytes: rows * nb * k, scaleBytes: rows * nb, codePitch: nb * k, scalePitch: nb };
}

/** The two byte arrays of a matrix's raw layout. */
export function rawBytes(m: BfpMatrix): { codes: Uint8Array; scales: Uint8Array } {
  return {
    codes: new Uint8Array(m.q.buffer, m.q.byteOffset, m.q.length).slice(),
    scales: m.scale.slice(),
  };
}

/** A matrix from its raw layout's two arrays. */
export function matrixFromRaw(
  rows: number,
  cols: number,
  k: number,
  codes: Uint8Array,
  scales: Uint8Array,
): BfpMatrix {
  const m = emptyBfp(rows, cols, k);
  const s = rawSizes(rows, cols, k);
  if (codes.length !== s.codeBytes || scales.length !== s.scaleBytes)
    throw new Error(
      `raw ${rows}x${cols}: ${codes.length} code and ${scales.length} scale bytes, expected ${s.codeBytes} and ${s.scaleBytes}`,
    );
  m.q.set(new Int8Array(codes.buffer, codes.byteOffset, codes.length));
  m.scale.set(scales);
  return m;
}

export function writeRaw(mem: MemImage, m: BfpMatrix, codesAddr: number, scalesAddr: number): void {
  const { codes, scales } = rawBytes(m);
  mem.write(codesAddr, codes);
  mem.write(scalesAddr, scales);
}

export function readRaw(
  mem: MemImage,
  rows: number,
  cols: number,
  k: number,
  codesAddr: number,
  scalesAddr: number,
): BfpMatrix {
  const s = rawSizes(rows, cols, k);
  return matrixFromRaw(
    rows,
    cols,
    k,
    mem.read(codesAddr, s.codeBytes),
    mem.read(scalesAddr, s.scaleBytes),
  );
}

// ------------------------------------------------------------------ stream

/** The codec stream of a matrix: its blocks in row-major order. */
export function encodeMatrix(m: BfpMatrix, cp: CodecParams): Encoded {
  return encode({ k: m.k, q: m.q, scale: m.scale }, cp);
}

/** Decode a rows x cols matrix from a stream (the bytes may run past its end). */
export function decodeMatrix(
  bytes: Uint8Array,
  rows: number,
  cols: number,
  cp: CodecParams,
): { m: BfpMatrix; bytesRead: number } {
  const out = emptyBfp(rows, cols, cp.k);
  const d = decode(bytes, rows * out.blocksPerRow * cp.k, cp);
  out.q.set(d.t.q);
  out.scale.set(d.t.scale);
  return { m: out, bytesRead: Math.ceil(d.bitsRead / 8) };
}

/** The worst-case stream length of a rows x cols matrix (every element non-zero). */
export function streamCapacity(rows: number, cols: number, cp: CodecParams): number {
  const m = emptyBfp(rows, cols, cp.k);
  m.q.fill(1);
  m.scale.fill(127);
  // dense elements past cols are 0 in a real matrix but cost the same in every format
  return encodeMatrix(m, cp).bytes.length;
}

/** Write a matrix's stream; returns its length in bytes. */
export function writeStream(mem: MemImage, m: BfpMatrix, addr: number, cp: CodecParams): number {
  const e = encodeMatrix(m, cp);
  mem.write(addr, e.bytes);
  return e.bytes.length;
}

export function readStream(
  mem: MemImage,
  addr: number,
  maxBytes: number,
  rows: number,
  cols: number,
  cp: CodecParams,
): BfpMatrix {
  return decodeMatrix(mem.read(addr, maxBytes), rows, cols, cp).m;
}

// ------------------------------------------------------------------ mask

/** Bytes of one mask row of a rows x cols result. */
export const maskPitch = (cols: number, k: number): number => (blocksOf(cols, k) * k) / 8;

/** A mask's bytes from its bits (rows x cols, row-major, 0/1). */
export function packMask(bits: Uint8Array, rows: number, cols: number, k: number): Uint8Array {
  if (bits.length !== rows * cols)
    throw new Error(`mask of ${bits.length} bits for ${rows}x${cols}`);
  const pitch = maskPitch(cols, k);
  const out = new Uint8Array(rows * pitch);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      if (bits[r * cols + c]) out[r * pitch + (c >> 3)]! |= 1 << (c & 7);
  return out;
}

/** A mask's bits (rows x cols, 0/1) from its bytes (padding bits are dropped). */
export function unpackMask(bytes: Uint8Array, rows: number, cols: number, k: number): Uint8Array {
  const pitch = maskPitch(cols, k);
  if (bytes.length < rows * pitch)
    throw new Error(`mask of ${bytes.length} bytes for ${rows}x${cols}`);
  const out = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      out[r * cols + c] = ((bytes[r * pitch + (c >> 3)] ?? 0) >> (c & 7)) & 1;
  return out;
}

/** The non-zero mask of a matrix (bits of the padded rows included), as bytes. */
export function maskBytesOf(m: BfpMatrix): Uint8Array {
  const w = m.blocksPerRow * m.k;
  const out = new Uint8Array((m.rows * w) / 8);
  for (let r = 0; r < m.rows; r++)
    for (let t = 0; t < w; t++)
      if ((m.q[r * w + t] ?? 0) !== 0) out[(r * w + t) >> 3]! |= 1 << (t & 7);
  return out;
}

export function writeMask(
  mem: MemImage,
  bits: Uint8Array,
  rows: number,
  cols: number,
  k: number,
  addr: number,
): void {
  mem.write(addr, packMask(bits, rows, cols, k));
}

export function readMask(
  mem: MemImage,
  rows: number,
  cols: number,
  k: number,
  addr: number,
): Uint8Array {
  return unpackMask(mem.read(addr, rows * maskPitch(cols, k)), rows, cols, k);
}

/**
 * The golden model's output mask (I x J row-major, outMask[i * J + j]) from a mask in the
 * memory layout of the result C^T (J rows x I columns): bit (j, i) says output (i, j) is computed.
 */
export function outMaskFromMaskT(bitsT: Uint8Array, J: number, I: number): Uint8Array {
  const out = new Uint8Array(I * J);
  for (let j = 0; j < J; j++) for (let i = 0; i < I; i++) out[i * J + j] = bitsT[j * I + i] ?? 0;
  return out;
}

// ------------------------------------------------------------------ rows

/** Rows [r0, r0 + n) of a matrix. */
export function sliceRows(m: BfpMatrix, r0: number, n: number): BfpMatrix {
  const out = emptyBfp(n, m.cols, m.k);
  const w = m.blocksPerRow * m.k;
  out.q.set(m.q.subarray(r0 * w, (r0 + n) * w));
  out.scale.set(m.scale.subarray(r0 * m.blocksPerRow, (r0 + n) * m.blocksPerRow));
  return out;
}

/** Matrices of the same width stacked. */
export function concatRows(parts: readonly BfpMatrix[]): BfpMatrix {
  const first = parts[0];
  if (first === undefined) throw new Error("concatRows of nothing");
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const out = emptyBfp(rows, first.cols, first.k);
  let r = 0;
  for (const p of parts) {
    if (p.cols !== first.cols || p.k !== first.k) throw new Error("concatRows: widths differ");
    out.q.set(p.q, r * out.blocksPerRow * out.k);
    out.scale.set(p.scale, r * out.blocksPerRow);
    r += p.rows;
  }
  return out;
}

/** Are two matrices the same, bit for bit (shape, codes, scales)? A message when not. */
export function compareMatrices(what: string, got: BfpMatrix, want: BfpMatrix): string | undefined {
  if (got.rows !== want.rows || got.cols !== want.cols || got.k !== want.k)
    return `${what}: shape ${got.rows}x${got.cols}/${got.k}, expected ${want.rows}x${want.cols}/${want.k}`;
  for (let i = 0; i < want.scale.length; i++)
    if (got.scale[i] !== want.scale[i])
      return `${what}: scale of block ${i} (row ${Math.floor(i / want.blocksPerRow)}) is ${got.scale[i]}, expected ${want.scale[i]}`;
  for (let i = 0; i < want.q.length; i++)
    if (got.q[i] !== want.q[i]) {
      const w = want.blocksPerRow * want.k;
      return `${what}: code (${Math.floor(i / w)}, ${i % w}) is ${got.q[i]}, expected ${want.q[i]}`;
    }
  return undefined;
}
