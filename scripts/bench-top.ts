/**
 * Top-level benchmark: one fully connected layer's FP, BP and WG run on the whole processor in
 * simulation (through the host runtime, testbench/host/), every job checked against the golden
 * model; prints a Markdown report of RTL cycles and AXI bytes per step next to the golden model's
 * ideal (MACs issued / T) and the dense baseline (the same description with input and output
 * skipping off and the dense codec).
 *
 *   npx tsx scripts/bench-top.ts --preset default --layer 256x256 --batch 64 --sparsity 0.9
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { GenError } from "../generator/errors.ts";
import { loadDescription } from "../generator/load.ts";
import { Rng } from "../generator/model/rng.ts";
import { randomMatrix } from "../testbench/core.ts";
import { type LayerResult, baselineOf, runLayer } from "../testbench/host/index.ts";
import type { Simulator } from "../testbench/sim.ts";

const args = await yargs(hideBin(process.argv))
  .scriptName("bench-top")
  .usage(
    "$0 [options]\n\nOne FC layer's FP, BP and WG on the simulated processor: RTL cycles and AXI bytes against the golden model's ideal and the dense baseline (Markdown).",
  )
  .option("preset", { type: "string", default: "default", describe: "preset or description file" })
  .option("layer", {
    type: "string",
    default: "256x256",
    describe: "layer shape MxK: M outputs, K inputs (W is M x K)",
  })
  .option("batch", {
    type: "number",
    default: 64,
    describe: "batch N (WG reduces over it: N <= rMax)",
  })
  .option("sparsity", {
    type: "number",
    default: 0.9,
    describe:
      "fraction of zeros in the activations X and the gradients dY (BP skips with X's mask)",
  })
  .option("sim", { choices: ["verilator", "icarus"] as const, default: "verilator" as const })
  .option("stalls", {
    type: "number",
    default: 0,
    describe: "AXI stall probability per channel, %",
  })
  .option("latency", { type: "number", default: 0, describe: "AXI read and write latency, cycles" })
  .option("baseline", { type: "boolean", default: true, describe: "also run the dense baseline" })
  .option("seed", { type: "number", default: 1 })
  .option("waves", {
    type: "boolean",
    default: false,
    describe: "dump wave.vcd (in the build folder)",
  })
  .strict()
  .help()
  .parseAsync();

function parseLayer(s: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(s);
  if (m === null)
    throw new GenError("E_MODEL_ARG", `--layer ${s}: expected MxK, e.g. 256x256`, {
      hint: "M outputs by K inputs",
    });
  return [Number(m[1]), Number(m[2])];
}

try {
  const desc = await loadDescription(args.preset);
  const [M, K] = parseLayer(args.layer);
  const N = args.batch;
  const d = 1 - args.sparsity;
  const rng = new Rng(args.seed);
  const data = {
    w: randomMatrix(rng, M, K, 1, 6),
    xT: randomMatrix(rng, N, K, d, 6),
    dyT: randomMatrix(rng, N, M, d, 6),
  };
  const opts = {
    sim: args.sim as Simulator,
    stallPct: args.stalls,
    latency: args.latency,
    seed: args.seed,
    waves: args.waves,
  };
  const main = runLayer(desc, M, K, N, data, { ...opts, skipOut: true });
  const base = args.baseline
    ? runLayer(baselineOf(desc), M, K, N, data, { ...opts, skipOut: false })
    : undefined;
  const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
  console.log(
    `# ${desc.name}: FC layer ${M}x${K}, batch ${N}, sparsity ${pct(args.sparsity)} (${args.sim}, stalls ${args.stalls}%, latency ${args.latency})\n`,
  );
  console.log(
    `X and dY have ${pct(d)} non-zeros; BP skips outputs with X's mask. Dense MACs per step: ${M * K * N}. T = ${main.T} lanes. ` +
      `Cycles are PERF_CYCLES summed over the step's jobs; bytes are PERF_BYTES_RD / _WR (checked against the golden model). ` +
      `The ideal is the golden model's MACs issued / T (compute only, no loads).\n`,
  );
  const head =
    "| step | jobs | RTL cycles | ideal | cycles / ideal | AXI bytes read | AXI bytes written |" +
    (base
      ? " baseline jobs | baseline cycles | baseline bytes read | baseline bytes written | speedup | bytes saved |"
      : "");
  console.log(head);
  console.log(
    `|${head
      .split("|")
      .slice(1, -1)
      .map(() => "---")
      .join("|")}|`,
  );
  for (const step of ["fp", "bp", "wg"] as const) {
    const r = main.steps[step];
    const ideal = r.issued / main.T;
    let row = `| ${step.toUpperCase()} | ${r.jobs} | ${r.cycles} | ${ideal.toFixed(0)} | ${(r.cycles / Math.max(1, ideal)).toFixed(2)} | ${r.rd} | ${r.wr} |`;
    if (base) {
      const b = base.steps[step];
      const saved = 1 - (r.rd + r.wr) / Math.max(1, b.rd + b.wr);
      row += ` ${b.jobs} | ${b.cycles} | ${b.rd} | ${b.wr} | ${(b.cycles / Math.max(1, r.cycles)).toFixed(2)}x | ${pct(saved)} |`;
    }
    console.log(row);
  }
  const tot = (p: LayerResult): number => p.steps.fp.cycles + p.steps.bp.cycles + p.steps.wg.cycles;
  console.log(
    `\nLayer total: ${tot(main)} cycles${base ? `, baseline ${tot(base)} (${(tot(base) / Math.max(1, tot(main))).toFixed(2)}x)` : ""}.`,
  );
  for (const p of [main, ...(base ? [base] : [])])
    console.log(
      `${p.name}: ${p.ok ? "all jobs match the golden model" : `MISMATCHES: ${p.badReads} register reads, ${p.memDiffs} memory bytes (see stderr)`}; simulation ${p.compileS.toFixed(1)} s compile, ${p.runS.toFixed(1)} s run.`,
    );
  const bad = [main, ...(base ? [base] : [])].filter((p) => !p.ok);
  for (const p of bad) process.stderr.write(`${p.name}:\n${p.errors.join("\n")}\n`);
  if (bad.length > 0) process.exit(1);
} catch (e) {
  if (e instanceof GenError) {
    console.error(e.format());
    process.exit(1);
  }
  throw e;
}
