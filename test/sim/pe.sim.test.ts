/**
 * The PE against the golden model in both simulators: every distinct PE of the shipped presets
 * (tiny_hx8k's is tiny's: same numerics and lanes, so it is not run twice) and two edge
 * configurations (minimal accumulator width so saturation is reached; one lane so a block takes
 * many beats), 10,000 random vectors plus edge cases each in Verilator and 4,000 in Icarus (the
 * slower simulator: 10,000 vectors of the large PE take it about 100 s), random stalls on both
 * sides; and the tiny PE's `x * y` product form that the FPGA flow uses on a part with DSPs.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { PRESET_NAMES } from "../../generator/dsl/presets.ts";
import { generate } from "../../generator/generate.ts";
import { presetDescription } from "../../generator/load.ts";
import { elaborate, peParams, type PeParams } from "../../generator/elab/elaborate.ts";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { DSP_MUL_DEFINE } from "../../generator/fpga/flow.ts";
import { peModuleOf, renderPe, runPeBench } from "../../testbench/pe-bench.ts";
import { SIMULATORS } from "../../testbench/sim.ts";

const WORK = join(REPO_ROOT, "build", "test-sim");
const VECTORS = 10_000;
const ICARUS_VECTORS = 4_000;
const vectorsIn = (sim: string): number => (sim === "icarus" ? ICARUS_VECTORS : VECTORS);

function report(
  name: string,
  r: { sim: string; vectors: number; cycles: number | undefined; compileMs: number; runMs: number },
): void {
  console.log(
    `[pe-sim] ${name} ${r.sim}: ${r.vectors} vectors, ${r.cycles} cycles, compile ${(r.compileMs / 1000).toFixed(1)} s, run ${(r.runMs / 1000).toFixed(1)} s`,
  );
}

/** The presets whose PE parameters no earlier preset has. */
const PE_PRESETS = ((): string[] => {
  const seen = new Set<string>();
  return PRESET_NAMES.filter((p) => {
    const key = JSON.stringify(elaborate(presetDescription(p)).pe);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
})();

describe.each(PE_PRESETS)("PE of preset %s", (preset) => {
  const { design, files } = generate(presetDescription(preset));
  const pe = peModuleOf(design.modules);
  it.each(SIMULATORS)("matches the golden model in %s", (sim) => {
    const r = runPeBench(join(WORK, preset), pe.module, files.get(pe.file) ?? "", design.pe, sim, {
      vectors: vectorsIn(sim),
      seed: 1000 + preset.length,
    });
    if (!r.ok) console.log(r.output.slice(0, 4000));
    expect(r.ok).toBe(true);
    expect(r.vectors).toBeGreaterThanOrEqual(vectorsIn(sim));
    report(preset, r);
  });
});

const EDGE: [string, PeParams, number][] = [
  ["k8-lanes8-acc18", peParams(8, 8, 18), VECTORS],
  ["k32-lanes1-acc20", peParams(32, 1, 20), 2_000],
];

describe.each(EDGE)("PE edge configuration %s", (name, pe, vectors) => {
  const rtl = renderPe(`edge_${name.replaceAll("-", "_")}_pe`, pe, "test/sim/pe.sim.test.ts");
  it.each(SIMULATORS)("matches the golden model in %s", (sim) => {
    const r = runPeBench(join(WORK, name), `edge_${name.replaceAll("-", "_")}_pe`, rtl, pe, sim, {
      vectors,
      seed: 77,
      validPct: 50,
      readyPct: 40,
    });
    if (!r.ok) console.log(r.output.slice(0, 4000));
    expect(r.ok).toBe(true);
    report(name, r);
  });
});

// The form the FPGA flow reads for a part with DSPs (products as `x * y`, DSP_MUL_DEFINE in
// generator/fpga/flow.ts) against the same model: the tiny PE with the macro defined in its file.
describe("the tiny PE's DSP product form", () => {
  const { design, files } = generate(presetDescription("tiny"));
  const pe = peModuleOf(design.modules);
  const rtl = `\`define ${DSP_MUL_DEFINE}\n${files.get(pe.file) ?? ""}`;
  it.each(SIMULATORS)("matches the golden model in %s", (sim) => {
    const r = runPeBench(join(WORK, "tiny-dsp"), pe.module, rtl, design.pe, sim, {
      vectors: 3_000,
      seed: 31,
    });
    if (!r.ok) console.log(r.output.slice(0, 4000));
    expect(r.ok).toBe(true);
    report("tiny-dsp", r);
  });
});

describe("the PE testbench can fail", () => {
  const { design, files } = generate(presetDescription("tiny"));
  const pe = peModuleOf(design.modules);
  it.each(SIMULATORS)(
    "reports the first mismatch in %s when one expected result is wrong",
    (sim) => {
      const r = runPeBench(
        join(WORK, "mutant"),
        pe.module,
        files.get(pe.file) ?? "",
        design.pe,
        sim,
        { vectors: 300, seed: 5, corruptVector: 123 },
      );
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/MISMATCH vector 123\b/);
    },
  );
});
