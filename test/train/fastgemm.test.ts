import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  type BfpMatrix,
  type Rounding,
  SCALE_NAN,
  dequantizeMatrix,
  quantizeMatrix,
  transposeReblock,
} from "../../generator/model/bfp8.ts";
import {
  backward,
  forward,
  gemmABt,
  weightGradient,
  type GemmOptions,
} from "../../generator/model/gemm.ts";
import { Rng } from "../../generator/model/rng.ts";
import { reluMask, thresholdFromReal, type Threshold } from "../../generator/model/sparsity.ts";
import {
  dequantizeFast,
  fastBackward,
  fastForward,
  fastGemmABt,
  fastWeightGradient,
  maskFast,
  nonZerosFast,
  quantizeFast,
} from "../../training/fastgemm.ts";
import { checkedBackend, diffResults, fastBackend } from "../../training/backend.ts";
import { type CodecFormat, type CodecParams, encodedBits } from "../../generator/model/codecs.ts";
import { streamBits } from "../../training/metrics.ts";
import { bfp8Engine } from "../../training/engine.ts";

/**
 * Random data: normal values with a per-row scale spread, some zeros, optional ReLU; `flat`
 * gives same-sign values of nearly equal magnitude (long sums that saturate narrow accumulators).
 */
function randData(
  rng: Rng,
  rows: number,
  cols: number,
  density: number,
  relu: boolean,
  flat = false,
) {
  const d = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const scale = 2 ** rng.int(-12, 6);
    for (let c = 0; c < cols; c++) {
      if (!rng.bernoulli(density)) continue;
      if (flat) {
        d[r * cols + c] = scale * (1.5 + 0.4 * rng.float());
        continue;
      }
      const v = rng.normal() * scale * (rng.bernoulli(0.1) ? 2 ** rng.int(-20, 3) : 1);
      d[r * cols + c] = relu ? Math.abs(v) : v;
    }
  }
  return d;
}

function randBfp(
  rng: Rng,
  rows: number,
  cols: number,
  k: number,
  density: number,
  rounding: Rounding,
  nanRate = 0,
  flat = false,
): BfpMatrix {
  const m = quantizeMatrix(
    randData(rng, rows, cols, density, false, flat),
    rows,
    cols,
    k,
    rounding,
  );
  if (nanRate > 0) {
    for (let i = 0; i < m.scale.length; i++) if (rng.bernoulli(nanRate)) m.scale[i] = SCALE_NAN;
  }
  return m;
}

function expectSameBfp(x: BfpMatrix, y: BfpMatrix): void {
  expect([x.rows, x.cols, x.k, x.blocksPerRow]).toEqual([y.rows, y.cols, y.k, y.blocksPerRow]);
  expect(Array.from(x.scale)).toEqual(Array.from(y.scale));
  expect(Array.from(x.q)).toEqual(Array.from(y.q));
}

/** A fraction in [0, 1] spread evenly (fc.double piles up at the ends of its range). */
const fraction = fc.integer({ min: 0, max: 20 }).map((x) => x / 20);

const arbCase = fc.record({
  I: fc.integer({ min: 1, max: 40 }),
  J: fc.integer({ min: 1, max: 40 }),
  R: fc.integer({ min: 1, max: 100 }),
  k: fc.constantFrom(8, 16, 32),
  accWidth: fc.constantFrom(16, 20, 24, 32, 40, 48),
  rounding: fc.constantFrom<Rounding>("nearest", "even"),
  densityA: fraction,
  densityB: fraction,
  relu: fc.boolean(),
  layout: fc.constantFrom<"transposed" | "direct">("transposed", "direct"),
  maskDensity: fc.option(fraction, { nil: undefined }),
  theta: fc.option(
    fc
      .tuple(fc.integer({ min: -20, max: 2 }), fc.integer({ min: 1, max: 255 }))
      .map(([e, m]) => (m / 128) * 2 ** e),
    { nil: undefined },
  ),
  nanRate: fc.constantFrom(0, 0, 0, 0.05),
  flat: fc.boolean(),
  seed: fc.integer(),
});

describe("fast GEMM is bit-identical to the golden model's gemmABt", () => {
  it("on random ragged shapes, densities, masks, thresholds, widths, tie rules and NaN blocks", () => {
    let withMask = 0;
    let withThreshold = 0;
    let saturated = 0;
    fc.assert(
      fc.property(arbCase, (c) => {
        const rng = new Rng(c.seed);
        const a = randBfp(rng, c.I, c.R, c.k, c.densityA, c.rounding, c.nanRate, c.flat);
        const b = randBfp(rng, c.J, c.R, c.k, c.densityB, c.rounding, c.nanRate, c.flat);
        const threshold: Threshold =
          c.theta === undefined ? { tm: 0, te: 0 } : thresholdFromReal(c.theta);
        const opts: GemmOptions = {
          accWidth: c.accWidth,
          layout: c.layout,
          out: { relu: c.relu, threshold, rounding: c.rounding, k: c.k },
        };
        if (c.maskDensity !== undefined) {
          const p = c.maskDensity;
          opts.outMask = Uint8Array.from({ length: c.I * c.J }, () => (rng.bernoulli(p) ? 1 : 0));
          withMask++;
        }
        if (threshold.tm !== 0) withThreshold++;
        const ref = gemmABt(a, b, opts);
        const got = fastGemmABt(a, b, opts, true);
        expectSameBfp(got.out, ref.out);
        expect(got.counters).toEqual(ref.counters);
        const acc = got.acc!;
        for (let x = 0; x < c.I * c.J; x++) {
          const r = ref.acc[x]!;
          expect([acc.m[x], acc.e[x], acc.nan[x] === 1]).toEqual([r.m, r.e, r.nan]);
          if (Math.abs(r.m) >= 2 ** (c.accWidth - 1) - 1) saturated++;
        }
      }),
      { numRuns: 400, seed: 11 },
    );
    // the generator really exercised the options
    expect(withMask).toBeGreaterThan(100);
    expect(withThreshold).toBeGreaterThan(100);
    expect(saturated).toBeGreaterThan(0);
  });

  it("forward/backward/weightGradient wrappers match the model's on a training-shaped chain", () => {
    const rng = new Rng(7);
    for (const k of [8, 16, 32]) {
      const num = { k, rounding: "nearest" as const, accWidth: 32 };
      const M = 45;
      const K = 77;
      const N = 2 * k + 3;
      const w = randBfp(rng, M, K, k, 1, "nearest");
      const xT = quantizeMatrix(randData(rng, N, K, 0.4, true), N, K, k, "nearest");
      const th = thresholdFromReal(0.05);
      const fp = fastForward(w, xT, num, { relu: true, threshold: th });
      const fpRef = forward(w, xT, num, { relu: true, threshold: th });
      expect(diffResults(fp, fpRef)).toBeUndefined();
      const wT = transposeReblock(w, k, "nearest");
      const dyT = randBfp(rng, N, M, k, 0.5, "nearest");
      const maskT = reluMask(xT);
      const bp = fastBackward(wT, dyT, num, { maskT, threshold: th });
      const bpRef = backward(wT, dyT, num, { maskT, threshold: th });
      expect(diffResults(bp, bpRef)).toBeUndefined();
      expect(bp.counters.macsOutputSkipped).toBeGreaterThan(0);
      const dy = transposeReblock(dyT, k, "nearest");
      const x = transposeReblock(xT, k, "nearest");
      expect(diffResults(fastWeightGradient(dy, x, num), weightGradient(dy, x, num))).toBe(
        undefined,
      );
    }
  });

  it("the comparison itself catches a one-element difference", () => {
    const rng = new Rng(3);
    const a = randBfp(rng, 9, 40, 16, 1, "nearest");
    const b = randBfp(rng, 11, 40, 16, 0.7, "nearest");
    const num = { k: 16, rounding: "nearest" as const, accWidth: 24 };
    const r1 = fastForward(a, b, num, { relu: false });
    const r2 = forward(a, b, num, { relu: false });
    expect(diffResults(r1, r2)).toBeUndefined();
    const idx = r1.out.q.findIndex((q) => q !== 0);
    r1.out.q[idx] = r1.out.q[idx]! + 1;
    expect(diffResults(r1, r2)).toMatch(/^element/);
    const chk = checkedBackend({
      ...fastBackend,
      forward: (w, x, n, o) => ({
        ...fastBackend.forward(w, x, n, o),
        counters: { ...r2.counters, macsIssued: -1 },
      }),
    });
    expect(() => chk.forward(a, b, num, { relu: false })).toThrow(/counter macsIssued/);
  });
});

describe("fast quantizer and helpers are bit-identical to the model's", () => {
  it("quantizeFast = quantizeMatrix, including subnormals, ties, huge values and NaN/Inf", () => {
    const specials = [
      0,
      -0,
      1.5,
      1.0234375,
      1.99609375,
      0.0078125,
      -0.00390625,
      2 ** -149,
      2 ** -130,
      3e38,
      -3.4e38,
      0.5 - 2 ** -25,
      NaN,
      Infinity,
      -Infinity,
      1 + 2 ** -7,
      2.5 / 64,
      3.5 / 64,
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 70 }),
        fc.constantFrom(8, 16, 32),
        fc.constantFrom<Rounding>("nearest", "even"),
        fc.integer(),
        (rows, cols, k, rounding, seed) => {
          const rng = new Rng(seed);
          const d = randData(rng, rows, cols, 0.8, false);
          for (let i = 0; i < d.length; i++)
            if (rng.bernoulli(0.08))
              d[i] = rng.pick(specials) * (rng.bernoulli(0.5) ? 1 : 2 ** rng.int(-8, 8));
          expectSameBfp(
            quantizeFast(d, rows, cols, k, rounding),
            quantizeMatrix(d, rows, cols, k, rounding),
          );
        },
      ),
      { numRuns: 500, seed: 4 },
    );
  });

  it("dequantize, mask and non-zero count agree; re-blocking through the engine = transposeReblock", () => {
    const rng = new Rng(5);
    for (let it = 0; it < 50; it++) {
      const k = rng.pick([8, 16, 32]);
      const rows = rng.int(1, 50);
      const cols = rng.int(1, 50);
      const m = randBfp(rng, rows, cols, k, rng.float(), "nearest", it % 5 === 0 ? 0.1 : 0);
      const ref = dequantizeMatrix(m);
      const got = dequantizeFast(m);
      expect(Array.from(got)).toEqual(Array.from(ref));
      const mask = reluMask(m);
      expect(Array.from(maskFast(m))).toEqual(Array.from(mask));
      expect(nonZerosFast(m)).toBe(mask.reduce((s, v) => s + v, 0));
      const eng = bfp8Engine({ k, rounding: "nearest", accWidth: 32 }, fastBackend);
      const t = eng.transpose(m);
      expectSameBfp(t, transposeReblock(m, k, "nearest"));
    }
  });
});

describe("streamBits sizes streams exactly as the model's encodedBits", () => {
  it("for every format, grid, level count, frame and bus width on random and clustered codes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(8, 16, 32),
        fraction,
        fc.constantFrom<CodecFormat>("dense", "zvc", "rle", "hbm"),
        fc.constantFrom(2, 4, 8, 16),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(8, 32, 64, 128),
        fc.integer({ min: 2, max: 6 }),
        fc.integer(),
        (blocks, k, density, format, grid, levels, framesOfK, busBits, runBits, seed) => {
          const rng = new Rng(seed);
          const q = new Int8Array(blocks * k);
          let on = false;
          for (let i = 0; i < q.length; i++) {
            if (rng.bernoulli(0.2)) on = rng.bernoulli(density);
            if (on && rng.bernoulli(density))
              q[i] = rng.int(1, 127) * (rng.bernoulli(0.5) ? 1 : -1);
          }
          const p: CodecParams = {
            format,
            k,
            frameElems: framesOfK * k * grid ** (levels - 1),
            busBits,
            grid,
            levels,
            runBits,
          };
          const mask = Uint8Array.from(q, (v) => (v !== 0 ? 1 : 0));
          expect(streamBits(q, p)).toBe(encodedBits(mask, p));
        },
      ),
      { numRuns: 600, seed: 8 },
    );
  });
});
