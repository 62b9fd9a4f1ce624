/**
 * Sizes of the external formats (dense BFP8, flat bit-mask zvc, run-length rle, hierarchical
 * bit-mask hbm) from the golden model's codecs (generator/model/codecs.ts), against the entropy
 * bound. Shared by `npm run codec-bits` (scripts/codec-bits.ts) and the external-memory section
 * of `npm run bench`.
 *
 * Bound: H(p) + 8p bits per element (the mask's entropy plus the non-zero mantissas), plus the
 * exponents of the blocks that hold a non-zero (8 bits each), which every sparse format stores.
 * It is the bound for independent elements.
 */
import {
  type BfpStream,
  type CodecFormat,
  type CodecParams,
  CODEC_FORMATS,
  binaryEntropy,
  encode,
  encodedBits,
} from "../../generator/model/codecs.ts";
import type { Rng } from "../../generator/model/rng.ts";

/** Densities of the random-mask tables (100% to 1%). */
export const MASK_DENSITIES: readonly number[] = [
  1, 0.9, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01,
];

/** Independent elements, each non-zero with probability p. */
export function randomMask(rng: Rng, n: number, p: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => (rng.bernoulli(p) ? 1 : 0));
}

/** Two-state Markov mask with mean density p and mean run of non-zeros 16 elements. */
export function clusteredMask(rng: Rng, n: number, p: number): Uint8Array {
  const m = new Uint8Array(n);
  if (p >= 1) return m.fill(1);
  const leaveOn = 1 / 16;
  const enterOn = (p * leaveOn) / (1 - p);
  let on = rng.bernoulli(p);
  for (let i = 0; i < n; i++) {
    on = on ? !rng.bernoulli(leaveOn) : rng.bernoulli(enterOn);
    m[i] = on ? 1 : 0;
  }
  return m;
}

/** The entropy bound in bits per element for `ones` non-zeros and `nzBlocks` non-zero blocks. */
export function boundBits(ones: number, nzBlocks: number, n: number): number {
  const p = ones / n;
  return binaryEntropy(p) + 8 * p + (8 * nzBlocks) / n;
}

export interface MaskSizes {
  /** Elements. */
  n: number;
  /** Measured density (non-zeros / n). */
  density: number;
  /** Entropy bound, bits per element. */
  bound: number;
  /** Stream bits per element of each format. */
  bits: Record<CodecFormat, number>;
}

/** Bits per element of every format for a mask of n elements (n a multiple of k). */
export function maskSizes(mask: Uint8Array, base: Omit<CodecParams, "format">): MaskSizes {
  const n = mask.length;
  const k = base.k;
  let nzBlocks = 0;
  for (let b = 0; b < n / k; b++) {
    let nz = false;
    for (let i = 0; i < k; i++) if (mask[b * k + i]) nz = true;
    if (nz) nzBlocks++;
  }
  let ones = 0;
  for (const v of mask) ones += v;
  const bits = Object.fromEntries(
    CODEC_FORMATS.map((f) => [f, encodedBits(mask, { ...base, format: f }) / n]),
  ) as Record<CodecFormat, number>;
  return { n, density: ones / n, bound: boundBits(ones, nzBlocks, n), bits };
}

/** A stored BFP8 tensor: `rows` rows of `cols` elements, each row padded to whole blocks. */
export interface StoredTensor {
  rows: number;
  cols: number;
  k: number;
  /** rows x blocksPerRow x k codes, in storage order (row padding included). */
  q: Int8Array;
  /** rows x blocksPerRow biased scales. */
  scale: Uint8Array;
}

export interface TensorSizes {
  /** Logical elements (rows x cols; row padding excluded). */
  n: number;
  /** Non-zeros / logical elements. */
  density: number;
  /** Entropy bound of the logical elements, bits per element. */
  bound: number;
  /** Stream bytes of each format (the encoder's output, row padding and bus padding included). */
  bytes: Record<CodecFormat, number>;
}

/**
 * Encode a stored tensor whole with every format (the golden model's `encode`, as the processor
 * writes it to external memory) and size it per logical element.
 */
export function tensorSizes(t: StoredTensor, base: Omit<CodecParams, "format">): TensorSizes {
  if (t.k !== base.k) throw new Error(`tensorSizes: tensor k=${t.k}, codec k=${base.k}`);
  const bpr = Math.ceil(t.cols / t.k);
  let ones = 0;
  let nzBlocks = 0;
  for (let r = 0; r < t.rows; r++)
    for (let b = 0; b < bpr; b++) {
      let any = false;
      const o = (r * bpr + b) * t.k;
      for (let i = 0; i < t.k; i++)
        if (t.q[o + i] !== 0) {
          ones++;
          any = true;
        }
      if (any) nzBlocks++;
    }
  const n = t.rows * t.cols;
  const stream: BfpStream = { k: t.k, q: t.q, scale: t.scale };
  const bytes = Object.fromEntries(
    CODEC_FORMATS.map((f) => [f, encode(stream, { ...base, format: f }).bytes.length]),
  ) as Record<CodecFormat, number>;
  return { n, density: ones / n, bound: boundBits(ones, nzBlocks, n), bytes };
}
