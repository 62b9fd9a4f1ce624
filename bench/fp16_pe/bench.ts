/**
 * Simulation of the FP16 reference PE (bench/fp16_pe/fp16_mac_pe.v): vectors whose sums are
 * exact in the PE's arithmetic, so the expected results are plain sums computed here, then the
 * testbench in Icarus Verilog or Verilator with random stalls on both sides.
 *
 * Two kinds of dot products: (1) one beat with one product of two random FP16 numbers (every
 * exponent, every mantissa; the other lanes hold zeros and subnormals, which the PE flushes to
 * zero), checking the multiplier and the flush; (2) several beats of small numbers m * 2^x
 * (|m| < 8, |x| <= 2), whose partial sums never lose a bit in the adders, checking alignment,
 * carries, cancellation, renormalisation and the accumulator, plus dot products that cancel to
 * exactly zero.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { Rng } from "../../generator/model/rng.ts";
import { type SimResult, type Simulator, runSim } from "../../testbench/sim.ts";

export const FP16_PE_DIR = dirname(fileURLToPath(import.meta.url));
export const FP16_PE_RTL = join(FP16_PE_DIR, "fp16_mac_pe.v");
export const FP16_PE_MODULE = "fp16_mac_pe";

/** The value the PE reads from an FP16 bit pattern: subnormals are zero, exponent 31 is normal. */
export function fp16Value(bits: number): number {
  const s = (bits >> 15) & 1 ? -1 : 1;
  const e = (bits >> 10) & 31;
  const m = bits & 1023;
  if (e === 0) return 0;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** FP16 bits of m * 2^x for a small integer m (exactly representable; 0 gives +0). */
export function fp16Exact(m: number, x: number): number {
  if (m === 0) return 0;
  const mag = Math.abs(m);
  const lz = Math.floor(Math.log2(mag));
  const exp = x + lz; // m * 2^x = (mag / 2^lz) * 2^exp with mag / 2^lz in [1, 2)
  const mant = (mag / 2 ** lz - 1) * 1024;
  if (!Number.isInteger(mant) || exp + 15 < 1 || exp + 15 > 30) {
    throw new Error(`fp16Exact(${m}, ${x}) is not a normal FP16 number`);
  }
  return (m < 0 ? 0x8000 : 0) | ((exp + 15) << 10) | mant;
}

/** IEEE binary32 bits of a number that is exactly representable. */
export function f32Bits(v: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, v);
  if (buf.getFloat32(0) !== v) throw new Error(`${v} is not exact in binary32`);
  return buf.getUint32(0);
}

export interface Fp16Vector {
  /** beats[i] = [a lanes, b lanes] as FP16 bit patterns. */
  beats: [number[], number[]][];
  expected: number;
}

export function genFp16Vectors(lanes: number, count: number, seed: number): Fp16Vector[] {
  const rng = new Rng(seed);
  const vecs: Fp16Vector[] = [];
  const tinyOrZero = (): number => (rng.bernoulli(0.5) ? 0x8000 : 0) | rng.int(0, 1023);
  const small = (): number => fp16Exact(rng.int(-7, 7), rng.int(-2, 2));
  for (let v = 0; v < count; v++) {
    const kind = v % 3;
    if (kind === 0) {
      // One full-range product; the other lanes are zeros or subnormals (flushed).
      const lane = rng.int(0, lanes - 1);
      const a = Array.from({ length: lanes }, tinyOrZero);
      const b = Array.from({ length: lanes }, tinyOrZero);
      a[lane] = rng.u32() & 0xffff;
      b[lane] = rng.u32() & 0xffff;
      let sum = 0;
      for (let i = 0; i < lanes; i++) sum += fp16Value(a[i] ?? 0) * fp16Value(b[i] ?? 0);
      vecs.push({ beats: [[a, b]], expected: sum });
    } else {
      const n = rng.int(1, 8);
      const beats: [number[], number[]][] = [];
      for (let i = 0; i < n; i++) {
        beats.push([Array.from({ length: lanes }, small), Array.from({ length: lanes }, small)]);
      }
      if (kind === 2 && rng.bernoulli(0.5)) {
        // The same beats again with a negated: the dot product cancels to exactly zero.
        for (const [a, b] of beats.slice()) beats.push([a.map((x) => x ^ 0x8000), b]);
      }
      let sum = 0;
      for (const [a, b] of beats)
        for (let i = 0; i < lanes; i++) sum += fp16Value(a[i] ?? 0) * fp16Value(b[i] ?? 0);
      vecs.push({ beats, expected: sum });
    }
  }
  return vecs;
}

function hexOf(v: bigint, bits: number): string {
  return v.toString(16).padStart(Math.ceil(bits / 4), "0");
}

/** Beat words {last, a lanes, b lanes}, lane 0 in the low bits. */
export function beatWords(vecs: readonly Fp16Vector[], lanes: number): string[] {
  const lines: string[] = [];
  for (const v of vecs) {
    v.beats.forEach(([a, b], i) => {
      let w = i === v.beats.length - 1 ? 1n : 0n;
      for (let l = lanes - 1; l >= 0; l--) w = (w << 16n) | BigInt(a[l] ?? 0);
      for (let l = lanes - 1; l >= 0; l--) w = (w << 16n) | BigInt(b[l] ?? 0);
      lines.push(hexOf(w, 1 + 32 * lanes));
    });
  }
  return lines;
}

export interface Fp16BenchOptions {
  vectors: number;
  seed: number;
  validPct?: number;
  readyPct?: number;
  /** Corrupt the expected result of this vector (to prove the bench can fail). */
  corruptVector?: number;
}

export interface Fp16BenchResult extends SimResult {
  vectors: number;
  beats: number;
}

const tbTemplate = Handlebars.compile(
  readFileSync(join(FP16_PE_DIR, "tb_fp16_mac_pe.sv.hbs"), "utf8"),
  { noEscape: true, strict: true },
);

export function runFp16Bench(
  dir: string,
  lanes: number,
  sim: Simulator,
  o: Fp16BenchOptions,
): Fp16BenchResult {
  const vecs = genFp16Vectors(lanes, o.vectors, o.seed);
  const beats = beatWords(vecs, lanes);
  const expects = vecs.map((v) => hexOf(BigInt(f32Bits(v.expected)), 32));
  if (o.corruptVector !== undefined) {
    const i = o.corruptVector % expects.length;
    expects[i] = hexOf(BigInt(parseInt(expects[i] ?? "0", 16) ^ 1), 32);
  }
  const work = join(dir, sim);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "beats.hex"), beats.join("\n") + "\n");
  writeFileSync(join(work, "expect.hex"), expects.join("\n") + "\n");
  const rng = new Rng(o.seed ^ 0x2468ace);
  const seedHex = (): string => ((rng.u32() | 1) >>> 0).toString(16).padStart(8, "0");
  writeFileSync(
    join(work, "tb.sv"),
    tbTemplate({
      lanes,
      nbeats: beats.length,
      nvec: vecs.length,
      validPct: o.validPct ?? 70,
      readyPct: o.readyPct ?? 70,
      timeout: beats.length * 20 + 1000,
      seedIn: seedHex(),
      seedOut: seedHex(),
    }),
  );
  const res = runSim({ dir: work, top: "tb", sources: [join(work, "tb.sv"), FP16_PE_RTL] }, sim);
  return { ...res, vectors: vecs.length, beats: beats.length };
}
