/**
 * The synthesis harness (templates/synth_harness.v.hbs): a wrapper that gives any block four or
 * so pins, so a block with hundreds of IO bits can be placed and routed on an iCE40 with honest
 * cell counts. The block's ports are read from the Verilog by Yosys (`portlist`), so the harness
 * works for generated modules and hand-written reference designs alike.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GenError } from "../errors.ts";
import { banner, renderRtl } from "../emit/render.ts";
import { runTool, tail } from "./run.ts";

export type PortDir = "input" | "output" | "inout";

export interface Port {
  dir: PortDir;
  name: string;
  width: number;
}

/** A Verilog parameter override for the block (e.g. LANES of a parameterised design). */
export type ParamValues = Readonly<Record<string, number>>;

/** Clock inputs: clk_i, clk_<name>_i (the project's naming rule). */
export const isClockPort = (p: Port): boolean =>
  p.dir === "input" && p.width === 1 && /^clk(_\w+)?_i$/.test(p.name);
/** Active-low reset inputs: rst_ni, rst_<name>_ni. */
export const isResetPort = (p: Port): boolean =>
  p.dir === "input" && p.width === 1 && /^rst(_\w+)?_ni$/.test(p.name);

/** Parse the output of Yosys' `portlist` for module `top` (lines "input [7:0] name"). */
export function parsePortlist(text: string, top: string): Port[] {
  const ports: Port[] = [];
  for (const line of text.split("\n")) {
    const m = /^(input|output|inout) \[(\d+):(\d+)\] (\S+)\s*$/.exec(line.trim());
    if (m === null) continue;
    const [, dir, msb, lsb, name] = m;
    ports.push({
      dir: dir as PortDir,
      name: (name ?? "").replace(/^\\/, ""),
      width: Math.abs(Number(msb) - Number(lsb)) + 1,
    });
  }
  if (ports.length === 0) {
    throw new GenError("E_TOOL_FAIL", `yosys listed no ports for module ${top}`, {
      hint: "check that the module exists in the given files and has ports",
    });
  }
  return ports;
}

/** A path as a Yosys script argument (double-quoted, so folders with spaces work). */
export function quote(path: string): string {
  if (/["\n]/.test(path)) {
    throw new GenError("E_TOOL_FAIL", `cannot pass the path ${path} to Yosys`, {
      hint: "use paths without double quotes or newlines",
    });
  }
  return `"${path}"`;
}

/** Yosys script fragment that reads the sources and sets the parameters of `top`. */
export function readScript(files: readonly string[], top: string, params: ParamValues): string {
  const reads = files.map((f) => `read_verilog ${quote(f)}`);
  const sets = Object.entries(params).map(([k, v]) => `chparam -set ${k} ${v} ${top}`);
  return [...reads, ...sets, `hierarchy -check -top ${top}`].join("; ");
}

/** The ports of `top`, read by Yosys from the sources (parameters applied). */
export async function discoverPorts(
  files: readonly string[],
  top: string,
  params: ParamValues,
  workDir: string,
  timeoutMs = 120_000,
): Promise<Port[]> {
  const out = join(workDir, "ports.txt");
  // Output files are named relative to the work folder (Yosys' tee takes no quoted paths).
  const script = `${readScript(files, top, params)}; tee -q -o ports.txt portlist`;
  const r = await runTool("yosys", ["-q", "-p", script], { cwd: workDir, timeoutMs });
  if (r.status !== 0) {
    throw new GenError("E_TOOL_FAIL", `yosys could not read module ${top}:\n${tail(r.output)}`, {
      hint: "the top module name must match a module in the given Verilog files",
      field: "top",
    });
  }
  return parsePortlist(readFileSync(out, "utf8"), top);
}

export interface Harness {
  /** Harness module name. */
  module: string;
  /** The harness Verilog. */
  verilog: string;
  /** Data input bits fed by the shift register. */
  inBits: number;
  /** Output bits XOR-reduced into dout_o. */
  outBits: number;
  /** The harness's pins. */
  pins: string[];
}

/** Build the harness around `dut` with the given ports. */
export function buildHarness(dut: string, ports: readonly Port[], params: ParamValues): Harness {
  const inout = ports.find((p) => p.dir === "inout");
  if (inout !== undefined) {
    throw new GenError("E_TOOL_FAIL", `${dut} has an inout port (${inout.name})`, {
      hint: "the synthesis harness drives inputs and observes outputs only; synthesize a wrapper",
    });
  }
  const clocks = ports.filter(isClockPort);
  const resets = ports.filter(isResetPort);
  const data = ports.filter((p) => p.dir === "input" && !isClockPort(p) && !isResetPort(p));
  const outs = ports.filter((p) => p.dir === "output");
  if (outs.length === 0) {
    throw new GenError(
      "E_TOOL_FAIL",
      `${dut} has no outputs: nothing of it would survive synthesis`,
    );
  }
  const clock = clocks[0]?.name ?? "clk_i";
  const pinList: { decl: string; doc: string }[] = [];
  if (clocks.length === 0) pinList.push({ decl: "input  wire clk_i", doc: "harness clock" });
  for (const c of clocks) pinList.push({ decl: `input  wire ${c.name}`, doc: `clock of ${dut}` });
  for (const r of resets) pinList.push({ decl: `input  wire ${r.name}`, doc: `reset of ${dut}` });
  const inBits = data.reduce((s, p) => s + p.width, 0);
  const outBits = outs.reduce((s, p) => s + p.width, 0);
  if (inBits > 0) pinList.push({ decl: "input  wire din_i", doc: "serial data for the inputs" });
  pinList.push({ decl: "output wire dout_o", doc: "parity of every output bit" });

  const conns: { port: string; expr: string }[] = [];
  let lo = 0;
  let olo = 0;
  for (const p of ports) {
    if (isClockPort(p) || isResetPort(p)) {
      conns.push({ port: p.name, expr: p.name });
    } else if (p.dir === "input") {
      conns.push({
        port: p.name,
        expr: p.width === 1 ? `shift_q[${lo}]` : `shift_q[${lo + p.width - 1}:${lo}]`,
      });
      lo += p.width;
    } else {
      conns.push({
        port: p.name,
        expr: p.width === 1 ? `observe_w[${olo}]` : `observe_w[${olo + p.width - 1}:${olo}]`,
      });
      olo += p.width;
    }
  }
  const sep = <T extends object>(xs: T[]): (T & { sep: string })[] =>
    xs.map((x, i) => ({ ...x, sep: i + 1 < xs.length ? "," : "" }));
  const module = `${dut}_synth_harness`;
  const verilog = renderRtl("synth_harness.v.hbs", {
    banner: banner(`${module}: synthesis harness for ${dut}`, "the FPGA flow (generator/fpga)"),
    module,
    dut,
    clock,
    inW: inBits,
    outW: outBits,
    shiftNext: inBits === 1 ? "din_i" : `{shift_q[${inBits - 2}:0], din_i}`,
    pins: sep(pinList),
    params: sep(Object.entries(params).map(([name, value]) => ({ name, value }))),
    conns: sep(conns),
  });
  return {
    module,
    verilog,
    inBits,
    outBits,
    pins: pinList.map((p) => p.decl.split(/\s+/).pop() ?? ""),
  };
}

/** Write the harness next to the other sources and return its path. */
export function writeHarness(h: Harness, dir: string): string {
  const path = join(dir, `${h.module}.v`);
  writeFileSync(path, h.verilog);
  return path;
}
