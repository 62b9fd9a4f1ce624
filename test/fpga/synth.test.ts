/**
 * The FPGA flow end to end, bounded for CI: the tiny preset's PE and output stage on the
 * iCE40UP5K (the iCEBreaker's part) and its whole compute core on the iCE40HX8K (and its top
 * level once it fits) synthesize, fit, place, route and pack into a bitstream; the figures in
 * the report are the tools' own (checked against the Yosys netlist and nextpnr's JSON report); a
 * block too large for the part fails with the resource named; the synthesis harness is
 * lint-clean; a missing tool gives the install hint.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { elaborate, peParams } from "../../generator/elab/elaborate.ts";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { GenError } from "../../generator/errors.ts";
import {
  chooseModule,
  DSP_MUL_DEFINE,
  dspMapping,
  FitError,
  readVerilogCommand,
  synthesize,
  synthesizeDesign,
  type SynthReport,
} from "../../generator/fpga/flow.ts";
import { jsonReport, markdownReport } from "../../generator/fpga/report.ts";
import { presetDescription } from "../../generator/load.ts";
import { renderPe } from "../../testbench/pe-bench.ts";

const WORK = join(REPO_ROOT, "build", "test-fpga");
const LIMIT = 10 * 60_000;

interface YosysJson {
  modules: Record<string, { cells: Record<string, { type: string }> }>;
}
interface NextpnrJson {
  fmax: Record<string, { achieved: number; constraint: number }>;
  utilization: Record<string, { used: number; available: number }>;
}

/** Cells of each type in one module of the Yosys JSON netlist: an independent count. */
function netlistCells(path: string, module: string): Record<string, number> {
  const j = JSON.parse(readFileSync(path, "utf8")) as YosysJson;
  const m = j.modules[module];
  expect(m, `module ${module} in ${path}`).toBeDefined();
  const out: Record<string, number> = {};
  for (const c of Object.values(m?.cells ?? {})) out[c.type] = (out[c.type] ?? 0) + 1;
  return out;
}

function writePe(dir: string, name: string, k: number, lanes: number, acc: number): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.v`);
  writeFileSync(file, renderPe(name, peParams(k, lanes, acc), "test/fpga/synth.test.ts"));
  return file;
}

const tiny = elaborate(presetDescription("tiny"));
// The tiny preset's top level does not fit an iCE40 yet (docs/fpga-tiny-top.md), so the
// fit-and-route check of its own RTL runs on blocks of it: the PE and the serial output stage on
// the UP5K, and the compute core (MAC units, buffers, schedule and output stage;
// docs/fpga-tiny-blocks.md) on the HX8K. The whole processor cut down to fit the HX8K, in its
// board wrapper, is test/fpga/board-fit.test.ts.
const blocks: [role: string, device: "up5k" | "hx8k", freqMhz: number, part: string][] = [
  ["pe", "up5k", 12, "iCE40UP5K"],
  ["requant", "up5k", 12, "iCE40UP5K"],
  ["core", "hx8k", 40, "iCE40HX8K"],
];

describe.each(blocks)("the tiny preset's %s on the %s", (role, device, freqMhz, part) => {
  it("synthesizes, fits, routes and packs; the report holds the tools' figures", async () => {
    const progress: string[] = [];
    const r: SynthReport = await synthesizeDesign(
      tiny,
      { role },
      {
        device,
        freqMhz,
        outDir: join(WORK, `tiny-${role}-${device}`),
        bitstream: true,
        timeoutMs: LIMIT,
        onProgress: (m) => progress.push(m),
      },
    );
    const m = chooseModule(tiny, { role });
    expect(r.top).toBe(m.module);
    expect(r.deviceName).toBe(part);
    // Yosys: the block's cells equal a count of the netlist's cells of that module.
    const cells = netlistCells(r.files.netlist, m.module);
    expect(r.block.luts).toBe(cells["SB_LUT4"] ?? 0);
    expect(r.block.carries).toBe(cells["SB_CARRY"] ?? 0);
    expect(r.block.dsps).toBe(cells["SB_MAC16"] ?? 0);
    expect(r.block.ffs).toBe(
      Object.entries(cells)
        .filter(([t]) => t.startsWith("SB_DFF"))
        .reduce((s, [, n]) => s + n, 0),
    );
    expect(r.block.luts).toBeGreaterThan(0);
    expect(r.total.luts).toBe(r.block.luts + (r.harnessCells?.luts ?? 0));
    // nextpnr: fits, and the log figures equal its JSON report.
    const json = JSON.parse(readFileSync(r.files.nextpnrReport, "utf8")) as NextpnrJson;
    expect(r.utilisation).toEqual(json.utilization);
    const lc = r.utilisation["ICESTORM_LC"];
    expect(lc).toBeDefined();
    expect(lc?.used).toBeGreaterThanOrEqual(r.total.luts > 0 ? 1 : 0);
    expect(lc?.used).toBeLessThanOrEqual(lc?.available ?? 0);
    expect(r.clocks.map((c) => c.name)).toContain("clk_i");
    for (const c of r.clocks) {
      expect(Math.abs(c.fmaxMhz - (json.fmax[c.net]?.achieved ?? -1))).toBeLessThan(0.006);
    }
    // A bitstream: icepack turned the routed design into a binary image.
    expect(r.files.bitstream).not.toBeNull();
    expect(statSync(r.files.bitstream ?? "").size).toBeGreaterThan(100_000);
    // Progress was reported while the tools ran.
    expect(progress.some((p) => p.startsWith("yosys: LUT mapping (abc9)"))).toBe(true);
    expect(progress.some((p) => /^nextpnr: routing \d+ arcs/.test(p))).toBe(true);
    // The Markdown and JSON reports carry the same figures.
    const md = markdownReport(r);
    expect(md).toContain(`| LUT4 | ${r.block.luts} |`);
    expect(md).toContain(`| ${lc?.used} | ${lc?.available} |`);
    const back = JSON.parse(jsonReport(r)) as SynthReport;
    expect(back.block).toEqual(r.block);
    expect(back.clocks).toEqual(r.clocks);
    console.log(
      `[fpga] tiny ${role} on ${part}: ${r.block.luts} LUT4, ${r.block.dsps} DSP, ${lc?.used}/${lc?.available} LCs, ` +
        r.clocks.map((c) => `${c.name} ${c.fmaxMhz} MHz`).join(", ") +
        `; yosys ${r.seconds.yosys.toFixed(1)} s, nextpnr ${r.seconds.nextpnr.toFixed(1)} s`,
    );
  });
});

describe("a block that does not fit", () => {
  it("16 multipliers on the UP5K's 8 DSPs: FitError naming ICESTORM_DSP", async () => {
    const dir = join(WORK, "too-many-dsps");
    const file = writePe(dir, "big_dsp_pe", 32, 16, 32);
    const err = await synthesize(
      { files: [file], top: "big_dsp_pe" },
      { device: "up5k", freqMhz: 12, outDir: dir, timeoutMs: LIMIT },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FitError);
    const e = err as FitError;
    expect(e.code).toBe("E_TOOL_FAIL");
    expect(e.field).toBe("ICESTORM_DSP");
    expect(e.message).toMatch(/does not fit the iCE40UP5K: ICESTORM_DSP: 16 needed, 8 available/);
    expect(e.block?.dsps).toBe(16);
  });

  it("a PE larger than the HX1K: FitError naming ICESTORM_LC with the counts", async () => {
    const dir = join(WORK, "too-many-lcs");
    const file = writePe(dir, "big_lc_pe", 8, 8, 32);
    const err = await synthesize(
      { files: [file], top: "big_lc_pe" },
      { device: "hx1k", freqMhz: 12, outDir: dir, timeoutMs: LIMIT },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FitError);
    const e = err as FitError;
    expect(e.field).toBe("ICESTORM_LC");
    const m = /ICESTORM_LC: (\d+) needed, 1280 available/.exec(e.message);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThan(1280);
    expect(e.hint).toMatch(/smaller configuration/);
  });
});

describe("the synthesis harness and the flow's errors", () => {
  it("the harness around the tiny PE is lint-clean (verilator -Wall, iverilog, yosys)", async () => {
    const dir = join(WORK, "harness-lint");
    const pe = writePe(dir, "lint_pe", 8, 2, 24);
    const { discoverPorts, buildHarness, writeHarness } =
      await import("../../generator/fpga/harness.ts");
    const h = buildHarness("lint_pe", await discoverPorts([pe], "lint_pe", {}, dir), {});
    const hf = writeHarness(h, dir);
    const runs: [string, string[]][] = [
      ["verilator", ["--lint-only", "-Wall", "--top-module", h.module, hf, pe]],
      ["iverilog", ["-g2005", "-Wall", "-o", "/dev/null", "-s", h.module, hf, pe]],
      [
        "yosys",
        ["-q", "-p", `read_verilog ${hf} ${pe}; hierarchy -top ${h.module}; proc; check -assert`],
      ],
    ];
    for (const [cmd, args] of runs) {
      const r = spawnSync(cmd, args, { encoding: "utf8" });
      expect(`${r.stdout}${r.stderr}`.trim(), cmd).toBe("");
      expect(r.status, cmd).toBe(0);
    }
  });

  it("chooses the top level, else the PE; names the roles when asked for a missing one", () => {
    const expected = tiny.modules.some((m) => m.role === "top") ? "top" : "pe";
    expect(chooseModule(tiny).role).toBe(expected);
    expect(chooseModule(tiny, { top: "tiny_bfp8_dot_pe" }).role).toBe("pe");
    let err: unknown;
    try {
      chooseModule(tiny, { role: "no_such_role" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GenError);
    expect((err as GenError).message).toMatch(/no module with role "no_such_role"/);
    expect((err as GenError).hint).toMatch(/pe \(tiny_bfp8_dot_pe\)/);
  });

  it("maps products to DSPs only on a part that has them, reading the sources with the DSP define", () => {
    expect(dspMapping("up5k", undefined)).toBe(true);
    expect(dspMapping("up5k", false)).toBe(false);
    expect(dspMapping("hx8k", undefined)).toBe(false);
    expect(() => dspMapping("hx8k", true)).toThrow(/iCE40HX8K has no DSPs/);
    expect(readVerilogCommand("/a/b.v", { dsp: true })).toBe(
      `read_verilog -D${DSP_MUL_DEFINE} "/a/b.v"`,
    );
    expect(readVerilogCommand("/a/b.v", { dsp: false })).toBe(`read_verilog "/a/b.v"`);
    // The generated MAC units carry both product forms under that define.
    const mac = readFileSync(join(REPO_ROOT, "rtl-out", "tiny", "tiny_core_mac.v"), "utf8");
    expect(mac).toContain(`\`ifdef ${DSP_MUL_DEFINE}`);
  });

  it("a missing tool is E_TOOL_MISSING with the install hint", async () => {
    const bin = mkdtempSync(join(tmpdir(), "no-eda-"));
    symlinkSync("/bin/sh", join(bin, "sh"));
    const path = process.env["PATH"];
    process.env["PATH"] = bin;
    let err: unknown;
    try {
      await synthesize(
        {
          files: [join(REPO_ROOT, "rtl-out", "tiny", "tiny_bfp8_dot_pe.v")],
          top: "tiny_bfp8_dot_pe",
        },
        { device: "up5k", freqMhz: 12, outDir: join(WORK, "no-tools") },
      );
    } catch (e) {
      err = e;
    } finally {
      process.env["PATH"] = path;
    }
    expect(err).toBeInstanceOf(GenError);
    expect((err as GenError).code).toBe("E_TOOL_MISSING");
    expect((err as GenError).message).toMatch(/yosys is not installed/);
    expect((err as GenError).hint).toMatch(/setup-eda/);
    expect(existsSync(join(WORK, "no-tools", "synth.json"))).toBe(false);
  });
});

describe("npm run synth", () => {
  const script = (args: string[]) =>
    spawnSync(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "scripts", "synth.ts"), ...args],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );

  it("prints the JSON report of the tiny preset on the UP5K and writes report.md", () => {
    const out = join(WORK, "script-up5k");
    const r = script([
      "--preset",
      "tiny",
      "--module",
      "pe",
      "--device",
      "up5k",
      "--freq",
      "12",
      "--json",
      "--out",
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as SynthReport;
    expect(rep.deviceName).toBe("iCE40UP5K");
    expect(rep.block.luts).toBe(netlistCells(join(out, "synth.json"), rep.top)["SB_LUT4"]);
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain(`| LUT4 | ${rep.block.luts} |`);
    // Progress went to stderr while the tools ran.
    expect(r.stderr).toMatch(/synth: nextpnr: routing \d+ arcs/);
  });

  it("rejects a bad flag with the usage text, and an unknown role with the design's roles", () => {
    const bad = script(["--device", "xc7"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Invalid values/);
    const role = script(["--preset", "tiny", "--module", "nosuch"]);
    expect(role.status).toBe(1);
    expect(role.stderr).toMatch(
      /error\[E_DESC_FIELD\]: design "tiny" has no module with role "nosuch"/,
    );
    expect(role.stderr).toMatch(/hint: modules: pe \(tiny_bfp8_dot_pe\)/);
  });
});
