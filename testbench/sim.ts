/**
 * Simulator harness: compiles and runs a testbench in Icarus Verilog or Verilator, in a work
 * folder that holds the testbench's data files, and reports what it printed and how long it took.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GenError } from "../generator/errors.ts";

export type Simulator = "icarus" | "verilator";
export const SIMULATORS: readonly Simulator[] = ["icarus", "verilator"];

export interface SimJob {
  /** Work folder: data files the testbench reads, build products, waveforms. */
  dir: string;
  /** Top module name. */
  top: string;
  /** Verilog/SystemVerilog sources (absolute paths). */
  sources: string[];
  /** Dump a VCD (wave.vcd in dir). The testbench must honour +vcd. */
  waves?: boolean;
  /** Wall-clock limit for the run, ms. */
  timeoutMs?: number;
}

export interface SimResult {
  sim: Simulator;
  ok: boolean;
  /** The PASS line, when the testbench printed one. */
  passLine: string | undefined;
  output: string;
  compileMs: number;
  runMs: number;
}

const INSTALL_HINT =
  "install the EDA tools: `sudo bash scripts/setup-eda.sh` (Debian: apt-get install verilator iverilog yosys nextpnr-ice40 fpga-icestorm)";

/** Path of a tool on PATH, or a GenError saying how to install it. */
export function requireTool(tool: string): string {
  const r = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
  const path = r.stdout.trim();
  if (r.status !== 0 || path === "") {
    throw new GenError("E_TOOL_MISSING", `${tool} is not installed or not on PATH`, {
      hint: INSTALL_HINT,
    });
  }
  return path;
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): { status: number | null; out: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  return {
    status: r.error !== undefined ? null : r.status,
    out: r.error ? `${out}\n${String(r.error)}` : out,
    ms: performance.now() - t0,
  };
}

function judge(
  sim: Simulator,
  compile: { status: number | null; out: string; ms: number },
  exec: { status: number | null; out: string; ms: number } | undefined,
): SimResult {
  if (exec === undefined) {
    return {
      sim,
      ok: false,
      passLine: undefined,
      output: compile.out,
      compileMs: compile.ms,
      runMs: 0,
    };
  }
  const lines = exec.out.split("\n");
  const passLine = lines.find((l) => l.startsWith("PASS"));
  const failed = lines.some((l) => /MISMATCH|PROTOCOL ERROR|TIMEOUT|FATAL|\$fatal|ERROR/i.test(l));
  return {
    sim,
    ok: exec.status === 0 && passLine !== undefined && !failed,
    passLine,
    output: exec.out,
    compileMs: compile.ms,
    runMs: exec.ms,
  };
}

/** The build product a simulation runs: Icarus' compiled design or Verilator's executable. */
function builtExe(job: SimJob, sim: Simulator): string {
  return sim === "icarus" ? join(job.dir, "sim.vvp") : join(job.dir, "obj_dir", `V${job.top}`);
}

/**
 * Compile and run a testbench. With `cache`, a build of the same key in the same folder (a
 * `build.key` file beside it) is run again without compiling: runs that only change the data
 * files the testbench reads cost no compile. The key must cover everything the build depends on
 * (sources, flags, tool version); the folder is stamped only after a build that ran.
 */
export function runSim(job: SimJob, sim: Simulator, cache?: { key: string }): SimResult {
  const stamp = join(job.dir, "build.key");
  const exe = builtExe(job, sim);
  if (cache !== undefined) {
    if (existsSync(exe) && existsSync(stamp) && readFileSync(stamp, "utf8") === cache.key) {
      const timeout = job.timeoutMs ?? 20 * 60_000;
      const { cmd, args } = simCommand(job, sim);
      return judge(sim, { status: 0, out: "", ms: 0 }, run(cmd, args, job.dir, timeout));
    }
    rmSync(stamp, { force: true });
  }
  const res = compileAndRun(job, sim);
  if (cache !== undefined && existsSync(exe) && res.runMs > 0) writeFileSync(stamp, cache.key);
  return res;
}

/** The command that runs a built simulation (in job.dir). */
export function simCommand(job: SimJob, sim: Simulator): { cmd: string; args: string[] } {
  const plus = job.waves ? ["+vcd"] : [];
  return sim === "icarus"
    ? { cmd: requireTool("vvp"), args: ["-n", "sim.vvp", ...plus] }
    : { cmd: builtExe(job, sim), args: plus };
}

function compile(
  job: SimJob,
  sim: Simulator,
): { status: number | null; out: string; ms: number; built: boolean } {
  const timeout = job.timeoutMs ?? 20 * 60_000;
  mkdirSync(job.dir, { recursive: true });
  if (sim === "icarus") {
    requireTool("iverilog");
    requireTool("vvp");
    const c = run(
      "iverilog",
      ["-g2012", "-Wall", "-o", "sim.vvp", "-s", job.top, ...job.sources],
      job.dir,
      timeout,
    );
    return { ...c, built: c.status === 0 };
  }
  requireTool("verilator");
  const mdir = join(job.dir, "obj_dir");
  const args = [
    "--binary",
    "--timing",
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
    "--top-module",
    job.top,
    "-Mdir",
    mdir,
    "-j",
    "2",
    "-CFLAGS",
    "-O1",
    ...(job.waves ? ["--trace"] : []),
    ...job.sources,
  ];
  const c = run("verilator", args, job.dir, timeout);
  return { ...c, built: c.status === 0 && existsSync(builtExe(job, sim)) };
}

/**
 * Build a testbench without running it (for a simulation another process drives), reusing a
 * build of the same key like runSim. Returns the compiler's output when the build fails.
 */
export function buildSim(
  job: SimJob,
  sim: Simulator,
  cache: { key: string },
): { ok: boolean; output: string; compileMs: number } {
  const stamp = join(job.dir, "build.key");
  if (
    existsSync(builtExe(job, sim)) &&
    existsSync(stamp) &&
    readFileSync(stamp, "utf8") === cache.key
  )
    return { ok: true, output: "", compileMs: 0 };
  rmSync(stamp, { force: true });
  const c = compile(job, sim);
  if (c.built) writeFileSync(stamp, cache.key);
  return { ok: c.built, output: c.out, compileMs: c.ms };
}

function compileAndRun(job: SimJob, sim: Simulator): SimResult {
  const timeout = job.timeoutMs ?? 20 * 60_000;
  const c = compile(job, sim);
  if (!c.built) return judge(sim, c, undefined);
  const { cmd, args } = simCommand(job, sim);
  return judge(sim, c, run(cmd, args, job.dir, timeout));
}
