/**
 * Bits per element of the external formats (dense BFP8, flat bit-mask, run-length, hierarchical
 * bit-mask) against the information bound, on random and clustered masks. Prints a Markdown table.
 *
 *   npm run codec-bits -- [--n 65536] [--k 32] [--bus 64] [--seed 1]
 *
 * Bound: H(p) + 8p bits per element (the mask's entropy plus the non-zero mantissas), plus the
 * exponents of the blocks that hold a non-zero (8 bits each), which every sparse format stores.
 */
import type { CodecParams } from "../generator/model/codecs.ts";
import { Rng } from "../generator/model/rng.ts";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MASK_DENSITIES, clusteredMask, maskSizes, randomMask } from "./bench/codec-sizes.ts";

const { n, k, bus, seed } = yargs(hideBin(process.argv))
  .scriptName("npm run codec-bits --")
  .usage(
    "$0 [options]\n\nBits per element of dense, zvc, rle and hbm against the information bound (Markdown table).",
  )
  .option("n", { type: "number", default: 65536, describe: "elements per tensor" })
  .option("k", { type: "number", default: 32, describe: "BFP8 block size" })
  .option("bus", { type: "number", default: 64, describe: "bus width in bits" })
  .option("seed", { type: "number", default: 1, describe: "seed of the random masks" })
  .check(
    (x) =>
      [x.n, x.k, x.bus, x.seed].every((v) => Number.isInteger(v)) ||
      "every option takes an integer",
  )
  .strict()
  .version(false)
  .help()
  .alias("h", "help")
  .parseSync();
const densities = MASK_DENSITIES;
const gens = {
  random: (rng: Rng, p: number): Uint8Array => randomMask(rng, n, p),
  clustered: (rng: Rng, p: number): Uint8Array => clusteredMask(rng, n, p),
};

const base: Omit<CodecParams, "format"> = {
  k,
  frameElems: 512,
  busBits: bus,
  grid: 8,
  levels: 2,
  runBits: 4,
};
console.log(
  `# Bits per element: n = ${n}, k = ${k}, bus = ${bus} bits, frame 512, grid 8, 2 levels, run field 4 bits, seed ${seed}\n`,
);
console.log(
  "The bound is for independent elements; clustered masks carry less information than it, so a format can beat it there.\n",
);
console.log(`command: npm run codec-bits -- --n ${n} --k ${k} --bus ${bus} --seed ${seed}\n`);
for (const [label, gen] of [
  ["random masks", gens.random],
  ["clustered masks (mean run 16)", gens.clustered],
] as const) {
  const rng = new Rng(seed);
  console.log(`## ${label}\n`);
  console.log("| density | bound | dense | zvc | rle | hbm | hbm / bound | hbm vs dense |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const p of densities) {
    const { density: pe, bound, bits: bpe } = maskSizes(gen(rng, p), base);
    console.log(
      `| ${(pe * 100).toFixed(1)}% | ${bound.toFixed(3)} | ${bpe.dense.toFixed(3)} | ${bpe.zvc.toFixed(3)} | ${bpe.rle.toFixed(3)} | ${bpe.hbm.toFixed(3)} | ${(bpe.hbm / bound).toFixed(2)}x | ${((1 - bpe.hbm / bpe.dense) * 100).toFixed(1)}% less |`,
    );
  }
  console.log("");
}
