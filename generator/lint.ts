/** Lint of emitted Verilog: verilator --lint-only -Wall, iverilog parse, yosys read. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
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
    // A file with `ifdef alternatives (the DSP products of the PE) is checked once without its
    // macros and once with each of them defined.
    const macros = new Set(
      Array.from(readFileSync(file, "utf8").matchAll(/`ifn?def\s+(\w+)/g), (m) => m[1] ?? ""),
    );
    const checks: [string, string, string[]][] = [];
    for (const macro of [null, ...macros]) {
      const tag = macro === null ? "" : ` +define+${macro}`;
      const d = macro === null ? "" : ` -D${macro}`;
      const readLibs = libs.map((f) => `read_verilog${d} -lib ${f}; `).join("");
      checks.push(
        [
          `verilator -Wall${tag}`,
          "verilator",
          [
            "--lint-only",
            "-Wall",
            ...(macro === null ? [] : [`+define+${macro}`]),
            "-y",
            dir,
            "--top-module",
            top,
            file,
          ],
        ],
        [
          `iverilog${tag}`,
          "iverilog",
          [
            "-g2005",
            "-Wall",
            ...(macro === null ? [] : [`-D${macro}`]),
            "-y",
            dir,
            "-s",
            top,
            "-o",
            "/dev/null",
            file,
          ],
        ],
        [
          `yosys${tag}`,
          "yosys",
          [
            "-q",
            "-p",
            `${readLibs}read_verilog${d} ${file}; hierarchy -top ${top}; proc; check -assert`,
          ],
        ],
      );
    }
    for (const [name, cmd, args] of checks) {
      const r = run(cmd, args);
      const warn = name.startsWith("iverilog") && /warning/i.test(r.out);
      results.push({ file, tool: name, ok: r.ok && !warn, output: r.out.trim() });
    }
  }
  return results;
}
