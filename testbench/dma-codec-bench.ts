/**
 * Compressed transfers: the codec on the DMA's streams, composed the way the processor uses them.
 *
 *   blocks -> codec_enc -> axi_dma_wr -> AXI4 memory model -> axi_dma_rd -> codec_dec -> blocks
 *
 * Tensors -> golden model (codec encode and decode, the DMA's golden model on a memory with
 * error regions: streams, statuses, final memory image) -> vector files -> generated testbench
 * (testbench/templates/tb_dma_codec.sv.hbs, one harness per configuration, each with its own
 * memory model and protocol monitor) -> simulator -> memory dumps compared byte for byte.
 *
 * Each tensor is written with one 1D command whose length is its destination buffer (the
 * encoder's stream ends the command at bus_last); tensors that were written without error are
 * read back with one 1D command of the bytes the write engine reported, and the decoder's blocks
 * are compared with the golden model's decode. Destinations lie back to back at any alignment with
 * guard bytes between them; error regions of the memory model hit chosen tensors on the write or
 * the read path.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedDescription } from "../generator/dsl/description.ts";
import { type DmaParams, dmaParams } from "../generator/elab/dma.ts";
import { banner, renderTb } from "../generator/emit/render.ts";
import { type Rounding, quantizeBlock } from "../generator/model/bfp8.ts";
import { type BfpStream, type CodecParams, encode } from "../generator/model/codecs.ts";
import { Rng } from "../generator/model/rng.ts";
import {
  type CodecTensor,
  VERILATOR_MAKEFLAGS,
  codecRtl,
  codecTensors,
  codecVectors,
  modelCodecParams,
  randomTensor,
  withMakeFlags,
} from "./codec-bench.ts";
import {
  type AxiMemStalls,
  FULL_SPEED_MEM,
  DmaGolden,
  type ErrRegion,
  type RdExpect,
  type WrExpect,
  dmaRtl,
  errLine,
  memBaseFor,
  parseMemDump,
  renderAxiTbModels,
  stallParams,
} from "./dma-bench.ts";
import { type SimJob, type SimResult, type Simulator, runSim } from "./sim.ts";

// ------------------------------------------------------------------ tensors

/**
 * What happens to a tensor on its way: `ok` (written and read back), an error response injected
 * by the memory model on part of its stream on the write path (not read back: its data is lost)
 * or on the read path (read back: the memory model returns the data, the status reports the
 * error), or a destination buffer smaller than its stream (`overflow`, not read back).
 */
export type TensorRole = "ok" | "wr-slverr" | "wr-decerr" | "rd-slverr" | "rd-decerr" | "overflow";

export const ERROR_ROLES: readonly TensorRole[] = [
  "wr-slverr",
  "wr-decerr",
  "rd-slverr",
  "rd-decerr",
  "overflow",
];

export interface RoundTripTensor extends CodecTensor {
  role: TensorRole;
}

/** A tensor is read back unless its write failed or was cut short. */
export const readsBack = (r: TensorRole): boolean =>
  r === "ok" || r === "rd-slverr" || r === "rd-decerr";

/**
 * A ReLU'd activation tensor quantized by the golden model's BFP8 quantizer: half the elements
 * are zero from the ReLU, more round to zero (blocks with a wide spread of magnitudes).
 */
export function quantizedTensor(rng: Rng, k: number, n: number, rounding: Rounding): BfpStream {
  const q = new Int8Array(n);
  const scale = new Uint8Array(n / k);
  for (let b = 0; b < n / k; b++) {
    const e = rng.int(-30, 30);
    const spread = rng.int(0, 12);
    const xs: number[] = [];
    for (let i = 0; i < k; i++) {
      const x = rng.normal() * 2 ** (e - rng.int(0, spread));
      xs.push(Math.max(0, x));
    }
    const blk = quantizeBlock(xs, k, rounding);
    scale[b] = blk.scale;
    q.set(blk.q, b * k);
  }
  return { k, q, scale };
}

export interface RoundTripTensorOptions {
  k: number;
  frameElems: number;
  rounding: Rounding;
  seed: number;
  /** Random tensors (densities 0-100%, mostly ragged lengths) after the edge cases. */
  random: number;
  /** Longest random tensor in frames. */
  maxFrames?: number;
  /** Tensors hit by error responses and a too small destination (default true). */
  errors?: boolean;
}

/**
 * The codec's edge cases (all-zero and all-non-zero tensors, single blocks, ragged ends, NaN
 * blocks, -128 codes, clustered masks), an all-zero ragged tensor, a quantized activation tensor,
 * random tensors at densities 0-100%, and the error tensors spread over the sequence (so that the
 * tensors after each one check that the engines recover).
 */
export function roundTripTensors(o: RoundTripTensorOptions): RoundTripTensor[] {
  const { k, frameElems: F } = o;
  const rng = new Rng(o.seed ^ 0x6d2b79f5);
  const base: RoundTripTensor[] = codecTensors({
    k,
    frameElems: F,
    seed: o.seed,
    random: o.random,
    maxFrames: o.maxFrames ?? 3,
  }).map((t) => ({ ...t, role: "ok" }));
  base.splice(2, 0, {
    kind: "all-zero, ragged (a frame and a block)",
    t: randomTensor(rng, k, { n: F + k, density: 0 }),
    role: "ok",
  });
  base.splice(5, 0, {
    kind: "quantized ReLU activations, ragged",
    t: quantizedTensor(rng, k, 2 * F + 3 * k, o.rounding),
    role: "ok",
  });
  if (o.errors === false) return base;
  // long enough for whole bus words inside the stream, whatever the format
  const n = Math.max(3 * F, 16 * k);
  const roles = ERROR_ROLES.map((role) => ({
    kind: `${role}, half dense`,
    t: randomTensor(rng, k, { n, density: 0.5 }),
    role,
  }));
  const out = [...base];
  roles.forEach((r, i) => {
    out.splice(Math.round(((i + 1) * out.length) / (roles.length + 1)), 0, r);
  });
  return out;
}

// ------------------------------------------------------------------ bus

/** The memory model's channels, the block source feeding the encoder and the decoder's sink. */
export interface RoundTripBus extends AxiMemStalls {
  /** Blocks offered to the encoder, percent of cycles. */
  encValidPct: number;
  /** Decoded blocks accepted, percent of cycles. */
  decReadyPct: number;
  /** Command valid probability once the engine is idle. */
  cmdPct: number;
}

export const RT_NO_STALLS: RoundTripBus = {
  ...FULL_SPEED_MEM,
  encValidPct: 100,
  decReadyPct: 100,
  cmdPct: 100,
};

// ------------------------------------------------------------------ plan and golden model

/** One configuration under test. Its tag is the description's name (module prefix). */
export interface RoundTripUnit {
  desc: ResolvedDescription;
  tensors: readonly RoundTripTensor[];
  bus: RoundTripBus;
  /** Placement and memory contents. */
  seed: number;
  /** Every destination word-aligned (measurements); default: any alignment. */
  alignDest?: boolean;
  /** Flip a bit of the expected final memory at this byte of a tensor's stream (mutation). */
  corruptMemByte?: { tensor: number; byte: number };
  /** Flip a bit of this expected decoded block (mutation). */
  corruptDecBlock?: number;
  /** Edit the emitted Verilog of a module (RTL mutants), by module name. */
  editRtl?: (module: string, text: string) => string;
}

/** A tensor placed in memory, with what the golden model expects of its round trip. */
export interface PlacedTensor {
  kind: string;
  role: TensorRole;
  t: BfpStream;
  /** Destination address and buffer size (the write command's length). */
  addr: bigint;
  region: number;
  /** The golden model's encoded stream. */
  stream: Uint8Array;
  nanBlocks: number;
  readBack: boolean;
  wr: WrExpect;
  rd: RdExpect | undefined;
  /** AXI beats of the write and of the read (bus words the bytes span). */
  wrBeats: number;
  rdBeats: number;
}

export interface RoundTripPlan {
  tag: string;
  p: CodecParams;
  dma: DmaParams;
  memBase: bigint;
  memBytes: number;
  init: Uint8Array;
  errs: ErrRegion[];
  tensors: PlacedTensor[];
  /** The golden model's final memory. */
  mem: Uint8Array;
}

const PAGE = 4096;

/** Bus words spanned by n bytes at offset a. */
function wordsSpanned(a: number, n: number, nb: number): number {
  return n === 0 ? 0 : Math.floor((a + n - 1) / nb) - Math.floor(a / nb) + 1;
}

/**
 * Place a unit's tensors back to back (gaps of 1 to 3 * bus bytes + 5 untouched guard bytes
 * between destinations, any alignment, some word-aligned, some across a 4 KB page), add the error regions of the error
 * tensors (whole bus words strictly inside their streams, so no neighbour shares them) and run
 * the golden model: encode, DMA write into the memory with its error regions, read back.
 */
export function planRoundTrip(u: RoundTripUnit): RoundTripPlan {
  const p = modelCodecParams(u.desc);
  const dma = dmaParams(u.desc);
  const nb = dma.bytes;
  const rng = new Rng(u.seed ^ 0x1b873593);
  let cursor = rng.int(1, PAGE - 1);
  const placed: {
    off: number;
    region: number;
    stream: Uint8Array;
    nanBlocks: number;
    errLo?: number;
    errHi?: number;
  }[] = [];
  for (const x of u.tensors) {
    const enc = encode(x.t, p);
    const len = enc.bytes.length;
    const region =
      x.role === "overflow"
        ? Math.max(1, len - rng.int(1, Math.min(len - 1, 3 * nb + dma.burstBytes)))
        : len + (rng.bernoulli(0.3) ? 0 : rng.int(1, 3 * nb));
    let at = cursor + rng.int(1, 3 * nb + 5);
    const a = u.alignDest === true ? 0 : rng.int(0, 99);
    if (a < 25) at = Math.ceil(at / nb) * nb;
    else if (a < 40 && len > 1) {
      // a 4 KB boundary inside the stream
      let c = Math.ceil((at + 1) / PAGE) * PAGE - rng.int(1, len - 1);
      while (c < at) c += PAGE;
      at = c;
    }
    const entry: (typeof placed)[number] = {
      off: at,
      region,
      stream: enc.bytes,
      nanBlocks: enc.nanBlocks,
    };
    if (x.role !== "ok" && x.role !== "overflow") {
      const wlo = Math.ceil(at / nb) * nb;
      const whi = Math.floor((at + len) / nb) * nb;
      const words = (whi - wlo) / nb;
      if (words < 2) throw new Error(`${x.kind}: stream too short for an error region`);
      const lo = wlo + nb * rng.int(0, Math.floor(words / 2));
      entry.errLo = lo;
      entry.errHi = lo + nb * rng.int(1, (whi - lo) / nb);
    }
    placed.push(entry);
    cursor = at + region;
  }
  const memBytes = Math.ceil((cursor + 256) / PAGE) * PAGE;
  const base = memBaseFor(dma, memBytes);
  const B = (o: number): bigint => base + BigInt(o);
  const init = new Uint8Array(memBytes);
  for (let i = 0; i < memBytes; i++) init[i] = rng.int(0, 255);
  const errs: ErrRegion[] = [];
  u.tensors.forEach((x, i) => {
    const e = placed[i];
    if (e?.errLo === undefined || e.errHi === undefined) return;
    errs.push({
      read: x.role.startsWith("rd"),
      write: x.role.startsWith("wr"),
      resp: x.role.endsWith("slverr") ? 2 : 3,
      lo: B(e.errLo),
      hi: B(e.errHi),
    });
  });
  const golden = new DmaGolden(dma, base, init, errs);
  const tensors: PlacedTensor[] = u.tensors.map((x, i) => {
    const e = placed[i];
    if (e === undefined) throw new Error("placement");
    const addr = B(e.off);
    const cmd = { addr, rowBytes: e.region, rows: 1, stride: 0n, kind: x.kind };
    const wr = golden.write({ ...cmd, streamBytes: e.stream.length }, e.stream);
    const readBack = readsBack(x.role);
    let rd: RdExpect | undefined;
    if (readBack) {
      rd = golden.read({ ...cmd, rowBytes: wr.written });
      if (rd.stream.length !== e.stream.length || rd.stream.some((b, j) => b !== e.stream[j]))
        throw new Error(`${x.kind}: the golden memory does not hold the stream it wrote`);
    }
    return {
      kind: x.kind,
      role: x.role,
      t: x.t,
      addr,
      region: e.region,
      stream: e.stream,
      nanBlocks: e.nanBlocks,
      readBack,
      wr,
      rd,
      wrBeats: wordsSpanned(e.off, wr.written, nb),
      rdBeats: rd === undefined ? 0 : wordsSpanned(e.off, rd.stream.length, nb),
    };
  });
  return {
    tag: u.desc.name,
    p,
    dma,
    memBase: base,
    memBytes,
    init,
    errs,
    tensors,
    mem: golden.mem,
  };
}

// ------------------------------------------------------------------ files

const hex = (v: bigint, bits: number): string => v.toString(16).padStart(Math.ceil(bits / 4), "0");

function writeHex(path: string, lines: readonly string[], bits: number): void {
  // one zero line more than needed: memories are declared [0:N] so that N may be 0
  writeFileSync(path, [...lines, hex(0n, bits)].join("\n") + "\n");
}

function flipLast(lines: string[], i: number): void {
  const j = i % lines.length;
  const line = lines[j] ?? "0";
  lines[j] = line.slice(0, -1) + (parseInt(line.slice(-1), 16) ^ 1).toString(16);
}

/** Bus words {last, data} of a stream (a whole number of words). */
function wordLines(bytes: Uint8Array, nb: number): string[] {
  const out: string[] = [];
  const n = bytes.length / nb;
  for (let w = 0; w < n; w++) {
    let x = BigInt(w === n - 1 ? 1 : 0);
    for (let j = nb - 1; j >= 0; j--) x = (x << 8n) | BigInt(bytes[w * nb + j] ?? 0);
    out.push(hex(x, 8 * nb + 1));
  }
  return out;
}

const statLine = (ovf: boolean, err: boolean, resp: number, words: number, bytes: number): string =>
  hex(
    (BigInt(ovf ? 1 : 0) << 124n) |
      (BigInt(err ? 1 : 0) << 120n) |
      (BigInt(resp) << 116n) |
      (BigInt(words) << 64n) |
      BigInt(bytes),
    128,
  );

// ------------------------------------------------------------------ running

export interface RoundTripPerf {
  tensor: number;
  /** Bytes the write engine reported and the read engine moved. */
  wrBytes: number;
  rdBytes: number | undefined;
  /** Cycles: first block into the encoder -> write done; read command -> last decoded block. */
  wrCycles: number;
  rdCycles: number | undefined;
  /** Read command -> read engine done. */
  rdDmaCycles: number | undefined;
}

export interface RoundTripUnitResult {
  tag: string;
  plan: RoundTripPlan;
  /** Memory differences, classified (destination of tensor i, guard byte, stray). */
  memErrors: string[];
  tensors: number;
  readBack: number;
  /** What the protocol monitor counted on the AXI port (undefined: no UNIT line). */
  axi:
    | {
        wrBursts: number;
        wrBeats: number;
        rdBursts: number;
        rdBeats: number;
        rdOutMax: number;
        wrOutMax: number;
        /** Cycles in which both engines were busy. */
        bothBusy: number;
      }
    | undefined;
  /** What the golden model says the AXI beats must be. */
  expectWrBeats: number;
  expectRdBeats: number;
  perf: RoundTripPerf[];
}

export interface RoundTripResult extends SimResult {
  /** The simulator passed and every memory image equals the golden model's. */
  ok: boolean;
  units: RoundTripUnitResult[];
  cycles: number | undefined;
}

export interface RoundTripOptions {
  seed: number;
  waves?: boolean;
  /** One round trip at a time (write, then read back, then the next tensor). */
  serial?: boolean;
  /** Print PERF lines (cycles per write and read). */
  perf?: boolean;
}

/** Run several configurations in one simulation (one harness each, on one clock). */
export function runRoundTripBench(
  dir: string,
  units: readonly RoundTripUnit[],
  sim: Simulator,
  o: RoundTripOptions,
): RoundTripResult {
  const work = join(dir, sim);
  mkdirSync(work, { recursive: true });
  const rng = new Rng(o.seed ^ 0x2545f491);
  const seed = (): string => ((rng.u32() | 1) >>> 0).toString(16).padStart(8, "0");
  const models = renderAxiTbModels();
  writeFileSync(join(work, "axi_mem_model.sv"), models.memModel);
  writeFileSync(join(work, "axi_monitor.sv"), models.monitor);
  const sources = ["tb.sv", "axi_mem_model.sv", "axi_monitor.sv"].map((f) => join(work, f));
  let timeout = 5000;
  const plans = units.map(planRoundTrip);
  const expectMem: Uint8Array[] = [];
  const ctx = units.map((u, ui) => {
    const plan = plans[ui];
    if (plan === undefined) throw new Error("plan");
    const { p, dma } = plan;
    const nb = dma.bytes;
    const tag = plan.tag;
    const f = (name: string): string => join(work, `${tag}_${name}`);
    const encIn: string[] = [];
    const encExp: string[] = [];
    const encTot: string[] = [];
    const wrCmd: string[] = [];
    const wrStat: string[] = [];
    const rdCmd: string[] = [];
    const rdStat: string[] = [];
    const rdExp: string[] = [];
    const decCmd: string[] = [];
    const decExp: string[] = [];
    plan.tensors.forEach((x, i) => {
      const v = codecVectors([{ kind: x.kind, t: x.t }], p);
      encIn.push(...v.encIn);
      encExp.push(...v.encExp);
      encTot.push(...v.encTot);
      const addr = BigInt.asUintN(64, x.addr);
      wrCmd.push(hex((BigInt(x.readBack ? 1 : 0) << 96n) | (addr << 32n) | BigInt(x.region), 128));
      wrStat.push(statLine(x.wr.overflow, x.wr.err, x.wr.resp, encExp.length, x.wr.written));
      if (x.rd !== undefined) {
        rdCmd.push(hex((BigInt(i) << 96n) | addr, 128));
        rdExp.push(...wordLines(x.rd.stream, nb));
        rdStat.push(statLine(false, x.rd.err, x.rd.resp, rdExp.length, x.rd.stream.length));
        decCmd.push(...v.decCmd);
        decExp.push(...v.decExp);
      }
    });
    if (u.corruptDecBlock !== undefined && decExp.length > 0) flipLast(decExp, u.corruptDecBlock);
    const mem = plan.mem.slice();
    if (u.corruptMemByte !== undefined) {
      const x = plan.tensors[u.corruptMemByte.tensor];
      if (x !== undefined) {
        const at = Number(x.addr - plan.memBase) + (u.corruptMemByte.byte % x.stream.length);
        mem[at] = (mem[at] ?? 0) ^ 0x01;
      }
    }
    expectMem.push(mem);
    const k = p.k;
    const W = dma.dw;
    writeHex(f("enc_in.hex"), encIn, 9 + 8 * k);
    writeHex(f("enc_exp.hex"), encExp, W + 1);
    writeHex(f("enc_tot.hex"), encTot, 64);
    writeHex(f("wr_cmd.hex"), wrCmd, 128);
    writeHex(f("wr_stat.hex"), wrStat, 128);
    writeHex(f("rd_cmd.hex"), rdCmd, 128);
    writeHex(f("rd_stat.hex"), rdStat, 128);
    writeHex(f("rd_exp.hex"), rdExp, W + 1);
    writeHex(f("dec_cmd.hex"), decCmd, 32);
    writeHex(f("dec_exp.hex"), decExp, 9 + 9 * k);
    const memLines: string[] = [];
    for (let i = 0; i < plan.memBytes; i += nb) {
      let w = 0n;
      for (let j = nb - 1; j >= 0; j--) w = (w << 8n) | BigInt(plan.init[i + j] ?? 0);
      memLines.push(hex(w, W));
    }
    writeFileSync(f("mem_init.hex"), memLines.join("\n") + "\n");
    // exactly N_ERR lines (at least one: $readmemh needs a word)
    const errLines = plan.errs.map(errLine);
    writeFileSync(
      f("mem_err.hex"),
      (errLines.length > 0 ? errLines : [hex(0n, 136)]).join("\n") + "\n",
    );
    const edit = u.editRtl ?? ((_m: string, text: string): string => text);
    const codec = codecRtl(u.desc);
    for (const m of codec.files) {
      writeFileSync(join(work, m.file), edit(m.file.replace(/\.v$/, ""), m.text));
      sources.push(join(work, m.file));
    }
    const d = dmaRtl(u.desc);
    for (const which of ["rd", "wr"] as const) {
      const file = join(work, `${d.modules[which]}.v`);
      writeFileSync(file, edit(d.modules[which], d.rtl[which]));
      sources.push(file);
    }
    const b = u.bus;
    const minPct = Math.max(
      1,
      Math.min(
        b.arReadyPct,
        b.rValidPct,
        b.awReadyPct,
        b.wReadyPct,
        b.bValidPct,
        b.encValidPct,
        b.decReadyPct,
        b.cmdPct,
      ),
    );
    // generous: every word and block stalled on every channel, latency per burst, serialized
    const work1 = encIn.length + encExp.length + rdExp.length + decExp.length;
    const bursts = Math.ceil((encExp.length + rdExp.length) / dma.maxBurst) + 2 * wrCmd.length;
    timeout = Math.max(
      timeout,
      Math.ceil((work1 * 400) / minPct) +
        bursts * (b.rdLatency + b.wrLatency + 20) * 4 +
        wrCmd.length * 8 * p.frameElems +
        5000,
    );
    return {
      tag,
      encModule: codec.enc,
      decModule: codec.dec,
      rdModule: d.modules.rd,
      wrModule: d.modules.wr,
      format: p.format,
      k,
      dw: W,
      bytes: nb,
      aw: dma.aw,
      lenW: dma.lenW,
      rowsW: dma.rowsW,
      cntW: dma.cntW,
      maxBurst: dma.maxBurst,
      maxOutstanding: dma.maxOutstanding,
      nT: wrCmd.length,
      nR: rdCmd.length,
      encBlocks: encIn.length,
      encWords: encExp.length,
      rdWords: rdExp.length,
      decBlocks: decExp.length,
      encValidPct: b.encValidPct,
      decReadyPct: b.decReadyPct,
      cmdPct: b.cmdPct,
      serial: o.serial === true ? 1 : 0,
      perf: o.perf === true ? 1 : 0,
      memBytes: plan.memBytes,
      memBase: hex(BigInt.asUintN(64, plan.memBase), 64),
      ...stallParams(b),
      memSeed: seed(),
      nErr: plan.errs.length,
      seedEi: seed(),
      seedWc: seed(),
      seedRc: seed(),
      seedDo: seed(),
    };
  });
  const tb = renderTb("tb_dma_codec.sv.hbs", {
    banner: banner(
      `Compressed-transfer testbench for ${plans.map((p) => p.tag).join(", ")}`,
      "testbench/templates/tb_dma_codec.sv.hbs",
    ),
    units: ctx,
    timeout,
  });
  writeFileSync(join(work, "tb.sv"), tb);
  const res = runCached(
    { dir: work, top: "tb", sources, ...(o.waves === true ? { waves: true } : {}) },
    sim,
  );

  // a run that reached its end (PASS, or FAILED on mismatches) has dumped every memory
  const finished = res.passLine !== undefined || /^FAILED: /m.test(res.output);
  const results: RoundTripUnitResult[] = plans.map((plan, ui) => {
    const memErrors = finished
      ? compareMemory(plan, expectMem[ui] ?? plan.mem, join(work, `${plan.tag}_mem_out.hex`))
      : [];
    const m = res.output.match(
      new RegExp(
        `^UNIT ${plan.tag} .*axi wr (\\d+) bursts (\\d+) beats, rd (\\d+) bursts (\\d+) beats, outstanding rd (\\d+) wr (\\d+); both engines busy (\\d+) cycles`,
        "m",
      ),
    );
    const axi =
      m === null
        ? undefined
        : {
            wrBursts: Number(m[1]),
            wrBeats: Number(m[2]),
            rdBursts: Number(m[3]),
            rdBeats: Number(m[4]),
            rdOutMax: Number(m[5]),
            wrOutMax: Number(m[6]),
            bothBusy: Number(m[7]),
          };
    return {
      tag: plan.tag,
      plan,
      memErrors,
      tensors: plan.tensors.length,
      readBack: plan.tensors.filter((t) => t.readBack).length,
      axi,
      expectWrBeats: plan.tensors.reduce((a, t) => a + t.wrBeats, 0),
      expectRdBeats: plan.tensors.reduce((a, t) => a + t.rdBeats, 0),
      perf: parsePerf(res.output, plan),
    };
  });
  const c = res.passLine?.match(/(\d+) cycles/);
  return {
    ...res,
    ok: res.ok && results.every((r) => r.memErrors.length === 0),
    units: results,
    cycles: c?.[1] === undefined ? undefined : Number(c[1]),
  };
}

/** The memory image byte for byte against the expected one, differences classified. */
function compareMemory(plan: RoundTripPlan, want: Uint8Array, file: string): string[] {
  let dump: Uint8Array;
  try {
    dump = parseMemDump(readFileSync(file, "utf8"), plan.dma, plan.memBytes);
  } catch (e) {
    return [`[${plan.tag}] no memory dump: ${e instanceof Error ? e.message : String(e)}`];
  }
  const owner = new Int32Array(plan.memBytes).fill(-1);
  plan.tensors.forEach((t, i) => {
    const a = Number(t.addr - plan.memBase);
    owner.fill(i, a, a + t.region);
  });
  const errors: string[] = [];
  for (let i = 0; i < plan.memBytes && errors.length < 20; i++) {
    const got = dump[i] ?? 0;
    const exp = want[i] ?? 0;
    if (got === exp) continue;
    const o = owner[i] ?? -1;
    const t = plan.tensors[o];
    let what: string;
    if (t !== undefined) {
      const off = i - Number(t.addr - plan.memBase);
      what = `MISMATCH [${plan.tag}] destination byte ${off} of tensor ${o} (${t.kind}, ${t.role})`;
    } else {
      what = `OVERRUN [${plan.tag}] guard byte ${nearest(owner, i)}`;
    }
    errors.push(
      `${what} at 0x${(plan.memBase + BigInt(i)).toString(16)}: got ${got.toString(16)} expected ${exp.toString(16)}`,
    );
  }
  return errors;
}

function nearest(owner: Int32Array, i: number): string {
  for (let d = 1; d <= 4096; d++) {
    const lo = owner[i - d] ?? -1;
    if (lo >= 0) return `${d} byte(s) after tensor ${lo}`;
    const hi = owner[i + d] ?? -1;
    if (hi >= 0) return `${d} byte(s) before tensor ${hi}`;
  }
  return "far from every destination (stray write)";
}

function parsePerf(out: string, plan: RoundTripPlan): RoundTripPerf[] {
  const tag = plan.tag;
  const wr = new Map<number, { bytes: number; start: number; done: number }>();
  const rd = new Map<number, { bytes: number; start: number; done: number }>();
  const dec = new Map<number, number>();
  for (const m of out.matchAll(
    new RegExp(`^PERF ${tag} (wr|rd) (\\d+) bytes (\\d+) start (\\d+) done (\\d+)`, "gm"),
  )) {
    const x = { bytes: Number(m[3]), start: Number(m[4]), done: Number(m[5]) };
    (m[1] === "wr" ? wr : rd).set(Number(m[2]), x);
  }
  for (const m of out.matchAll(new RegExp(`^PERF ${tag} dec (\\d+) at (\\d+)`, "gm")))
    dec.set(Number(m[1]), Number(m[2]));
  const perf: RoundTripPerf[] = [];
  let ri = 0;
  plan.tensors.forEach((t, i) => {
    const w = wr.get(i);
    if (w === undefined) return;
    const r = t.readBack ? rd.get(ri) : undefined;
    const d = t.readBack ? dec.get(ri) : undefined;
    if (t.readBack) ri++;
    perf.push({
      tensor: i,
      wrBytes: w.bytes,
      rdBytes: r?.bytes,
      wrCycles: w.done - w.start,
      rdCycles: r !== undefined && d !== undefined ? d - r.start : undefined,
      rdDmaCycles: r !== undefined ? r.done - r.start : undefined,
    });
  });
  return perf;
}

// ------------------------------------------------------------------ build cache

/**
 * runSim, except that a Verilator build whose sources (with the make flags and the Verilator
 * version) are unchanged since the last successful build in the same folder is run again without
 * recompiling: runs that only change the vector files (the mutation test runs the main test's testbench on corrupted
 * expectations) cost no C++ compile. The verdict is runSim's: a PASS line, exit status 0 and no
 * failure line.
 */
function runCached(job: SimJob, sim: Simulator): SimResult {
  if (sim !== "verilator") return runSim(job, sim);
  const version = spawnSync("verilator", ["--version"], { encoding: "utf8" }).stdout ?? "";
  const h = createHash("sha256").update(
    `${version}${VERILATOR_MAKEFLAGS}\n${job.waves === true}\n`,
  );
  for (const f of job.sources) h.update(`${f}\n`).update(readFileSync(f));
  const key = h.digest("hex");
  return withMakeFlags(VERILATOR_MAKEFLAGS, () => runSim(job, sim, { key }));
}
