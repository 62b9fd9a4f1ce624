import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  type BfpStream,
  type CodecFormat,
  type CodecParams,
  CANONICAL_ZERO_SCALE,
  canonicalize,
  decode,
  encode,
  encodedBits,
} from "../../generator/model/codecs.ts";
import { GenError } from "../../generator/errors.ts";

const formats: CodecFormat[] = ["dense", "zvc", "rle", "hbm"];

/** A random BFP stream: blocks x k elements at a density, optionally clustered. */
const streamArb = fc
  .record({
    k: fc.constantFrom(8, 16, 32),
    blocks: fc.integer({ min: 0, max: 40 }),
    density: fc.constantFrom(0, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1),
    clustered: fc.boolean(),
    seed: fc.integer(),
  })
  .map(({ k, blocks, density, clustered, seed }): BfpStream => {
    let s = seed >>> 0 || 1;
    const rnd = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    };
    const n = blocks * k;
    const q = new Int8Array(n);
    let on = rnd() < density;
    for (let i = 0; i < n; i++) {
      if (clustered) {
        if (rnd() < 0.05) on = rnd() < density;
        if (on) q[i] = rnd() < 0.5 ? -1 - Math.floor(rnd() * 127) : 1 + Math.floor(rnd() * 127);
      } else if (rnd() < density) {
        q[i] = rnd() < 0.5 ? -1 - Math.floor(rnd() * 127) : 1 + Math.floor(rnd() * 127);
      }
    }
    const scale = new Uint8Array(blocks);
    for (let b = 0; b < blocks; b++) scale[b] = Math.floor(rnd() * 255);
    return { k, q, scale };
  });

const paramsArb = (k: number) =>
  fc.record({
    format: fc.constantFrom(...formats),
    k: fc.constant(k),
    frameElems: fc.constantFrom(1, 2, 4, 8, 16).map((m) => m * 32),
    busBits: fc.constantFrom(32, 64, 128),
    grid: fc.constantFrom(8, 16, 32),
    levels: fc.constantFrom(1, 2, 3),
    runBits: fc.integer({ min: 2, max: 8 }),
  });

function maskOf(t: BfpStream): Uint8Array {
  return Uint8Array.from(t.q, (v) => (v !== 0 ? 1 : 0));
}

describe("codecs: round trip and size accounting (property tests)", () => {
  it("decode(encode(x)) == canonical(x), and the size equals the accounting", () => {
    fc.assert(
      fc.property(
        streamArb.chain((t) => fc.tuple(fc.constant(t), paramsArb(t.k))),
        ([t, p0]) => {
          const p: CodecParams = {
            ...p0,
            frameElems: Math.max(p0.frameElems, p0.grid ** Math.max(1, p0.levels - 1)),
          };
          const enc = encode(t, p);
          const dec = decode(enc.bytes, t.q.length, p);
          const want = canonicalize(t);
          expect(Array.from(dec.t.q)).toEqual(Array.from(want.q));
          if (p.format !== "dense") expect(Array.from(dec.t.scale)).toEqual(Array.from(want.scale));
          else expect(Array.from(dec.t.scale)).toEqual(Array.from(t.scale));
          expect(Array.from(dec.mask)).toEqual(Array.from(maskOf(t)));
          expect(enc.bytes.length * 8).toBe(enc.bits.total);
          expect(encodedBits(maskOf(t), p)).toBe(enc.bits.total);
          expect(dec.bitsRead).toBe(enc.bits.total);
          expect(enc.bits.total % p.busBits).toBe(0);
        },
      ),
      { numRuns: 600, seed: 42 },
    );
  });

  it("all-zero and all-non-zero tensors round-trip in every format", () => {
    for (const format of formats) {
      for (const fill of [0, 5]) {
        const t: BfpStream = {
          k: 8,
          q: new Int8Array(8 * 37).fill(fill),
          scale: new Uint8Array(37).fill(120),
        };
        const p: CodecParams = {
          format,
          k: 8,
          frameElems: 64,
          busBits: 64,
          grid: 8,
          levels: 2,
          runBits: 4,
        };
        const enc = encode(t, p);
        const dec = decode(enc.bytes, t.q.length, p);
        expect(Array.from(dec.t.q)).toEqual(Array.from(t.q));
        if (fill === 0 && format !== "dense")
          expect(dec.t.scale.every((s) => s === CANONICAL_ZERO_SCALE)).toBe(true);
      }
    }
  });

  it("an all-zero hbm frame costs one bus word of level-1 bits and nothing else", () => {
    const t: BfpStream = { k: 8, q: new Int8Array(512), scale: new Uint8Array(64) };
    const p: CodecParams = {
      format: "hbm",
      k: 8,
      frameElems: 512,
      busBits: 64,
      grid: 8,
      levels: 2,
      runBits: 4,
    };
    const enc = encode(t, p);
    expect(enc.bits).toEqual({ index: 64, exps: 0, mants: 0, padding: 0, total: 64 });
  });

  it("a worked hbm example has the documented bytes", () => {
    // 16 elements, k = 8, grid 8, two levels: non-zeros at element 1 (=5) and 9 (=-2)
    const q = new Int8Array(16);
    q[1] = 5;
    q[9] = -2;
    const t: BfpStream = { k: 8, q, scale: Uint8Array.from([130, 100]) };
    const p: CodecParams = {
      format: "hbm",
      k: 8,
      frameElems: 16,
      busBits: 32,
      grid: 8,
      levels: 2,
      runBits: 4,
    };
    const enc = encode(t, p);
    // L1: grids 0 and 1 set -> 0b11, padded to a byte: 0x03
    // L2: grid 0 mask 0b00000010 = 0x02, grid 1 mask 0b00000010 = 0x02
    // exps: 130 (0x82), 100 (0x64); mants: 5, -2 (0xfe); then padding to 32 bits
    expect(Array.from(enc.bytes)).toEqual([0x03, 0x02, 0x02, 0x82, 0x64, 0x05, 0xfe, 0x00]);
  });

  it("a worked rle example has the documented bytes", () => {
    // run field 4 bits, escape 15: non-zero at 20 -> tokens 15 (escape), 5; then 11 trailing zeros -> 15
    const q = new Int8Array(32);
    q[20] = 7;
    const t: BfpStream = { k: 8, q, scale: Uint8Array.from([1, 1, 140, 1]) };
    const p: CodecParams = {
      format: "rle",
      k: 8,
      frameElems: 32,
      busBits: 32,
      grid: 8,
      levels: 2,
      runBits: 4,
    };
    const enc = encode(t, p);
    // tokens 15,5,15 -> bits f, 5, f -> bytes 0x5f, 0x0f; exps 140 = 0x8c; mants 7
    expect(Array.from(enc.bytes)).toEqual([0x5f, 0x0f, 0x8c, 0x07]);
  });

  it("a corrupted stream is reported, not silently decoded", () => {
    const p: CodecParams = {
      format: "hbm",
      k: 8,
      frameElems: 16,
      busBits: 32,
      grid: 8,
      levels: 2,
      runBits: 4,
    };
    // L1 says grid 0 is non-zero but its L2 mask is empty
    expect(() => decode(Uint8Array.from([0x01, 0x00, 0, 0]), 16, p)).toThrow(GenError);
    // the stream ends early
    expect(() => decode(Uint8Array.from([0x03]), 16, p)).toThrow(/ends early/);
  });
});
