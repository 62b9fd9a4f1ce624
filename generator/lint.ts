/** Lint of emitted Verilog: verilator --lint-only -Wall, iverilog parse, yosys read. */
import { spawnSync } from "node:child_process";
import { basename, dirname } from "node:path";
import { requireTool } from "../testbench/sim.ts";

export interface LintResult {
  file: string;
  tool: string;
  ok: boolean;
  output: string;
}

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/**
 * Lint each file (one module per file, named as the module) with the other files of the list as
 * its library, so the modules it instantiates resolve; in Yosys those are read as black boxes.
 * Returns one result per file and tool.
 */
export function lintFiles(files: readonly string[]): LintResult[] {
  requireTool("verilator");
  requireTool("iverilog");
  requireTool("yosys");
  const results: LintResult[] = [];
  for (const file of files) {
    const dir = dirname(file);
    const top = basename(file, ".v");
    const libs = files.filter((f) => f !== file && dirname(f) === dir);
    const readLibs = libs.map((f) => `read_verilog -lib ${f}; `).join("");
    const checks: [string, string, string[]][] = [
      [
        "verilator -Wall",
        "verilator",
        ["--lint-only", "-Wall", "-y", dir, "--top-module", top, file],
      ],
      ["iverilog", "iverilog", ["-g2005", "-Wall", "-y", dir, "-s", top, "-o", "/dev/null", file]],
      [
        "yosys",
        "yosys",
        ["-q", "-p", `${readLibs}read_verilog ${file}; hierarchy -top ${top}; proc; check -assert`],
      ],
    ];
    for (const [name, cmd, args] of checks) {
      const r = run(cmd, args);
      const warn = name === "iverilog" && /warning/i.test(r.out);
      results.push({ file, tool: name, ok: r.ok && !warn, output: r.out.trim() });
    }
  }
  return results;
}
