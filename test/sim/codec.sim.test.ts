/**
 * The codec RTL against the golden model in both simulators. One simulation per group runs the
 * encoder and the decoder of several configurations side by side:
 *  - every shipped preset with each format (dense, zvc, rle, hbm): edge-case tensors (all-zero,
 *    all-non-zero, single blocks, ragged ends, NaN blocks, -128 codes, clustered masks) and random
 *    tensors at densities 0-100% under random stalls on both sides, bit-exact bytes and byte/NaN
 *    counts from the encoder, bit-exact blocks from the decoder; then tensors without stalls at
 *    densities 100%, 50%, 10%, 1%, 0% during which neither side may refuse offered input while
 *    sending nothing to its ready sink (no bubble caused by the codec), each running at the bound
 *    (one block per cycle or one bus word per cycle, whichever the data needs); zero-element
 *    decoder commands come first, in a row, between tensors, right before measured tensors and
 *    last, and cost neither blocks, words nor cycles;
 *  - edge configurations: every mapping of mask levels onto blocks (grids inside a block,
 *    spanning blocks, level bits spanning blocks), three levels, one-block frames, 4096-element
 *    frames, run tokens straddling bus words, a flat one-level mask; and malformed streams
 *    the decoder must flag (as the golden model's decoder refuses them);
 *  - a mutation test: one wrong expected encoder word and one wrong expected decoder block must
 *    both be reported, in both simulators; decoder mutants that mishandle a count of 0 must be
 *    reported (Icarus), and mutants with a bubble per frame or per zero-element command must break
 *    the rate bound (Verilator).
 * Verilator runs the full vector sets, Icarus fewer vectors (it is much slower on this design).
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { type ResolvedDescription, resolveDefaults } from "../../generator/dsl/description.ts";
import { PRESET_NAMES, PRESETS } from "../../generator/dsl/presets.ts";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { CODEC_FORMATS, type CodecFormat, encode } from "../../generator/model/codecs.ts";
import { Rng } from "../../generator/model/rng.ts";
import {
  type CodecBenchResult,
  type CodecTensor,
  type CodecUnit,
  type CodecUnitOptions,
  RATE_DENSITIES,
  type RateRow,
  codecRtl,
  codecTensors,
  isEmpty,
  modelCodecParams,
  randomTensor,
  rateRows,
  rateTensors,
  runCodecBench,
} from "../../testbench/codec-bench.ts";
import { SIMULATORS, type Simulator } from "../../testbench/sim.ts";
import { type Overrides, variant } from "../fixtures/variant.ts";

const WORK = join(REPO_ROOT, "build", "test-sim", "codec");

interface UnitSpec {
  desc: ResolvedDescription;
  /** Random tensors per simulator (the fixed edge cases come on top). */
  random: Record<Simulator, number>;
  /**
   * Blocks per throughput tensor per simulator, rounded up to whole frames (0: no throughput
   * tensors). Long enough in cycles for a steady-state loss to show.
   */
  rateBlocks: Record<Simulator, number>;
  opts?: CodecUnitOptions;
  /** Replaces the generated tensors (malformed-stream units). */
  tensors?: CodecTensor[];
}

interface BuiltUnit {
  unit: CodecUnit;
  /** Index of the first throughput tensor (tensors.length when there are none). */
  rateFirst: number;
}

/**
 * Zero-element decoder commands right before the measured tensor at each of RATE_DENSITIES
 * (100% and 0%, the tightest bounds, among them); one more follows the last tensor.
 */
const RATE_ZEROS = [1, 0, 2, 0, 3] as const;

function build(
  spec: UnitSpec,
  sim: Simulator,
  seed: number,
  zeros: readonly number[] = RATE_ZEROS,
): BuiltUnit {
  const p = modelCodecParams(spec.desc);
  const fixed =
    spec.tensors ??
    codecTensors({
      k: p.k,
      frameElems: p.frameElems,
      seed,
      random: spec.random[sim],
      zeroElems: true,
    });
  const nbf = p.frameElems / p.k;
  const frames = Math.ceil(spec.rateBlocks[sim] / nbf);
  const rate =
    frames > 0 ? rateTensors(p.k, p.frameElems, frames, seed + 1, RATE_DENSITIES, 2, zeros) : [];
  return {
    unit: {
      tag: spec.desc.name,
      rtl: codecRtl(spec.desc),
      p,
      tensors: [...fixed, ...rate],
      opts: { ...spec.opts, ...(rate.length > 0 ? { fullRateFrom: fixed.length } : {}) },
    },
    rateFirst: fixed.length,
  };
}

function report(group: string, sim: Simulator, r: CodecBenchResult): void {
  const blocks = r.units.reduce((a, u) => a + u.blocks, 0);
  const words = r.units.reduce((a, u) => a + u.words, 0);
  console.log(
    `[codec-sim] ${group} ${sim}: ${r.units.length} unit(s), ${blocks} blocks, ${words} bus words, ${r.cycles} cycles; compile ${(r.compileMs / 1000).toFixed(1)} s, run ${(r.runMs / 1000).toFixed(1)} s`,
  );
}

/** Run a group of units and check every unit passed and met the throughput bound. */
function runGroup(group: string, specs: UnitSpec[], sim: Simulator, seed: number): void {
  const built = specs.map((s, i) => build(s, sim, seed + 100 * i));
  const r = runCodecBench(
    join(WORK, group),
    built.map((b) => b.unit),
    sim,
    { seed, perTensor: true },
  );
  if (!r.ok) console.log(r.output.slice(0, 6000));
  expect(r.ok).toBe(true);
  report(group, sim, r);
  for (const [i, b] of built.entries()) {
    const u = r.units[i];
    const wordBits = specs[i]?.desc.codec.wordBits ?? b.unit.p.busBits;
    const narrow = wordBits < b.unit.p.busBits;
    expect(u?.tag).toBe(b.unit.tag);
    if (u === undefined) continue;
    if (b.unit.opts?.corruptStream !== undefined) {
      expect(u.modelRejects, `${u.tag}: the golden model refuses the stream`).toBe(true);
      expect(u.flagged, `${u.tag}: the decoder flags the stream`).toBe(true);
    }
    const rows = rateRows(u, b.unit.tensors, b.unit.p, b.rateFirst, 2, wordBits);
    const rated = b.unit.tensors.slice(b.rateFirst).filter((x) => !isEmpty(x)).length;
    expect(rows.length).toBe(rated / 2);
    if (rows.length === 0) continue;
    expect(u.encFull, `${u.tag}: encoder cycles without stalls`).toBeGreaterThan(0);
    expect(u.decFull, `${u.tag}: decoder cycles without stalls`).toBeGreaterThan(0);
    const frames = rateFramesOf(b);
    const c = specs[i]?.desc.codec;
    // A codec narrower than the bus pushes a mask level's grid (grid / 8 bytes) into its FIFO in
    // one go; the FIFO drains a codec word a cycle and takes the next push with at most one word
    // left: the next block waits gridWords - 2 cycles, once a frame holding a non-zero per level.
    const gridWords = c === undefined ? 0 : c.grid / c.wordBits;
    const gridWait =
      narrow && c?.format === "hbm" ? Math.max(0, gridWords - 2) * Math.max(1, c.levels - 1) : 0;
    // the margin of every measured row: measured cycles against the bound, per side
    console.log(
      `[codec-rate] ${u.tag} ${sim}: density enc/bound dec/bound\n` +
        rows
          .map((row) => {
            const bd = boundsOf(row, frames, gridWait);
            const z = row.zerosBefore > 0 ? `, after ${row.zerosBefore} zero-element` : "";
            return `  ${(row.density * 100).toFixed(1).padStart(5)}% ${row.encCycles}/${bd.enc} ${row.decCycles}/${bd.dec} (ideal ${row.ideal}, ${frames} frames${z})`;
          })
          .join("\n"),
    );
    for (const row of rows) {
      const what = `${u.tag} at ${(row.density * 100).toFixed(1)}%: ${row.blocks} blocks, ${row.words} words`;
      // in steady state, no cycle in which the codec refuses offered input and sends nothing (a
      // codec narrower than the bus takes or sends a bus word only every few cycles by design:
      // the bound below, in its own words, is its check)
      if (!narrow) {
        expect(row.encDead, `encoder dead cycles, ${what}`).toBe(0);
        expect(row.decDead, `decoder dead cycles, ${what}`).toBe(0);
      }
      // and every measured tensor at the bound, give or take the phase of its last frame
      const bd = boundsOf(row, frames, gridWait);
      expect(row.encCycles, `encoder ${what}`).toBeLessThanOrEqual(bd.enc);
      expect(row.decCycles, `decoder ${what}`).toBeLessThanOrEqual(bd.dec);
    }
  }
}

/**
 * Cycles allowed above the ideal for a measured tensor. At 0% and 100% density every frame costs
 * the same, so a tensor's cycles are the ideal exactly (measured: +1 on the decoder, the cycle in
 * which a tensor's last frame ends): one cycle, less than one bubble per frame (frames >= 2).
 * Other densities vary frame by frame around the tensor's mean: a frame's worth and 2.
 */
function slackOf(row: RateRow, frames: number): number {
  if ((row.density === 0 || row.density === 1) && frames >= 2) return 1;
  return Math.ceil(row.ideal / frames) + 2;
}

/** The cycle bounds of a measured tensor: the decoder's, and the encoder's with its grid waits. */
function boundsOf(row: RateRow, frames: number, gridWait: number): { enc: number; dec: number } {
  const dec = row.ideal + slackOf(row, frames);
  return { enc: dec + gridWait * row.busyFrames, dec };
}

/** Frames per throughput tensor of a unit. */
function rateFramesOf(b: BuiltUnit): number {
  const t = b.unit.tensors.slice(b.rateFirst).find((x) => !isEmpty(x))?.t;
  return t === undefined ? 1 : t.q.length / b.unit.p.frameElems;
}

const stalls: CodecUnitOptions[] = [
  {},
  { encValidPct: 95, encReadyPct: 30, decValidPct: 40, decReadyPct: 95 },
  { encValidPct: 40, encReadyPct: 95, decValidPct: 95, decReadyPct: 30 },
  { encValidPct: 85, encReadyPct: 85, decValidPct: 85, decReadyPct: 85 },
];

const PRESET_VECTORS: Record<string, { random: number[]; rateBlocks: number[] }> = {
  // [verilator, icarus]
  tiny: { random: [60, 6], rateBlocks: [64, 32] },
  default: { random: [24, 2], rateBlocks: [64, 32] },
  large: { random: [12, 1], rateBlocks: [96, 32] },
};

function perSim(v: number[]): Record<Simulator, number> {
  return { verilator: v[0] ?? 0, icarus: v[1] ?? 0 };
}

describe.each(PRESET_NAMES)("codec of preset %s, every format", (preset) => {
  const vec = PRESET_VECTORS[preset] ?? { random: [8, 1], rateBlocks: [64, 32] };
  const specs: UnitSpec[] = CODEC_FORMATS.map((format, i) => ({
    desc: variant(preset, `${preset}_${format}`, format),
    random: perSim(vec.random),
    rateBlocks: perSim(vec.rateBlocks),
    opts: stalls[i % stalls.length] ?? {},
  }));
  it.each(SIMULATORS)("matches the golden model and runs at the bound in %s", (sim) => {
    runGroup(`preset-${preset}`, specs, sim, 2000 + preset.length);
  });
});

/** A one-frame tensor at half density whose first code is replaced by 0 in the stream. */
function malformed(desc: ResolvedDescription): { tensors: CodecTensor[]; opts: CodecUnitOptions } {
  const p = modelCodecParams(desc);
  const t = randomTensor(new Rng(31), p.k, { n: p.frameElems, density: 0.5 });
  t.q[0] = 5;
  const bits = encode(t, p).bits;
  const byte = Math.ceil(bits.index / 8) + bits.exps / 8;
  return {
    tensors: [{ kind: "malformed", t }],
    opts: { corruptStream: { tensor: 0, byte, value: 0 } },
  };
}

/** Bus width of a preset with overrides. */
function busOf(preset: string, o: Overrides): number {
  const base = PRESETS[preset];
  if (base === undefined) throw new Error(`no preset ${preset}`);
  return resolveDefaults({ ...base, dma: { ...base.dma, ...o.dma } }).dma.dataWidth;
}

/**
 * The edge configurations with the codec's word as wide as the bus, or 8 bits (codec.wordBits,
 * as in the tiny preset): each configuration runs in both, so the capture and assembler are
 * checked both on whole bus words and with the gearboxes.
 */
describe.each(["wide", "narrow"] as const)("codec edge configurations, %s codec words", (word) => {
  const ev = (preset: string, name: string, format: CodecFormat, o: Overrides = {}) =>
    variant(preset, `${name}_${word === "wide" ? "w" : "n"}`, format, {
      ...o,
      codec: {
        ...o.codec,
        wordBits: word === "wide" ? busOf(preset, o) : (o.codec?.wordBits ?? 8),
      },
    });
  const few = { verilator: 10, icarus: 2 };
  const none = { verilator: 0, icarus: 0 };
  const rate = { verilator: 64, icarus: 32 };
  const bad1 = ev("tiny", "bad_hbm", "hbm");
  const bad2 = ev("tiny", "bad_rle", "rle");
  const specs: UnitSpec[] = [
    // level 0 one bit per 8 blocks, level 1 grids spanning 8 blocks (1 bit each), level 2 in blocks
    {
      desc: ev("tiny", "e_hbm3_g8", "hbm", { codec: { levels: 3 } }),
      random: few,
      rateBlocks: rate,
    },
    // level 1 bits spanning 2 blocks (mode C), level 2 grids spanning 2 blocks
    {
      desc: ev("tiny", "e_hbm3_g16", "hbm", {
        codec: { grid: 16, levels: 3, frameElems: 256 },
      }),
      random: few,
      rateBlocks: rate,
      opts: stalls[1] ?? {},
    },
    // 64-bit grids spanning 8 blocks of 8 elements
    {
      desc: ev("tiny", "e_hbm_g64", "hbm", { codec: { grid: 64 } }),
      random: few,
      rateBlocks: rate,
    },
    // three 64-bit levels and 4096-element frames: a level-0 bit per 512 blocks, level-1 bits
    // spanning 8 blocks, level-2 grids spanning 8 blocks
    {
      desc: ev("tiny", "e_hbm3_g64_4k", "hbm", {
        codec: { grid: 64, levels: 3, frameElems: 4096 },
        buffers: { inputBytes: 8192 },
      }),
      random: { verilator: 2, icarus: 0 },
      rateBlocks: { verilator: 1024, icarus: 0 },
      opts: stalls[2] ?? {},
    },
    // MXINT8 blocks with 64-bit grids spanning 2 blocks (narrow: 32-bit codec words, the least
    // for a block's 32-bit slice of level 1)
    {
      desc: ev("default", "e_hbm_g64_k32", "hbm", { codec: { grid: 64, wordBits: 32 } }),
      random: { verilator: 4, icarus: 1 },
      rateBlocks: { verilator: 64, icarus: 32 },
    },
    // one block per frame, one block's codes per 64-bit bus word
    {
      desc: ev("tiny", "e_hbm_f8", "hbm", {
        codec: { frameElems: 8 },
        dma: { dataWidth: 64 },
      }),
      random: few,
      rateBlocks: rate,
    },
    {
      desc: ev("tiny", "e_dense_f8", "dense", {
        codec: { frameElems: 8 },
        dma: { dataWidth: 64 },
      }),
      random: few,
      rateBlocks: rate,
      opts: stalls[3] ?? {},
    },
    // flat mask as one-level hbm
    {
      desc: ev("tiny", "e_hbm1", "hbm", { codec: { levels: 1 } }),
      random: few,
      rateBlocks: rate,
    },
    // run tokens straddling bus words: 3-bit tokens on a 64-bit bus, 7-bit tokens on 32 bits
    {
      desc: ev("tiny", "e_rle3_k16", "rle", {
        codec: { runBits: 3 },
        numerics: { blockSize: 16 },
        array: { rows: 4, cols: 4 },
        dma: { dataWidth: 64 },
      }),
      random: few,
      rateBlocks: rate,
      opts: stalls[1] ?? {},
    },
    {
      desc: ev("tiny", "e_rle7", "rle", { codec: { runBits: 7 } }),
      random: few,
      rateBlocks: rate,
    },
    {
      desc: ev("tiny", "e_rle2", "rle", { codec: { runBits: 2 } }),
      random: few,
      rateBlocks: none,
    },
    // 8-bit run tokens: on byte-wide codec words a token is a whole word
    {
      desc: ev("tiny", "e_rle8", "rle", { codec: { runBits: 8 } }),
      random: few,
      rateBlocks: rate,
    },
    // a 128-bit bus with blocks of 16: on byte-wide codec words 16 words a bus word
    {
      desc: ev("tiny", "e_hbm_b128", "hbm", {
        numerics: { blockSize: 16 },
        array: { rows: 4, cols: 4 },
        dma: { dataWidth: 128 },
      }),
      random: few,
      rateBlocks: rate,
      opts: stalls[2] ?? {},
    },
    // malformed streams: a code listed as non-zero is 0
    { desc: bad1, random: none, rateBlocks: none, ...malformed(bad1) },
    { desc: bad2, random: none, rateBlocks: none, ...malformed(bad2) },
  ];
  it.each(SIMULATORS)("match the golden model in %s", (sim) => {
    runGroup(`edge-${word}`, specs, sim, 3001);
  });
});

describe("the codec testbench can fail", () => {
  const desc = variant("tiny", "mut_hbm", "hbm");
  it.each(SIMULATORS)("reports a wrong encoder word and a wrong decoder block in %s", (sim) => {
    const p = modelCodecParams(desc);
    const tensors = codecTensors({ k: p.k, frameElems: p.frameElems, seed: 5, random: 4 });
    const r = runCodecBench(
      join(WORK, "mutant"),
      [
        {
          tag: desc.name,
          rtl: codecRtl(desc),
          p,
          tensors,
          opts: { corruptEncWord: 57, corruptDecBlock: 41 },
        },
      ],
      sim,
      { seed: 5 },
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/MISMATCH \[mut_hbm\] encoder word 57\b/);
    expect(r.output).toMatch(/MISMATCH \[mut_hbm\] decoder block 41\b/);
  });
});

/** Decoder mutants of the command port: one edit each of the rendered RTL (from, to). */
const HOLD_ZERO: [string, string] = [
  "end else if (cmd_valid_i & ~pend_q & (cmd_elems_i != 32'd0)) begin",
  "end else if (cmd_valid_i & ~pend_q) begin",
];
/** A held count may then be 0, so starting it must look at it (the decoder before 3e541e0). */
const HELD_MAY_BE_ZERO: [string, string] = [
  "act_q  <= 1'b1;  // a held count is never 0",
  "act_q  <= (pend_n_q != 32'd0);",
];

/** The decoder of a unit with its edits (each edited text must be there). */
function mutate(rtl: CodecUnit["rtl"], edits: readonly [string, string][]): CodecUnit["rtl"] {
  const src = rtl.files.find((f) => f.file.includes("codec_dec"))?.text ?? "";
  for (const [from] of edits) expect(src).toContain(from);
  const files = rtl.files.map((f) =>
    f.file.includes("codec_dec")
      ? { ...f, text: edits.reduce((t, [from, to]) => t.replace(from, to), f.text) }
      : f,
  );
  const dec = files.find((f) => f.file.includes("codec_dec"))?.text ?? "";
  for (const [, to] of edits) expect(dec).toContain(to);
  return { ...rtl, files };
}

describe("zero-element decoder commands can fail", () => {
  // Zero-element tensors come first, three in a row, between random tensors and last (the
  // edge-case set); a decoder that mishandles a count of 0 must be reported: the blocks of the
  // tensors after it differ, or a command is never taken. The unmutated decoder runs the same set
  // in every preset test.
  const MUTANTS: [string, [string, string][], RegExp][] = [
    [
      "a count of 0 read as a tensor with a stream",
      [["act_q  <= cmd_valid_i & (cmd_elems_i != 32'd0);", "act_q  <= cmd_valid_i;"]],
      /MISMATCH \[mut_zero\] decoder block \d+: got/,
    ],
    [
      "the command after a zero-element one dropped",
      [
        [
          "  // Tensor commands: started directly when free",
          "  reg mut_z_q = 1'b0;\n  always @(posedge clk_i) mut_z_q <= cmd_valid_i & cmd_ready_o & (cmd_elems_i == 32'd0);\n  // Tensor commands: started directly when free",
        ],
        [HOLD_ZERO[0], HOLD_ZERO[0].replace(") begin", " & ~mut_z_q) begin")],
      ],
      /MISMATCH \[mut_zero\] decoder block \d+: got/,
    ],
    [
      "a count of 0 not taken while no tensor is read",
      [
        [
          "assign cmd_ready_o = ~pend_q;",
          "assign cmd_ready_o = ~pend_q & (act_q | (cmd_elems_i != 32'd0));",
        ],
      ],
      /MISMATCH \[mut_zero\] decoder took \d+ of \d+ commands/,
    ],
  ];
  const desc = variant("tiny", "mut_zero", "hbm");
  it.each(MUTANTS)("catches the mutant: %s (icarus)", (name, edits, message) => {
    const p = modelCodecParams(desc);
    // the last mutant without the leading zero-element tensor (it would stall there, a timeout):
    // the trailing one comes once every block is out, to an idle decoder that must take it
    const all = codecTensors({
      k: p.k,
      frameElems: p.frameElems,
      seed: 9,
      random: 2,
      zeroElems: true,
    });
    const tensors = name.includes("not taken") ? all.slice(1) : all;
    const unit: CodecUnit = {
      tag: desc.name,
      rtl: mutate(codecRtl(desc), edits),
      p,
      tensors,
      opts: { only: "dec" },
    };
    const r = runCodecBench(join(WORK, "mutant-zero"), [unit], "icarus", { seed: 9 });
    console.log(`[codec-zero] ${name}: ${r.output.split("\n").find((l) => message.test(l))}`);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(message);
  });
});

describe("the rate bound can fail", () => {
  // Hand-made mutants, in one simulation. mut_rate: the decoder's capture refuses the bus for one
  // cycle after every frame's last word (one bubble per frame). mut_zhold: a zero-element command
  // is held like any other until the current tensor ends (the decoder before it was fixed), so
  // the next command waits and its tensor's words start a cycle late per zero-element command.
  // The tightened bound at 0% and 100% density must catch both.
  const descRate = variant("tiny", "mut_rate", "hbm");
  const descHold = variant("tiny", "mut_zhold", "hbm");
  it("reports one bubble per frame, and one per zero-element command, of the decoder in verilator", () => {
    const spec = (desc: ResolvedDescription): UnitSpec => ({
      desc,
      random: { verilator: 0, icarus: 0 },
      rateBlocks: { verilator: 64, icarus: 0 },
    });
    const rdy = "assign cap_rdy     = act_q & push_ready & (~first_word | ~desc_full);";
    const bRate = build(spec(descRate), "verilator", 77, []);
    const bHold = build(spec(descHold), "verilator", 78);
    const built: BuiltUnit[] = [
      {
        ...bRate,
        unit: {
          ...bRate.unit,
          rtl: mutate(bRate.unit.rtl, [
            [
              rdy,
              "reg mut_bub_q = 1'b0;\n  always @(posedge clk_i) mut_bub_q <= acc & fend;\n  " +
                rdy.replace(");", ") & ~mut_bub_q;"),
            ],
          ]),
        },
      },
      {
        ...bHold,
        unit: { ...bHold.unit, rtl: mutate(bHold.unit.rtl, [HOLD_ZERO, HELD_MAY_BE_ZERO]) },
      },
    ];
    const r = runCodecBench(
      join(WORK, "mutant-rate"),
      built.map((b) => b.unit),
      "verilator",
      { seed: 77, perTensor: true },
    );
    expect(r.ok).toBe(true);
    for (const [i, b] of built.entries()) {
      const u = r.units[i];
      expect(u).toBeDefined();
      if (u === undefined) continue;
      const frames = rateFramesOf(b);
      const wordBits = (i === 0 ? descRate : descHold).codec.wordBits;
      const rows = rateRows(u, b.unit.tensors, b.unit.p, b.rateFirst, 2, wordBits);
      const over = (row: RateRow): boolean => row.decCycles > boundsOf(row, frames, 0).dec;
      const caught = rows.filter((row) => (row.density === 0 || row.density === 1) && over(row));
      console.log(
        `[codec-rate] mutant ${u.tag}: ${rows.map((row) => `${(row.density * 100).toFixed(1)}% dec ${row.decCycles}/${boundsOf(row, frames, 0).dec}${row.zerosBefore > 0 ? ` (after ${row.zerosBefore} zero-element)` : ""}`).join(", ")}`,
      );
      expect(caught.length, `${u.tag} caught`).toBeGreaterThan(0);
      // held zero-element commands: the 100% tensor after one is over (at 0% the blocks are the
      // bottleneck, and the late stream is absorbed by the frames in the buffers)
      if (i === 1) {
        expect(caught.map((row) => row.density)).toContain(1);
        expect(caught.every((row) => row.zerosBefore > 0)).toBe(true);
      }
    }
  });
});
