/**
 * Benchmarks and reports in one command: where the performance stands. Prints Markdown tables
 * (stdout), writes them with SVG plots into a reports folder, every figure next to the command
 * and configuration that produced it.
 *
 *   npm run bench                      # full version (several minutes)
 *   npm run bench -- --quick           # short version
 *   npm run bench -- --quick --only memory,energy --out build/reports
 *   npm run bench -- --energy-doc      # regenerate docs/energy.md from the energy table
 *
 * Sections (docs/bench.md): compute (scripts/bench/compute.ts), external memory, energy estimate,
 * simulation speed, generator speed.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { GenError } from "../generator/errors.ts";
import { repoPath } from "./bench/common.ts";
import { ENERGY_DOC, SECTIONS, type SectionName, energyDocText, runBench } from "./bench/report.ts";

function parseOnly(s: string): SectionName[] {
  const names = s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
  const bad = names.filter((x) => !(SECTIONS as readonly string[]).includes(x));
  if (bad.length > 0 || names.length === 0)
    throw new Error(
      `--only: unknown section ${bad.join(", ") || "(none)"}; sections: ${SECTIONS.join(", ")}`,
    );
  return names as SectionName[];
}

async function main(argv: string[]): Promise<void> {
  const a = await yargs(argv)
    .scriptName("bench")
    .usage(
      "$0 [options]\n\nBenchmarks and reports: compute, external memory, energy estimate, simulation speed, generator speed. Prints Markdown; writes it and SVG plots into the reports folder.",
    )
    .option("quick", {
      type: "boolean",
      default: false,
      describe: "short version (about two minutes)",
    })
    .option("out", {
      type: "string",
      default: "build/reports",
      describe: "reports folder (bench.md and the SVG plots)",
    })
    .option("only", {
      type: "string",
      describe: `comma-separated sections to run (${SECTIONS.join(", ")})`,
    })
    .option("energy-doc", {
      type: "boolean",
      default: false,
      describe: "write docs/energy.md from the energy table and exit",
    })
    .check((x) => {
      if (x.only !== undefined) parseOnly(x.only);
      return true;
    })
    .example("$0 --quick", "the short version")
    .example("$0 --only memory,energy", "two sections, full size")
    .strict()
    .help()
    .alias("h", "help")
    .parseAsync();

  if (a["energy-doc"]) {
    writeFileSync(ENERGY_DOC, await energyDocText());
    console.log(`wrote ${repoPath(ENERGY_DOC)}`);
    return;
  }
  const only = a.only === undefined ? [...SECTIONS] : parseOnly(a.only);
  const outDir = resolve(a.out);
  const command = [
    "npm run bench --",
    ...(a.quick ? ["--quick"] : []),
    ...(a.only !== undefined ? [`--only ${only.join(",")}`] : []),
    `--out ${repoPath(outDir)}`,
  ].join(" ");
  const report = await runBench({
    quick: a.quick,
    outDir,
    only,
    command,
    log: (s) => process.stderr.write(`${s}\n`),
  });
  console.log(report);
}

main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof GenError) {
    console.error(e.format());
    process.exit(1);
  }
  throw e;
});
