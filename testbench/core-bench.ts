/**
 * The compute-core testbench: golden-model jobs -> generated testbench -> simulator -> verdict
 * and per-job cycle counts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Design } from "../generator/elab/elaborate.ts";
import { CORE_ROLES } from "../generator/elab/core.ts";
import { banner, renderTb } from "../generator/emit/render.ts";
import { quantizeMatrix } from "../generator/model/bfp8.ts";
import { Rng } from "../generator/model/rng.ts";
import {
  type CoreJob,
  type Step,
  coreFiles,
  dataWidth,
  makeJob,
  randomMatrix,
  stepJob,
} from "./core.ts";
import { type SimResult, type Simulator, runSim } from "./sim.ts";

/** Hand-picked edge cases, then `count` random jobs of every step. */
export function genCoreJobs(design: Design, count: number, seed: number): CoreJob[] {
  const core = design.core;
  const rounding = design.desc.numerics.rounding;
  const rng = new Rng(seed);
  const T = core.T;
  const k = core.k;
  const rCap = Math.min(core.rMax, 4 * k);
  // Keep the B entries of a job within the buffer.
  const rowsFor = (R: number, density: number, want: number): number =>
    Math.max(1, Math.min(want, Math.floor(core.eDepth / Math.max(1, Math.ceil(R * density) + 1))));
  const jobs: CoreJob[] = [];
  const shape = (I: number, R: number, density: number, J: number) => ({
    I,
    R,
    density,
    J: rowsFor(R, density, J),
  });
  jobs.push(stepJob("fp dense full tile", "fp", rng, shape(T, rCap, 1, 6), core, rounding));
  jobs.push(stepJob("fp all-zero B", "fp", rng, shape(T, rCap, 0, 5), core, rounding));
  jobs.push(
    stepJob(
      "ragged I, R and J",
      "fp",
      rng,
      shape(Math.max(1, T - 3), 2 * k + 3, 0.5, 5),
      core,
      rounding,
    ),
  );
  jobs.push(stepJob("one element", "fp", rng, shape(1, 1, 1, 1), core, rounding));
  jobs.push(stepJob("fp threshold 90%", "fp", rng, shape(T, rCap, 0.3, 8), core, rounding, 0.9));
  jobs.push(
    stepJob(
      "bp mask all zero",
      "bp",
      rng,
      { ...shape(T, rCap, 0.3, 6), maskDensity: 0 },
      core,
      rounding,
    ),
  );
  jobs.push(
    stepJob(
      "bp mask all one",
      "bp",
      rng,
      { ...shape(T, rCap, 0.3, 6), maskDensity: 1 },
      core,
      rounding,
    ),
  );
  jobs.push(
    stepJob(
      "bp threshold",
      "bp",
      rng,
      { ...shape(T, rCap, 0.2, 6), maskDensity: 0.5 },
      core,
      rounding,
      0.8,
    ),
  );
  jobs.push(
    stepJob(
      "wg clustered",
      "wg",
      rng,
      { ...shape(T, rCap, 0.2, 6), clustered: true },
      core,
      rounding,
    ),
  );
  // Exponent extremes: products past 2^127 make NaN blocks; tiny ones clamp the scale at -127.
  const ext = (kind: string, ea: number, eb: number): CoreJob => {
    const R = 2 * k;
    const J = rowsFor(R, 1, 3);
    const a = randomMatrix(rng, T, R, 1, 2).map((v) => v * 2 ** ea);
    const b = randomMatrix(rng, J, R, 0.7, 2).map((v) => v * 2 ** eb);
    return makeJob(
      kind,
      "fp",
      quantizeMatrix(a, T, R, k, rounding),
      quantizeMatrix(b, J, R, k, rounding),
      core.accW,
      rounding,
      { relu: false },
    );
  };
  jobs.push(ext("huge products (NaN blocks)", 120, 100));
  jobs.push(ext("tiny products (scale clamp)", -100, -90));
  // NaN operands: a NaN block in one A row and in one B row.
  {
    const R = 2 * k;
    const J = rowsFor(R, 0.5, 4);
    const a = randomMatrix(rng, T, R, 1);
    a[3 % (T * R)] = Number.NaN;
    const b = randomMatrix(rng, J, R, 0.5);
    b[R + 1 < J * R ? R + 1 : 0] = Number.POSITIVE_INFINITY;
    const qa = quantizeMatrix(a, T, R, k, rounding);
    const qb = quantizeMatrix(b, J, R, k, rounding);
    jobs.push(makeJob("NaN blocks in A and B", "fp", qa, qb, core.accW, rounding, { relu: true }));
    // The same NaN row of A under an output mask: its masked outputs are exact zeros, not NaN.
    const outMask = new Uint8Array(T * J).map(() => (rng.bernoulli(0.5) ? 1 : 0));
    jobs.push(
      makeJob("NaN block in A, masked outputs", "bp", qa, qb, core.accW, rounding, { outMask }),
    );
  }
  // A NaN block in the last lane only: with MAC passes its flag belongs to the last pass, and with
  // several output blocks a row to the last block (lane 0's NaN above would hide a flag set on
  // another pass's lane of the same unit).
  {
    const R = 2 * k;
    const J = rowsFor(R, 0.5, 4);
    const a = randomMatrix(rng, T, R, 1);
    a[(T - 1) * R + k + 2] = Number.NaN;
    const qa = quantizeMatrix(a, T, R, k, rounding);
    const qb = quantizeMatrix(randomMatrix(rng, J, R, 0.5), J, R, k, rounding);
    jobs.push(makeJob("NaN block in the last lane of A", "fp", qa, qb, core.accW, rounding, {}));
    const outMask = new Uint8Array(T * J).map(() => (rng.bernoulli(0.5) ? 1 : 0));
    jobs.push(
      makeJob("NaN block in the last lane, masked outputs", "bp", qa, qb, core.accW, rounding, {
        outMask,
      }),
    );
  }
  // One lane behind a long row while the other computes many short rows that the first one
  // skips, then a long row for both (per-lane schedule: the skipped rows' zeros must not wait for
  // that last row, or the lanes' full queues would deadlock the core). The short rows number
  // about one to two queue depths, so the writer reaches the last row before it stalls.
  const q = design.desc.array.laneQueue;
  for (const want of [q + 4, q + q / 2 + 4, 2 * q + 4]) {
    const R = core.rMax;
    const N = Math.max(1, Math.min(want, core.jMax - 2, core.eDepth - 2 * R - 2));
    const J = N + 2;
    const b = new Array<number>(J * R).fill(0);
    const val = (): number => (rng.int(1, 60) * (rng.bernoulli(0.5) ? 1 : -1)) / 16;
    for (let r = 0; r < Math.min(R, 64); r++) b[r] = val();
    for (let j = 1; j <= N; j++) b[j * R + rng.int(0, R - 1)] = val();
    for (let r = 0; r < R; r++) b[(N + 1) * R + r] = val();
    const outMask = new Uint8Array(2 * J);
    outMask[0] = 1; // lane 0: rows 0 and N + 1
    outMask[N + 1] = 1;
    for (let j = 1; j < J; j++) outMask[J + j] = 1; // lane 1: rows 1 .. N + 1
    jobs.push(
      makeJob(
        `a lane behind a long row, ${N} rows it skips between`,
        "bp",
        quantizeMatrix(randomMatrix(rng, 2, R, 1), 2, R, k, rounding),
        quantizeMatrix(b, J, R, k, rounding),
        core.accW,
        rounding,
        { outMask },
      ),
    );
  }
  const steps: Step[] = ["fp", "bp", "wg"];
  const densities = [0, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1];
  for (let n = 0; n < count; n++) {
    const step = steps[n % 3] ?? "fp";
    const density = rng.pick(densities);
    const R = rng.int(1, rCap);
    const s = {
      I: rng.int(1, T),
      R,
      density,
      J: rowsFor(R, density, rng.int(1, 12)),
      maskDensity: rng.pick([0, 0.2, 0.5, 1]),
      clustered: rng.bernoulli(0.3),
      spread: rng.pick([2, 8, 20]),
    };
    const thr = step !== "wg" && rng.bernoulli(0.4) ? rng.pick([0.5, 0.9, 0.99]) : undefined;
    jobs.push(stepJob(`random ${step} #${n}`, step, rng, s, core, rounding, thr));
  }
  return jobs;
}

export interface CoreBenchOptions {
  readyPct?: number;
  seed: number;
  waves?: boolean;
  /** Flip a bit of one expected block (to prove the bench can fail). */
  corruptBlock?: number;
}

export interface CoreBenchResult extends SimResult {
  jobs: number;
  blocks: number;
  /** Busy cycles of each job, from the core's counter. */
  jobCycles: number[];
}

export function runCoreBench(
  dir: string,
  design: Design,
  rtl: Map<string, string>,
  jobs: readonly CoreJob[],
  sim: Simulator,
  o: CoreBenchOptions,
): CoreBenchResult {
  const core = design.core;
  const files = coreFiles(jobs, core);
  if (o.corruptBlock !== undefined) {
    const i = o.corruptBlock % files.expect.length;
    const line = files.expect[i] ?? "0";
    files.expect[i] = line.slice(0, -1) + (parseInt(line.slice(-1), 16) ^ 1).toString(16);
  }
  const work = join(dir, sim);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "prog.hex"), files.prog.join("\n") + "\n");
  writeFileSync(join(work, "expect.hex"), files.expect.join("\n") + "\n");
  writeFileSync(join(work, "counters.hex"), files.counters.join("\n") + "\n");
  const sources: string[] = [];
  for (const m of design.modules) {
    if (!CORE_ROLES.includes(m.role)) continue;
    const path = join(work, m.file);
    writeFileSync(path, rtl.get(m.file) ?? "");
    sources.push(path);
  }
  const coreMod = design.modules.find((m) => m.role === "core");
  const module = coreMod?.module ?? "";
  const rng = new Rng(o.seed ^ 0x77aa11);
  const dw = dataWidth(core);
  const tb = renderTb("tb_compute_core.sv.hbs", {
    ...core,
    banner: banner(`Testbench for ${module}`, "testbench/templates/tb_compute_core.sv.hbs"),
    module,
    nprog: files.prog.length,
    nexp: Math.max(1, files.expect.length),
    njobs: Math.max(1, jobs.length),
    lineW: dw + 36,
    dataW: dw,
    readyPct: o.readyPct ?? 70,
    seedOut: ((rng.u32() | 1) >>> 0).toString(16).padStart(8, "0"),
    seedStart: ((rng.u32() | 1) >>> 0).toString(16).padStart(8, "0"),
    jobTimeout: 1_000_000,
  });
  writeFileSync(join(work, "tb.sv"), tb);
  const res = runSim(
    {
      dir: work,
      top: "tb",
      sources: [join(work, "tb.sv"), ...sources],
      ...(o.waves ? { waves: true } : {}),
    },
    sim,
  );
  const jobCycles = [...res.output.matchAll(/^JOB (\d+) cycles (\d+)/gm)].map((m) => Number(m[2]));
  return { ...res, jobs: jobs.length, blocks: files.blocks, jobCycles };
}
