/**
 * Top-level benchmark: one fully connected layer's FP, BP and WG run on the whole processor in
 * simulation (through the host runtime, testbench/host/), every job checked against the golden
 * model; prints a Markdown report of RTL cycles and AXI bytes per step next to the golden model's
 * ideal (MACs issued / T) and the dense baseline (the same description with input and output
 * skipping off and the dense codec).
 *
 *   npx tsx scripts/bench-top.ts --preset default --layer 256x256 --batch 64 --sparsity 0.9
 */
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import type { ResolvedDescription } from "../generator/dsl/description.ts";
import { validateDescription } from "../generator/dsl/validate.ts";
import { REPO_ROOT } from "../generator/emit/render.ts";
import { GenError } from "../generator/errors.ts";
import { loadDescription } from "../generator/load.ts";
import { Rng } from "../generator/model/rng.ts";
import { reluMask } from "../generator/model/sparsity.ts";
import { randomMatrix } from "../testbench/core.ts";
import {
  type FcSteps,
  HostSession,
  type JobOutcome,
  type JobRecord,
  MemImage,
  SimBackend,
  fcSteps,
  hostContext,
  quantize,
  stalls,
} from "../testbench/host/index.ts";
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

interface StepResult {
  jobs: number;
  cycles: number;
  wall: number;
  rd: number;
  wr: number;
  issued: number;
}

interface ProcResult {
  name: string;
  steps: Record<"fp" | "bp" | "wg", StepResult>;
  ok: boolean;
  errors: string[];
  /** Register reads that differ from the golden model, and memory bytes. */
  badReads: number;
  memDiffs: number;
  compileS: number;
  runS: number;
  T: number;
}

function parseLayer(s: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(s);
  if (m === null)
    throw new GenError("E_MODEL_ARG", `--layer ${s}: expected MxK, e.g. 256x256`, {
      hint: "M outputs by K inputs",
    });
  return [Number(m[1]), Number(m[2])];
}

/** The dense baseline: input and output skipping off, the dense codec. */
function baselineOf(d: ResolvedDescription): ResolvedDescription {
  return validateDescription({
    ...d,
    name: `${d.name}_dense`,
    features: { ...d.features, inputSkipping: false, outputSkipping: false },
    codec: { ...d.codec, format: "dense" },
  });
}

const nextPow2 = (x: number): number => 2 ** Math.ceil(Math.log2(Math.max(2, x)));

function runProcessor(
  desc: ResolvedDescription,
  M: number,
  K: number,
  N: number,
  data: { w: Float64Array; xT: Float64Array; dyT: Float64Array },
  skipOut: boolean,
): ProcResult {
  const ctx = hostContext(desc);
  if (N > ctx.top.rMax)
    throw new GenError(
      "E_MODEL_ARG",
      `--batch ${N}: WG reduces over the batch, at most rMax = ${ctx.top.rMax}`,
    );
  if (K > ctx.top.rMax || M > ctx.top.rMax)
    throw new GenError(
      "E_MODEL_ARG",
      `--layer ${M}x${K}: FP reduces over K and BP over M, at most rMax = ${ctx.top.rMax} each`,
    );
  // room for every operand and output (raw worst case, plus streams and masks), with margin
  const memBytes = nextPow2(12 * (M * K + K * N + M * N) + (1 << 16));
  const base = 0x8000_0000;
  const s = new HostSession(ctx, new MemImage({ base, size: memBytes, seed: args.seed }));
  const maskX = skipOut ? reluMask(quantize(ctx, data.xT, N, K)) : undefined;
  process.stderr.write(`${desc.name}: golden model and program ...\n`);
  const st: FcSteps = fcSteps(
    s,
    { M, K, N, ...data, ...(maskX === undefined ? {} : { maskX }) },
    { label: "layer", wait: "busy" },
  );
  s.end();
  const be = new SimBackend(ctx, {
    sim: args.sim as Simulator,
    dir: join(REPO_ROOT, "build", "bench-top", desc.name),
    memBase: base,
    memBytes,
    bus: stalls(args.stalls, args.latency),
    progMax: nextPow2(Math.max(1024, s.ops.length)),
    seed: args.seed,
    waves: args.waves,
  });
  process.stderr.write(`${desc.name}: ${s.jobs.length} jobs in ${args.sim} (${be.folder}) ...\n`);
  const run = be.run(s.initial, s.ops);
  const chk = s.check(run);
  const sum = (jobs: readonly JobRecord[]): StepResult => {
    const out = jobs.map((j) => chk.outcomes[j.index]);
    const add = (f: (o: JobOutcome) => number | undefined): number =>
      out.reduce((n, o) => n + (o === undefined ? 0 : (f(o) ?? 0)), 0);
    return {
      jobs: jobs.length,
      cycles: add((o) => o.cycles),
      wall: add((o) => o.wallCycles),
      rd: add((o) => o.bytesRd),
      wr: add((o) => o.bytesWr),
      issued: jobs.reduce((n, j) => n + j.golden.counters.macsIssued, 0),
    };
  };
  return {
    name: desc.name,
    steps: {
      fp: sum(st.fp?.jobs ?? []),
      bp: sum(st.bp?.jobs ?? []),
      wg: sum(st.wg?.jobs ?? []),
    },
    ok: chk.ok,
    errors: chk.errors,
    badReads: run.messages.filter((m) => m.startsWith("MISMATCH")).length,
    memDiffs: chk.memDiffs,
    compileS: run.compileMs / 1000,
    runS: run.runMs / 1000,
    T: ctx.top.T,
  };
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
  const main = runProcessor(desc, M, K, N, data, true);
  const base = args.baseline ? runProcessor(baselineOf(desc), M, K, N, data, false) : undefined;
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
  const tot = (p: ProcResult): number => p.steps.fp.cycles + p.steps.bp.cycles + p.steps.wg.cycles;
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
