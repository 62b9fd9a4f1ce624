/**
 * Simulation speed: Verilator against Icarus Verilog on the same testbench and vectors, through
 * the testbenches' own run functions (testbench/pe-bench.ts runPeBench, testbench/codec-bench.ts
 * runCodecBench). Compile (build) time and run time are reported separately; simulated cycles
 * per second = the cycles the testbench reports / its run time (process start and reading the
 * vector files included). The simulations run one at a time.
 */
import { join } from "node:path";
import { generate } from "../../generator/generate.ts";
import { presetDescription } from "../../generator/load.ts";
import { validateDescription } from "../../generator/dsl/validate.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";
import {
  VERILATOR_MAKEFLAGS,
  codecRtl,
  modelCodecParams,
  rateTensors,
  runCodecBench,
} from "../../testbench/codec-bench.ts";
import { peModuleOf, runPeBench } from "../../testbench/pe-bench.ts";
import { SIMULATORS, type SimResult, type Simulator } from "../../testbench/sim.ts";
import { type SectionOptions, cmd, mdTable, secs, si } from "./common.ts";

export interface SimBenchCase {
  /** What runs, for the table. */
  name: string;
  /** The configuration, for the table. */
  config: string;
  /** Verilator's C++ optimisation, as the run function sets it. */
  verilatorFlags: string;
  run(dir: string, sim: Simulator): SimResult & { cycles: number | undefined };
}

export interface SimSpeedParams {
  /** PE testbench: random vectors (edge cases are added on top). */
  peVectors: number;
  pePreset: string;
  /** Codec testbench (0: not run): frames per tensor of the rate tensors. */
  codecFrames: number;
  codecPreset: string;
  seed: number;
}

export function simSpeedParams(quick: boolean): SimSpeedParams {
  return quick
    ? { peVectors: 3000, pePreset: "default", codecFrames: 0, codecPreset: "tiny", seed: 1 }
    : { peVectors: 10000, pePreset: "default", codecFrames: 256, codecPreset: "tiny", seed: 1 };
}

export function simCases(p: SimSpeedParams): SimBenchCase[] {
  const cases: SimBenchCase[] = [];
  const { design, files } = generate(presetDescription(p.pePreset));
  const pe = peModuleOf(design.modules);
  const rtl = files.get(pe.file) ?? "";
  cases.push({
    name: "PE",
    config: `${pe.module} (preset ${p.pePreset}: k ${design.pe.k}, ${design.pe.lanes} lanes, ACC_W ${design.pe.accW}); ${p.peVectors} random vectors + edge cases, random stalls, seed ${p.seed}; ${cmd(`npm run sim -- ${p.pePreset} --sim both -n ${p.peVectors} --seed ${p.seed}`)} runs the same`,
    verilatorFlags: "-O1 (testbench/sim.ts)",
    run: (dir, sim) =>
      runPeBench(dir, pe.module, rtl, design.pe, sim, { vectors: p.peVectors, seed: p.seed }),
  });
  if (p.codecFrames > 0) {
    const base = PRESETS[p.codecPreset];
    if (base === undefined) throw new Error(`no preset ${p.codecPreset}`);
    const desc = validateDescription({ ...base, name: `simspeed_${p.codecPreset}_hbm` });
    const cp = modelCodecParams(desc);
    const tensors = rateTensors(cp.k, cp.frameElems, p.codecFrames, p.seed);
    const unit = { tag: desc.name, rtl: codecRtl(desc), p: cp, tensors };
    cases.push({
      name: "codec",
      config: `${cp.format} encoder + decoder (preset ${p.codecPreset}: k ${cp.k}, ${cp.frameElems}-element frames, ${cp.busBits}-bit bus); ${tensors.length} tensors of ${p.codecFrames} frames at densities 100%..0%, random stalls, seed ${p.seed} (testbench/codec-bench.ts runCodecBench)`,
      verilatorFlags: `${VERILATOR_MAKEFLAGS} (testbench/codec-bench.ts)`,
      run: (dir, sim) => runCodecBench(dir, [unit], sim, { seed: p.seed }),
    });
  }
  return cases;
}

export interface SimSpeedRow {
  name: string;
  sim: Simulator;
  ok: boolean;
  compileMs: number;
  runMs: number;
  cycles: number | undefined;
}

export async function simSpeedSection(opts: SectionOptions, p: SimSpeedParams): Promise<string> {
  const out: string[] = [];
  out.push("## Simulation speed\n");
  out.push(
    "Verilator against Icarus Verilog on the same testbench, vectors and stall pattern, one simulation at a time through the testbench's run function. Compile = Icarus `iverilog` / Verilator build including its C++ compile (`-j 2`); run = the simulation process. Cycles are the clock cycles the testbench reports; cycles per second = cycles / run time (process start and vector files included). The machine may be shared: timings are wall-clock.\n",
  );
  const cases = simCases(p);
  const rows: SimSpeedRow[] = [];
  for (const c of cases) {
    for (const sim of [...SIMULATORS].reverse()) {
      opts.log(`simulation speed: ${c.name} in ${sim}`);
      const r = c.run(join(opts.outDir, "work", "simspeed", c.name), sim);
      if (!r.ok) opts.log(r.output.split("\n").slice(0, 20).join("\n"));
      rows.push({
        name: c.name,
        sim,
        ok: r.ok,
        compileMs: r.compileMs,
        runMs: r.runMs,
        cycles: r.cycles,
      });
    }
  }
  const rate = (r: SimSpeedRow): number =>
    r.cycles === undefined || r.runMs <= 0 ? NaN : r.cycles / (r.runMs / 1000);
  out.push(
    mdTable(
      [
        "testbench",
        "simulator",
        "result",
        "compile",
        "run",
        "simulated cycles",
        "cycles/s",
        "Verilator speed-up, run",
        "Verilator speed-up, compile + run",
      ],
      rows.map((r) => {
        const other = rows.find((x) => x.name === r.name && x.sim === "icarus");
        const v = r.sim === "verilator" && other !== undefined;
        return [
          r.name,
          r.sim,
          r.ok ? "pass" : "FAIL",
          secs(r.compileMs),
          secs(r.runMs),
          r.cycles === undefined ? "-" : String(r.cycles),
          si(rate(r)),
          v ? `${(rate(r) / rate(other)).toFixed(1)}x` : "",
          v ? `${((other.compileMs + other.runMs) / (r.compileMs + r.runMs)).toFixed(2)}x` : "",
        ];
      }),
      ["l", "l", "l"],
    ) + "\n",
  );
  out.push("Configurations:\n");
  for (const c of cases)
    out.push(`- ${c.name}: ${c.config}; Verilator C++ optimisation ${c.verilatorFlags}`);
  out.push("");
  const failed = rows.filter((r) => !r.ok);
  if (failed.length > 0)
    out.push(
      `**${failed.length} simulation(s) failed** (${failed.map((r) => `${r.name} ${r.sim}`).join(", ")}); their timings are not meaningful.\n`,
    );
  return out.join("\n");
}
