#!/usr/bin/env node
/**
 * Command line: `sparsetrain <command>`. Every command has --help. User mistakes print a short
 * error with a hint, never a stack trace.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { GenError } from "./errors.ts";
import { PRESET_NAMES } from "./dsl/presets.ts";
import { generate, generatePresetDocs, generatePresets, RTL_OUT } from "./generate.ts";
import { writeFiles } from "./emit/emit.ts";
import { loadDescription } from "./load.ts";
import { lintFiles } from "./lint.ts";
import { peModuleOf, runPeBench } from "../testbench/pe-bench.ts";
import { SIMULATORS, type SimResult, type Simulator } from "../testbench/sim.ts";
import { runRegfileBench } from "../testbench/regfile-bench.ts";
import { genCoreJobs, runCoreBench } from "../testbench/core-bench.ts";
import type { Design } from "./elab/elaborate.ts";
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
  if (args.out === undefined && specs === PRESET_NAMES) {
    const written = writeFiles(REPO_ROOT, generatePresetDocs());
    console.log(`register-map pages for the presets:`);
    for (const w of written) console.log(`  ${rel(w)}`);
  }
}

interface SimArgs {
  description: string;
  block: string;
  sim: string;
  vectors: number;
  seed: number;
  waves: boolean;
  out: string;
}

/** A block testbench the `sim` command can run: what it prints and how to run it once. */
interface BlockBench {
  what: string;
  run(dir: string, sim: Simulator): SimResult & { summary: string };
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function blockBench(args: SimArgs, design: Design, files: Map<string, string>): BlockBench {
  const o = { seed: args.seed, waves: args.waves };
  if (args.block === "regfile") {
    const rtl = files.get(`${design.desc.name}_regfile.v`) ?? "";
    return {
      what: `register file: ${args.vectors} random operations`,
      run: (dir, sim) => {
        const r = runRegfileBench(dir, design, rtl, sim, { ...o, ops: args.vectors });
        return { ...r, summary: `${r.passLine ?? ""}` };
      },
    };
  }
  if (args.block === "core") {
    const jobs = genCoreJobs(design, args.vectors, args.seed);
    return {
      what: `compute core: ${jobs.length} jobs (edge cases + random FP/BP/WG tiles)`,
      run: (dir, sim) => {
        const r = runCoreBench(dir, design, files, jobs, sim, o);
        return { ...r, summary: `${r.passLine ?? ""}` };
      },
    };
  }
  const pe = peModuleOf(design.modules);
  const rtl = files.get(pe.file) ?? "";
  return {
    what: `PE: ${args.vectors} random vectors + edge cases`,
    run: (dir, sim) => {
      const r = runPeBench(dir, pe.module, rtl, design.pe, sim, { ...o, vectors: args.vectors });
      return { ...r, summary: `${r.vectors} vectors, ${r.beats} beats, ${r.cycles ?? "?"} cycles` };
    },
  };
}

async function cmdSim(args: SimArgs): Promise<void> {
  const desc = await loadDescription(args.description);
  const { design, files } = generate(desc);
  const bench = blockBench(args, design, files);
  const sims: Simulator[] = args.sim === "both" ? [...SIMULATORS] : [args.sim as Simulator];
  let failed = 0;
  for (const sim of sims) {
    const dir = join(args.out, desc.name, args.block);
    process.stdout.write(`${desc.name} ${bench.what}, in ${sim} ... `);
    const r = bench.run(dir, sim);
    if (r.ok) {
      console.log(`ok (${r.summary}; compile ${secs(r.compileMs)}, run ${secs(r.runMs)})`);
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
  if (!existsSync(args.dir))
    throw new GenError("E_DESC_LOAD", `no such folder: ${args.dir}`, {
      hint: "give the folder that holds the generated .v files (default rtl-out/)",
    });
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
  const docs = generatePresetDocs();
  {
    const stale: string[] = [];
    const check = (root: string, files: Map<string, string>, shown: (p: string) => string) => {
      for (const [relPath, content] of files) {
        let cur: string | undefined;
        try {
          cur = readFileSync(join(root, relPath), "utf8");
        } catch {
          cur = undefined;
        }
        if (cur !== content) stale.push(shown(relPath));
      }
    };
    check(RTL_OUT, fresh, (p) => p);
    check(REPO_ROOT, docs, (p) => p);
    const extra = verilogFiles(RTL_OUT)
      .map((f) => relative(RTL_OUT, f))
      .filter((f) => !fresh.has(f));
    if (stale.length + extra.length > 0) {
      throw new GenError(
        "E_STALE",
        `generated files are stale: ${[...stale, ...extra.map((e) => `${e} (not generated)`)].join(", ")}`,
        { hint: "run `npm run gen` and commit rtl-out/ and docs/registers/" },
      );
    }
    console.log(`rtl-out/ and docs/registers/ are fresh (${fresh.size + docs.size} files)`);
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
      "Run a generated block testbench (PE against the golden model, register file against its reference model) in Icarus and/or Verilator",
      (y) =>
        y
          .positional("description", {
            type: "string",
            default: "tiny",
            describe: "preset name or description file",
          })
          .option("block", {
            choices: ["pe", "regfile", "core"] as const,
            default: "pe" as const,
            describe: "block to simulate",
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
            describe: "random vectors / operations / jobs (edge cases come on top)",
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
          block: a.block,
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
