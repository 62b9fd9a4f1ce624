/**
 * The codec's elaborated parameters (generator/elab/codec.ts): how mask levels map onto blocks,
 * section FIFO sizes against the golden model's worst-case frames, window sizes, widths, and the
 * decoder's rule for which blocks hold a non-zero.
 */
import { describe, expect, it } from "vitest";
import { validateDescription } from "../../generator/dsl/validate.ts";
import { PRESETS, PRESET_NAMES } from "../../generator/dsl/presets.ts";
import type { ResolvedDescription } from "../../generator/dsl/description.ts";
import { codecModules, codecParams, type LevelMode } from "../../generator/elab/codec.ts";
import {
  type BfpStream,
  type CodecFormat,
  CODEC_FORMATS,
  encode,
} from "../../generator/model/codecs.ts";
import { Rng } from "../../generator/model/rng.ts";
import { modelCodecParams } from "../../testbench/codec-bench.ts";

function desc(
  format: CodecFormat,
  k: number,
  grid: number,
  levels: number,
  frameElems: number,
  dataWidth: number,
  runBits = 4,
  wordBits = dataWidth,
): ResolvedDescription {
  return validateDescription({
    name: "p",
    numerics: { blockSize: k, accWidth: 32 },
    codec: { format, grid, levels, frameElems, runBits, wordBits },
    buffers: { inputBytes: 16384 },
    dma: { dataWidth },
  });
}

/** Every valid (k, grid, levels, frame) with the frame at its smallest and at 512 and 4096. */
function* configs(): Generator<[number, number, number, number]> {
  for (const k of [8, 16, 32])
    for (const g of [8, 16, 32, 64])
      for (const L of [1, 2, 3]) {
        const span = g ** Math.max(1, L - 1);
        if (span > 4096) continue;
        for (const F of new Set([Math.max(k, span), Math.max(k, span, 512), 4096]))
          yield [k, g, L, F];
      }
}

describe("codec elaboration: mask levels onto blocks", () => {
  const cases: [string, number, number, number, [LevelMode, number, number][]][] = [
    // name, k, grid, levels, [mode, bits per block, blocks per grid or top bit]
    [
      "tiny",
      8,
      8,
      2,
      [
        ["top-in", 1, 1],
        ["A", 8, 1],
      ],
    ],
    [
      "default",
      32,
      8,
      2,
      [
        ["top-in", 4, 1],
        ["A", 32, 1],
      ],
    ],
    [
      "large",
      32,
      16,
      2,
      [
        ["top-in", 2, 1],
        ["A", 32, 1],
      ],
    ],
    [
      "64-bit grids",
      32,
      64,
      2,
      [
        ["top-span", 1, 2],
        ["B", 32, 2],
      ],
    ],
    [
      "three levels of 8",
      8,
      8,
      3,
      [
        ["top-span", 1, 8],
        ["B", 1, 8],
        ["A", 8, 1],
      ],
    ],
    [
      "three levels of 16",
      8,
      16,
      3,
      [
        ["top-span", 1, 32],
        ["C", 1, 32],
        ["B", 8, 2],
      ],
    ],
    [
      "three levels, MXINT8",
      32,
      8,
      3,
      [
        ["top-span", 1, 2],
        ["B", 4, 2],
        ["A", 32, 1],
      ],
    ],
  ];
  it.each(cases)("%s (k=%i, grid %i, %i levels)", (_n, k, g, L, want) => {
    const p = codecParams(desc("hbm", k, g, L, 4096, 64));
    expect(p.levelInfo.map((x) => [x.mode, x.nb, x.bpg])).toEqual(want);
  });

  it("every valid configuration: the bottom level is the element mask and levels nest", () => {
    let n = 0;
    for (const [k, g, L, F] of configs()) {
      const p = codecParams(desc("hbm", k, g, L, F, 64));
      const lv = p.levelInfo;
      expect(lv.length).toBe(L);
      expect(lv[L - 1]?.u).toBe(1);
      expect(lv[L - 1]?.nb).toBe(k);
      for (const x of lv) {
        expect(x.u).toBe(g ** (L - 1 - x.l));
        if (x.isA) expect(x.nb).toBe(x.nbp * g);
        if (x.isB) expect(x.nb * x.bpg).toBe(g);
        if (x.isC) expect(x.bpg).toBe(g * x.grp);
        if (x.isTopSpan || x.isB || x.isC) expect(2 ** x.lbpg).toBe(x.bpg);
      }
      n++;
    }
    expect(n).toBeGreaterThan(60);
  });
});

/** Level bits of a frame's mask: one bit per u elements, set when any of them is non-zero. */
function levelBits(mask: Uint8Array, u: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(mask.length / u));
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[Math.floor(i / u)] = 1;
  return out;
}

describe("codec elaboration: the decoder's non-zero blocks", () => {
  it("a block holds a non-zero exactly when one of its sliceBits bits of level lam is set", () => {
    const rng = new Rng(4);
    for (const [k, g, L, F] of configs()) {
      if (L < 2) continue;
      const p = codecParams(desc("hbm", k, g, L, F, 64));
      const lam = p.levelInfo[p.lam];
      expect(lam?.u).toBeLessThanOrEqual(k);
      if (p.lam > 0) expect(p.levelInfo[p.lam - 1]?.u).toBeGreaterThan(k);
      const u = lam?.u ?? 1;
      expect(p.sliceBits * u).toBe(k);
      for (const density of [0.002, 0.05, 0.5]) {
        const mask = Uint8Array.from({ length: F }, () => (rng.bernoulli(density) ? 1 : 0));
        const bits = levelBits(mask, u);
        for (let b = 0; b < F / k; b++) {
          const any = mask.subarray(b * k, (b + 1) * k).some((x) => x === 1);
          const slice = bits.subarray(b * p.sliceBits, (b + 1) * p.sliceBits).some((x) => x === 1);
          expect(slice).toBe(any);
        }
      }
    }
  });
});

/** A frame whose every element is non-zero: the largest frame of every format. */
function fullFrame(k: number, F: number): BfpStream {
  return { k, q: new Int8Array(F).fill(3), scale: new Uint8Array(F / k).fill(120) };
}

describe("codec elaboration: section FIFOs", () => {
  it("hold two of the golden model's largest frames, and frame offsets fit their width", () => {
    for (const format of CODEC_FORMATS)
      for (const [k, g, L, F] of configs())
        for (const [B, W] of [
          [32, 32],
          [128, 128],
          [32, 8],
          [128, 32],
        ] as const) {
          if (format !== "hbm" && (g !== 8 || L !== 2)) continue;
          // a bus wider than one block's codes is not a valid description (validate.ts)
          if (B > 8 * k) continue;
          // B-bit bus, W-bit codec words; a narrow word below a block's mask slice is refused
          let d: ResolvedDescription;
          try {
            d = desc(format, k, g, L, F, B, format === "rle" ? 3 : 4, W);
          } catch (e) {
            if (W === B || !String(e).includes("codec.wordBits")) throw e;
            continue;
          }
          const p = codecParams(d);
          expect(p.extBits).toBe(B);
          expect(p.busBits).toBe(W);
          expect(p.narrow).toBe(W < B);
          const mp = modelCodecParams(d);
          const bits = encode(fullFrame(k, F), mp).bits;
          const wb = W / 8;
          const section = (name: string) => p.enc.fifos.find((f) => f.name === name);
          const mants = section("mants");
          const exps = section("exps");
          expect(mants?.maxFrameBytes).toBe(bits.mants / 8);
          expect(exps?.maxFrameBytes).toBe(bits.exps / 8);
          const index = p.enc.fifos
            .filter((f) => f.name.startsWith("lev") || f.name === "toks")
            .reduce((a, f) => a + f.maxFrameBytes, 0);
          expect(index).toBe(Math.ceil(bits.index / 8));
          expect(2 ** p.pb).toBeGreaterThan(p.maxFrameBytes + 2 * wb);
          for (const side of [p.enc, p.dec]) {
            for (const f of side.fifos) {
              expect(f.depth * wb, `${format} ${f.name}`).toBeGreaterThanOrEqual(
                2 * f.maxFrameWords * wb,
              );
              expect(f.maxFrameWords * wb).toBeGreaterThanOrEqual(f.maxFrameBytes);
              // a pop and the alignment to a word fit, with a word streaming in
              expect(f.win).toBeGreaterThanOrEqual(f.outU * f.uo + W - f.uo + W);
              expect(f.win / W).toBe(2 ** Math.round(Math.log2(f.win / W)));
              expect(f.win % W).toBe(0);
              expect(2 ** side.cw).toBeGreaterThan(Math.max(f.accU, f.winU));
            }
          }
        }
  });

  it("are the sections of the golden model's stream layout, in order", () => {
    const order = (f: CodecFormat, L = 2) =>
      codecParams(desc(f, 32, 8, L, 512, 64)).sections.join(" ");
    expect(order("dense")).toBe("exps mants");
    expect(order("zvc")).toBe("lev0 exps mants");
    expect(order("rle")).toBe("toks exps mants");
    expect(order("hbm")).toBe("lev0 lev1 exps mants");
    expect(order("hbm", 3)).toBe("lev0 lev1 lev2 exps mants");
    expect(order("hbm", 1)).toBe("lev0 exps mants");
  });
});

describe("codec modules of the shipped presets", () => {
  it.each(PRESET_NAMES)(
    "%s: encoder, decoder and their submodules, named after the description",
    (name) => {
      const d = validateDescription(PRESETS[name] ?? { name });
      const mods = codecModules(d);
      expect(mods.map((m) => [m.role, m.module, m.file])).toEqual(
        ["enc", "dec", "fifo", "pack"].map((x) => [
          `codec_${x}`,
          `${d.name}_codec_${x}`,
          `${d.name}_codec_${x}.v`,
        ]),
      );
      // the encoder and decoder instantiate the submodules by these names
      for (const m of mods.slice(0, 2)) {
        expect(m.params["fifoModule"]).toBe(`${d.name}_codec_fifo`);
        expect(m.params["packModule"]).toBe(`${d.name}_codec_pack`);
      }
    },
  );
});
