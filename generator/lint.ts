/** Lint of emitted Verilog: verilator --lint-only -Wall, iverilog parse, yosys read. */
import { spawnSync } from "node:child_process";
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

/** Lint each file on its own (one module per file). Returns one result per failing tool, or ok. */
export function lintFiles(files: readonly string[]): LintResult[] {
  requireTool("verilator");
  requireTool("iverilog");
  requireTool("yosys");
  const results: LintResult[] = [];
  for (const file of files) {
    const checks: [string, string, string[]][] = [
      ["verilator -Wall", "verilator", ["--lint-only", "-Wall", file]],
      ["iverilog", "iverilog", ["-g2005", "-Wall", "-o", "/dev/null", file]],
      [
        "yosys",
        "yosys",
        ["-q", "-p", `read_verilog ${file}; hierarchy -auto-top; proc; check -assert`],
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
