/** The synthesis report as Markdown (for people) and JSON (for scripts). */
import { relative } from "node:path";
import { DSP_MUL_DEFINE, type SynthReport } from "./flow.ts";
import type { CellCounts } from "./parse.ts";

const pct = (used: number, available: number): string =>
  available === 0 ? "-" : `${Math.round((100 * used) / available)}%`;

/** The utilisation rows worth printing: logic, memories, DSPs, IOs, global buffers. */
const UTIL_ROWS: [string, string][] = [
  ["ICESTORM_LC", "logic cells (LUT4 + flip-flop)"],
  ["ICESTORM_RAM", "block RAMs (4 kbit)"],
  ["ICESTORM_DSP", "DSPs (SB_MAC16)"],
  ["ICESTORM_SPRAM", "SPRAMs (256 kbit)"],
  ["SB_IO", "IO pins"],
  ["SB_GB", "global buffers"],
];

export function markdownReport(r: SynthReport, cwd = process.cwd()): string {
  const out: string[] = [];
  const hasDsp =
    r.block.dsps + r.total.dsps > 0 || (r.utilisation["ICESTORM_DSP"]?.available ?? 0) > 0;
  out.push(
    `## ${r.label}: ${r.top} on ${r.deviceName} (${r.package}), target ${r.freqTargetMhz} MHz\n`,
  );
  const p = Object.entries(r.params);
  if (p.length > 0) out.push(`Parameters: ${p.map(([k, v]) => `${k} = ${v}`).join(", ")}.\n`);
  if (r.harness !== null) {
    out.push(
      `Placed inside the synthesis harness ${r.harness.module} (${r.harness.inBits} input bits from a shift register, ${r.harness.outBits} output bits XOR-reduced to one pin); the block column counts ${r.top} alone.\n`,
    );
  }
  out.push(
    "### Cells after synthesis (Yosys `synth_ice40" +
      (r.dsp ? " -dsp" : "") +
      (r.abc9 ? " -abc9" : "") +
      "`" +
      (r.dsp
        ? `, sources read with \`-D${DSP_MUL_DEFINE}\`: products as \`x * y\` for the DSPs`
        : "") +
      ")\n",
  );
  const cols: [string, CellCounts][] = [[r.top, r.block]];
  if (r.harnessCells !== null) cols.push(["harness", r.harnessCells], ["total", r.total]);
  out.push(`| cells | ${cols.map(([n]) => n).join(" | ")} |`);
  out.push(`|---|${cols.map(() => "---:").join("|")}|`);
  const rows: [string, (c: CellCounts) => number][] = [
    ["LUT4", (c) => c.luts],
    ["carry (SB_CARRY)", (c) => c.carries],
    ["flip-flops (SB_DFF*)", (c) => c.ffs],
    ["block RAMs (SB_RAM40_4K)", (c) => c.brams],
  ];
  if (hasDsp) rows.push(["DSPs (SB_MAC16)", (c) => c.dsps], ["SPRAMs", (c) => c.sprams]);
  for (const [name, f] of rows) out.push(`| ${name} | ${cols.map(([, c]) => f(c)).join(" | ")} |`);
  out.push("");
  out.push("### Placed and routed (nextpnr-ice40, seed " + r.seed + ")\n");
  out.push("| resource | used | available | use |");
  out.push("|---|---:|---:|---:|");
  for (const [key, doc] of UTIL_ROWS) {
    const u = r.utilisation[key];
    if (u === undefined) continue;
    if (key === "ICESTORM_DSP" && !hasDsp) continue;
    if (key === "ICESTORM_SPRAM" && u.used === 0 && !hasDsp) continue;
    out.push(`| ${key}: ${doc} | ${u.used} | ${u.available} | ${pct(u.used, u.available)} |`);
  }
  out.push("");
  out.push(
    "| clock | Fmax (MHz) | target (MHz) | met | critical path: logic + routing | through |",
  );
  out.push("|---|---:|---:|---|---|---|");
  if (r.clocks.length === 0) out.push("| (no clock) | - | - | - | - | - |");
  for (const c of r.clocks) {
    const cp = c.critical;
    out.push(
      `| ${c.name} | ${c.fmaxMhz.toFixed(2)} | ${c.targetMhz} | ${c.pass ? "yes" : "no"} | ` +
        (cp === null
          ? "- | - |"
          : `${cp.logicNs.toFixed(1)} + ${cp.routingNs.toFixed(1)} ns | ${sourceLines(cp.lines)} |`),
    );
  }
  out.push("");
  out.push(
    `${r.tools.yosys}; ${r.tools.nextpnr}. Yosys ${r.seconds.yosys.toFixed(1)} s, nextpnr ${r.seconds.nextpnr.toFixed(1)} s. Logs: ${relative(cwd, r.files.yosysLog)}, ${relative(cwd, r.files.nextpnrLog)}.`,
  );
  return out.join("\n") + "\n";
}

/** "a.v:1", "a.v:5", "b.v:2" -> "a.v lines 1, 5; b.v line 2". */
function sourceLines(lines: readonly string[]): string {
  const byFile = new Map<string, string[]>();
  for (const l of lines) {
    const i = l.lastIndexOf(":");
    const f = l.slice(0, i);
    byFile.set(f, [...(byFile.get(f) ?? []), l.slice(i + 1)]);
  }
  return [...byFile]
    .map(([f, ls]) => `${f} line${ls.length > 1 ? "s" : ""} ${ls.join(", ")}`)
    .join("; ");
}

/** The report as JSON (every figure, the files written, the tool versions). */
export function jsonReport(r: SynthReport): string {
  return JSON.stringify(r, null, 2) + "\n";
}

/** LUT4 cells of the block per multiply-accumulate lane. */
export function lutsPerLane(r: SynthReport, lanes: number): number {
  return r.block.luts / lanes;
}

/** The lowest post-routing Fmax over the block's clocks (undefined without a clock). */
export function fmaxOf(r: SynthReport): number | undefined {
  return r.clocks.length === 0 ? undefined : Math.min(...r.clocks.map((c) => c.fmaxMhz));
}
