/**
 * The DMA testbench: transfer lists -> golden model of the DMA (streams, statuses, final memory
 * image) -> generated testbench (both engines on one AXI4 memory model with random stalls and
 * injected errors, one protocol monitor) -> simulator -> memory dump compared byte for byte.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedDescription } from "../generator/dsl/description.ts";
import { type DmaParams, dmaModules, dmaParams } from "../generator/elab/dma.ts";
import type { ModuleInstance } from "../generator/elab/elaborate.ts";
import { banner, renderRtl, renderTb } from "../generator/emit/render.ts";
import { Rng } from "../generator/model/rng.ts";
import { memBase, parseHexDump } from "./host/memory.ts";
import { type SimResult, type Simulator, runSim } from "./sim.ts";

/** One DMA command: rows of rowBytes bytes, row r starting at addr + r * stride (mod 2^aw). */
export interface DmaCmd {
  addr: bigint;
  rowBytes: number;
  rows: number;
  /** Signed; the engine adds it modulo 2^aw. */
  stride: bigint;
  /** What the command exercises (for messages). */
  kind: string;
}

/** A write command and the length of the stream the producer sends for it. */
export interface DmaWrCmd extends DmaCmd {
  streamBytes: number;
}

/** A range of word addresses the memory model answers with an error response. */
export interface ErrRegion {
  read: boolean;
  write: boolean;
  resp: 2 | 3;
  /** lo <= word address < hi. */
  lo: bigint;
  hi: bigint;
}

/**
 * The AXI memory model's stalls and latencies (testbench/templates/axi_mem_model.sv.hbs): cycles
 * of latency, and per-cycle probabilities (percent) of each channel's ready or valid.
 */
export interface AxiMemStalls {
  rdLatency: number;
  wrLatency: number;
  arReadyPct: number;
  rValidPct: number;
  awReadyPct: number;
  wReadyPct: number;
  bValidPct: number;
}

/** Only the memory model's stall fields of a configuration (the template's parameters). */
export function stallParams(b: AxiMemStalls): AxiMemStalls {
  const { rdLatency, wrLatency, arReadyPct, rValidPct, awReadyPct, wReadyPct, bValidPct } = b;
  return { rdLatency, wrLatency, arReadyPct, rValidPct, awReadyPct, wReadyPct, bValidPct };
}

/** The memory model's and the stream drivers' behaviour. */
export interface DmaBusConfig extends AxiMemStalls {
  /** Read stream consumer's ready probability. */
  outReadyPct: number;
  /** Write stream producer's valid probability. */
  inValidPct: number;
  /** Command valid probability. */
  cmdPct: number;
}

/** The AXI memory model at full speed: no latency, every channel always ready. */
export const FULL_SPEED_MEM: AxiMemStalls = {
  rdLatency: 0,
  wrLatency: 0,
  arReadyPct: 100,
  rValidPct: 100,
  awReadyPct: 100,
  wReadyPct: 100,
  bValidPct: 100,
};

export const NO_STALLS: DmaBusConfig = {
  ...FULL_SPEED_MEM,
  outReadyPct: 100,
  inValidPct: 100,
  cmdPct: 100,
};

/** Every AXI channel and both streams stall with probability `pct` percent. */
export function uniformStalls(pct: number, latency = 0): DmaBusConfig {
  const p = 100 - pct;
  return {
    rdLatency: latency,
    wrLatency: latency,
    arReadyPct: p,
    rValidPct: p,
    awReadyPct: p,
    wReadyPct: p,
    bValidPct: p,
    outReadyPct: p,
    inValidPct: p,
    cmdPct: 100,
  };
}

/** Everything a run needs: the memory, its error regions, the commands and the write streams. */
export interface DmaScenario {
  memBase: bigint;
  memBytes: number;
  init: Uint8Array;
  errs: ErrRegion[];
  rd: DmaCmd[];
  wr: DmaWrCmd[];
  /** Stream bytes of each write command (length streamBytes). */
  wrData: Uint8Array[];
}

// ------------------------------------------------------------------ golden model

export interface RdExpect {
  stream: Uint8Array;
  err: boolean;
  resp: number;
}

export interface WrExpect {
  written: number;
  overflow: boolean;
  err: boolean;
  resp: number;
}

/**
 * Golden model of the DMA against a memory with error regions. Commands run in order; reads see
 * the memory as it is when they run. Responses are per bus word (by its word address) exactly as
 * axi_mem_model answers them; a command's error code is its first error word's, in transfer
 * order, because the engines keep bursts and beats in order.
 */
export class DmaGolden {
  readonly mem: Uint8Array;
  private readonly mask: bigint;
  private readonly nb: bigint;

  constructor(
    readonly p: DmaParams,
    readonly base: bigint,
    init: Uint8Array,
    readonly errs: readonly ErrRegion[],
  ) {
    this.mem = init.slice();
    this.mask = (1n << BigInt(p.aw)) - 1n;
    this.nb = BigInt(p.bytes);
  }

  inMem(a: bigint): boolean {
    return a >= this.base && a - this.base < BigInt(this.mem.length);
  }

  /** Response of the bus word holding byte address a. */
  respOf(a: bigint, write: boolean): number {
    const w = a - (a % this.nb);
    if (!this.inMem(w)) return 3;
    for (const e of this.errs)
      if ((write ? e.write : e.read) && w >= e.lo && w < e.hi) return e.resp;
    return 0;
  }

  rowAddr(c: DmaCmd, r: number): bigint {
    return (c.addr + BigInt(r) * c.stride) & this.mask;
  }

  /** Byte addresses of the first n bytes of a command's region, in transfer order. */
  regionAddrs(c: DmaCmd, n: number): bigint[] {
    const out: bigint[] = [];
    for (let r = 0; r < c.rows && out.length < n; r++) {
      const a0 = this.rowAddr(c, r);
      for (let i = 0; i < c.rowBytes && out.length < n; i++) out.push((a0 + BigInt(i)) & this.mask);
    }
    return out;
  }

  /** First error response over the words of a list of byte addresses in order (0: none). */
  private firstError(addrs: readonly bigint[], write: boolean): number {
    let lastWord = -1n;
    for (const a of addrs) {
      const w = a - (a % this.nb);
      if (w === lastWord) continue;
      lastWord = w;
      const r = this.respOf(w, write);
      if (r !== 0) return r;
    }
    return 0;
  }

  read(c: DmaCmd): RdExpect {
    const addrs = this.regionAddrs(c, c.rows * c.rowBytes);
    const stream = new Uint8Array(addrs.length);
    addrs.forEach((a, i) => {
      stream[i] = this.inMem(a) ? (this.mem[Number(a - this.base)] ?? 0) : 0;
    });
    const resp = this.firstError(addrs, false);
    return { stream, err: resp !== 0, resp };
  }

  write(c: DmaWrCmd, data: Uint8Array): WrExpect {
    const region = c.rows * c.rowBytes;
    const n = Math.min(region, c.streamBytes);
    const addrs = this.regionAddrs(c, n);
    addrs.forEach((a, i) => {
      if (this.respOf(a, true) === 0) this.mem[Number(a - this.base)] = data[i] ?? 0;
    });
    const resp = this.firstError(addrs, true);
    return { written: n, overflow: c.streamBytes > region, err: resp !== 0, resp };
  }
}

// ------------------------------------------------------------------ scenario generation

const PAGE = 4096;

/** Bump allocator for write destinations: every destination gets untouched guard bytes around it. */
class DestAlloc {
  private cursor: number;
  constructor(
    private readonly rng: Rng,
    start: number,
    private readonly end: number,
  ) {
    this.cursor = start;
  }
  /** Offset of a fresh footprint of `size` bytes, or undefined when full. */
  take(size: number, align: "any" | "word" | number, nb: number): number | undefined {
    let at = this.cursor + this.rng.int(1, 3 * nb + 5);
    if (align === "word") at = Math.ceil(at / nb) * nb;
    else if (typeof align === "number") at = Math.ceil((at + align) / PAGE) * PAGE - align;
    if (at + size + 1 > this.end) return undefined;
    this.cursor = at + Math.max(size, 1);
    return at;
  }
}

/** A row length from 1 byte to many KB, biased towards the sizes where bursts are cut. */
function pickLength(rng: Rng, p: DmaParams, max: number): number {
  const bb = p.burstBytes;
  const nb = p.bytes;
  const k = rng.int(0, 99);
  let n: number;
  if (k < 25) n = rng.int(1, 3 * nb);
  else if (k < 45) n = rng.int(1, 400);
  else if (k < 70) n = rng.int(400, 3000);
  else if (k < 85) n = rng.int(3000, max);
  else n = rng.int(1, 3) * bb + rng.int(-1, 1) * rng.pick([1, nb]);
  return Math.max(1, Math.min(max, n));
}

interface Shape {
  rowBytes: number;
  rows: number;
  stride: number;
  kind: string;
}

function pickShape(rng: Rng, p: DmaParams, maxLen: number): Shape {
  const k = rng.int(0, 99);
  if (k < 2) return { rowBytes: rng.int(0, 1) === 0 ? 0 : 16, rows: 0, stride: 0, kind: "empty" };
  if (k < 4) return { rowBytes: 0, rows: rng.int(1, 3), stride: 64, kind: "empty" };
  if (k < 70) return { rowBytes: pickLength(rng, p, maxLen), rows: 1, stride: 0, kind: "1d" };
  const rows = rng.int(2, rng.bernoulli(0.3) ? 40 : 12);
  const rowBytes = rng.bernoulli(0.2) ? rng.int(1, 2 * p.bytes) : rng.int(1, 900);
  const s = rng.int(0, 99);
  let stride: number;
  let kind: string;
  if (s < 25) {
    stride = rowBytes;
    kind = "2d-contiguous";
  } else if (s < 70) {
    stride = rowBytes + rng.int(1, 300);
    kind = "2d-strided";
  } else if (s < 82 && rowBytes < PAGE) {
    stride = PAGE;
    kind = "2d-page-stride";
  } else {
    stride = -(rowBytes + rng.int(0, 200));
    kind = "2d-negative-stride";
  }
  return { rowBytes, rows, stride, kind };
}

/** Bytes spanned by a shape and the offset of row 0 inside that span. */
function footprint(s: Shape): { size: number; row0: number } {
  if (s.rows === 0 || s.rowBytes === 0) return { size: 0, row0: 0 };
  const span = Math.abs(s.stride) * (s.rows - 1);
  return { size: span + s.rowBytes, row0: s.stride < 0 ? span : 0 };
}

/** Offsets from a page boundary and lengths that cut bursts in every way near 4 KB. */
function sweepSets(p: DmaParams): { offsets: number[]; lengths: number[] } {
  const nb = p.bytes;
  const bb = p.burstBytes;
  const uniq = (xs: number[]): number[] =>
    [...new Set(xs.filter((x) => x >= 0 && x < PAGE))].sort((a, b) => a - b);
  return {
    offsets: uniq([0, 1, nb - 1, nb, nb + 1, bb - 1, bb, bb + 1, 2 * bb - 1]),
    lengths: [...new Set([1, nb, nb + 1, bb, bb + 1, 2 * bb + nb + 1])],
  };
}

export interface ScenarioOptions {
  /** Memory size in bytes (power of two, at least 256 KiB). */
  memBytes?: number;
  /** Random read and write commands (directed and sweep commands come on top). */
  reads: number;
  writes: number;
  /** 4 KB boundary sweeps (reads and writes). */
  sweeps?: boolean;
  /** Error regions and the directed commands that hit them. */
  errors?: boolean;
  /** Longest 1D row. */
  maxLen?: number;
}

/**
 * The memory base: straddling the 4 GiB line for addresses wider than 32 bits, else the host
 * runtime's placement (memBase: 0x8000_0000 for 32 bits, the upper half of a narrower space).
 */
export function memBaseFor(p: DmaParams, memBytes: number): bigint {
  return p.aw > 32 ? (1n << 32n) - BigInt(memBytes / 4) : BigInt(memBase(p.aw, memBytes));
}

/**
 * Random transfer lists: sources in the first 3/8 of the memory (read only), destinations in the
 * rest with guard bytes between them; error regions and directed commands into them; 4 KB sweeps.
 */
export function genScenario(p: DmaParams, seed: number, o: ScenarioOptions): DmaScenario {
  const rng = new Rng(seed);
  // 1 MiB, or half of a narrower address space (no transfer wraps past its end)
  const memBytes = o.memBytes ?? Math.min(1 << 20, 2 ** (p.aw - 1));
  const maxLen = o.maxLen ?? 12_000;
  const base = memBaseFor(p, memBytes);
  const nb = p.bytes;
  const init = new Uint8Array(memBytes);
  for (let i = 0; i < memBytes; i += 4) {
    const v = rng.u32();
    init[i] = v & 0xff;
    init[i + 1] = (v >>> 8) & 0xff;
    init[i + 2] = (v >>> 16) & 0xff;
    init[i + 3] = v >>> 24;
  }
  const srcEnd = (memBytes * 3) / 8;
  const tail = 8192; // the end of the memory is kept for the write past the end
  const alloc = new DestAlloc(rng, srcEnd + PAGE, memBytes - tail);
  const rd: DmaCmd[] = [];
  const wr: DmaWrCmd[] = [];
  const errs: ErrRegion[] = [];
  const B = (x: number): bigint => base + BigInt(x);

  const srcCmd = (s: Shape, kind = s.kind): DmaCmd => {
    const fp = footprint(s);
    const start = rng.int(0, srcEnd - fp.size - 1);
    const a = rng.int(0, 3);
    const off =
      a === 0
        ? start - (start % nb)
        : a === 1
          ? Math.ceil(start / PAGE) * PAGE - rng.int(0, 2 * nb)
          : start;
    const lo = Math.max(0, Math.min(srcEnd - fp.size - 1, off));
    return {
      addr: B(lo + fp.row0),
      rowBytes: s.rowBytes,
      rows: s.rows,
      stride: BigInt(s.stride),
      kind,
    };
  };
  const streamLen = (region: number): { n: number; mode: string } => {
    const k = rng.int(0, 99);
    if (k < 68 || region === 0) return { n: region, mode: "exact" };
    if (k < 80) return { n: rng.int(0, region - 1), mode: "short" };
    if (k < 92) return { n: region + rng.int(1, 3 * nb + p.burstBytes), mode: "overflow" };
    return { n: 0, mode: "empty-stream" };
  };
  const dstCmd = (
    s: Shape,
    align: "any" | "word" | number,
    mode?: { n: number; mode: string },
  ): DmaWrCmd | undefined => {
    const fp = footprint(s);
    const at = alloc.take(fp.size, align, nb);
    if (at === undefined) return undefined;
    const region = s.rows * s.rowBytes;
    const m = mode ?? streamLen(region);
    return {
      addr: B(at + fp.row0),
      rowBytes: s.rowBytes,
      rows: s.rows,
      stride: BigInt(s.stride),
      kind: `${s.kind}/${m.mode}`,
      streamBytes: m.n,
    };
  };

  // error regions first, so random commands may run into them too
  if (o.errors ?? true) {
    const rdSlv = Math.floor((srcEnd * 0.6) / PAGE) * PAGE + 3 * nb;
    const rdDec = rdSlv + PAGE + 2 * nb;
    errs.push({ read: true, write: false, resp: 2, lo: B(rdSlv), hi: B(rdSlv + 1024) });
    errs.push({ read: true, write: false, resp: 3, lo: B(rdDec), hi: B(rdDec + 512) });
    // directed reads: into, out of and across error regions; before the memory; past its end
    rd.push({ addr: B(rdSlv - 40), rowBytes: 100, rows: 1, stride: 0n, kind: "err-slverr-into" });
    rd.push({ addr: B(rdDec + 500), rowBytes: 300, rows: 1, stride: 0n, kind: "err-decerr-out" });
    rd.push({ addr: B(rdSlv - 900), rowBytes: 64, rows: 30, stride: 128n, kind: "err-2d-rows" });
    rd.push({
      addr: B(rdSlv + 1024 - 7),
      rowBytes: rdDec - rdSlv,
      rows: 1,
      stride: 0n,
      kind: "err-across-both",
    });
    rd.push({ addr: base - 20n, rowBytes: 64, rows: 1, stride: 0n, kind: "err-below-memory" });
    rd.push({
      addr: B(memBytes + 64),
      rowBytes: 40,
      rows: 1,
      stride: 0n,
      kind: "err-above-memory",
    });
    // write error regions inside the destination area
    const wSlv = alloc.take(2048, "word", nb) ?? 0;
    const wDec = alloc.take(1024, "word", nb) ?? 0;
    errs.push({ read: false, write: true, resp: 2, lo: B(wSlv + 512), hi: B(wSlv + 1536) });
    errs.push({ read: false, write: true, resp: 3, lo: B(wDec), hi: B(wDec + 1024) });
    const dw = (addr: bigint, n: number, rows: number, stride: number, kind: string): void => {
      wr.push({ addr, rowBytes: n, rows, stride: BigInt(stride), kind, streamBytes: n * rows });
    };
    dw(B(wSlv + 500), 100, 1, 0, "err-slverr-into");
    dw(B(wSlv + 1), 400, 1, 0, "ok-before-slverr");
    dw(B(wSlv + 1536 - 3), 300, 1, 0, "err-slverr-out");
    dw(B(wSlv + 1000), 60, 3, 150, "err-2d-slverr");
    dw(B(wDec + 9), 200, 1, 0, "err-decerr");
    dw(B(memBytes - 50), 100, 1, 0, "err-past-memory-end");
    dw(B(memBytes + 4096), 64, 1, 0, "err-outside-memory");
  }
  // directed shapes, so every list covers them whatever the random draws
  const shapes: Shape[] = [
    { rowBytes: 1, rows: 1, stride: 0, kind: "1d-one-byte" },
    { rowBytes: maxLen, rows: 1, stride: 0, kind: "1d-longest" },
    { rowBytes: 3 * nb + 1, rows: 9, stride: -(4 * nb + 3), kind: "2d-negative-stride" },
    { rowBytes: 2 * nb - 1, rows: 6, stride: PAGE, kind: "2d-page-stride" },
    { rowBytes: 5, rows: 40, stride: 5, kind: "2d-contiguous" },
    { rowBytes: 0, rows: 4, stride: 8, kind: "empty" },
    { rowBytes: 12, rows: 0, stride: 8, kind: "empty" },
  ];
  for (const s of shapes) rd.push(srcCmd(s));
  for (const s of shapes) {
    const c = dstCmd(s, "any", { n: s.rows * s.rowBytes, mode: "exact" });
    if (c !== undefined) wr.push(c);
  }
  const streams: [Shape, (region: number) => number, string][] = [
    [{ rowBytes: 700, rows: 3, stride: 800, kind: "2d-strided" }, (n) => n - 333, "short"],
    [{ rowBytes: 1000, rows: 1, stride: 0, kind: "1d" }, (n) => n + p.burstBytes + 3, "overflow"],
    [{ rowBytes: 90, rows: 4, stride: 100, kind: "2d-strided" }, (n) => n + 1, "overflow"],
    [{ rowBytes: 64, rows: 1, stride: 0, kind: "1d" }, () => 0, "empty-stream"],
    [{ rowBytes: 0, rows: 0, stride: 0, kind: "empty" }, () => 77, "overflow"],
    [{ rowBytes: 6000, rows: 1, stride: 0, kind: "1d-open-ended" }, () => 2345, "short"],
  ];
  for (const [s, len, mode] of streams) {
    const c = dstCmd(s, "any", { n: len(s.rows * s.rowBytes), mode });
    if (c !== undefined) wr.push(c);
  }
  if (p.aw > 32) {
    // a read across the 4 GiB line (the memory straddles it)
    rd.push({ addr: (1n << 32n) - 333n, rowBytes: 5000, rows: 1, stride: 0n, kind: "cross-4gib" });
  }

  if (o.sweeps ?? true) {
    const { offsets, lengths } = sweepSets(p);
    let page = 1;
    for (const d of offsets)
      for (const len of lengths) {
        const pb = page++ * PAGE;
        if (pb + len >= srcEnd) page = 1;
        rd.push({
          addr: B(pb - d),
          rowBytes: len,
          rows: 1,
          stride: 0n,
          kind: `sweep-4k-${d}-${len}`,
        });
      }
    for (const d of offsets)
      for (const len of [nb + 1, p.burstBytes + 1, 2 * p.burstBytes + nb + 1]) {
        const c = dstCmd({ rowBytes: len, rows: 1, stride: 0, kind: `sweep-4k-${d}-${len}` }, d, {
          n: len,
          mode: "exact",
        });
        if (c !== undefined) wr.push(c);
      }
  }

  for (let i = 0; i < o.reads; i++) rd.push(srcCmd(pickShape(rng, p, maxLen)));
  for (let i = 0; i < o.writes; i++) {
    const c = dstCmd(pickShape(rng, p, maxLen), rng.pick(["any", "any", "word"] as const));
    if (c !== undefined) wr.push(c);
  }
  // shuffle so directed, sweep and random commands interleave
  shuffle(rng, rd);
  shuffle(rng, wr);
  const wrData = wr.map((c) => {
    const d = new Uint8Array(c.streamBytes);
    for (let i = 0; i < d.length; i++) d[i] = rng.int(0, 255);
    return d;
  });
  return { memBase: base, memBytes, init, errs, rd, wr, wrData };
}

/** A command placed by its offset from the memory base. */
export type Placed<T extends DmaCmd> = Omit<T, "addr"> & { offset: number };

/**
 * A scenario of given commands (benchmarks): random memory, random write streams of the
 * commands' region sizes, no error regions. Addresses are offsets from the memory base.
 */
export function customScenario(
  p: DmaParams,
  memBytes: number,
  rd: Placed<DmaCmd>[],
  wr: Placed<DmaWrCmd>[],
  seed: number,
): DmaScenario {
  const rng = new Rng(seed);
  const base = memBaseFor(p, memBytes);
  const init = new Uint8Array(memBytes);
  for (let i = 0; i < memBytes; i++) init[i] = rng.int(0, 255);
  const wrCmds: DmaWrCmd[] = wr.map(({ offset, ...c }) => ({ ...c, addr: base + BigInt(offset) }));
  const rdCmds: DmaCmd[] = rd.map(({ offset, ...c }) => ({ ...c, addr: base + BigInt(offset) }));
  const wrData = wrCmds.map((c) => {
    const d = new Uint8Array(c.streamBytes);
    for (let i = 0; i < d.length; i++) d[i] = rng.int(0, 255);
    return d;
  });
  return { memBase: base, memBytes, init, errs: [], rd: rdCmds, wr: wrCmds, wrData };
}

function shuffle<T>(rng: Rng, xs: T[]): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = xs[i] as T;
    xs[i] = xs[j] as T;
    xs[j] = t;
  }
}

// ------------------------------------------------------------------ files

const hex = (v: bigint, bits: number): string => v.toString(16).padStart(Math.ceil(bits / 4), "0");

/** Pack bytes into bus words, little-endian lanes: byte j of a word in bits 8j+7:8j. */
function wordOf(bytes: Uint8Array, from: number, nb: number): bigint {
  let w = 0n;
  for (let j = nb - 1; j >= 0; j--) w = (w << 8n) | BigInt(bytes[from + j] ?? 0);
  return w;
}

/** Stream words {last, keep, data} of a byte stream; `fill` supplies the unkept lanes. */
export function streamLines(
  bytes: Uint8Array,
  p: DmaParams,
  fill: (() => number) | undefined,
  emptyWord: boolean,
): string[] {
  const nb = p.bytes;
  const bits = p.dw + nb + 1;
  const lines: string[] = [];
  const n = bytes.length;
  if (n === 0) {
    if (emptyWord) lines.push(hex(1n << BigInt(p.dw + nb), bits));
    return lines;
  }
  for (let i = 0; i < n; i += nb) {
    const k = Math.min(nb, n - i);
    const chunk = new Uint8Array(nb);
    for (let j = 0; j < nb; j++) chunk[j] = j < k ? (bytes[i + j] ?? 0) : fill ? fill() : 0;
    const last = i + nb >= n ? 1n : 0n;
    const keep = (1n << BigInt(k)) - 1n;
    lines.push(
      hex((last << BigInt(p.dw + nb)) | (keep << BigInt(p.dw)) | wordOf(chunk, 0, nb), bits),
    );
  }
  return lines;
}

const cmdLine = (c: DmaCmd, aw: number): string =>
  hex(
    (BigInt.asUintN(64, c.addr & ((1n << BigInt(aw)) - 1n)) << 112n) |
      (BigInt(c.rowBytes) << 80n) |
      (BigInt(c.rows) << 64n) |
      BigInt.asUintN(aw, c.stride),
    176,
  );

const statLine = (
  ovf: boolean,
  err: boolean,
  resp: number,
  wordsEnd: number,
  bytes: number,
): string =>
  hex(
    (BigInt(ovf ? 1 : 0) << 124n) |
      (BigInt(err ? 1 : 0) << 120n) |
      (BigInt(resp) << 116n) |
      (BigInt(wordsEnd) << 64n) |
      BigInt(bytes),
    128,
  );

/** A line of the memory model's error-region file (ERR_FILE). */
export const errLine = (e: ErrRegion): string =>
  hex(
    (BigInt((e.read ? 1 : 0) | (e.write ? 2 : 0)) << 132n) |
      (BigInt(e.resp) << 128n) |
      (BigInt.asUintN(64, e.lo) << 64n) |
      BigInt.asUintN(64, e.hi),
    136,
  );

/** Parse a $writememh dump (either simulator's flavour) into bytes: memory.ts's parser. */
export function parseMemDump(text: string, p: DmaParams, memBytes: number): Uint8Array {
  return parseHexDump(text, p.bytes, memBytes);
}

// ------------------------------------------------------------------ running

export interface DmaBenchOptions {
  seed: number;
  bus: DmaBusConfig;
  waves?: boolean;
  /** Print a PERF line per command (cycles from command handshake to done). */
  perf?: boolean;
  /** Flip one bit of this expected read stream word (to prove the bench can fail). */
  corruptReadWord?: number;
}

export interface DmaPerf {
  dir: "rd" | "wr";
  index: number;
  bytes: number;
  /** Cycles from the command handshake to the done pulse. */
  cycles: number;
  /** Cycle of the command handshake. */
  start: number;
}

export interface DmaBenchResult extends SimResult {
  /** The simulator passed and the final memory equals the golden model's. */
  ok: boolean;
  /** Memory image differences, classified (destination data, guard byte, elsewhere). */
  memErrors: string[];
  rdCmds: number;
  wrCmds: number;
  rdBytes: number;
  wrBytes: number;
  errCmds: number;
  overflowCmds: number;
  cycles: number | undefined;
  perf: DmaPerf[];
}

export function dmaModulesOf(modules: readonly ModuleInstance[]): {
  rd: ModuleInstance;
  wr: ModuleInstance;
} {
  const rd = modules.find((m) => m.role === "dma_rd");
  const wr = modules.find((m) => m.role === "dma_wr");
  if (rd === undefined || wr === undefined) throw new Error("design has no DMA");
  return { rd, wr };
}

/** A description's two DMA engines, rendered exactly as `gen` emits them. */
export interface DmaRtl {
  params: DmaParams;
  modules: { rd: string; wr: string };
  rtl: { rd: string; wr: string };
}

export function dmaRtl(desc: ResolvedDescription): DmaRtl {
  const { rd, wr } = dmaModulesOf(dmaModules(desc));
  const render = (m: ModuleInstance): string =>
    renderRtl(m.template, {
      banner: banner(`${m.module}: ${m.doc}`, `description "${desc.name}"`),
      module: m.module,
      doc: m.doc,
      ...m.params,
    });
  return {
    params: dmaParams(desc),
    modules: { rd: rd.module, wr: wr.module },
    rtl: { rd: render(rd), wr: render(wr) },
  };
}

const seedHex = (rng: Rng): string => ((rng.u32() | 1) >>> 0).toString(16).padStart(8, "0");

/** Render the reusable memory model and protocol monitor (testbench sources). */
export function renderAxiTbModels(): { memModel: string; monitor: string } {
  return {
    memModel: renderTb("axi_mem_model.sv.hbs", {
      banner: banner(
        "axi_mem_model: AXI4 slave memory model",
        "testbench/templates/axi_mem_model.sv.hbs",
      ),
    }),
    monitor: renderTb("axi_monitor.sv.hbs", {
      banner: banner(
        "axi_monitor: AXI4 protocol monitor",
        "testbench/templates/axi_monitor.sv.hbs",
      ),
    }),
  };
}

/** Run a scenario on the two engines' RTL in one simulator. */
export function runDmaBench(
  dir: string,
  modules: { rd: string; wr: string },
  rtl: { rd: string; wr: string },
  p: DmaParams,
  sc: DmaScenario,
  sim: Simulator,
  o: DmaBenchOptions,
): DmaBenchResult {
  const nb = p.bytes;
  const golden = new DmaGolden(p, sc.memBase, sc.init, sc.errs);

  // writes and reads touch disjoint memory, so their order between each other does not matter
  const rdLines: string[] = [];
  const rdStat: string[] = [];
  let rdBytes = 0;
  let errCmds = 0;
  for (const c of sc.rd) {
    const e = golden.read(c);
    rdLines.push(...streamLines(e.stream, p, undefined, false));
    rdStat.push(statLine(false, e.err, e.resp, rdLines.length, e.stream.length));
    rdBytes += e.stream.length;
    if (e.err) errCmds++;
  }
  const wrLines: string[] = [];
  const wrStat: string[] = [];
  const written = new Map<bigint, number>(); // byte address -> write command
  const junk = new Rng(o.seed ^ 0x77);
  let wrBytes = 0;
  let overflowCmds = 0;
  sc.wr.forEach((c, i) => {
    const data = sc.wrData[i] ?? new Uint8Array(0);
    const e = golden.write(c, data);
    for (const a of golden.regionAddrs(c, c.rows * c.rowBytes)) written.set(a, i);
    wrLines.push(...streamLines(data, p, () => junk.int(0, 255), true));
    wrStat.push(statLine(e.overflow, e.err, e.resp, wrLines.length, e.written));
    wrBytes += e.written;
    if (e.err) errCmds++;
    if (e.overflow) overflowCmds++;
  });
  if (o.corruptReadWord !== undefined && rdLines.length > 0) {
    const i = o.corruptReadWord % rdLines.length;
    const line = rdLines[i] ?? "0";
    rdLines[i] = line.slice(0, -1) + (parseInt(line.slice(-1), 16) ^ 1).toString(16);
  }

  const work = join(dir, sim);
  mkdirSync(work, { recursive: true });
  const memLines: string[] = [];
  for (let i = 0; i < sc.memBytes; i += nb) memLines.push(hex(wordOf(sc.init, i, nb), p.dw));
  const put = (name: string, lines: string[], bits: number): void => {
    // $readmemh needs at least one word
    writeFileSync(join(work, name), (lines.length > 0 ? lines : [hex(0n, bits)]).join("\n") + "\n");
  };
  put("mem_init.hex", memLines, p.dw);
  put("mem_err.hex", sc.errs.map(errLine), 136);
  put(
    "rd_cmds.hex",
    sc.rd.map((c) => cmdLine(c, p.aw)),
    176,
  );
  put(
    "wr_cmds.hex",
    sc.wr.map((c) => cmdLine(c, p.aw)),
    176,
  );
  put("rd_stat.hex", rdStat, 128);
  put("wr_stat.hex", wrStat, 128);
  put("rd_exp.hex", rdLines, p.dw + nb + 1);
  put("wr_stream.hex", wrLines, p.dw + nb + 1);
  writeFileSync(join(work, "dut_rd.v"), rtl.rd);
  writeFileSync(join(work, "dut_wr.v"), rtl.wr);
  const models = renderAxiTbModels();
  writeFileSync(join(work, "axi_mem_model.sv"), models.memModel);
  writeFileSync(join(work, "axi_monitor.sv"), models.monitor);

  const rng = new Rng(o.seed ^ 0x2468ace);
  const b = o.bus;
  // generous: every beat stalled on every channel, plus latency per burst
  const beats =
    (rdBytes + wrBytes) / nb + 4 * (sc.rd.length + sc.wr.length) + rdLines.length + wrLines.length;
  const minPct = Math.max(
    1,
    Math.min(
      b.arReadyPct,
      b.rValidPct,
      b.awReadyPct,
      b.wReadyPct,
      b.bValidPct,
      b.outReadyPct,
      b.inValidPct,
      b.cmdPct,
    ),
  );
  const timeout =
    Math.ceil(((beats * 400) / minPct) * (1 + Math.max(b.rdLatency, b.wrLatency) / 4)) + 20_000;
  const tb = renderTb("tb_axi_dma.sv.hbs", {
    banner: banner(
      `Testbench for ${modules.rd} and ${modules.wr}`,
      "testbench/templates/tb_axi_dma.sv.hbs",
    ),
    rdModule: modules.rd,
    wrModule: modules.wr,
    dw: p.dw,
    bytes: nb,
    aw: p.aw,
    lenW: p.lenW,
    rowsW: p.rowsW,
    cntW: p.cntW,
    maxBurst: p.maxBurst,
    maxOutstanding: p.maxOutstanding,
    nRd: sc.rd.length,
    nWr: sc.wr.length,
    nRdWords: rdLines.length,
    nWrWords: wrLines.length,
    nRdArr: Math.max(1, sc.rd.length),
    nWrArr: Math.max(1, sc.wr.length),
    nRdWordsArr: Math.max(1, rdLines.length),
    nWrWordsArr: Math.max(1, wrLines.length),
    cmdPct: b.cmdPct,
    outReadyPct: b.outReadyPct,
    inValidPct: b.inValidPct,
    perf: o.perf ? 1 : 0,
    timeout,
    memBytes: sc.memBytes,
    memBase: hex(sc.memBase, 64),
    ...stallParams(b),
    memSeed: seedHex(rng),
    nErr: sc.errs.length,
    seedRc: seedHex(rng),
    seedRo: seedHex(rng),
    seedWc: seedHex(rng),
    seedWi: seedHex(rng),
  });
  writeFileSync(join(work, "tb.sv"), tb);
  const res = runSim(
    {
      dir: work,
      top: "tb",
      sources: ["tb.sv", "axi_mem_model.sv", "axi_monitor.sv", "dut_rd.v", "dut_wr.v"].map((f) =>
        join(work, f),
      ),
      ...(o.waves ? { waves: true } : {}),
    },
    sim,
  );

  // the final memory, byte for byte
  const memErrors: string[] = [];
  if (res.ok) {
    let dump: Uint8Array | undefined;
    try {
      dump = parseMemDump(readFileSync(join(work, "mem_out.hex"), "utf8"), p, sc.memBytes);
    } catch (e) {
      memErrors.push(`no memory dump: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (dump !== undefined) {
      for (let i = 0; i < sc.memBytes; i++) {
        const got = dump[i] ?? 0;
        const want = golden.mem[i] ?? 0;
        if (got === want) continue;
        const a = sc.memBase + BigInt(i);
        const owner = written.get(a);
        const what =
          owner !== undefined
            ? `MISMATCH destination byte of write ${owner} (${sc.wr[owner]?.kind ?? "?"})`
            : `OVERRUN guard byte ${nearestWrite(written, a)}`;
        memErrors.push(
          `${what} at 0x${a.toString(16)}: got ${got.toString(16)} expected ${want.toString(16)}`,
        );
        if (memErrors.length >= 20) break;
      }
    }
  }
  const perf: DmaPerf[] = [];
  for (const m of res.output.matchAll(
    /^PERF (rd|wr) (\d+) bytes (\d+) cycles (\d+) start (\d+)/gm,
  )) {
    perf.push({
      dir: m[1] === "rd" ? "rd" : "wr",
      index: Number(m[2]),
      bytes: Number(m[3]),
      cycles: Number(m[4]),
      start: Number(m[5]),
    });
  }
  const cyc = res.passLine?.match(/(\d+) cycles/);
  return {
    ...res,
    ok: res.ok && memErrors.length === 0,
    memErrors,
    rdCmds: sc.rd.length,
    wrCmds: sc.wr.length,
    rdBytes,
    wrBytes,
    errCmds,
    overflowCmds,
    cycles: cyc?.[1] !== undefined ? Number(cyc[1]) : undefined,
    perf,
  };
}

/** "next to write k" for the written byte closest to an address (for overrun messages). */
function nearestWrite(written: ReadonlyMap<bigint, number>, a: bigint): string {
  for (let d = 1n; d <= 4096n; d++) {
    const lo = written.get(a - d);
    if (lo !== undefined) return `${d} byte(s) after write ${lo}`;
    const hi = written.get(a + d);
    if (hi !== undefined) return `${d} byte(s) before write ${hi}`;
  }
  return "far from every destination (stray write)";
}
