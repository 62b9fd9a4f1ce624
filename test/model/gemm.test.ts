import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { accAdd, accValue, accZero } from "../../generator/model/accum.ts";
import {
  dequantizeMatrix,
  quantizeMatrix,
  transposeReblock,
  bfpGet,
} from "../../generator/model/bfp8.ts";
import { backward, forward, weightGradient } from "../../generator/model/gemm.ts";
import {
  belowThreshold,
  reluMask,
  thresholdForSparsity,
  thresholdFromReal,
  thresholdValue,
} from "../../generator/model/sparsity.ts";
import { Rng } from "../../generator/model/rng.ts";

describe("accumulation rule (docs/numerics.md worked examples)", () => {
  it("an empty accumulator takes the first product exactly", () => {
    expect(accAdd(accZero(), 100, 130, 120, 24)).toEqual({ m: 100, e: 250, nan: false });
  });
  it("a larger exponent shifts the accumulator right (flooring) and sets E", () => {
    // m = -5 at E = 250; P = 3 at e = 252: (-5 >>> 2) + 3 = -2 + 3 = 1
    expect(accAdd({ m: -5, e: 250, nan: false }, 3, 126, 126, 24)).toEqual({
      m: 1,
      e: 252,
      nan: false,
    });
  });
  it("a smaller exponent shifts the product right", () => {
    // m = 1000 at E = 252; P = 7 at e = 250: 1000 + (7 >>> 2) = 1001
    expect(accAdd({ m: 1000, e: 252, nan: false }, 7, 125, 125, 24)).toEqual({
      m: 1001,
      e: 252,
      nan: false,
    });
  });
  it("shifts are clamped to ACC_W - 1", () => {
    expect(accAdd({ m: -1, e: 0, nan: false }, 1, 254, 254, 20)).toEqual({
      m: 0,
      e: 508,
      nan: false,
    });
    expect(accAdd({ m: 5, e: 508, nan: false }, -1, 0, 0, 20)).toEqual({
      m: 4,
      e: 508,
      nan: false,
    });
  });
  it("saturates to the accumulator width", () => {
    expect(accAdd({ m: 2 ** 19 - 10, e: 254, nan: false }, 100, 127, 127, 20).m).toBe(2 ** 19 - 1);
    expect(accAdd({ m: -(2 ** 19) + 10, e: 254, nan: false }, -100, 127, 127, 20).m).toBe(
      -(2 ** 19),
    );
  });
  it("a zero product changes nothing but the NaN flag", () => {
    expect(accAdd({ m: 9, e: 200, nan: false }, 0, 255, 1, 24)).toEqual({
      m: 9,
      e: 200,
      nan: true,
    });
  });
  it("value = m * 2^(E - 266)", () => {
    expect(accValue({ m: 4096, e: 254, nan: false })).toBe(1);
  });
});

function randMatrix(
  rng: Rng,
  rows: number,
  cols: number,
  density: number,
  relu = false,
): Float64Array {
  const a = new Float64Array(rows * cols);
  for (let i = 0; i < a.length; i++) {
    if (!rng.bernoulli(density)) continue;
    const v = rng.normal();
    a[i] = relu ? Math.abs(v) : v;
  }
  return a;
}

describe("training GEMMs on BFP8", () => {
  const num = { k: 16, rounding: "nearest" as const, accWidth: 32 };

  it("FP output is close to the float64 product of the dequantized operands", () => {
    const rng = new Rng(3);
    const M = 24,
      K = 40,
      N = 7;
    const w = quantizeMatrix(randMatrix(rng, M, K, 1), M, K, 16, "nearest");
    const xT = quantizeMatrix(randMatrix(rng, N, K, 0.5, true), N, K, 16, "nearest");
    const r = forward(w, xT, num, { relu: false });
    const wd = dequantizeMatrix(w);
    const xd = dequantizeMatrix(xT);
    const yd = dequantizeMatrix(r.out); // N x M
    let errMax = 0;
    let refMax = 0;
    for (let n = 0; n < N; n++)
      for (let m = 0; m < M; m++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += (wd[m * K + k] ?? 0) * (xd[n * K + k] ?? 0);
        refMax = Math.max(refMax, Math.abs(s));
        errMax = Math.max(errMax, Math.abs(s - (yd[n * M + m] ?? 0)));
        // the accumulator is exact but for alignment flooring: under one LSB (2^(E-266)) per block
        const acc = r.acc[m * N + n]!;
        expect(Math.abs(accValue(acc) - s)).toBeLessThanOrEqual(
          w.blocksPerRow * 2 ** (acc.e - 266),
        );
      }
    // output re-quantization: half a step of the output block's scale at most
    expect(errMax).toBeLessThanOrEqual(refMax / 64);
  });

  it("operation counters add up and count skipped zeros", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1 }),
        fc.integer(),
        (I, J, R, d, seed) => {
          const rng = new Rng(seed);
          const a = quantizeMatrix(randMatrix(rng, I, R, 1), I, R, 8, "nearest");
          const b = quantizeMatrix(randMatrix(rng, J, R, d), J, R, 8, "nearest");
          const mask = Uint8Array.from({ length: J * I }, () => (rng.bernoulli(0.5) ? 1 : 0));
          const r = backward(a, b, { ...num, k: 8 }, { maskT: mask });
          const c = r.counters;
          let nnz = 0;
          for (let j = 0; j < J; j++) for (let x = 0; x < R; x++) if (bfpGet(b, j, x) !== 0) nnz++;
          expect(c.macsDense).toBe(I * J * R);
          expect(c.macsDense).toBe(c.macsIssued + c.macsInputSkipped + c.macsOutputSkipped);
          expect(c.outputsSkipped).toBe(mask.reduce((s, v) => s + (v ? 0 : 1), 0));
          if (c.outputsSkipped === 0) expect(c.macsIssued).toBe(I * nnz);
          // masked outputs are zero
          for (let j = 0; j < J; j++)
            for (let i = 0; i < I; i++) if (!mask[j * I + i]) expect(bfpGet(r.out, j, i)).toBe(0);
        },
      ),
      { numRuns: 200, seed: 5 },
    );
  });

  it("FP with ReLU writes no negative values and its mask marks the non-zeros", () => {
    const rng = new Rng(9);
    const w = quantizeMatrix(randMatrix(rng, 16, 32, 1), 16, 32, 16, "nearest");
    const xT = quantizeMatrix(randMatrix(rng, 5, 32, 0.6, true), 5, 32, 16, "nearest");
    const r = forward(w, xT, num, { relu: true });
    const mask = reluMask(r.out);
    for (let n = 0; n < 5; n++)
      for (let m = 0; m < 16; m++) {
        const q = bfpGet(r.out, n, m);
        expect(q).toBeGreaterThanOrEqual(0);
        expect(mask[n * 16 + m]).toBe(q !== 0 ? 1 : 0);
      }
  });

  it("the three steps chain: FP -> BP (masked by FP's ReLU) -> WG, shapes line up", () => {
    const rng = new Rng(21);
    const M = 12,
      K = 20,
      N = 16; // N a multiple of k so WG's blocks along N are full
    const wF = randMatrix(rng, M, K, 1);
    const w = quantizeMatrix(wF, M, K, 16, "nearest");
    const xT = quantizeMatrix(randMatrix(rng, N, K, 0.5, true), N, K, 16, "nearest");
    const fp = forward(w, xT, num, { relu: true }); // Y^T: N x M
    const dyT = quantizeMatrix(randMatrix(rng, N, M, 0.3), N, M, 16, "nearest");
    const wT = transposeReblock(w, 16, "nearest"); // K x M, blocks along M
    const maskX = Uint8Array.from({ length: N * K }, (_, i) =>
      (xT.q[Math.floor(i / K) * xT.blocksPerRow * 16 + (i % K)] ?? 0) !== 0 ? 1 : 0,
    );
    const bp = backward(wT, dyT, num, { maskT: maskX }); // dX^T: N x K
    expect([bp.out.rows, bp.out.cols]).toEqual([N, K]);
    const dy = transposeReblock(dyT, 16, "nearest"); // M x N
    const x = transposeReblock(xT, 16, "nearest"); // K x N
    const wg = weightGradient(dy, x, num); // M x K
    expect([wg.out.rows, wg.out.cols]).toEqual([M, K]);
    expect(fp.out.rows).toBe(N);
  });
});

describe("sparsity scaling threshold", () => {
  it("the integer comparison equals the real comparison", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -127, max: 127 }),
        fc.integer({ min: 0, max: 254 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: -128, max: 127 }),
        (q, s, tm, te) => {
          const t = { tm, te };
          const real = Math.abs((q / 64) * 2 ** (s - 127)) < thresholdValue(t);
          return belowThreshold(q, s, t) === (q !== 0 && tm !== 0 && real);
        },
      ),
      { numRuns: 20000, seed: 3 },
    );
  });

  it("thresholdFromReal rounds down to 8 significant bits", () => {
    expect(thresholdFromReal(0.1)).toEqual({ tm: 204, te: -11 });
    expect(thresholdValue(thresholdFromReal(0.1))).toBeLessThanOrEqual(0.1);
    expect(thresholdFromReal(0)).toEqual({ tm: 0, te: 0 });
  });

  it("the target-sparsity policy reaches at least the target", () => {
    const rng = new Rng(4);
    const v = Float64Array.from({ length: 5000 }, () => rng.normal());
    for (const target of [0.5, 0.9, 0.95]) {
      const t = thresholdForSparsity(v, target);
      const below = v.filter((x) => Math.abs(x) < thresholdValue(t)).length / v.length;
      expect(below).toBeGreaterThanOrEqual(target);
      expect(below).toBeLessThan(target + 0.01);
    }
  });
});
