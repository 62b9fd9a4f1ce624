/**
 * The compute core against the golden model: FP, BP and WG tiles (ragged shapes, densities 0-100%,
 * output masks, thresholds, NaN and exponent extremes) with random output stalls, in both
 * simulators; and a corrupted expectation that both must catch.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedDescription } from "../../generator/dsl/description.ts";
import { CORE_ROLES } from "../../generator/elab/core.ts";
import { elaborate } from "../../generator/elab/elaborate.ts";
import { emitRtl } from "../../generator/emit/emit.ts";
import { presetDescription } from "../../generator/load.ts";
import { type Simulator } from "../../testbench/sim.ts";
import { genCoreJobs, runCoreBench } from "../../testbench/core-bench.ts";
import { makeJob, randomMatrix } from "../../testbench/core.ts";
import { quantizeMatrix } from "../../generator/model/bfp8.ts";
import { Rng } from "../../generator/model/rng.ts";
import { validateDescription } from "../../generator/dsl/validate.ts";
import { CORE_EVEN } from "../fixtures/descriptions.ts";
import { variant } from "../fixtures/variant.ts";

/**
 * The tiny core with a schedule per lane and the smallest queues, so they fill and stall often;
 * and with the parallel output stage (a block a cycle), where tiny's own is serial.
 */
const TINY_LANES = (): ResolvedDescription =>
  variant("tiny", "tiny_lanes", "hbm", {
    array: { schedule: "per-lane", streamEntries: 2, laneQueue: 2, requantElems: 8, macPasses: 1 },
  });

/** Ties to even, k = 16, with a serial output stage of 4 elements a cycle (8 cycles a block). */
const CORE_EVEN_SERIAL = (): ResolvedDescription =>
  validateDescription({
    ...CORE_EVEN,
    name: "core_even_rq4",
    array: { ...CORE_EVEN.array, requantElems: 4 },
  });

/** The tiny core with every lane its own MAC unit (one pass over a row of B). */
const TINY_ONE_PASS = (): ResolvedDescription =>
  variant("tiny", "tiny_one_pass", "hbm", { array: { macPasses: 1 } });

/** 16 lanes (two output blocks a row) on 4 MAC units: 4 passes a row. */
const TINY_WIDE_PASSES = (): ResolvedDescription =>
  variant("tiny", "tiny_wide_passes", "hbm", { array: { cols: 8, macPasses: 4 } });

/** The serial output stage at 4 elements a cycle: 2 steps a pass, the tightest derive timing. */
const TINY_RQ4 = (): ResolvedDescription =>
  variant("tiny", "tiny_rq4", "hbm", { array: { requantElems: 4 } });

/** All 8 lanes on one MAC unit: 8 passes a row. */
const TINY_ONE_UNIT = (): ResolvedDescription =>
  variant("tiny", "tiny_one_unit", "hbm", { array: { macPasses: 8 } });

const work = mkdtempSync(join(tmpdir(), "core-sim-"));

function bench(desc: ResolvedDescription, sim: Simulator, jobs: number, corrupt?: number) {
  const design = elaborate(desc);
  const list = genCoreJobs(design, jobs, 0xc0de + jobs);
  return runCoreBench(join(work, desc.name), design, emitRtl(design, CORE_ROLES), list, sim, {
    seed: 11,
    ...(corrupt === undefined ? {} : { corruptBlock: corrupt }),
  });
}

const CASES: [string, () => ResolvedDescription, Simulator, number][] = [
  ["tiny", () => presetDescription("tiny"), "icarus", 60],
  ["tiny", () => presetDescription("tiny"), "verilator", 200],
  ["tiny, one pass a row (8 MAC units)", TINY_ONE_PASS, "icarus", 30],
  ["tiny, one pass a row (8 MAC units)", TINY_ONE_PASS, "verilator", 100],
  ["tiny 2x8, 4 passes a row (4 MAC units, 2 output blocks)", TINY_WIDE_PASSES, "icarus", 20],
  ["tiny 2x8, 4 passes a row (4 MAC units, 2 output blocks)", TINY_WIDE_PASSES, "verilator", 100],
  ["tiny, output stage 4 elements a cycle (2 steps a pass)", TINY_RQ4, "icarus", 20],
  ["tiny, output stage 4 elements a cycle (2 steps a pass)", TINY_RQ4, "verilator", 100],
  ["tiny, 8 passes a row (one MAC unit)", TINY_ONE_UNIT, "icarus", 20],
  ["tiny, 8 passes a row (one MAC unit)", TINY_ONE_UNIT, "verilator", 60],
  ["tiny, a schedule per lane", TINY_LANES, "icarus", 60],
  ["tiny, a schedule per lane", TINY_LANES, "verilator", 200],
  ["k16 ties-to-even 4x4", () => CORE_EVEN, "icarus", 40],
  ["k16 ties-to-even 4x4", () => CORE_EVEN, "verilator", 150],
  ["k16 ties-to-even 4x4, output stage 4 elements a cycle", CORE_EVEN_SERIAL, "icarus", 20],
  ["k16 ties-to-even 4x4, output stage 4 elements a cycle", CORE_EVEN_SERIAL, "verilator", 100],
  ["default", () => presetDescription("default"), "icarus", 4],
];

describe("compute core", () => {
  for (const [name, desc, sim, jobs] of CASES)
    it(`${name} in ${sim}: ${jobs} random jobs + edge cases`, () => {
      const r = bench(desc(), sim, jobs);
      expect(r.ok, r.output.slice(0, 3000)).toBe(true);
      expect(r.passLine).toMatch(/^PASS \d+ jobs/);
      expect(r.jobCycles.length).toBe(r.jobs);
    });

  it("skips a pass whose lanes are all masked: a BP tile with pass 1 masked takes fewer cycles", () => {
    // tiny: 8 lanes on 4 MAC units, 2 passes. The same A and B, once with every output computed and
    // once with lanes 4-7 (the second pass) masked in every row: the masked pass is one beat a row.
    const desc = presetDescription("tiny");
    const design = elaborate(desc);
    const { T, TP, k, accW } = design.core;
    expect(TP).toBeLessThan(T);
    const rng = new Rng(77);
    const R = 4 * k;
    const J = 8;
    const qa = quantizeMatrix(randomMatrix(rng, T, R, 1), T, R, k, desc.numerics.rounding);
    const qb = quantizeMatrix(randomMatrix(rng, J, R, 0.8), J, R, k, desc.numerics.rounding);
    const mask = (on: (lane: number) => boolean): Uint8Array =>
      new Uint8Array(T * J).map((_, n) => (on(Math.floor(n / J)) ? 1 : 0));
    const jobs = [
      makeJob("all computed", "bp", qa, qb, accW, desc.numerics.rounding, {
        outMask: mask(() => true),
      }),
      makeJob("pass 1 masked", "bp", qa, qb, accW, desc.numerics.rounding, {
        outMask: mask((l) => l < TP),
      }),
    ];
    const r = runCoreBench(
      join(work, "passes-cycles"),
      design,
      emitRtl(design, CORE_ROLES),
      jobs,
      "icarus",
      {
        seed: 11,
      },
    );
    expect(r.ok, r.output.slice(0, 3000)).toBe(true);
    const [full, half] = r.jobCycles;
    // each row: about 2 x 26 issue beats against 26 + 1 (nnz ~ 0.8 x 32; the output stage takes 19)
    expect(half).toBeLessThan(0.75 * (full ?? 0));
  });

  it("fails when one expected block is wrong (both simulators, both schedules, both output stages)", () => {
    for (const sim of ["icarus", "verilator"] as const)
      for (const desc of [presetDescription("tiny"), TINY_LANES()]) {
        const r = bench(desc, sim, 2, 9);
        expect(r.ok, `${desc.name} in ${sim}`).toBe(false);
        expect(r.output).toMatch(/MISMATCH block 9/);
      }
  });
});
