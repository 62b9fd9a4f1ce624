/**
 * Error of the BFP8 numerics against float64, printed as a Markdown table.
 *
 *   npm run numerics -- [--seed 1]
 *
 * For each case: quantize the float operands to BFP8 (blocks along the reduction axis), run the
 * golden model's GEMM (exact block products, the accumulation rule, re-quantization), and compare
 * (a) the raw accumulators and (b) the written BFP8 outputs with the float64 product of the
 * *float* operands (end-to-end error) and of the *dequantized* operands (arithmetic error only).
 */
import { dequantizeMatrix, quantizeMatrix } from "../generator/model/bfp8.ts";
import { accValue } from "../generator/model/accum.ts";
import { forward } from "../generator/model/gemm.ts";
import { Rng } from "../generator/model/rng.ts";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";

const { seed } = yargs(hideBin(process.argv))
  .scriptName("npm run numerics --")
  .usage("$0 [--seed N]\n\nError of the BFP8 numerics against float64 (Markdown table).")
  .option("seed", { type: "number", default: 1, describe: "seed of the random operands" })
  .check((x) => Number.isInteger(x.seed) || "--seed takes an integer")
  .strict()
  .version(false)
  .help()
  .alias("h", "help")
  .parseSync();

type Gen = (rng: Rng) => number;
const normal: Gen = (r) => r.normal();
const reluAct: Gen = (r) => Math.max(0, r.normal());
const sparseGrad: Gen = (r) => (r.bernoulli(0.1) ? r.normal() * 1e-3 : 0);
const heavy: Gen = (r) => r.normal() * Math.exp(2 * r.normal());

interface Case {
  name: string;
  M: number;
  K: number;
  N: number;
  a: Gen;
  b: Gen;
  k: number;
  accWidth: number;
}

const cases: Case[] = [
  { name: "random normal", M: 64, K: 256, N: 32, a: normal, b: normal, k: 32, accWidth: 32 },
  {
    name: "FC layer: weights x ReLU activations",
    M: 128,
    K: 784,
    N: 16,
    a: (r) => r.normal() * 0.05,
    b: reluAct,
    k: 32,
    accWidth: 32,
  },
  {
    name: "BP-like: weights x 10% dense gradients",
    M: 64,
    K: 512,
    N: 16,
    a: (r) => r.normal() * 0.05,
    b: sparseGrad,
    k: 32,
    accWidth: 32,
  },
  {
    name: "heavy-tailed (log-normal spread)",
    M: 64,
    K: 256,
    N: 16,
    a: heavy,
    b: normal,
    k: 32,
    accWidth: 32,
  },
  { name: "random normal, k = 8", M: 64, K: 256, N: 32, a: normal, b: normal, k: 8, accWidth: 24 },
  {
    name: "random normal, k = 16",
    M: 64,
    K: 256,
    N: 32,
    a: normal,
    b: normal,
    k: 16,
    accWidth: 28,
  },
];

function rel(err: number, ref: number): string {
  return ref === 0 ? "-" : (err / ref).toExponential(2);
}

console.log(`# BFP8 numerics vs float64 (seed ${seed})\n`);
console.log(`command: npm run numerics -- --seed ${seed}\n`);
console.log("Errors are Frobenius norms relative to the float64 result's norm.\n");
console.log(
  "| case | shape MxKxN | k | acc bits | accumulators vs float64(dequantized) | outputs vs float64(dequantized) | outputs vs float64(float inputs) |",
);
console.log("|---|---|---:|---:|---:|---:|---:|");
for (const c of cases) {
  const rng = new Rng(seed);
  const w = Float64Array.from({ length: c.M * c.K }, () => c.a(rng));
  const xT = Float64Array.from({ length: c.N * c.K }, () => c.b(rng));
  const wq = quantizeMatrix(w, c.M, c.K, c.k, "nearest");
  const xq = quantizeMatrix(xT, c.N, c.K, c.k, "nearest");
  const r = forward(wq, xq, { k: c.k, rounding: "nearest", accWidth: c.accWidth }, { relu: false });
  const wd = dequantizeMatrix(wq);
  const xd = dequantizeMatrix(xq);
  const y = dequantizeMatrix(r.out); // N x M
  let refQ = 0,
    refF = 0,
    eAcc = 0,
    eOutQ = 0,
    eOutF = 0;
  for (let m = 0; m < c.M; m++)
    for (let n = 0; n < c.N; n++) {
      let sq = 0,
        sf = 0;
      for (let k = 0; k < c.K; k++) {
        sq += (wd[m * c.K + k] ?? 0) * (xd[n * c.K + k] ?? 0);
        sf += (w[m * c.K + k] ?? 0) * (xT[n * c.K + k] ?? 0);
      }
      const acc = accValue(r.acc[m * c.N + n]!);
      const out = y[n * c.M + m] ?? 0;
      refQ += sq * sq;
      refF += sf * sf;
      eAcc += (acc - sq) ** 2;
      eOutQ += (out - sq) ** 2;
      eOutF += (out - sf) ** 2;
    }
  console.log(
    `| ${c.name} | ${c.M}x${c.K}x${c.N} | ${c.k} | ${c.accWidth} | ${rel(Math.sqrt(eAcc), Math.sqrt(refQ))} | ${rel(Math.sqrt(eOutQ), Math.sqrt(refQ))} | ${rel(Math.sqrt(eOutF), Math.sqrt(refF))} |`,
  );
}
