/**
 * Running an EDA tool for the FPGA flow: asynchronously, line by line (so the flow can print
 * progress while a long place-and-route runs), with a wall-clock limit.
 */
import { spawn } from "node:child_process";
import { GenError } from "../errors.ts";
import { requireTool } from "../../testbench/sim.ts";

export interface ToolRun {
  /** Exit status; null when the tool was killed (time limit). */
  status: number | null;
  /** stdout and stderr, interleaved in arrival order. */
  output: string;
  seconds: number;
  timedOut: boolean;
}

export interface ToolOptions {
  cwd: string;
  /** Wall-clock limit; the tool is killed when it is reached. */
  timeoutMs: number;
  /** Called with every complete output line as it arrives. */
  onLine?: (line: string) => void;
}

/** Run `cmd args` to completion. Throws E_TOOL_MISSING when the tool is not installed. */
export function runTool(cmd: string, args: readonly string[], o: ToolOptions): Promise<ToolRun> {
  requireTool(cmd);
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: string[] = [];
    const pending = { stdout: "", stderr: "" };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, o.timeoutMs);
    const feed = (which: "stdout" | "stderr", data: Buffer): void => {
      const text = data.toString("utf8");
      chunks.push(text);
      if (o.onLine === undefined) return;
      const lines = (pending[which] + text).split("\n");
      pending[which] = lines.pop() ?? "";
      for (const l of lines) o.onLine(l.replace(/\r$/, ""));
    };
    child.stdout.on("data", (d: Buffer) => feed("stdout", d));
    child.stderr.on("data", (d: Buffer) => feed("stderr", d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new GenError("E_TOOL_FAIL", `could not start ${cmd}: ${e.message}`));
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      for (const rest of [pending.stdout, pending.stderr]) if (rest !== "") o.onLine?.(rest);
      resolvePromise({
        status: timedOut ? null : status,
        output: chunks.join(""),
        seconds: (performance.now() - t0) / 1000,
        timedOut,
      });
    });
  });
}

/** The last `n` lines of a log, for error messages. */
export function tail(text: string, n = 25): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}
