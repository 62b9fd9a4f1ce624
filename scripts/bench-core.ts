/**
 * Compute-core benchmark: RTL cycle counts (Verilator) against the golden model's ideal
 * (`non-zero MACs / lanes`) for a GEMM tiled onto the core, over the density of the streamed
 * operand, and for BP output skipping over the mask density. Prints Markdown tables.
 *
 *   npm run bench:core -- [--preset default] [--size 256] [--sim verilator]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { CORE_ROLES, requantCycles } from "../generator/elab/core.ts";
import { elaborate, type Design } from "../generator/elab/elaborate.ts";
import { emitRtl } from "../generator/emit/emit.ts";
import { loadDescription } from "../generator/load.ts";
import { type BfpMatrix, emptyBfp } from "../generator/model/bfp8.ts";
import { Rng } from "../generator/model/rng.ts";
import { GenError } from "../generator/errors.ts";
import { type CoreJob, type Step, makeJob, trainingOperands } from "../testbench/core.ts";
import { runCoreBench } from "../testbench/core-bench.ts";
import type { Simulator } from "../testbench/sim.ts";

const args = await yargs(hideBin(process.argv))
  .scriptName("bench-core")
  .usage("$0 [options]\n\nCompute-core cycles from the RTL against the golden model's ideal.")
  .option("preset", { type: "string", default: "default", describe: "preset or description file" })
  .option("size", { type: "number", default: 256, describe: "GEMM size I = J = R" })
  .option("sim", { choices: ["verilator", "icarus"] as const, default: "verilator" as const })
  .option("seed", { type: "number", default: 1 })
  .strict()
  .help()
  .parseAsync();

/** Rows [r0, r0 + n) of a BFP matrix. */
function sliceRows(m: BfpMatrix, r0: number, n: number): BfpMatrix {
  const out = emptyBfp(n, m.cols, m.k);
  const w = m.blocksPerRow * m.k;
  out.q.set(m.q.subarray(r0 * w, (r0 + n) * w));
  out.scale.set(m.scale.subarray(r0 * m.blocksPerRow, (r0 + n) * m.blocksPerRow));
  return out;
}

interface Case {
  label: string;
  jobs: CoreJob[];
  dense: number;
  issued: number;
}

/** Non-zero codes of row j of a BFP8 matrix (its padding included, which is always zero). */
function rowNonZeros(b: BfpMatrix, j: number): number {
  const per = b.blocksPerRow * b.k;
  let nz = 0;
  for (let r = 0; r < per; r++) if ((b.q[j * per + r] ?? 0) !== 0) nz++;
  return nz;
}

/** One GEMM (I = J = R = n) cut into tiles that fit the core: lanes x B chunks. */
function tiledCase(
  design: Design,
  label: string,
  step: Step,
  n: number,
  density: number,
  maskDensity: number | undefined,
  rng: Rng,
  denseB = false,
): Case {
  const core = design.core;
  const rounding = design.desc.numerics.rounding;
  const { a, b } = trainingOperands(step, rng, { I: n, J: n, R: n, density }, core.k, rounding);
  const mask = new Uint8Array(n * n);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.bernoulli(maskDensity ?? 1) ? 1 : 0;
  const jobs: CoreJob[] = [];
  let dense = 0;
  let issued = 0;
  // B chunks: as many rows as fit the entry buffer.
  const chunks: [number, number][] = [];
  let j0 = 0;
  while (j0 < n) {
    let entries = 0;
    let j1 = j0;
    while (j1 < n && j1 - j0 < core.jMax) {
      const e = (denseB ? b.cols : Math.max(1, rowNonZeros(b, j1))) + 1;
      if (entries + e > core.eDepth) break;
      entries += e;
      j1++;
    }
    chunks.push([j0, j1 - j0]);
    j0 = j1;
  }
  for (let i0 = 0; i0 < n; i0 += core.T) {
    const I = Math.min(core.T, n - i0);
    const at = sliceRows(a, i0, I);
    for (const [c0, J] of chunks) {
      const bt = sliceRows(b, c0, J);
      let outMask: Uint8Array | undefined;
      if (maskDensity !== undefined) {
        outMask = new Uint8Array(I * J);
        for (let i = 0; i < I; i++)
          for (let j = 0; j < J; j++) outMask[i * J + j] = mask[(i0 + i) * n + c0 + j] ?? 0;
      }
      const job = makeJob(label, step, at, bt, core.accW, rounding, {
        relu: step === "fp",
        denseB,
        ...(outMask === undefined ? {} : { outMask }),
      });
      dense += job.result.counters.macsDense;
      issued += job.result.counters.macsIssued;
      jobs.push(job);
    }
  }
  return { label, jobs, dense, issued };
}

/**
 * A lower bound on a tile's cycles when every lane keeps its row of A: the most of
 * - the busiest lane's work: one cycle per B entry of each row it computes (entries: the row's
 *   non-zeros, at least one); rows it skips cost nothing;
 * - the writer's: one cycle per segment (the entries of one row within one word of `sw`);
 * - the output stage's: `outCycles` per row (`nOutBlk` blocks, each 1 cycle, or 2k / requantElems + 3
 *   with a serial requantizer).
 * With `array.macPasses` > 1 a MAC unit computes lanes u, u + TP, ...: its work is the sum over them.
 * Only a core whose lanes could take other rows of A would beat it.
 */
function laneBound(job: CoreJob, sw: number, outCycles: number, tp: number): number {
  const { a, b } = job;
  const entries: number[] = [];
  let segments = 0;
  let e0 = 0;
  for (let j = 0; j < b.rows; j++) {
    const n = Math.max(1, rowNonZeros(b, j));
    entries.push(n);
    segments += Math.floor((e0 + n - 1) / sw) - Math.floor(e0 / sw) + 1;
    e0 += n;
  }
  const work = new Array<number>(tp).fill(0);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++)
      if (job.outMask === undefined || job.outMask[i * b.rows + j] === 1)
        work[i % tp] = (work[i % tp] ?? 0) + (entries[j] ?? 1);
  }
  const most = Math.max(...work);
  return Math.max(most, segments, b.rows * outCycles);
}

try {
  const desc = await loadDescription(args.preset);
  const design = elaborate(desc);
  const core = design.core;
  // the output stage takes a block a cycle, or 2k / requantElems + 3 cycles when it is serial
  const serialRq = desc.array.requantElems < core.k;
  const rqCycles = requantCycles(core.k, desc.array.requantElems);
  const outCycles = core.nOutBlk * rqCycles;
  const n = args.size;
  const rng = new Rng(args.seed);
  const cases: Case[] = [];
  // Fixed latency: a job of one row with one non-zero element.
  const one = makeJob(
    "latency",
    "fp",
    trainingOperands("fp", rng, { I: 1, J: 1, R: 1, density: 1 }, core.k, desc.numerics.rounding).a,
    trainingOperands("fp", rng, { I: 1, J: 1, R: 1, density: 1 }, core.k, desc.numerics.rounding).b,
    core.accW,
    desc.numerics.rounding,
    {},
  );
  cases.push({ label: "latency", jobs: [one], dense: 1, issued: 1 });
  for (const d of [1, 0.1]) {
    process.stderr.write(`golden model: FP ${n}^3 dense baseline at density ${d * 100}% ...\n`);
    cases.push(
      tiledCase(design, `FP baseline, density ${d * 100}%`, "fp", n, d, undefined, rng, true),
    );
  }
  for (const d of [1, 0.5, 0.3, 0.1, 0.05, 0.01]) {
    process.stderr.write(`golden model: FP ${n}^3 at density ${d * 100}% ...\n`);
    cases.push(tiledCase(design, `FP density ${d * 100}%`, "fp", n, d, undefined, rng));
  }
  for (const m of [1, 0.5, 0.25, 0.1]) {
    process.stderr.write(
      `golden model: BP ${n}^3, gradient density 10%, mask density ${m * 100}% ...\n`,
    );
    cases.push(tiledCase(design, `BP mask ${m * 100}%`, "bp", n, 0.1, m, rng));
  }
  const all = cases.flatMap((c) => c.jobs);
  process.stderr.write(`simulating ${all.length} tiles in ${args.sim} ...\n`);
  const rtl = emitRtl(design, CORE_ROLES);
  const r = runCoreBench(
    mkdtempSync(join(tmpdir(), "bench-core-")),
    design,
    rtl,
    all,
    args.sim as Simulator,
    {
      seed: args.seed,
      readyPct: 100,
    },
  );
  if (!r.ok)
    throw new GenError("E_SIM_FAIL", "the core did not match the golden model", {
      hint: r.output.slice(0, 2000),
    });
  let at = 0;
  const cyc = cases.map((c) => {
    const cs = r.jobCycles.slice(at, at + c.jobs.length);
    at += c.jobs.length;
    return cs.reduce((s, x) => s + x, 0);
  });
  const latency = cyc[0] ?? 0;
  console.log(
    `## Compute core: ${desc.name}, ${core.T} MAC lanes (${desc.array.rows}x${desc.array.cols})${core.passes > 1 ? ` on ${core.TP} MAC units (${core.passes} passes a row)` : ""}, k = ${core.k}`,
  );
  console.log(
    `\nCommand: \`npm run bench:core -- --preset ${args.preset} --size ${n} --sim ${args.sim} --seed ${args.seed}\`. Cycles are the core's busy counter summed over the tiles (buffer loading not included); ideal = MACs issued / ${core.TP}${core.passes > 1 ? " (the MAC units)" : ""} (MACs issued: non-zero elements of B x computed outputs, from the golden model); the baseline stores every element of B (input skipping off, the same core); fixed latency = ${latency} cycles per tile (a one-element job).\n`,
  );
  const baseline = cyc[1] ?? 1;
  console.log(
    "| case | tiles | dense MACs | MACs issued | RTL cycles | ideal | cycles / ideal | cycles / (ideal + latency x tiles) | utilization of issued MACs | dense MACs / (cycles x MAC units) | speedup vs baseline |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  cases.forEach((c, i) => {
    if (i === 0) return;
    const cycles = cyc[i] ?? 0;
    const ideal = c.issued / core.TP;
    const withLat = ideal + latency * c.jobs.length;
    console.log(
      `| ${c.label} | ${c.jobs.length} | ${c.dense} | ${c.issued} | ${cycles} | ${ideal.toFixed(0)} | ${(cycles / ideal).toFixed(3)} | ${(cycles / withLat).toFixed(3)} | ${((100 * c.issued) / (cycles * core.TP)).toFixed(1)}% | ${((100 * c.dense) / (cycles * core.TP)).toFixed(1)}% | ${(baseline / cycles).toFixed(2)}x |`,
    );
  });
  const bp = cases.filter((c) => c.label.startsWith("BP"));
  const bpFull = cyc[cases.indexOf(bp[0] ?? cases[0]!)] ?? 1;
  console.log(
    `\nBP output skipping (gradient density 10%), ${desc.array.schedule} schedule: cycles relative to the unmasked BP. Lane bound: summed over the tiles, the most of the busiest lane's work (an entry a cycle for each row it computes), the writer's segments (${desc.array.streamEntries} entries a word) and the output stage's ${outCycles} cycles a row${serialRq ? ` (${core.nOutBlk} block(s) of ${rqCycles} cycles: ${desc.array.requantElems} element(s) a cycle, two passes and two derive steps)` : ""}; no core whose lanes keep their rows of A can beat it${desc.array.schedule === "shared" ? " (the per-lane schedule comes close to it; this core shares one schedule, so a row costs every lane its length)" : ""}.`,
  );
  console.log(
    "\n| mask density | RTL cycles | relative | MACs issued relative | lane bound | RTL / lane bound |",
  );
  console.log("|---|---|---|---|---|---|");
  const bpIssued = bp[0]?.issued ?? 1;
  for (const c of bp) {
    const cy = cyc[cases.indexOf(c)] ?? 0;
    const bound = c.jobs.reduce(
      (s, j) => s + laneBound(j, desc.array.streamEntries, outCycles, core.TP),
      0,
    );
    console.log(
      `| ${c.label.replace("BP mask ", "")} | ${cy} | ${(cy / bpFull).toFixed(3)} | ${(c.issued / bpIssued).toFixed(3)} | ${bound} | ${(cy / bound).toFixed(3)} |`,
    );
  }
  console.log(
    `\nSimulation: ${(r.compileMs / 1000).toFixed(1)} s compile, ${(r.runMs / 1000).toFixed(1)} s run (${args.sim}).`,
  );
} catch (e) {
  if (e instanceof GenError) {
    console.error(e.format());
    process.exit(1);
  }
  throw e;
}
