/**
 * The codec testbench: tensors -> golden-model encoder and decoder -> vector files -> generated
 * testbench (testbench/templates/tb_codec.sv.hbs) -> simulator -> verdict.
 *
 * The encoder is fed the tensors' blocks and must produce the golden model's bytes bit for bit
 * (plus the byte and NaN-block counts); the decoder is fed the golden model's streams and must
 * deliver the golden model's decoded blocks (scale, element mask, packed non-zero codes).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedDescription } from "../generator/dsl/description.ts";
import { codecModules } from "../generator/elab/codec.ts";
import { banner, renderRtl, renderTb } from "../generator/emit/render.ts";
import { SCALE_NAN } from "../generator/model/bfp8.ts";
import {
  type BfpStream,
  type CodecFormat,
  type CodecParams,
  decode,
  encode,
} from "../generator/model/codecs.ts";
import { Rng } from "../generator/model/rng.ts";
import { type SimResult, type Simulator, runSim } from "./sim.ts";

/** The golden model's codec parameters of a description. */
export function modelCodecParams(desc: ResolvedDescription): CodecParams {
  return {
    format: desc.codec.format,
    k: desc.numerics.blockSize,
    frameElems: desc.codec.frameElems,
    busBits: desc.dma.dataWidth,
    grid: desc.codec.grid,
    levels: desc.codec.levels,
    runBits: desc.codec.runBits,
  };
}

/** A test tensor and what it exercises. */
export interface CodecTensor {
  kind: string;
  t: BfpStream;
}

export interface TensorShape {
  /** Elements (a multiple of k). */
  n: number;
  /** Probability that an element is non-zero. */
  density: number;
  /** Markov runs of non-zeros and zeros (mean run of non-zeros 16) instead of independent ones. */
  clustered?: boolean;
  /** Probability that a block has the NaN scale. */
  nanRate?: number;
}

/** A random BFP8 tensor of a shape. Codes are uniform in [-128, 127] \ {0}; scales in [0, 254]. */
export function randomTensor(rng: Rng, k: number, s: TensorShape): BfpStream {
  const q = new Int8Array(s.n);
  const p = s.density;
  if (s.clustered === true && p > 0 && p < 1) {
    const leaveOn = 1 / 16;
    const enterOn = Math.min(1, (p * leaveOn) / (1 - p));
    let on = rng.bernoulli(p);
    for (let i = 0; i < s.n; i++) {
      on = on ? !rng.bernoulli(leaveOn) : rng.bernoulli(enterOn);
      if (on) q[i] = nonZeroCode(rng);
    }
  } else {
    for (let i = 0; i < s.n; i++) if (rng.bernoulli(p)) q[i] = nonZeroCode(rng);
  }
  const scale = new Uint8Array(s.n / k);
  for (let b = 0; b < scale.length; b++) {
    scale[b] = rng.bernoulli(s.nanRate ?? 0) ? SCALE_NAN : rng.int(0, 254);
  }
  return { k, q, scale };
}

function nonZeroCode(rng: Rng): number {
  const v = rng.int(-128, 126);
  return v >= 0 ? v + 1 : v;
}

export interface TensorSetOptions {
  k: number;
  frameElems: number;
  seed: number;
  /** Random tensors after the fixed edge cases. */
  random: number;
  /** Largest random tensor in frames (lengths are random multiples of k up to this). */
  maxFrames?: number;
  /** Densities of the random tensors (one is drawn per tensor). */
  densities?: readonly number[];
  /**
   * Add zero-element tensors (decoder commands of count 0): the first tensor, three in a row
   * between edge cases, one between random tensors and the last one. The encoder has no command
   * port, so it never sees them (a tensor ends with a block's last flag).
   */
  zeroElems?: boolean;
}

/** A tensor of no elements: a decoder command of count 0 (no blocks, no stream). */
export function emptyTensor(k: number): BfpStream {
  return { k, q: new Int8Array(0), scale: new Uint8Array(0) };
}

/** Whether a test tensor has no elements (the encoder never sees it). */
export const isEmpty = (x: CodecTensor): boolean => x.t.q.length === 0;

export const DENSITIES = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1] as const;

/**
 * Fixed edge cases (all-zero and all-non-zero tensors, single blocks, ragged ends, a lone
 * non-zero at a frame's last element, NaN blocks, the -128 code) followed by random tensors at
 * random densities, uniform or clustered, with random (mostly ragged) lengths.
 */
export function codecTensors(o: TensorSetOptions): CodecTensor[] {
  const rng = new Rng(o.seed);
  const { k, frameElems: F } = o;
  const out: CodecTensor[] = [];
  const add = (kind: string, s: TensorShape): void => {
    out.push({ kind, t: randomTensor(rng, k, s) });
  };
  const empty = (kind: string): void => {
    if (o.zeroElems === true) out.push({ kind, t: emptyTensor(k) });
  };
  empty("zero elements, first");
  add("all-zero, two frames", { n: 2 * F, density: 0 });
  add("all-non-zero, two frames", { n: 2 * F, density: 1 });
  for (let i = 0; i < 3; i++) empty("zero elements, three in a row");
  add("one block, zero", { n: k, density: 0 });
  add("one block, full", { n: k, density: 1 });
  add("ragged: a frame and a block", { n: F + k, density: 0.5 });
  add("ragged: sparse, a frame and a block", { n: F + k, density: 0.02 });
  {
    const t = randomTensor(rng, k, { n: F, density: 0 });
    t.q[F - 1] = -128;
    t.q[0] = 127;
    out.push({ kind: "non-zeros at a frame's first and last element", t });
  }
  {
    const t = randomTensor(rng, k, { n: 2 * F, density: 0.3 });
    for (let b = 0; b < t.scale.length; b += 3) t.scale[b] = SCALE_NAN;
    for (let i = 0; i < k; i++) t.q[i] = 0; // a NaN block as the quantizer writes it
    out.push({ kind: "NaN blocks, with and without codes", t });
  }
  add("clustered, half dense", { n: 2 * F, density: 0.5, clustered: true });
  for (let i = 0; i < 3; i++) add("back-to-back single blocks", { n: k, density: 0.3 });
  const dens = o.densities ?? DENSITIES;
  const maxBlocks = Math.max(1, Math.round(((o.maxFrames ?? 3) * F) / k));
  for (let i = 0; i < o.random; i++) {
    const density = rng.pick(dens);
    const clustered = rng.bernoulli(0.3);
    const n = k * rng.int(1, maxBlocks);
    add(`random ${(density * 100).toFixed(0)}%${clustered ? " clustered" : ""}`, {
      n,
      density,
      clustered,
      nanRate: rng.bernoulli(0.2) ? 0.05 : 0,
    });
    if (i === Math.floor(o.random / 2)) empty("zero elements, between random tensors");
  }
  empty("zero elements, last");
  return out;
}

export interface CodecVectors {
  encIn: string[];
  encExp: string[];
  encTot: string[];
  decCmd: string[];
  decIn: string[];
  decExp: string[];
  /** Tensors with blocks (the encoder's tensors; the decoder also gets the empty ones' commands). */
  encTensors: number;
  blocks: number;
  words: number;
  /** Stream bytes and elements over all tensors. */
  bytes: number;
  elems: number;
}

const hex = (v: bigint, bits: number): string => v.toString(16).padStart(Math.ceil(bits / 4), "0");

/** A byte of one tensor's stream replaced before it goes to the decoder (a malformed stream). */
export interface StreamCorruption {
  tensor: number;
  byte: number;
  value: number;
}

/**
 * Vector files of a tensor set: the golden model's streams and decoded blocks. With a stream
 * corruption the decoder gets the damaged stream; `rejected` tells whether the golden model's
 * decoder refuses it (its blocks are then not expected).
 */
export function codecVectors(
  tensors: readonly CodecTensor[],
  p: CodecParams,
  corrupt?: StreamCorruption,
): CodecVectors & { rejected: boolean } {
  const k = p.k;
  const W = p.busBits;
  const wb = W / 8;
  const v: CodecVectors = {
    encIn: [],
    encExp: [],
    encTot: [],
    decCmd: [],
    decIn: [],
    decExp: [],
    encTensors: 0,
    blocks: 0,
    words: 0,
    bytes: 0,
    elems: 0,
  };
  let rejected = false;
  for (const [ti, { t }] of tensors.entries()) {
    const nb = t.scale.length;
    for (let b = 0; b < nb; b++) {
      let x = BigInt(b === nb - 1 ? 1 : 0);
      x = (x << 8n) | BigInt(t.scale[b] ?? 0);
      for (let i = k - 1; i >= 0; i--) x = (x << 8n) | BigInt((t.q[b * k + i] ?? 0) & 0xff);
      v.encIn.push(hex(x, 9 + 8 * k));
    }
    const enc = encode(t, p);
    const words = enc.bytes.length / wb;
    const stream = Uint8Array.from(enc.bytes);
    if (corrupt !== undefined && corrupt.tensor === ti) stream[corrupt.byte] = corrupt.value;
    const word = (b: Uint8Array, w: number): bigint => {
      let x = 0n;
      for (let i = wb - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[w * wb + i] ?? 0);
      return x;
    };
    for (let w = 0; w < words; w++) {
      v.decIn.push(hex((BigInt(w === words - 1 ? 1 : 0) << BigInt(W)) | word(stream, w), W + 1));
      v.encExp.push(
        hex((BigInt(w === words - 1 ? 1 : 0) << BigInt(W)) | word(enc.bytes, w), W + 1),
      );
    }
    // a tensor without blocks has no last block to end it: the encoder never sees it
    if (nb > 0) {
      v.encTot.push(hex((BigInt(enc.nanBlocks) << 32n) | BigInt(enc.bytes.length), 64));
      v.encTensors++;
    }
    v.decCmd.push(hex(BigInt(t.q.length), 32));
    let dec: ReturnType<typeof decode>;
    try {
      dec = decode(stream, t.q.length, p);
    } catch {
      rejected = true;
      dec = decode(enc.bytes, t.q.length, p);
    }
    for (let b = 0; b < nb; b++) {
      let mask = 0n;
      let nz = 0n;
      let pos = 0n;
      for (let i = 0; i < k; i++) {
        const q = dec.t.q[b * k + i] ?? 0;
        if (dec.mask[b * k + i]) mask |= 1n << BigInt(i);
        if (q !== 0) {
          nz |= BigInt(q & 0xff) << (8n * pos);
          pos++;
        }
      }
      let x = BigInt(b === nb - 1 ? 1 : 0);
      x = (x << 8n) | BigInt(dec.t.scale[b] ?? 0);
      x = (x << BigInt(k)) | mask;
      x = (x << BigInt(8 * k)) | nz;
      v.decExp.push(hex(x, 9 + 9 * k));
    }
    v.blocks += nb;
    v.words += words;
    v.bytes += enc.bytes.length;
    v.elems += t.q.length;
  }
  return { ...v, rejected };
}

/** Per-unit testbench settings. */
export interface CodecUnitOptions {
  /** Percent of cycles the drivers offer data / the sinks accept it, per side (default 70). */
  encValidPct?: number;
  encReadyPct?: number;
  decValidPct?: number;
  decReadyPct?: number;
  /** Flip a bit of one expected encoder word / decoder block (proves the bench can fail). */
  corruptEncWord?: number;
  corruptDecBlock?: number;
  /** Exercise one side only (the other gets no data). */
  only?: "enc" | "dec";
  /** Damage the decoder's stream; the decoder must then raise err_o (blocks are not compared). */
  corruptStream?: StreamCorruption;
  /**
   * From this tensor on (an index into the unit's tensors), no side stalls (tensors measured for
   * steady-state throughput).
   */
  fullRateFrom?: number;
}

/** The codec modules of one configuration: encoder and decoder names, and every file's text. */
export interface CodecRtl {
  enc: string;
  dec: string;
  /** Every module of the codec (encoder, decoder, submodules) as file name and Verilog text. */
  files: { file: string; text: string }[];
}

/** One configuration under test: its RTL, the golden model's parameters and its tensors. */
export interface CodecUnit {
  /** Identifier: prefixes the unit's harness, files and messages. */
  tag: string;
  rtl: CodecRtl;
  p: CodecParams;
  tensors: readonly CodecTensor[];
  opts?: CodecUnitOptions;
}

export interface CodecUnitResult {
  tag: string;
  /** The golden model's decoder refuses the unit's (corrupted) stream. */
  modelRejects: boolean;
  /** The RTL decoder raised err_o (units with a corrupted stream). */
  flagged: boolean;
  /**
   * Cycle at which each tensor's last bus word (encoder) / last block (decoder) was accepted,
   * indexed like the unit's tensors. A zero-element tensor has neither: it gets the previous
   * tensor's cycle (and 0 dead cycles), or none when it comes before every other tensor.
   */
  encDone: number[];
  decDone: number[];
  /** Dead cycles (see encDead) attributed to each tensor, in the no-stall phase. */
  encTensorDead: number[];
  decTensorDead: number[];
  tensors: number;
  blocks: number;
  words: number;
  elems: number;
  /** Stream bytes over all tensors. */
  bytes: number;
  /** Cycles from the first accepted input to the last accepted output, per side. */
  encSpan: number | undefined;
  decSpan: number | undefined;
  /**
   * No-stall phase (from `fullRateFrom` on, while input remains): cycles, and dead cycles in which
   * the codec refused offered input and sent nothing to its ready sink, per side. Where the
   * density changes from one tensor to the next, the pipeline may legitimately idle while it
   * collects a whole frame, so steady state is judged per measured tensor (RateRow).
   */
  encFull: number;
  encDead: number;
  decFull: number;
  decDead: number;
}

export interface CodecBenchResult extends SimResult {
  units: CodecUnitResult[];
  cycles: number | undefined;
}

/** The codec modules of a description, rendered (module names carry the description's name). */
export function codecRtl(desc: ResolvedDescription): CodecRtl {
  const mods = codecModules(desc);
  const name = (role: string): string => {
    const m = mods.find((x) => x.role === role);
    if (m === undefined) throw new Error(`no ${role} module`);
    return m.module;
  };
  const files = mods.map((m) => ({
    file: m.file,
    text: renderRtl(m.template, {
      banner: banner(`${m.module}: ${m.doc}`, `description "${desc.name}"`),
      module: m.module,
      doc: m.doc,
      ...m.params,
    }),
  }));
  return { enc: name("codec_enc"), dec: name("codec_dec"), files };
}

function flipLast(lines: string[], i: number): void {
  const j = i % lines.length;
  const line = lines[j] ?? "0";
  lines[j] = line.slice(0, -1) + (parseInt(line.slice(-1), 16) ^ 1).toString(16);
}

function writeHex(path: string, lines: readonly string[], bits: number): void {
  // one zero line more than needed: memories are declared [0:N] so that N may be 0
  writeFileSync(path, [...lines, hex(0n, bits)].join("\n") + "\n");
}

/**
 * Make flags for Verilator's C++ build of the codec testbenches: these simulations run for well
 * under a second, so compile time is everything and -O0 halves it (the design's generated C++ is
 * megabytes). Passed through the environment, which Verilator's make inherits; the shared
 * harness (testbench/sim.ts) has no option for it.
 */
export const VERILATOR_MAKEFLAGS = "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0";

export function withMakeFlags<T>(flags: string | undefined, f: () => T): T {
  if (flags === undefined) return f();
  const saved = process.env["MAKEFLAGS"];
  process.env["MAKEFLAGS"] = flags;
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env["MAKEFLAGS"];
    else process.env["MAKEFLAGS"] = saved;
  }
}

/**
 * Run several codec configurations in one simulation (one harness per unit, all on one clock)
 * in one simulator, so a Verilator build serves them all.
 */
export function runCodecBench(
  dir: string,
  units: readonly CodecUnit[],
  sim: Simulator,
  o: { seed: number; waves?: boolean; perTensor?: boolean },
): CodecBenchResult {
  const work = join(dir, sim);
  mkdirSync(work, { recursive: true });
  const rng = new Rng(o.seed ^ 0x2545f491);
  const seed = (): string => ((rng.u32() | 1) >>> 0).toString(16).padStart(8, "0");
  const sources = [join(work, "tb.sv")];
  const stats: CodecUnitResult[] = [];
  /** Per unit: the indices of its tensors with blocks (a side's n-th tensor is the n-th of them). */
  const withBlocksOf: number[][] = [];
  let timeout = 2000;
  const ctx = units.map((u) => {
    const uo = u.opts ?? {};
    const v = codecVectors(u.tensors, u.p, uo.corruptStream);
    if (uo.corruptEncWord !== undefined) flipLast(v.encExp, uo.corruptEncWord);
    if (uo.corruptDecBlock !== undefined) flipLast(v.decExp, uo.corruptDecBlock);
    const k = u.p.k;
    const W = u.p.busBits;
    // The testbench counts a side's tensors by last flags (blocks, words), which a zero-element
    // tensor has none of: its tensor indices are those of the tensors with blocks.
    const withBlocks = u.tensors.flatMap((x, i) => (isEmpty(x) ? [] : [i]));
    const sideIndex = (i: number): number => withBlocks.filter((j) => j < i).length;
    withBlocksOf.push(withBlocks);
    const f = (name: string): string => join(work, `${u.tag}_${name}`);
    writeHex(f("enc_in.hex"), v.encIn, 9 + 8 * k);
    writeHex(f("enc_exp.hex"), v.encExp, W + 1);
    writeHex(f("enc_tot.hex"), v.encTot, 64);
    writeHex(f("dec_cmd.hex"), v.decCmd, 32);
    writeHex(f("dec_in.hex"), v.decIn, W + 1);
    writeHex(f("dec_exp.hex"), v.decExp, 9 + 9 * k);
    for (const m of u.rtl.files) {
      writeFileSync(join(work, m.file), m.text);
      sources.push(join(work, m.file));
    }
    const pct = {
      encValidPct: uo.encValidPct ?? 70,
      encReadyPct: uo.encReadyPct ?? 70,
      decValidPct: uo.decValidPct ?? 70,
      decReadyPct: uo.decReadyPct ?? 70,
    };
    const slowest = Math.max(1, Math.min(...Object.values(pct)));
    timeout = Math.max(
      timeout,
      Math.ceil(((v.words + v.blocks) * 4 * 100) / slowest) + 20 * u.p.frameElems + 2000,
    );
    stats.push({
      tag: u.tag,
      modelRejects: v.rejected,
      flagged: false,
      tensors: u.tensors.length,
      blocks: v.blocks,
      words: v.words,
      elems: v.elems,
      bytes: v.bytes,
      encSpan: undefined,
      decSpan: undefined,
      encDone: [],
      decDone: [],
      encTensorDead: [],
      decTensorDead: [],
      encFull: 0,
      encDead: 0,
      decFull: 0,
      decDead: 0,
    });
    return {
      tag: u.tag,
      enc: u.rtl.enc,
      dec: u.rtl.dec,
      format: u.p.format,
      k,
      busBits: W,
      tensors: uo.only === "dec" ? 0 : v.encTensors,
      decTensors: uo.only === "enc" ? 0 : u.tensors.length,
      decIdleFrom: (withBlocks.at(-1) ?? -1) + 1,
      encBlocks: uo.only === "dec" ? 0 : v.blocks,
      encWords: uo.only === "dec" ? 0 : v.words,
      decWords: uo.only === "enc" ? 0 : v.words,
      decBlocks: uo.only === "enc" ? 0 : v.blocks,
      ...pct,
      expectErr: uo.corruptStream !== undefined,
      fullFrom: uo.fullRateFrom === undefined ? 1 << 30 : sideIndex(uo.fullRateFrom),
      seedEi: seed(),
      seedEo: seed(),
      seedDi: seed(),
      seedDo: seed(),
    };
  });
  const tb = renderTb("tb_codec.sv.hbs", {
    banner: banner(
      `Testbench for ${units.map((u) => u.tag).join(", ")}`,
      "testbench/templates/tb_codec.sv.hbs",
    ),
    units: ctx,
    timeout,
    perTensor: o.perTensor === true,
  });
  writeFileSync(join(work, "tb.sv"), tb);
  const res = withMakeFlags(sim === "verilator" ? VERILATOR_MAKEFLAGS : undefined, () =>
    runSim({ dir: work, top: "tb", sources, ...(o.waves === true ? { waves: true } : {}) }, sim),
  );
  for (const line of res.output.split("\n")) {
    const t = line.match(/^TENSOR (\S+) (enc|dec) \d+ (\d+) (\d+)/);
    const ts = stats.find((x) => x.tag === t?.[1]);
    if (t !== null && ts !== undefined) {
      (t[2] === "enc" ? ts.encDone : ts.decDone).push(Number(t[3]));
      (t[2] === "enc" ? ts.encTensorDead : ts.decTensorDead).push(Number(t[4]));
    }
    const fl = line.match(/^FLAGGED \[(\S+)\]/);
    const fs = stats.find((x) => x.tag === fl?.[1]);
    if (fs !== undefined) fs.flagged = true;
    const m = line.match(
      /^UNIT (\S+) enc: .* span (-?\d+) cycles; dec: .* span (-?\d+) cycles; full rate: enc (\d+) cycles (\d+) dead, dec (\d+) cycles (\d+) dead/,
    );
    const st = stats.find((x) => x.tag === m?.[1]);
    if (m === null || st === undefined) continue;
    st.encSpan = Number(m[2]);
    st.decSpan = Number(m[3]);
    st.encFull = Number(m[4]);
    st.encDead = Number(m[5]);
    st.decFull = Number(m[6]);
    st.decDead = Number(m[7]);
  }
  for (const [ui, st] of stats.entries())
    reindex(st, withBlocksOf[ui] ?? [], units[ui]?.tensors.length ?? 0);
  const c = res.passLine?.match(/(\d+) cycles/);
  return { ...res, units: stats, cycles: c?.[1] === undefined ? undefined : Number(c[1]) };
}

/**
 * From the sides' tensor order (tensors with blocks only) to the unit's: a zero-element tensor
 * completes with the tensor before it (no cycles of its own, no dead cycles).
 */
function reindex(st: CodecUnitResult, withBlocks: readonly number[], n: number): void {
  const spread = (side: number[], fill: (prev: number | undefined) => number | undefined) => {
    const out: number[] = [];
    if (side.length === 0) return out;
    let j = 0;
    for (let i = 0; i < n; i++) {
      const v = withBlocks[j] === i ? side[j++] : fill(out[i - 1]);
      if (v !== undefined) out[i] = v;
    }
    return out;
  };
  st.encDone = spread(st.encDone, (prev) => prev);
  st.decDone = spread(st.decDone, (prev) => prev);
  st.encTensorDead = spread(st.encTensorDead, () => 0);
  st.decTensorDead = spread(st.decTensorDead, () => 0);
}

export function isCodecFormat(s: string): s is CodecFormat {
  return s === "dense" || s === "zvc" || s === "rle" || s === "hbm";
}

/** Densities at which steady-state throughput is measured. */
export const RATE_DENSITIES = [1, 0.5, 0.1, 0.01, 0] as const;

/**
 * Throughput tensors: for every density, `repeat` tensors of `frames` frames with independent
 * random masks; the last of each group is measured (the others let the pipeline settle at the
 * density: the buffers may still hold up to two frames of the previous density). With
 * `zerosBefore`, entry d zero-element tensors (decoder commands of count 0) come right before the
 * measured tensor of density d, and one more after the last tensor: the measured tensor must
 * still run at the bound.
 */
export function rateTensors(
  k: number,
  frameElems: number,
  frames: number,
  seed: number,
  densities: readonly number[] = RATE_DENSITIES,
  repeat = 2,
  zerosBefore: readonly number[] = [],
): CodecTensor[] {
  const rng = new Rng(seed);
  const zeros = (n: number): CodecTensor[] =>
    Array.from({ length: n }, () => ({ kind: "zero elements", t: emptyTensor(k) }));
  const out = densities.flatMap((density, d) =>
    Array.from({ length: repeat }, (_, r) => [
      ...zeros(r === repeat - 1 ? (zerosBefore[d] ?? 0) : 0),
      {
        kind: `rate ${(density * 100).toFixed(0)}%`,
        t: randomTensor(rng, k, { n: frames * frameElems, density }),
      },
    ]).flat(),
  );
  return zerosBefore.length > 0 ? [...out, ...zeros(1)] : out;
}

/** Steady-state figures of one measured tensor. */
export interface RateRow {
  density: number;
  elems: number;
  blocks: number;
  words: number;
  /** Frames of the tensor holding a non-zero. */
  busyFrames: number;
  /** Zero-element tensors (decoder commands of count 0) right before this one. */
  zerosBefore: number;
  /**
   * The bound: one block per cycle on the block side, one codec word per cycle on the stream side
   * (a bus word, or with a narrower codec.wordBits a word of the stream without its frames'
   * padding to a bus word).
   */
  ideal: number;
  /** Cycles between this tensor's completion and the previous one's, per side. */
  encCycles: number;
  decCycles: number;
  /** Dead cycles while this tensor's output was due, per side (0 when nothing stalls). */
  encDead: number;
  decDead: number;
}

/**
 * Measured throughput of the rate tensors of a unit: `first` is the index of the first rate
 * tensor in the unit's tensor list, `repeat` the tensors per density (the run must have printed
 * per-tensor completion times), `wordBits` the codec's word (codec.wordBits). Zero-element
 * tensors are not counted in `repeat` and not measured; a tensor after them is measured from the
 * completion of the tensor before them.
 */
export function rateRows(
  u: CodecUnitResult,
  tensors: readonly CodecTensor[],
  p: CodecParams,
  first: number,
  repeat = 2,
  wordBits = p.busBits,
): RateRow[] {
  const rows: RateRow[] = [];
  const wb = p.busBits / 8;
  // the stream as the codec's words carry it: frames padded to a codec word only
  const pw: CodecParams = { ...p, busBits: wordBits };
  const measured = tensors.flatMap((x, i) => (i >= first && !isEmpty(x) ? [i] : []));
  for (let j = repeat - 1; j < measured.length; j += repeat) {
    const i = measured[j] ?? 0;
    const t = tensors[i]?.t;
    let zerosBefore = 0;
    while (i - zerosBefore - 1 >= 0 && isEmpty(tensors[i - zerosBefore - 1] as CodecTensor))
      zerosBefore++;
    const e1 = u.encDone[i];
    const e0 = u.encDone[i - 1];
    const d1 = u.decDone[i];
    const d0 = u.decDone[i - 1];
    if (t === undefined || e1 === undefined || e0 === undefined || d1 === undefined) continue;
    if (d0 === undefined) continue;
    let nz = 0;
    for (const q of t.q) if (q !== 0) nz++;
    const blocks = t.scale.length;
    const words = encode(t, p).bytes.length / wb;
    const codecWords = encode(t, pw).bytes.length / (wordBits / 8);
    let busyFrames = 0;
    for (let f = 0; f < t.q.length; f += p.frameElems)
      if (t.q.slice(f, f + p.frameElems).some((q) => q !== 0)) busyFrames++;
    rows.push({
      density: nz / t.q.length,
      elems: t.q.length,
      blocks,
      words,
      busyFrames,
      zerosBefore,
      ideal: Math.max(blocks, codecWords),
      encCycles: e1 - e0,
      decCycles: d1 - d0,
      encDead: u.encTensorDead[i] ?? -1,
      decDead: u.decTensorDead[i] ?? -1,
    });
  }
  return rows;
}
