/** The generated AXI4-Lite register file against its reference model, in both simulators. */
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "../../generator/generate.ts";
import { presetDescription } from "../../generator/load.ts";
import { PRESET_NAMES } from "../../generator/dsl/presets.ts";
import type { ResolvedDescription } from "../../generator/dsl/description.ts";
import { SIMULATORS } from "../../testbench/sim.ts";
import { runRegfileBench } from "../../testbench/regfile-bench.ts";
import { CUSTOM } from "../fixtures/descriptions.ts";

const work = mkdtempSync(join(tmpdir(), "regfile-sim-"));

function bench(desc: ResolvedDescription, sim: (typeof SIMULATORS)[number], corrupt?: number) {
  const { design, files } = generate(desc);
  const rtl = files.get(`${desc.name}_regfile.v`) ?? "";
  return runRegfileBench(join(work, desc.name), design, rtl, sim, {
    ops: 2000,
    seed: 0x5eed + desc.name.length,
    ...(corrupt === undefined ? {} : { corruptRead: corrupt }),
  });
}

describe("register file", () => {
  const descs: ResolvedDescription[] = [...PRESET_NAMES.map(presetDescription), CUSTOM];
  for (const d of descs)
    for (const sim of SIMULATORS)
      it(`${d.name} in ${sim}`, () => {
        const r = bench(d, sim);
        expect(r.ok, r.output.slice(0, 2000)).toBe(true);
        expect(r.passLine).toMatch(/^PASS \d+ operations/);
      });

  it("fails when an expected read value is wrong (both simulators)", () => {
    for (const sim of SIMULATORS) {
      const r = bench(presetDescription("tiny"), sim, 17);
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/MISMATCH op \d+: rdata/);
    }
  });
});
