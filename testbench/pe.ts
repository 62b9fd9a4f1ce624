/**
 * Test vectors for the BFP8 dot-product PE, computed by the golden model, and the files the
 * generated testbench reads. Each vector is one dot product: a list of block pairs.
 */
import { type Acc, accAdd, accZero, blockProduct } from "../generator/model/accum.ts";
import { SCALE_NAN } from "../generator/model/bfp8.ts";
import { Rng } from "../generator/model/rng.ts";
import type { PeParams } from "../generator/elab/elaborate.ts";

export interface PeBlock {
  a: Int8Array;
  b: Int8Array;
  sa: number;
  sb: number;
}

export interface PeVector {
  kind: string;
  blocks: PeBlock[];
  expect: Acc;
}

/** Golden model of one PE job. */
export function peDot(blocks: readonly PeBlock[], accWidth: number): Acc {
  let acc = accZero();
  for (const blk of blocks) acc = accAdd(acc, blockProduct(blk.a, blk.b), blk.sa, blk.sb, accWidth);
  return acc;
}

function codes(
  rng: Rng,
  k: number,
  density: number,
  mode: "uniform" | "max" | "maxneg" | "small",
): Int8Array {
  const out = new Int8Array(k);
  for (let i = 0; i < k; i++) {
    if (!rng.bernoulli(density)) continue;
    if (mode === "max") out[i] = 127;
    else if (mode === "maxneg") out[i] = -127;
    else if (mode === "small") out[i] = rng.int(-2, 2);
    else out[i] = rng.int(-127, 127);
  }
  return out;
}

const KINDS = [
  "random",
  "sparse",
  "zeros",
  "saturate",
  "extreme",
  "nan",
  "cancel",
  "long",
] as const;

/** Hand-picked edge cases, then `count` random vectors of mixed kinds. */
export function genPeVectors(pe: PeParams, count: number, seed: number): PeVector[] {
  const rng = new Rng(seed);
  const k = pe.k;
  const vecs: PeVector[] = [];
  const push = (kind: string, blocks: PeBlock[]): void => {
    vecs.push({ kind, blocks, expect: peDot(blocks, pe.accW) });
  };
  const blk = (a: Int8Array, b: Int8Array, sa: number, sb: number): PeBlock => ({ a, b, sa, sb });
  const full = (v: number): Int8Array => new Int8Array(k).fill(v);
  // fixed edge cases
  push("edge-zero", [blk(full(0), full(0), 127, 127)]);
  push("edge-max", [blk(full(127), full(127), 254, 254)]);
  push("edge-maxneg", [blk(full(127), full(-127), 254, 254)]);
  push("edge-min-scales", [blk(full(1), full(1), 0, 0)]);
  push("edge-nan-a", [blk(full(3), full(5), SCALE_NAN, 127)]);
  push("edge-nan-zero", [blk(full(0), full(0), 127, SCALE_NAN)]);
  push("edge-gap-up", [blk(full(1), full(1), 0, 0), blk(full(1), full(1), 254, 254)]);
  push("edge-gap-down", [blk(full(1), full(1), 254, 254), blk(full(-1), full(1), 0, 0)]);
  push("edge-cancel", [
    blk(full(100), full(3), 130, 120),
    blk(full(-100), full(3), 130, 120),
    blk(full(1), full(1), 10, 10),
  ]);
  const satBlocks = Math.ceil(2 ** (pe.accW - 1) / (k * 127 * 127)) + 2;
  if (satBlocks <= 5000) {
    push(
      "edge-sat-pos",
      Array.from({ length: satBlocks }, () => blk(full(127), full(127), 127, 127)),
    );
    push(
      "edge-sat-neg",
      Array.from({ length: satBlocks }, () => blk(full(-127), full(127), 127, 127)),
    );
  }
  for (let v = 0; v < count; v++) {
    const kind = rng.pick(KINDS);
    const blocks: PeBlock[] = [];
    const n =
      kind === "long"
        ? rng.int(10, 40)
        : kind === "saturate"
          ? rng.int(2, Math.min(satBlocks, 64))
          : rng.int(1, 6);
    const baseA = rng.int(100, 154);
    const baseB = rng.int(100, 154);
    for (let i = 0; i < n; i++) {
      switch (kind) {
        case "random":
        case "long":
          blocks.push(
            blk(
              codes(rng, k, 1, "uniform"),
              codes(rng, k, 1, "uniform"),
              baseA + rng.int(-6, 6),
              baseB + rng.int(-6, 6),
            ),
          );
          break;
        case "sparse": {
          const d = rng.pick([0, 0.01, 0.1, 0.3, 0.5, 0.9, 1]);
          blocks.push(
            blk(
              codes(rng, k, d, "uniform"),
              codes(rng, k, rng.pick([d, 1]), "uniform"),
              baseA + rng.int(-3, 3),
              baseB,
            ),
          );
          break;
        }
        case "zeros":
          blocks.push(
            rng.bernoulli(0.7)
              ? blk(full(0), codes(rng, k, 1, "uniform"), rng.int(0, 254), rng.int(0, 254))
              : blk(codes(rng, k, 1, "small"), codes(rng, k, 0.5, "small"), baseA, baseB),
          );
          break;
        case "saturate": {
          const neg = rng.bernoulli(0.5);
          blocks.push(blk(full(127), neg ? full(-127) : full(127), 127, 127));
          break;
        }
        case "extreme":
          blocks.push(
            blk(
              codes(rng, k, 0.8, "uniform"),
              codes(rng, k, 0.8, "uniform"),
              rng.pick([0, 1, 2, 127, 253, 254]),
              rng.pick([0, 1, 127, 254]),
            ),
          );
          break;
        case "nan":
          blocks.push(
            blk(
              codes(rng, k, 0.5, "uniform"),
              codes(rng, k, 0.5, "uniform"),
              rng.bernoulli(0.2) ? SCALE_NAN : baseA,
              rng.bernoulli(0.2) ? SCALE_NAN : baseB,
            ),
          );
          break;
        case "cancel": {
          const a = codes(rng, k, 1, "uniform");
          const b = codes(rng, k, 1, "uniform");
          blocks.push(blk(a, b, baseA, baseB));
          blocks.push(
            blk(
              a.map((x) => -x),
              b,
              baseA,
              baseB,
            ),
          );
          break;
        }
      }
    }
    push(kind, blocks);
  }
  return vecs;
}

const hexOf = (v: bigint, bits: number): string =>
  v.toString(16).padStart(Math.ceil(bits / 4), "0");
const u = (v: number, bits: number): bigint => BigInt.asUintN(bits, BigInt(v));

/** Beat file lines: {dlast, blast, sa, sb, a[lanes*8], b[lanes*8]} per beat, MSB first. */
export function beatLines(vecs: readonly PeVector[], pe: PeParams, rng: Rng): string[] {
  const lines: string[] = [];
  const beatsPerBlock = pe.k / pe.lanes;
  const bits = pe.beatBits;
  for (const v of vecs) {
    v.blocks.forEach((blk, bi) => {
      for (let j = 0; j < beatsPerBlock; j++) {
        const last = j === beatsPerBlock - 1;
        const dlast = last && bi === v.blocks.length - 1;
        // scales only matter on the block's last beat: put noise elsewhere
        const sa = last ? blk.sa : rng.int(0, 255);
        const sb = last ? blk.sb : rng.int(0, 255);
        let word =
          (BigInt(dlast ? 1 : 0) << 17n) |
          (BigInt(last ? 1 : 0) << 16n) |
          (u(sa, 8) << 8n) |
          u(sb, 8);
        let a = 0n;
        let b = 0n;
        for (let l = pe.lanes - 1; l >= 0; l--) {
          a = (a << 8n) | u(blk.a[j * pe.lanes + l] ?? 0, 8);
          b = (b << 8n) | u(blk.b[j * pe.lanes + l] ?? 0, 8);
        }
        word = (word << BigInt(16 * pe.lanes)) | (a << BigInt(8 * pe.lanes)) | b;
        lines.push(hexOf(word, bits));
      }
    });
  }
  return lines;
}

/** Expected-result lines: {nan, exp[9], acc[accW]}. */
export function expectLines(vecs: readonly PeVector[], pe: PeParams): string[] {
  return vecs.map((v) => {
    const word =
      (BigInt(v.expect.nan ? 1 : 0) << BigInt(pe.expW + pe.accW)) |
      (u(v.expect.e, pe.expW) << BigInt(pe.accW)) |
      u(v.expect.m, pe.accW);
    return hexOf(word, pe.resBits);
  });
}
