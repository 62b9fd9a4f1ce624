/**
 * The FP16 reference PE (bench/fp16_pe/), which the BFP8 area comparison is measured against:
 * lint-clean like the generated RTL, correct on vectors with exact sums in both simulators (so its
 * area is the area of a working PE), able to fail, and synthesizable with the same harness.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { synthesize } from "../../generator/fpga/flow.ts";
import { SIMULATORS } from "../../testbench/sim.ts";
import {
  f32Bits,
  fp16Exact,
  fp16Value,
  FP16_PE_MODULE,
  FP16_PE_RTL,
  genFp16Vectors,
  runFp16Bench,
} from "../../bench/fp16_pe/bench.ts";

const WORK = join(REPO_ROOT, "build", "test-fpga", "fp16-pe");

describe("FP16 number helpers", () => {
  it("encode and decode FP16 as the PE reads it", () => {
    expect(fp16Exact(1, 0)).toBe(0x3c00);
    expect(fp16Exact(-7, 2)).toBe(0xcf00); // -1.75 * 2^4
    expect(fp16Value(0xcf00)).toBe(-28);
    expect(fp16Value(0x7bff)).toBe(65504);
    expect(fp16Value(0x0001)).toBe(0); // subnormals are flushed
    expect(fp16Value(0x7c00)).toBe(65536); // exponent 31 is an ordinary number
    expect(f32Bits(-28)).toBe(0xc1e00000);
    expect(() => f32Bits(1 + 2 ** -30)).toThrow(/not exact/);
  });

  it("vector sums are exact in binary32", () => {
    for (const v of genFp16Vectors(8, 300, 9)) expect(() => f32Bits(v.expected)).not.toThrow();
  });
});

describe("fp16_mac_pe lint", () => {
  it.each([1, 2, 4, 16])("LANES = %i: verilator -Wall, iverilog and yosys are clean", (lanes) => {
    const runs: [string, string[]][] = [
      ["verilator", ["--lint-only", "-Wall", `-GLANES=${lanes}`, FP16_PE_RTL]],
      [
        "iverilog",
        ["-g2005", "-Wall", `-P${FP16_PE_MODULE}.LANES=${lanes}`, "-o", "/dev/null", FP16_PE_RTL],
      ],
      [
        "yosys",
        [
          "-q",
          "-p",
          `read_verilog ${FP16_PE_RTL}; chparam -set LANES ${lanes} ${FP16_PE_MODULE}; hierarchy -top ${FP16_PE_MODULE}; proc; check -assert`,
        ],
      ],
    ];
    for (const [cmd, args] of runs) {
      const r = spawnSync(cmd, args, { encoding: "utf8" });
      expect(`${r.stdout}${r.stderr}`.trim(), cmd).toBe("");
      expect(r.status, cmd).toBe(0);
    }
  });
});

describe.each([1, 8])("fp16_mac_pe with %i lane(s)", (lanes) => {
  it.each(SIMULATORS)("computes exact dot products in %s", (sim) => {
    const r = runFp16Bench(join(WORK, `l${lanes}`), lanes, sim, {
      vectors: 1500,
      seed: 40 + lanes,
    });
    if (!r.ok) console.log(r.output.slice(0, 3000));
    expect(r.ok).toBe(true);
    expect(r.passLine).toMatch(/^PASS 1500 vectors/);
  });
});

describe("the FP16 testbench can fail", () => {
  it.each(SIMULATORS)("reports the mismatch in %s when one expected result is wrong", (sim) => {
    const r = runFp16Bench(join(WORK, "mutant"), 4, sim, {
      vectors: 200,
      seed: 3,
      corruptVector: 77,
    });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/MISMATCH vector 77\b/);
  });
});

describe("fp16_mac_pe synthesis", () => {
  it("places and routes on the HX8K inside the same harness as the BFP8 PE", async () => {
    const r = await synthesize(
      { files: [FP16_PE_RTL], top: FP16_PE_MODULE, params: { LANES: 1 } },
      { device: "hx8k", freqMhz: 12, outDir: join(WORK, "synth-l1"), timeoutMs: 10 * 60_000 },
    );
    expect(r.params).toEqual({ LANES: 1 });
    // 1 + 16 + 16 + 1 + 1 data input bits, 1 + 1 + 32 output bits.
    expect(r.harness?.inBits).toBe(35);
    expect(r.harness?.outBits).toBe(34);
    expect(r.block.luts).toBeGreaterThan(0);
    expect(r.total.luts).toBe(r.block.luts + (r.harnessCells?.luts ?? 0));
    expect(r.clocks.map((c) => c.name)).toEqual(["clk_i"]);
    console.log(
      `[fpga] fp16_mac_pe LANES=1 on HX8K: ${r.block.luts} LUT4, ${r.utilisation["ICESTORM_LC"]?.used} LCs, ${r.clocks[0]?.fmaxMhz} MHz`,
    );
  });
});
