/**
 * Bits per element of the external formats (dense BFP8, flat bit-mask, run-length, hierarchical
 * bit-mask) against the information bound, on random and clustered masks. Prints a Markdown table.
 *
 *   npm run codec-bits -- [--n 65536] [--k 32] [--bus 64] [--seed 1]
 *
 * Bound: H(p) + 8p bits per element (the mask's entropy plus the non-zero mantissas), plus the
 * exponents of the blocks that hold a non-zero (8 bits each), which every sparse format stores.
 */
import {
  binaryEntropy,
  encodedBits,
  type CodecFormat,
  type CodecParams,
} from "../generator/model/codecs.ts";
import { Rng } from "../generator/model/rng.ts";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v)) {
    console.error(`--${name} takes a number`);
    process.exit(2);
  }
  return v;
}

const n = arg("n", 65536);
const k = arg("k", 32);
const bus = arg("bus", 64);
const seed = arg("seed", 1);
const densities = [1, 0.9, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01];

function randomMask(rng: Rng, p: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => (rng.bernoulli(p) ? 1 : 0));
}

/** Two-state Markov mask with mean density p and mean run of non-zeros 16 elements. */
function clusteredMask(rng: Rng, p: number): Uint8Array {
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

const base: Omit<CodecParams, "format"> = {
  k,
  frameElems: 512,
  busBits: bus,
  grid: 8,
  levels: 2,
  runBits: 4,
};
const formats: CodecFormat[] = ["dense", "zvc", "rle", "hbm"];

console.log(
  `# Bits per element: n = ${n}, k = ${k}, bus = ${bus} bits, frame 512, grid 8, 2 levels, run field 4 bits, seed ${seed}\n`,
);
console.log(
  "The bound is for independent elements; clustered masks carry less information than it, so a format can beat it there.\n",
);
console.log(`command: npm run codec-bits -- --n ${n} --k ${k} --bus ${bus} --seed ${seed}\n`);
for (const [label, gen] of [
  ["random masks", randomMask],
  ["clustered masks (mean run 16)", clusteredMask],
] as const) {
  const rng = new Rng(seed);
  console.log(`## ${label}\n`);
  console.log("| density | bound | dense | zvc | rle | hbm | hbm / bound | hbm vs dense |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const p of densities) {
    const mask = gen(rng, p);
    let ones = 0;
    let blocks = 0;
    for (let b = 0; b < n / k; b++) {
      let nz = false;
      for (let i = 0; i < k; i++) if (mask[b * k + i]) nz = true;
      if (nz) blocks++;
    }
    for (const v of mask) ones += v;
    const pe = ones / n;
    const bound = binaryEntropy(pe) + 8 * pe + (8 * blocks) / n;
    const bpe = Object.fromEntries(
      formats.map((f) => [f, encodedBits(mask, { ...base, format: f }) / n]),
    ) as Record<CodecFormat, number>;
    console.log(
      `| ${(pe * 100).toFixed(1)}% | ${bound.toFixed(3)} | ${bpe.dense.toFixed(3)} | ${bpe.zvc.toFixed(3)} | ${bpe.rle.toFixed(3)} | ${bpe.hbm.toFixed(3)} | ${(bpe.hbm / bound).toFixed(2)}x | ${((1 - bpe.hbm / bpe.dense) * 100).toFixed(1)}% less |`,
    );
  }
  console.log("");
}
