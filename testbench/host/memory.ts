/**
 * The external-memory image the processor works on: a byte array at a base address, regions
 * allocated from it with guard bytes around each, every byte that is not a tensor filled with a
 * known pattern (so a stray or overrunning write shows up when the image is compared), hex files
 * for the testbench's memory model.
 */

/** An allocated region. */
export interface Region {
  name: string;
  /** Absolute byte address of the first byte. */
  addr: number;
  bytes: number;
  /** Guard bytes before and after the region. */
  guard: number;
}

export interface AllocOptions {
  /** Alignment of the first byte (default 1: any). */
  align?: number;
  /** Extra offset after alignment (to place a region at a chosen misalignment). */
  skew?: number;
  /** Guard bytes on each side (default: the image's). */
  guard?: number;
  /** Initial contents: the background pattern (default) or a constant byte. */
  fill?: "pattern" | number;
}

export interface MemImageOptions {
  base: number;
  /** Size in bytes (a multiple of the bus word). */
  size: number;
  /** Default guard bytes around each region. */
  guard?: number;
  /** Seed of the background pattern. */
  seed?: number;
}

/**
 * Where a memory image of `size` bytes sits in an `addrWidth`-bit AXI address space:
 * 0x8000_0000 for 32 bits or more (bit 31 set), else the upper half of the space when the image
 * fits there (the top address bit set), or address 0.
 */
export function memBase(addrWidth: number, size: number): number {
  if (addrWidth >= 32) return 0x8000_0000;
  if (size <= 2 ** (addrWidth - 1)) return 2 ** (addrWidth - 1);
  if (size <= 2 ** addrWidth) return 0;
  throw new Error(`a memory of ${size} bytes does not fit ${addrWidth} address bits`);
}

/** One differing byte of two images, located by region. */
export interface MemDiff {
  addr: number;
  got: number;
  want: number;
  /** "in <region>", "guard before <region>", "guard after <region>" or "unallocated". */
  where: string;
}

/** Background byte of an address: a cheap hash, different for every address in a word. */
export function patternByte(addr: number, seed: number): number {
  let x = (Math.imul(addr >>> 0, 0x9e3779b1) ^ seed) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x85ebca6b) >>> 0;
  return (x ^ (x >>> 13)) & 0xff;
}

export class MemImage {
  readonly base: number;
  readonly size: number;
  readonly data: Uint8Array;
  readonly guard: number;
  readonly seed: number;
  private cursor: number;
  private readonly regs: Region[];

  /** A fresh image filled with the background pattern (or holding a copy of `contents`). */
  constructor(o: MemImageOptions, contents?: Uint8Array) {
    if (!Number.isInteger(o.base) || o.base < 0) throw new Error(`memory base ${o.base}`);
    if (!Number.isInteger(o.size) || o.size <= 0) throw new Error(`memory size ${o.size}`);
    this.base = o.base;
    this.size = o.size;
    this.guard = o.guard ?? 16;
    this.seed = o.seed ?? 0x5eed;
    if (contents !== undefined) {
      if (contents.length !== o.size)
        throw new Error(`image of ${contents.length} bytes, not ${o.size}`);
      this.data = contents.slice();
    } else {
      this.data = new Uint8Array(o.size);
      for (let i = 0; i < o.size; i++) this.data[i] = patternByte(o.base + i, this.seed);
    }
    this.cursor = 0;
    this.regs = [];
  }

  /** A copy (contents, regions and allocation cursor). */
  clone(): MemImage {
    return this.withData(this.data);
  }

  /** A copy of this image's layout with other contents (e.g. a simulator's dump). */
  withData(data: Uint8Array): MemImage {
    const m = new MemImage(
      { base: this.base, size: this.size, guard: this.guard, seed: this.seed },
      data,
    );
    m.cursor = this.cursor;
    m.regs.push(...this.regs.map((r) => ({ ...r })));
    return m;
  }

  get regions(): readonly Region[] {
    return this.regs;
  }

  /** Bytes not yet allocated. */
  get free(): number {
    return this.size - this.cursor;
  }

  /** Allocate a region after the previous one, with guard bytes on both sides. */
  alloc(name: string, bytes: number, o: AllocOptions = {}): Region {
    if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`alloc ${name}: ${bytes} bytes`);
    const guard = o.guard ?? this.guard;
    const align = o.align ?? 1;
    let at = this.base + this.cursor + guard;
    at = Math.ceil(at / align) * align + (o.skew ?? 0);
    const end = at + bytes + guard;
    if (end > this.base + this.size)
      throw new Error(
        `alloc ${name}: ${bytes} bytes do not fit (${this.base + this.size - at - guard} left of ${this.size})`,
      );
    this.cursor = end - this.base;
    const r: Region = { name, addr: at, bytes, guard };
    this.regs.push(r);
    if (o.fill !== undefined && o.fill !== "pattern") this.fill(at, bytes, o.fill);
    return r;
  }

  private off(addr: number, n: number): number {
    const o = addr - this.base;
    if (!Number.isInteger(o) || o < 0 || o + n > this.size)
      throw new Error(
        `memory access 0x${addr.toString(16)}+${n} outside [0x${this.base.toString(16)}, 0x${(this.base + this.size).toString(16)})`,
      );
    return o;
  }

  write(addr: number, bytes: Uint8Array): void {
    this.data.set(bytes, this.off(addr, bytes.length));
  }

  read(addr: number, n: number): Uint8Array {
    const o = this.off(addr, n);
    return this.data.slice(o, o + n);
  }

  byte(addr: number): number {
    return this.data[this.off(addr, 1)] ?? 0;
  }

  fill(addr: number, n: number, v: number): void {
    const o = this.off(addr, n);
    this.data.fill(v & 0xff, o, o + n);
  }

  /** Where an address lies: inside a region, in a guard band, or unallocated. */
  locate(addr: number): string {
    for (const r of this.regs) {
      if (addr >= r.addr && addr < r.addr + r.bytes) return `in ${r.name} +${addr - r.addr}`;
      if (addr >= r.addr - r.guard && addr < r.addr) return `guard before ${r.name}`;
      if (addr >= r.addr + r.bytes && addr < r.addr + r.bytes + r.guard)
        return `guard after ${r.name}`;
    }
    return "unallocated";
  }

  /** Bytes where `got` differs from this (expected) image, at most `max`. */
  diff(got: MemImage | Uint8Array, max = 32): { count: number; diffs: MemDiff[] } {
    const g = got instanceof MemImage ? got.data : got;
    if (g.length !== this.size) throw new Error(`compare ${g.length} bytes with ${this.size}`);
    const diffs: MemDiff[] = [];
    let count = 0;
    for (let i = 0; i < this.size; i++) {
      const want = this.data[i] ?? 0;
      const have = g[i] ?? 0;
      if (want === have) continue;
      count++;
      if (diffs.length < max) {
        const addr = this.base + i;
        diffs.push({ addr, got: have, want, where: this.locate(addr) });
      }
    }
    return { count, diffs };
  }

  /** $readmemh lines: one bus word of `wordBytes` a line, byte 0 in bits 7:0. */
  hexWords(wordBytes: number): string[] {
    if (this.size % wordBytes !== 0 || this.base % wordBytes !== 0)
      throw new Error(`memory not word-aligned for ${wordBytes}-byte words`);
    const lines: string[] = [];
    for (let i = 0; i < this.size; i += wordBytes) {
      let s = "";
      for (let j = wordBytes - 1; j >= 0; j--)
        s += (this.data[i + j] ?? 0).toString(16).padStart(2, "0");
      lines.push(s);
    }
    return lines;
  }
}

/** Parse a $writememh dump (either simulator's flavour) of `size` bytes in words of `wordBytes`. */
export function parseHexDump(text: string, wordBytes: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let addr = 0;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (line === "") continue;
    for (const tok of line.split(/\s+/)) {
      if (tok.startsWith("@")) {
        addr = parseInt(tok.slice(1), 16);
        continue;
      }
      const hex = tok.replace(/[xXzZ]/g, "0").padStart(2 * wordBytes, "0");
      for (let j = 0; j < wordBytes; j++) {
        const at = addr * wordBytes + j;
        const p = hex.length - 2 * (j + 1);
        if (at < size) out[at] = parseInt(hex.slice(p, p + 2), 16);
      }
      addr++;
    }
  }
  return out;
}

/** "0x..." for messages. */
export const hexAddr = (a: number): string => `0x${a.toString(16)}`;
