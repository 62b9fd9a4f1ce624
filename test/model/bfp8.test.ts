import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  SCALE_NAN,
  dequantizeMatrix,
  elementValue,
  quantizeBlock,
  quantizeMatrix,
  transposeReblock,
} from "../../generator/model/bfp8.ts";
import { f32FromBits, f32ToDyadic, floorLog2 } from "../../generator/model/exact.ts";

const q = (xs: number[], rounding: "nearest" | "even" = "nearest", k = 32) => {
  const b = quantizeBlock(xs, k, rounding);
  return { scale: b.scale - 127, q: Array.from(b.q.slice(0, xs.length)) };
};

describe("BFP8 quantizer: hand-checked corner cases", () => {
  it("amax exactly a power of two gives that exponent and code 64", () => {
    expect(q([1, 0.5, -0.25])).toEqual({ scale: 0, q: [64, 32, -16] });
    expect(q([4])).toEqual({ scale: 2, q: [64] });
  });

  it("amax just below a power of two: exponent from the bits, not from log2", () => {
    const below2 = f32FromBits(0x3fffffff); // 1.9999999 (largest float32 below 2)
    // floor(log2) is 0; 1.9999999 * 64 = 127.99999 rounds to 128, which clamps to 127
    expect(q([below2])).toEqual({ scale: 0, q: [127] });
    expect(floorLog2(f32ToDyadic(below2))).toBe(0);
    // (near 2^3 a float32 log2 rounds up instead: see the 0x40FFFFFF case below)
    expect(Math.floor(Math.log2(below2))).toBe(0);
    const justBelow1 = f32FromBits(0x3f7fffff);
    expect(floorLog2(f32ToDyadic(justBelow1))).toBe(-1);
    expect(q([justBelow1])).toEqual({ scale: -1, q: [127] });
  });

  it("ties: away from zero (nearest) vs to even", () => {
    // amax 1 -> scale 0; 0.5/64 steps: x = 2.5/64 is a tie between codes 2 and 3
    const tie25 = 2.5 / 64;
    const tie35 = 3.5 / 64;
    expect(q([1, tie25, -tie25, tie35, -tie35], "nearest").q).toEqual([64, 3, -3, 4, -4]);
    expect(q([1, tie25, -tie25, tie35, -tie35], "even").q).toEqual([64, 2, -2, 4, -4]);
    // 0.5/64 is a tie between 0 and 1
    expect(q([1, 0.5 / 64], "nearest").q).toEqual([64, 1]);
    expect(q([1, 0.5 / 64], "even").q).toEqual([64, 0]);
  });

  it("saturation: codes clamp to +-127, never -128", () => {
    const r = q([1.999, -1.999, 1.99, -1.9921875]);
    expect(r.scale).toBe(0);
    expect(r.q).toEqual([127, -127, 127, -127]);
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), {
          minLength: 1,
          maxLength: 32,
        }),
        (xs) => {
          const b = quantizeBlock(xs, 32, "nearest");
          return b.q.every((v) => v >= -127 && v <= 127);
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });

  it("zero block: scale -127 (biased 0, as the reference C++/CUDA kernels), all codes zero", () => {
    expect(q([0, 0, -0])).toEqual({ scale: -127, q: [0, 0, 0] });
  });

  it("subnormal inputs: the scale clamps to -127 and codes are rounded at that scale", () => {
    const tiny = f32FromBits(0x00400000); // 2^-127, subnormal
    expect(q([tiny])).toEqual({ scale: -127, q: [64] });
    const tinier = f32FromBits(0x00000001); // 2^-149
    expect(q([tinier])).toEqual({ scale: -127, q: [0] });
    const maxSub = f32FromBits(0x007fffff); // just below 2^-126
    expect(q([maxSub])).toEqual({ scale: -127, q: [127] });
  });

  it("largest scales: 2^127 stays finite, infinities and NaN make a NaN block", () => {
    expect(q([2 ** 127])).toEqual({ scale: 127, q: [64] });
    expect(quantizeBlock([1, Infinity], 32, "nearest").scale).toBe(SCALE_NAN);
    expect(quantizeBlock([NaN, 1], 32, "nearest").scale).toBe(SCALE_NAN);
    expect(Number.isNaN(elementValue(0, SCALE_NAN))).toBe(true);
  });

  it("inputs are taken as float32", () => {
    // 0.1 is rounded to float32 first: 0.1f * 2^4 * 64 = 102.4 -> 102
    expect(q([0.1])).toEqual({ scale: -4, q: [102] });
  });

  it("quantization error is at most half a step (unclamped elements)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 32 }),
        (xs) => {
          const b = quantizeBlock(xs, 32, "nearest");
          const step = 2 ** (b.scale - 127) / 64;
          return xs.every((x, i) => {
            const v = elementValue(b.q[i] ?? 0, b.scale);
            const xf = Math.fround(x);
            return Math.abs(v) === 127 * step || Math.abs(v - xf) <= step / 2 + 1e-300;
          });
        },
      ),
      { numRuns: 2000, seed: 11 },
    );
  });
});

describe("BFP8 quantizer: agreement with the OCP reference implementation (k = 32)", () => {
  // Expected outputs of microsoft/microxcaling's int8 hardware corner test (test_corners_mx.py,
  // test_mx_hw_test, round='nearest'): inputs in a block whose scale is 2^0.
  const cases: [number, number][] = [
    [1.0234375, 1.03125], // 65.5 -> 66: tie away from zero
    [-1.9765625, -1.984375], // -126.5 -> -127
    [1.99609375, 1.984375], // 127.75 -> 128 -> saturates to 127
    [1.98828125, 1.984375], // 127.25 -> 127
    [1.9921875, 1.984375], // 127.5 -> 128 -> 127
    [0.00390625, 0], // 0.25 -> 0
    [0.0078125, 0.015625], // 0.5 -> 1
    [-0.0078125, -0.015625],
    [-0.00390625, 0],
  ];
  it("reproduces the reference's hardware corner test", () => {
    const xs = [1.5, ...cases.map(([x]) => x)];
    const b = quantizeBlock(xs, 32, "nearest");
    expect(b.scale - 127).toBe(0);
    cases.forEach(([, want], i) => expect(elementValue(b.q[i + 1] ?? 0, b.scale)).toBe(want));
  });

  it("follows the reference's C++/CUDA kernels where its float32 Python path rounds inexactly", () => {
    // amax 8 - ulp: exact exponent 2 (the Python path's float32 log2 says 3)
    const b1 = quantizeBlock([f32FromBits(0x40ffffff)], 32, "nearest");
    expect(elementValue(b1.q[0] ?? 0, b1.scale)).toBe(7.9375);
    // FLT_MAX: scale 2^127, code 127 (the Python path makes the block NaN)
    const b2 = quantizeBlock([f32FromBits(0x7f7fffff)], 32, "nearest");
    expect(b2.scale).toBe(254);
    expect(elementValue(b2.q[0] ?? 0, b2.scale)).toBe(f32FromBits(0x7f7e0000));
    // |y| = 0.5 - 2^-25 rounds to 0 (float32 floor(|y| + 0.5) would give 1)
    const b3 = quantizeBlock([1, f32FromBits(0x3bffffff)], 32, "nearest");
    expect(b3.q[1]).toBe(0);
  });
});

describe("BFP8 matrices", () => {
  it("ragged rows are padded with zero elements", () => {
    const m = quantizeMatrix([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 1, 10, 8, "nearest");
    expect(m.blocksPerRow).toBe(2);
    expect(Array.from(m.q.slice(10))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(dequantizeMatrix(m))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("transpose + re-block changes values: quantization and transposition do not commute", () => {
    // rows [1, 0.01] and [0.01, 0.01]; row 1 is quantized finely (scale -7)
    const m = quantizeMatrix([1, 0.01, 0.01, 0.01], 2, 2, 8, "nearest");
    const before = dequantizeMatrix(m);
    expect(before[2]).toBe(82 / 8192); // 0.01 at scale -7: code 82
    const t = transposeReblock(m, 8, "nearest");
    const after = dequantizeMatrix(t);
    // element (1,0) now shares a block with the 1.0 of (0,0): code round(0.64) = 1 at scale 0
    expect(after[1]).toBe(1 / 64);
    expect(after[1]).not.toBe(before[2]);
  });
});
