/**
 * Train an MLP or a small CNN on MNIST in the golden model's numerics (or FP32), one run per
 * command, fixed seed. Prints a progress bar, per-epoch lines and a Markdown summary; --json
 * writes the full result (what scripts/train-report.ts reads).
 *
 *   npm run train -- --model cnn --mode fp32
 *   npm run train -- --model cnn --mode bfp8
 *   npm run train -- --model cnn --mode sparse --target-sparsity 0.9 --json out.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import * as prettier from "prettier";
import { GenError } from "../generator/errors.ts";
import { summaryMarkdown } from "../training/summary.ts";
import {
  type BackendName,
  DEFAULT_CONFIG,
  type Mode,
  type RunConfig,
  runTraining,
} from "../training/run.ts";
import type { ModelName } from "../training/network.ts";
import { HwMismatchError, hwStatsMarkdown } from "../training/hw-backend.ts";
import type { Simulator } from "../testbench/sim.ts";

async function main(argv: string[]): Promise<void> {
  const a = await yargs(argv)
    .scriptName("train")
    .usage(
      "$0 [options]\n\nTrain on MNIST (the digits shipped in the mnist package) with every layer GEMM in the golden model's BFP8 numerics (modes bfp8, sparse) or in FP32.",
    )
    .option("model", {
      choices: ["mlp", "cnn", "mlp14"] as const,
      default: "cnn" as const,
      describe: "mlp14: the MLP on 14 x 14 pooled digits, sized for the processor (hardware runs)",
    })
    .option("mode", {
      choices: ["fp32", "bfp8", "sparse"] as const,
      default: "bfp8" as const,
      describe: "fp32 baseline, dense BFP8, or BFP8 with sparsity scaling",
    })
    .option("target-sparsity", {
      type: "number",
      describe: "sparse: target sparsity of activations and error gradients",
    })
    .option("target-act", { type: "number", describe: "sparse: target sparsity of activations" })
    .option("target-grad", {
      type: "number",
      describe: "sparse: target sparsity of error gradients",
    })
    .option("threshold", {
      type: "number",
      describe: "sparse: fixed threshold (real value) for activations and error gradients",
    })
    .option("threshold-act", { type: "number", describe: "sparse: fixed activation threshold" })
    .option("threshold-grad", { type: "number", describe: "sparse: fixed gradient threshold" })
    .option("epochs", { type: "number", default: DEFAULT_CONFIG.epochs })
    .option("batch", { type: "number", default: DEFAULT_CONFIG.batch })
    .option("lr", {
      type: "number",
      default: DEFAULT_CONFIG.lr,
      describe: "peak learning rate (cosine decay to 0)",
    })
    .option("momentum", { type: "number", default: DEFAULT_CONFIG.momentum })
    .option("seed", {
      type: "number",
      default: DEFAULT_CONFIG.seed,
      describe: "weights and data order",
    })
    .option("split-seed", {
      type: "number",
      default: DEFAULT_CONFIG.splitSeed,
      describe: "train/test split (keep fixed to compare runs)",
    })
    .option("train", { type: "number", default: DEFAULT_CONFIG.train, describe: "training digits" })
    .option("test", { type: "number", default: DEFAULT_CONFIG.test, describe: "test digits" })
    .option("backend", {
      choices: ["fast", "model", "checked", "hw"] as const,
      default: "fast" as const,
      describe:
        "where BFP8 GEMMs run: fast (training/fastgemm.ts), model (generator/model/gemm.ts, slow), checked (both, compared on every GEMM), hw (the simulated processor through the host runtime, checked against the golden model on every GEMM)",
    })
    .option("preset", {
      type: "string",
      default: "default",
      describe: "--backend hw: the processor (a shipped preset with the training's numerics)",
    })
    .option("sim", {
      choices: ["verilator", "icarus"] as const,
      default: "verilator" as const,
      describe: "--backend hw: the simulator (built once, cached in build/train-hw/<preset>/)",
    })
    .option("hw-eval", {
      type: "boolean",
      default: false,
      describe:
        "--backend hw: evaluate the test accuracy on the processor too (default: fast backend)",
    })
    .option("max-steps", { type: "number", describe: "stop after this many steps" })
    .option("bytes", {
      type: "boolean",
      default: true,
      describe: "account compressed external bytes (BFP8 modes)",
    })
    .option("raw-pixels", {
      type: "boolean",
      default: false,
      describe: "feed raw [0, 1] pixels instead of standardized ones",
    })
    .option("json", { type: "string", describe: "write the full result to this file" })
    .option("quiet", { type: "boolean", default: false, describe: "no progress bar" })
    .example("$0 --model cnn --mode fp32", "FP32 baseline")
    .example("$0 --model cnn --mode sparse --target-sparsity 0.9", "sparsity scaling to 90%")
    .example(
      "$0 --model mlp14 --mode sparse --target-act 0.9 --target-grad 0.95 --raw-pixels --backend hw --max-steps 300",
      "every training GEMM on the Verilated default processor",
    )
    .strict()
    .help()
    .alias("h", "help")
    .fail((msg, err, y) => {
      if (err) throw err;
      console.error(y.help().toString());
      console.error(`\n${msg}`);
      process.exit(2);
    })
    .parseAsync();

  const targetAct = a["target-act"] ?? a["target-sparsity"];
  const targetGrad = a["target-grad"] ?? a["target-sparsity"];
  const thresholdAct = a["threshold-act"] ?? a.threshold;
  const thresholdGrad = a["threshold-grad"] ?? a.threshold;
  const config: RunConfig = {
    model: a.model as ModelName,
    mode: a.mode as Mode,
    epochs: a.epochs,
    batch: a.batch,
    lr: a.lr,
    momentum: a.momentum,
    seed: a.seed,
    splitSeed: a["split-seed"],
    train: a.train,
    test: a.test,
    backend: a.backend as BackendName,
    bytes: a.bytes,
    pixels: a["raw-pixels"] ? "raw" : "standardized",
    ...(targetAct === undefined ? {} : { targetAct }),
    ...(targetGrad === undefined ? {} : { targetGrad }),
    ...(thresholdAct === undefined ? {} : { thresholdAct }),
    ...(thresholdGrad === undefined ? {} : { thresholdGrad }),
    ...(a["max-steps"] === undefined ? {} : { maxSteps: a["max-steps"] }),
    ...(a.backend === "hw"
      ? { hw: { preset: a.preset, sim: a.sim as Simulator, evalOnHw: a["hw-eval"] } }
      : {}),
  };
  const result = runTraining(config, {
    ...(a.quiet ? {} : { progress: process.stderr }),
    hw: { log: (m) => process.stderr.write(`${m}\n`) },
  });
  console.log(summaryMarkdown(result));
  if (result.hardware !== undefined) {
    const h = result.hardware;
    console.log(
      `\n### On the processor\n\n${h.steps} training steps in ${h.stepSeconds.toFixed(1)} s: **${h.stepsPerSecond.toFixed(2)} steps/s**; ` +
        `${h.checkedGemms} GEMMs, each checked against the golden model (session.check) and the fast backend (checkedBackend); ` +
        `test accuracy evaluated on the ${h.evalBackend} backend.\n`,
    );
    console.log(hwStatsMarkdown(h, h.steps));
    if (h.evaluation !== undefined)
      console.log(
        `\nEvaluation on the processor (not in the table): ${h.evaluation.checkedGemms} GEMMs, ${h.evaluation.total.jobs} jobs, ${h.evaluation.total.cycles} RTL cycles.`,
      );
  }
  if (a.json !== undefined) {
    mkdirSync(dirname(a.json), { recursive: true });
    const options = (await prettier.resolveConfig(a.json)) ?? {};
    writeFileSync(
      a.json,
      await prettier.format(JSON.stringify(result), { ...options, filepath: a.json }),
    );
    console.log(`\nwrote ${a.json}`);
  }
}

main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof GenError) {
    console.error(e.format());
    process.exit(1);
  }
  if (e instanceof HwMismatchError) {
    console.error(`\ntraining on the processor stopped: ${e.message}`);
    process.exit(1);
  }
  throw e;
});
