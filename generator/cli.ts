#!/usr/bin/env node
/**
 * Command line: `sparsetrain <command>`. Every command has --help. User mistakes print a short
 * error with a hint, never a stack trace.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { GenError } from "./errors.ts";
import { PRESET_NAMES } from "./dsl/presets.ts";
import { generate, generatePresets, RTL_OUT } from "./generate.ts";
import { writeFiles } from "./emit/emit.ts";
import { loadDescription } from "./load.ts";
import { lintFiles } from "./lint.ts";
import { peModuleOf, runPeBench } from "../testbench/pe-bench.ts";
import { SIMULATORS, type Simulator } from "../testbench/sim.ts";
import { REPO_ROOT } from "./emit/render.ts";

function rel(p: string): string {
  return relative(process.cwd(), p) || ".";
}

async function cmdGen(args: {
  description: string[];
  out: string | undefined;
  all: boolean;
}): Promise<void> {
  const specs = args.all || args.description.length === 0 ? PRESET_NAMES : args.description;
  for (const spec of specs) {
    const desc = await loadDescription(spec);
    const { design, files } = generate(desc);
    const dir =
      args.out !== undefined && specs.length === 1
        ? args.out
        : join(args.out ?? RTL_OUT, desc.name);
    const written = writeFiles(dir, files);
    console.log(
      `${desc.name}: ${design.modules.length} module(s), ${written.length} file(s) in ${rel(dir)}`,
    );
    for (const w of written) console.log(`  ${rel(w)}`);
  }
}

async function cmdSim(args: {
  description: string;
  sim: string;
  vectors: number;
  seed: number;
  waves: boolean;
  out: string;
}): Promise<void> {
  const desc = await loadDescription(args.description);
  const { design, files } = generate(desc);
  const pe = peModuleOf(design.modules);
  const rtl = files.get(pe.file) ?? "";
  const sims: Simulator[] = args.sim === "both" ? [...SIMULATORS] : [args.sim as Simulator];
  let failed = 0;
  for (const sim of sims) {
    const dir = join(args.out, desc.name, "pe");
    process.stdout.write(
      `${desc.name} PE in ${sim}: ${args.vectors} random vectors + edge cases ... `,
    );
    const r = runPeBench(dir, pe.module, rtl, design.pe, sim, {
      vectors: args.vectors,
      seed: args.seed,
      waves: args.waves,
    });
    if (r.ok) {
      console.log(
        `ok (${r.vectors} vectors, ${r.beats} beats, ${r.cycles ?? "?"} cycles; compile ${(r.compileMs / 1000).toFixed(1)} s, run ${(r.runMs / 1000).toFixed(1)} s)`,
      );
    } else {
      failed++;
      console.log("FAILED");
      console.log(r.output.split("\n").slice(0, 40).join("\n"));
    }
    if (args.waves) console.log(`  waveform: ${rel(join(dir, sim, "wave.vcd"))}`);
  }
  if (failed > 0)
    throw new GenError("E_SIM_FAIL", `${failed} simulation(s) failed`, {
      hint: "the first mismatch is printed above",
    });
}

function verilogFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...verilogFiles(p));
    else if (e.name.endsWith(".v")) out.push(p);
  }
  return out.sort();
}

function cmdLintRtl(args: { dir: string }): void {
  const files = verilogFiles(args.dir);
  const results = lintFiles(files);
  let bad = 0;
  for (const r of results) {
    if (!r.ok) {
      bad++;
      console.log(`${rel(r.file)}: ${r.tool} failed\n${r.output}`);
    }
  }
  console.log(
    `lint-rtl: ${files.length} file(s), verilator -Wall / iverilog / yosys: ${bad === 0 ? "clean" : `${bad} problem(s)`}`,
  );
  if (bad > 0) throw new GenError("E_TOOL_FAIL", `${bad} lint problem(s) in ${rel(args.dir)}`);
}

function cmdCheckFresh(): void {
  const fresh = generatePresets();
  {
    const stale: string[] = [];
    for (const [relPath, content] of fresh) {
      let cur: string | undefined;
      try {
        cur = readFileSync(join(RTL_OUT, relPath), "utf8");
      } catch {
        cur = undefined;
      }
      if (cur !== content) stale.push(relPath);
    }
    const extra = verilogFiles(RTL_OUT)
      .map((f) => relative(RTL_OUT, f))
      .filter((f) => !fresh.has(f));
    if (stale.length + extra.length > 0) {
      throw new GenError(
        "E_STALE",
        `rtl-out/ is stale: ${[...stale, ...extra.map((e) => `${e} (not generated)`)].join(", ")}`,
        { hint: "run `npm run gen` and commit rtl-out/" },
      );
    }
    console.log(`rtl-out/ is fresh (${fresh.size} files)`);
  }
}

export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName("sparsetrain")
    .usage(
      "$0 <command> [options]\n\nGenerator for a sparsity-scaling BFP8 DNN training processor.",
    )
    .command(
      "gen [description..]",
      "Elaborate descriptions and emit Verilog (default: every shipped preset into rtl-out/<name>/)",
      (y) =>
        y
          .positional("description", {
            type: "string",
            array: true,
            default: [] as string[],
            describe: `preset name (${PRESET_NAMES.join(", ")}) or path to a .ts file exporting a description`,
          })
          .option("out", {
            alias: "o",
            type: "string",
            describe: "output folder (one description: files go here; several: <out>/<name>/)",
          })
          .option("all", { type: "boolean", default: false, describe: "every shipped preset" })
          .example("$0 gen", "all presets into rtl-out/")
          .example("$0 gen tiny -o build/tiny", "the tiny preset into build/tiny")
          .example("$0 gen ./my-accel.ts -o out", "a description of your own"),
      async (a) => cmdGen({ description: a.description, out: a.out, all: a.all }),
    )
    .command(
      "sim [description]",
      "Run the generated PE testbench against the golden model in Icarus and/or Verilator",
      (y) =>
        y
          .positional("description", {
            type: "string",
            default: "tiny",
            describe: "preset name or description file",
          })
          .option("sim", {
            choices: ["icarus", "verilator", "both"] as const,
            default: "both" as const,
            describe: "simulator",
          })
          .option("vectors", {
            alias: "n",
            type: "number",
            default: 10000,
            describe: "random vectors (edge cases come on top)",
          })
          .option("seed", { type: "number", default: 1, describe: "random seed" })
          .option("waves", { type: "boolean", default: false, describe: "dump wave.vcd" })
          .option("out", {
            type: "string",
            default: join(REPO_ROOT, "build", "sim"),
            describe: "work folder",
          }),
      async (a) =>
        cmdSim({
          description: a.description,
          sim: a.sim,
          vectors: a.vectors,
          seed: a.seed,
          waves: a.waves,
          out: a.out,
        }),
    )
    .command(
      "lint-rtl [dir]",
      "verilator --lint-only -Wall, iverilog and yosys over every .v file in a folder",
      (y) => y.positional("dir", { type: "string", default: RTL_OUT, describe: "folder to lint" }),
      (a) => cmdLintRtl({ dir: a.dir }),
    )
    .command(
      "check-fresh",
      "Fail if rtl-out/ differs from what the generator emits now",
      (y) => y,
      () => cmdCheckFresh(),
    )
    .command(
      "presets",
      "List the shipped presets",
      (y) => y,
      () => {
        for (const n of PRESET_NAMES) console.log(n);
      },
    )
    .demandCommand(1, "give a command (see --help)")
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .fail((msg, err, y) => {
      if (err) throw err;
      console.error(y.help().toString());
      console.error(`\n${msg}`);
      process.exit(2);
    })
    .parseAsync();
}

main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof GenError) {
    console.error(e.format());
    process.exit(1);
  }
  throw e;
});
