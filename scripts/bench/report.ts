/**
 * The whole report of `npm run bench` (scripts/bench.ts is its command line): the header that
 * says how and where it was made, then the selected sections in order, written to
 * <outDir>/bench.md.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import { join } from "node:path";
import * as prettier from "prettier";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { type ComputeParams, computeParams, computeSection } from "./compute.ts";
import { type SectionOptions, repoPath, secs } from "./common.ts";
import { energyDoc, energySection, savedRuns } from "./energy.ts";
import { type GenSpeedParams, genSpeedParams, genSpeedSection } from "./genspeed.ts";
import { type MemoryParams, memoryParams, memorySection } from "./memory.ts";
import { type SimSpeedParams, simSpeedParams, simSpeedSection } from "./simspeed.ts";
import {
  type TrainingData,
  type TrainingParams,
  runTrainingData,
  trainingParams,
} from "./training.ts";

export const SECTIONS = ["compute", "memory", "energy", "sim", "gen"] as const;
export type SectionName = (typeof SECTIONS)[number];

export const ENERGY_DOC = join(REPO_ROOT, "docs", "energy.md");

/** docs/energy.md as the generator writes it (Prettier-formatted). */
export async function energyDocText(): Promise<string> {
  const options = (await prettier.resolveConfig(ENERGY_DOC)) ?? {};
  return prettier.format(energyDoc(), { ...options, filepath: ENERGY_DOC });
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** The report's header: how it was made and on what. */
export function headerLines(command: string): string[] {
  const dirty = git(["status", "--porcelain", "--untracked-files=no"]) !== "";
  const cpu = cpus();
  return [
    "# Benchmarks and reports",
    "",
    `command: \`${command}\``,
    "",
    `- commit ${git(["rev-parse", "--short", "HEAD"])}${dirty ? " with uncommitted changes" : ""}, ${new Date().toISOString()}`,
    `- ${platform()} ${release()}, ${cpu.length} x ${cpu[0]?.model ?? "cpu"}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" / ")} at start, Node ${process.version}`,
    "",
  ];
}

export interface BenchOptions {
  quick: boolean;
  outDir: string;
  only: readonly SectionName[];
  log: (s: string) => void;
  command: string;
  /** Sizes other than the quick / full ones (tests). */
  params?: Partial<BenchParams>;
}

export interface BenchParams {
  compute: ComputeParams;
  training: TrainingParams;
  memory: MemoryParams;
  sim: SimSpeedParams;
  gen: GenSpeedParams;
}

export function benchParams(quick: boolean): BenchParams {
  return {
    compute: computeParams(quick),
    training: trainingParams(quick),
    memory: memoryParams(quick),
    sim: simSpeedParams(quick),
    gen: genSpeedParams(quick),
  };
}

/** Run the selected sections; returns the whole report (Markdown). */
export async function runBench(o: BenchOptions): Promise<string> {
  const t0 = performance.now();
  mkdirSync(o.outDir, { recursive: true });
  const opts: SectionOptions = { quick: o.quick, outDir: o.outDir, log: o.log };
  const p: BenchParams = { ...benchParams(o.quick), ...o.params };
  const want = (s: SectionName): boolean => o.only.includes(s);
  const done = new Map<SectionName, string>();
  const times: string[] = [];
  const section = async (name: SectionName, f: () => Promise<string>): Promise<void> => {
    if (!want(name)) return;
    const ts = performance.now();
    done.set(name, await f());
    times.push(`${name} ${secs(performance.now() - ts)}`);
  };
  const header = headerLines(o.command).join("\n");
  let data: TrainingData | undefined;
  const training = (): TrainingData => {
    if (data === undefined) {
      o.log("training runs (golden-model numerics, fast backend)");
      const ts = performance.now();
      data = runTrainingData(opts, p.training);
      times.push(`training runs ${secs(performance.now() - ts)}`);
    }
    return data;
  };
  // The compute section runs first. Generator speed runs before the simulations, which
  // generate RTL and so would warm the template cache of its first pass; the report keeps
  // the order of SECTIONS.
  await section("compute", () => computeSection(opts, p.compute));
  if (want("memory") || want("energy")) training();
  await section("memory", () => memorySection(opts, p.memory, training()));
  await section("energy", () => energySection(opts, training(), savedRuns()));
  await section("gen", () => genSpeedSection(opts, p.gen));
  await section("sim", () => simSpeedSection(opts, p.sim));
  const parts: string[] = [header];
  for (const name of SECTIONS) {
    const text = done.get(name);
    if (text !== undefined) parts.push(text);
  }
  parts.push(
    `---\n\nSection times: ${times.join(", ")}; total ${secs(performance.now() - t0)}. Report: \`${repoPath(join(o.outDir, "bench.md"))}\`.\n`,
  );
  const report = parts.join("\n");
  writeFileSync(join(o.outDir, "bench.md"), report);
  return report;
}
