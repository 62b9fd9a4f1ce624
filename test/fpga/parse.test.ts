/**
 * The report parsers on captured tool output (test/fpga/fixtures/, made by `npm run synth` and by
 * two runs that do not fit; the nextpnr logs have their "has negative timing budget" lines removed
 * and the Yosys logs start at the final statistics, everything else is as the tools printed it).
 * Where the tools give a second, machine-readable source (nextpnr's --report JSON, the Yosys
 * hierarchy totals and per-module cell totals), the parsed figures are checked against it.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { fitError } from "../../generator/fpga/flow.ts";
import { buildHarness, parsePortlist } from "../../generator/fpga/harness.ts";
import {
  clockName,
  overflows,
  parseNextpnrLog,
  parseYosysStat,
  resourceOfError,
} from "../../generator/fpga/parse.ts";

const FIX = join(REPO_ROOT, "test", "fpga", "fixtures");
const fixture = (name: string): string => readFileSync(join(FIX, name), "utf8");

interface NextpnrJson {
  fmax: Record<string, { achieved: number; constraint: number }>;
  utilization: Record<string, { used: number; available: number }>;
}

/** Cell lines of one "=== name ===" section (or of the design hierarchy) and its "Number of cells". */
function section(log: string, name: string): { cells: Record<string, number>; total: number } {
  const start = log.indexOf(`=== ${name} ===`);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = log.slice(start + name.length + 8).split(/\n=== |\n\d+\.\d+\. /)[0] ?? "";
  const afterCells = body.split(/Number of cells:\s+(\d+)\n/);
  const total = Number(afterCells[1]);
  const cells: Record<string, number> = {};
  for (const m of (afterCells[2] ?? "").matchAll(/^\s+(\S+)\s+(\d+)$/gm)) {
    cells[m[1] ?? ""] = Number(m[2]);
  }
  return { cells, total };
}

describe("Yosys statistics", () => {
  for (const dev of ["hx8k", "up5k"]) {
    it(`reads the tiny PE in its harness on ${dev}: block, harness and hierarchy totals agree`, () => {
      const log = fixture(`tiny-pe-${dev}.yosys.log`);
      const stat = parseYosysStat(log);
      const pe = "tiny_bfp8_dot_pe";
      const h = "tiny_bfp8_dot_pe_synth_harness";
      expect([...stat.modules.keys()].sort()).toEqual([pe, h]);
      expect(stat.children(h)).toEqual({ [pe]: 1 });
      const block = stat.expand(pe);
      const own = stat.own(h);
      const total = stat.expand(h);
      // The printed per-module sections and the design-hierarchy totals, read independently.
      const peSec = section(log, pe);
      const hier = section(log, "design hierarchy");
      expect(block.cells).toEqual(peSec.cells);
      expect(Object.values(block.cells).reduce((s, n) => s + n, 0)).toBe(peSec.total);
      expect(total.cells).toEqual(hier.cells);
      expect(total.luts).toBe(block.luts + own.luts);
      expect(total.ffs).toBe(block.ffs + own.ffs);
      expect(block.luts).toBe(peSec.cells["SB_LUT4"]);
      expect(block.carries).toBe(peSec.cells["SB_CARRY"]);
      expect(block.ffs).toBe((peSec.cells["SB_DFFER"] ?? 0) + (peSec.cells["SB_DFFR"] ?? 0));
      expect(block.luts).toBeGreaterThan(100);
      // The harness: one flip-flop per input bit of the tiny PE (52) plus the output parity.
      expect(own.ffs).toBe(53);
      expect(block.dsps).toBe(dev === "up5k" ? 2 : 0);
      expect(block.brams).toBe(0);
    });
  }

  it("reads a parameterised block ($paramod names)", () => {
    const log = fixture("fp16-l2-hx8k.yosys.log");
    const stat = parseYosysStat(log);
    const h = "fp16_mac_pe_synth_harness";
    const kids = Object.keys(stat.children(h));
    expect(kids).toHaveLength(1);
    expect(kids[0]).toMatch(/^\$paramod\\fp16_mac_pe\\LANES=/);
    const block = stat.expand(kids[0] ?? "");
    expect(block.luts).toBe(section(log, kids[0] ?? "").cells["SB_LUT4"]);
    expect(stat.expand(h).cells).toEqual(section(log, "design hierarchy").cells);
  });

  it("fails clearly on a log without statistics", () => {
    expect(() => parseYosysStat("1.1. Executing PROC pass\n")).toThrow(/no statistics/);
  });
});

describe("nextpnr log", () => {
  for (const dev of ["hx8k", "up5k"]) {
    it(`tiny PE on ${dev}: utilisation and Fmax equal nextpnr's JSON report`, () => {
      const log = parseNextpnrLog(fixture(`tiny-pe-${dev}.nextpnr.log`));
      const json = JSON.parse(fixture(`tiny-pe-${dev}.nextpnr-report.json`)) as NextpnrJson;
      expect(log.routed).toBe(true);
      expect(log.finished).toBe(true);
      expect(log.errors).toEqual([]);
      expect(log.utilisation).toEqual(json.utilization);
      // Design clocks only: a DSP's constant clock pin is not a clock of the design.
      const designClocks = Object.entries(json.fmax).filter(([n]) => !n.startsWith("$PACKER"));
      expect(log.clocks.map((c) => c.net)).toEqual(designClocks.map(([n]) => n));
      for (const [net, f] of designClocks) {
        const c = log.clocks.find((x) => x.net === net);
        expect(c?.name).toBe("clk_i");
        expect(Math.abs((c?.fmaxMhz ?? 0) - f.achieved)).toBeLessThan(0.006);
        expect(c?.targetMhz).toBe(f.constraint);
        expect(c?.pass).toBe(f.achieved >= f.constraint);
        // The critical path runs through the PE's source lines.
        expect(c?.critical?.lines.some((l) => l.startsWith("tiny_bfp8_dot_pe.v:"))).toBe(true);
        expect((c?.critical?.logicNs ?? 0) + (c?.critical?.routingNs ?? 0)).toBeCloseTo(
          1000 / f.achieved,
          0,
        );
      }
      const lc = log.utilisation["ICESTORM_LC"];
      expect(lc?.used).toBeGreaterThan(0);
      expect(log.packing["LCs used as LUT4 only"]).toBeGreaterThan(0);
      expect(overflows(log.utilisation)).toEqual([]);
    });
  }

  it("a block with more multipliers than the UP5K has DSPs: ICESTORM_DSP named with counts", () => {
    const log = parseNextpnrLog(fixture("pe16-up5k-dsp-overflow.nextpnr.log"));
    expect(log.routed).toBe(false);
    expect(overflows(log.utilisation)).toEqual([["ICESTORM_DSP", { used: 16, available: 8 }]]);
    expect(resourceOfError(log.errors)).toBe("ICESTORM_DSP");
    const e = fitError("pe16", "iCE40UP5K", overflows(log.utilisation), log.errors, "x.log");
    expect(e.code).toBe("E_TOOL_FAIL");
    expect(e.field).toBe("ICESTORM_DSP");
    expect(e.message).toBe("pe16 does not fit the iCE40UP5K: ICESTORM_DSP: 16 needed, 8 available");
  });

  it("a block larger than the HX1K: ICESTORM_LC named with counts", () => {
    const log = parseNextpnrLog(fixture("pe8-hx1k-lc-overflow.nextpnr.log"));
    const over = overflows(log.utilisation);
    expect(over).toEqual([["ICESTORM_LC", { used: 2803, available: 1280 }]]);
    expect(resourceOfError(log.errors)).toBe("ICESTORM_LC");
    const e = fitError("pe8", "iCE40HX1K", over, log.errors, "x.log");
    expect(e.resource).toBe("ICESTORM_LC");
    expect(e.message).toMatch(/ICESTORM_LC: 2803 needed, 1280 available/);
    // Without a utilisation row (an error after packing), the error line names the resource.
    expect(fitError("pe8", "iCE40HX1K", [], log.errors, "x.log").field).toBe("ICESTORM_LC");
  });

  it("strips buffer suffixes from clock nets", () => {
    expect(clockName("clk_i$SB_IO_IN_$glb_clk")).toBe("clk_i");
    expect(clockName("clk_i$SB_IO_IN")).toBe("clk_i");
    expect(clockName("u_pll.clk_o_$glb_clk")).toBe("u_pll.clk_o");
  });
});

describe("synthesis harness", () => {
  const ports = parsePortlist(fixture("tiny-pe.ports.txt"), "tiny_bfp8_dot_pe");

  it("reads Yosys' portlist", () => {
    expect(ports).toHaveLength(15);
    expect(ports.find((p) => p.name === "in_a_i")).toEqual({
      dir: "input",
      name: "in_a_i",
      width: 16,
    });
    expect(ports.find((p) => p.name === "out_acc_o")?.width).toBe(24);
  });

  it("feeds every data input from the shift register and observes every output", () => {
    const h = buildHarness("tiny_bfp8_dot_pe", ports, {});
    const dataIn = ports.filter((p) => p.dir === "input" && !/^(clk_i|rst_ni)$/.test(p.name));
    const outs = ports.filter((p) => p.dir === "output");
    expect(h.inBits).toBe(dataIn.reduce((s, p) => s + p.width, 0));
    expect(h.outBits).toBe(outs.reduce((s, p) => s + p.width, 0));
    expect(h.pins).toEqual(["clk_i", "rst_ni", "din_i", "dout_o"]);
    for (const p of ports) expect(h.verilog).toMatch(new RegExp(`\\.${p.name}\\(`));
    expect(h.verilog).toContain("(* keep_hierarchy *)");
    expect(h.verilog).toContain(`shift_q <= {shift_q[${h.inBits - 2}:0], din_i};`);
  });

  it("passes parameters and handles a one-bit input", () => {
    const h = buildHarness(
      "m",
      [
        { dir: "input", name: "clk_i", width: 1 },
        { dir: "input", name: "x_i", width: 1 },
        { dir: "output", name: "y_o", width: 3 },
      ],
      { LANES: 4, W: 8 },
    );
    expect(h.verilog).toMatch(/m #\(\s*\.LANES\(4\),\s*\.W\(8\)\s*\) u_dut/);
    expect(h.verilog).toContain("shift_q <= din_i;");
    expect(h.pins).toEqual(["clk_i", "din_i", "dout_o"]);
  });

  it("rejects inout ports and blocks without outputs", () => {
    expect(() => buildHarness("m", [{ dir: "inout", name: "pad_io", width: 1 }], {})).toThrow(
      /inout/,
    );
    expect(() => buildHarness("m", [{ dir: "input", name: "a_i", width: 4 }], {})).toThrow(
      /no outputs/,
    );
  });
});
