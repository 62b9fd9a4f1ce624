/**
 * Tensors placed in a session's memory: raw matrices, streams kept as a list of chunk streams
 * (one per job: a chunk of J rows is one B operand or one output), and masks. Writers put host
 * tensors in both images of the session; readers get them back from any image (a run's final
 * memory) in the same layouts.
 */
import { jobFits } from "../../generator/elab/top.ts";
import type { BfpMatrix } from "../../generator/model/bfp8.ts";
import type { HostContext } from "./context.ts";
import { rowEntries } from "./golden.ts";
import {
  concatRows,
  decodeMatrix,
  encodeMatrix,
  maskPitch,
  packMask,
  rawBytes,
  rawSizes,
  readRaw,
  sliceRows,
  streamCapacity,
  unpackMask,
} from "./layout.ts";
import type { AllocOptions, MemImage, Region } from "./memory.ts";
import type { HostSession } from "./session.ts";

export interface RawTensor {
  kind: "raw";
  name: string;
  rows: number;
  cols: number;
  k: number;
  codes: Region;
  scales: Region;
}

export interface StreamChunk {
  row0: number;
  rows: number;
  region: Region;
  /** Stream length in bytes (written by the host, or the golden model's for a job output). */
  bytes: number;
  /** The slot of the session whose program holds the length the hardware reported. */
  slot?: { session: HostSession; id: number };
}

export interface StreamTensor {
  kind: "stream";
  name: string;
  rows: number;
  cols: number;
  k: number;
  chunks: StreamChunk[];
}

export interface MaskTensor {
  name: string;
  rows: number;
  cols: number;
  k: number;
  region: Region;
}

/** Rows of a chunk plan. */
export interface RowChunk {
  row0: number;
  rows: number;
}

/** Allocation options for tensors (alignment and skew of every region). */
export type PlaceOptions = Pick<AllocOptions, "align" | "skew">;

// ------------------------------------------------------------------ raw

export function allocRaw(
  s: HostSession,
  name: string,
  rows: number,
  cols: number,
  o: PlaceOptions = {},
): RawTensor {
  const k = s.ctx.top.k;
  const z = rawSizes(rows, cols, k);
  return {
    kind: "raw",
    name,
    rows,
    cols,
    k,
    codes: s.alloc(`${name}.codes`, z.codeBytes, o),
    scales: s.alloc(`${name}.scales`, z.scaleBytes, o),
  };
}

export function putRaw(
  s: HostSession,
  name: string,
  m: BfpMatrix,
  o: PlaceOptions = {},
): RawTensor {
  const t = allocRaw(s, name, m.rows, m.cols, o);
  const { codes, scales } = rawBytes(m);
  s.write(t.codes.addr, codes);
  s.write(t.scales.addr, scales);
  return t;
}

export function readRawTensor(mem: MemImage, t: RawTensor): BfpMatrix {
  return readRaw(mem, t.rows, t.cols, t.k, t.codes.addr, t.scales.addr);
}

// ------------------------------------------------------------------ stream

/** A host tensor as chunk streams (each chunk encoded on its own, in an exact-size region). */
export function putStream(
  s: HostSession,
  name: string,
  m: BfpMatrix,
  chunks: readonly RowChunk[],
  o: PlaceOptions = {},
): StreamTensor {
  checkPlan(chunks, m.rows, name);
  const out: StreamChunk[] = chunks.map((c, i) => {
    const e = encodeMatrix(sliceRows(m, c.row0, c.rows), s.ctx.codec);
    const region = s.alloc(`${name}[${i}]`, e.bytes.length, o);
    s.write(region.addr, e.bytes);
    return { row0: c.row0, rows: c.rows, region, bytes: e.bytes.length };
  });
  return { kind: "stream", name, rows: m.rows, cols: m.cols, k: m.k, chunks: out };
}

/** Room for a job output written as chunk streams (worst-case length each). */
export function allocStream(
  s: HostSession,
  name: string,
  rows: number,
  cols: number,
  chunks: readonly RowChunk[],
  o: PlaceOptions = {},
): StreamTensor {
  checkPlan(chunks, rows, name);
  const out: StreamChunk[] = chunks.map((c, i) => ({
    row0: c.row0,
    rows: c.rows,
    region: s.alloc(`${name}[${i}]`, streamCapacity(c.rows, cols, s.ctx.codec), o),
    bytes: 0,
  }));
  return { kind: "stream", name, rows, cols, k: s.ctx.top.k, chunks: out };
}

/** A stream tensor back from an image: each chunk decoded and the rows stacked. */
export function readStreamTensor(ctx: HostContext, mem: MemImage, t: StreamTensor): BfpMatrix {
  return concatRows(
    t.chunks.map(
      (c) => decodeMatrix(mem.read(c.region.addr, c.region.bytes), c.rows, t.cols, ctx.codec).m,
    ),
  );
}

// ------------------------------------------------------------------ mask

export function allocMask(
  s: HostSession,
  name: string,
  rows: number,
  cols: number,
  o: PlaceOptions = {},
): MaskTensor {
  const k = s.ctx.top.k;
  return { name, rows, cols, k, region: s.alloc(name, rows * maskPitch(cols, k), o) };
}

/** A host mask (rows x cols bits, 0/1). */
export function putMask(
  s: HostSession,
  name: string,
  bits: Uint8Array,
  rows: number,
  cols: number,
  o: PlaceOptions = {},
): MaskTensor {
  const t = allocMask(s, name, rows, cols, o);
  s.write(t.region.addr, packMask(bits, rows, cols, t.k));
  return t;
}

export function readMaskTensor(mem: MemImage, t: MaskTensor): Uint8Array {
  return unpackMask(mem.read(t.region.addr, t.region.bytes), t.rows, t.cols, t.k);
}

// ------------------------------------------------------------------ chunk plans

function checkPlan(chunks: readonly RowChunk[], rows: number, name: string): void {
  let r = 0;
  for (const c of chunks) {
    if (c.row0 !== r || c.rows < 1) throw new Error(`${name}: chunk plan is not a partition`);
    r += c.rows;
  }
  if (r !== rows) throw new Error(`${name}: chunks cover ${r} of ${rows} rows`);
}

/** A job a chunk of rows must fit: its I and R, and B's entries per row (default: worst case). */
export interface ChunkConstraint {
  I: number;
  R: number;
  /** B entries of row j of the tensor (undefined: the worst case, every element plus one). */
  entries?: (row: number) => number;
}

/**
 * Cut `rows` rows into chunks of consecutive rows, each as long as every constraint allows
 * (jobFits: J rows and J x ceil(I / k) output blocks; the B buffer's entries), at most maxRows.
 */
export function planChunks(
  ctx: HostContext,
  rows: number,
  constraints: readonly ChunkConstraint[],
  maxRows = Infinity,
): RowChunk[] {
  const out: RowChunk[] = [];
  let r0 = 0;
  while (r0 < rows) {
    let n = 0;
    const used = constraints.map(() => 0);
    for (;;) {
      if (r0 + n >= rows || n >= maxRows) break;
      const j = r0 + n;
      const ok = constraints.every((c, i) => {
        const e = c.entries === undefined ? c.R + 1 : c.entries(j);
        return (
          jobFits(ctx.top, c.I, n + 1, c.R) === undefined && (used[i] ?? 0) + e <= ctx.top.eDepth
        );
      });
      if (!ok) break;
      constraints.forEach((c, i) => {
        used[i] = (used[i] ?? 0) + (c.entries === undefined ? c.R + 1 : c.entries(j));
      });
      n++;
    }
    if (n === 0) {
      const why = constraints
        .map((c) => jobFits(ctx.top, c.I, 1, c.R))
        .find((x) => x !== undefined);
      throw new Error(`row ${r0} fits no job${why === undefined ? " (B buffer)" : `: ${why}`}`);
    }
    out.push({ row0: r0, rows: n });
    r0 += n;
  }
  return out;
}

/** Per-row B entries of a host matrix as the decoder will deliver it (after its stream). */
export function entriesOf(ctx: HostContext, m: BfpMatrix): (row: number) => number {
  const b = decodeMatrix(encodeMatrix(m, ctx.codec).bytes, m.rows, m.cols, ctx.codec).m;
  const per = Array.from({ length: m.rows }, (_, j) => rowEntries(b, j, ctx.top.inputSkipping));
  return (row) => per[row] ?? 0;
}

/** Equal chunks of at most n rows. */
export function evenChunks(rows: number, n: number): RowChunk[] {
  const out: RowChunk[] = [];
  for (let r = 0; r < rows; r += n) out.push({ row0: r, rows: Math.min(n, rows - r) });
  return out;
}
