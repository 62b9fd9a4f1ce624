/**
 * The FPGA flow: Verilog -> Yosys `synth_ice40` -> nextpnr-ice40 (-> icepack) -> a typed report.
 *
 * The block to synthesize is a parameter: a module of an elaborated Design (by role or name) or
 * any list of Verilog files with a top module. By default the block is wrapped in the synthesis
 * harness (harness.ts), so blocks with more IO bits than the part has pins still place and route,
 * and the report gives the block's own cell counts apart from the harness's. A board wrapper
 * with real pins is synthesized with `harness: false` and a PCF file instead.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { type Design, DSP_MUL_DEFINE, type ModuleInstance } from "../elab/elaborate.ts";
import { emitRtl, type FileSet, writeFiles } from "../emit/emit.ts";
import { GenError } from "../errors.ts";
import { DEVICES, type DeviceName } from "./devices.ts";
import { buildHarness, discoverPorts, type ParamValues, quote, writeHarness } from "./harness.ts";
import {
  type CellCounts,
  type ClockTiming,
  countsOf,
  overflows,
  parseNextpnrLog,
  parseYosysStat,
  resourceOfError,
  type Utilisation,
} from "./parse.ts";
import { runTool, tail } from "./run.ts";

export interface SynthSource {
  /** Verilog files (paths; made absolute). */
  files: readonly string[];
  /** Top module of the block. */
  top: string;
  /** Parameter overrides of the top module. */
  params?: ParamValues;
  /** Name of the block in reports (default: the top module). */
  label?: string;
}

export interface SynthOptions {
  device: DeviceName;
  /** Target clock frequency for nextpnr's timing-driven placement and the PASS/FAIL verdict. */
  freqMhz: number;
  /** Work folder: sources, netlist, logs, bitstream, report. */
  outDir: string;
  /** nextpnr placement seed (results vary a little with it). Default 1. */
  seed?: number;
  /** Wrap the block in the synthesis harness (default true). */
  harness?: boolean;
  /** Pin constraints for a block with real pins (implies no harness). */
  pcf?: string;
  /** Also write a bitstream with icepack. */
  bitstream?: boolean;
  /** Map multipliers to SB_MAC16 (default: when the part has DSPs). */
  dsp?: boolean;
  /**
   * Map logic to LUTs with Yosys' ABC9 flow (`synth_ice40 -abc9`, default true), which sees
   * through flip-flops and carry chains; false uses the classic ABC mapping.
   */
  abc9?: boolean;
  /** Progress messages while the tools run. */
  onProgress?: (message: string) => void;
  /** Wall-clock limit per tool run (default 60 min). */
  timeoutMs?: number;
}

export interface SynthReport {
  /** Block name in reports. */
  label: string;
  /** The block's top module. */
  top: string;
  params: Record<string, number>;
  device: DeviceName;
  deviceName: string;
  package: string;
  freqTargetMhz: number;
  seed: number;
  dsp: boolean;
  /** Yosys mapped with `-abc9`. */
  abc9: boolean;
  /** The harness around the block, or null when the block was placed with its own pins. */
  harness: { module: string; inBits: number; outBits: number; pins: string[] } | null;
  /** Yosys cells of the block (submodules included, harness excluded). */
  block: CellCounts;
  /** Yosys cells of the harness alone, or null. */
  harnessCells: CellCounts | null;
  /** Every Yosys cell that went to place and route. */
  total: CellCounts;
  /** nextpnr device utilisation (block + harness): resource -> used / available. */
  utilisation: Record<string, Utilisation>;
  /** nextpnr logic-cell packing summary. */
  packing: Record<string, number>;
  /** Post-routing maximum frequency per clock. */
  clocks: ClockTiming[];
  /** Every clock meets the target frequency. */
  timingMet: boolean;
  tools: { yosys: string; nextpnr: string };
  seconds: { yosys: number; nextpnr: number; icepack: number | null };
  files: {
    sources: string[];
    harness: string | null;
    netlist: string;
    asc: string;
    bitstream: string | null;
    yosysLog: string;
    nextpnrLog: string;
    /** nextpnr's own JSON report (utilisation, Fmax, critical paths). */
    nextpnrReport: string;
  };
}

/** Yosys passes worth a progress line, in the order synth_ice40 reaches them. */
export const YOSYS_PHASES: [RegExp, string][] = [
  [/Executing Verilog-2005 frontend/, "reading sources"],
  [/Executing PROC pass/, "elaborating processes"],
  [/Executing FLATTEN pass/, "flattening"],
  [/Executing WREDUCE pass/, "coarse synthesis"],
  [/Executing ICE40_DSP pass/, "mapping multipliers to DSPs"],
  [/Executing ALUMACC pass/, "arithmetic"],
  [/Executing MEMORY_LIBMAP pass/, "mapping memories"],
  [/Executing ICE40_WRAPCARRY pass/, "mapping to iCE40 cells"],
  [/Executing ABC pass/, "LUT mapping (abc)"],
  [/Executing ABC9 pass/, "LUT mapping (abc9)"],
  [/Executing OPT_LUT pass/, "LUT optimisation"],
  [/Printing statistics/, "statistics"],
];

const NEXTPNR_PHASES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/Info: Packing constants/, () => "packing"],
  [/Creating initial analytic placement for (\d+) cells/, (m) => `placing ${m[1]} cells`],
  [/Running simulated annealing placer/, () => "refining placement"],
  [/Info: Routing (\d+) arcs/, (m) => `routing ${m[1]} arcs`],
  [/Info: Routing complete/, () => "routed"],
];

/** Forward tool output to progress messages: one per phase, and a heartbeat when it is slow. */
export function progressTracker(
  tool: string,
  phases: [RegExp, (m: RegExpExecArray) => string][],
  report: (msg: string) => void,
): { onLine: (l: string) => void; stop: () => void } {
  const t0 = performance.now();
  let reached = -1;
  let phase = "starting";
  const secs = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const beat = setInterval(() => report(`${tool}: still ${phase} (${secs()})`), 30_000);
  return {
    onLine: (line) => {
      // Phases are reported in order, each once: a pass that recurs later (opt, techmap) does
      // not move the progress back.
      for (let i = reached + 1; i < phases.length; i++) {
        const [re, msg] = phases[i] ?? [/$^/, () => ""];
        const m = re.exec(line);
        if (m !== null) {
          reached = i;
          phase = msg(m);
          report(`${tool}: ${phase} (${secs()})`);
          break;
        }
      }
    },
    stop: () => clearInterval(beat),
  };
}

async function toolVersion(cmd: string, arg: string, cwd: string): Promise<string> {
  const r = await runTool(cmd, [arg], { cwd, timeoutMs: 30_000 });
  return r.output.trim().split("\n")[0] ?? cmd;
}

/** The define that selects the PEs' `x * y` products for the DSPs (set in elaboration). */
export { DSP_MUL_DEFINE };

/** The Yosys `read_verilog` command for one source file of the flow or the area breakdown. */
export function readVerilogCommand(file: string, o: { dsp: boolean }): string {
  return `read_verilog${o.dsp ? ` -D${DSP_MUL_DEFINE}` : ""} ${quote(file)}`;
}

/** Whether to map products to DSPs: `dsp` if given (only on a part that has them), else when it has. */
export function dspMapping(device: DeviceName, dsp: boolean | undefined): boolean {
  const dev = DEVICES[device];
  if (dsp === true && dev.dsps === 0) {
    throw new GenError("E_OPTION", `the ${dev.name} has no DSPs to map multipliers to`, {
      hint: "drop --dsp, or choose a part with SB_MAC16 blocks (--device up5k)",
    });
  }
  return dsp ?? dev.dsps > 0;
}

/** The Yosys `synth_ice40` command the flow and the area breakdown run. */
export function synthIce40Command(
  top: string,
  o: { dsp: boolean; abc9: boolean; noflatten?: boolean },
): string {
  return (
    `synth_ice40 -top ${top}` +
    (o.noflatten === true ? " -noflatten" : "") +
    (o.dsp ? " -dsp" : "") +
    (o.abc9 ? " -abc9" : "")
  );
}

/** Synthesize, place and route a block; throws a GenError naming the resource when it does not fit. */
export async function synthesize(src: SynthSource, o: SynthOptions): Promise<SynthReport> {
  const dev = DEVICES[o.device];
  const out = resolve(o.outDir);
  mkdirSync(out, { recursive: true });
  const say = o.onProgress ?? (() => {});
  const timeoutMs = o.timeoutMs ?? 60 * 60_000;
  const seed = o.seed ?? 1;
  const dsp = dspMapping(o.device, o.dsp);
  const abc9 = o.abc9 ?? true;
  const params = { ...(src.params ?? {}) };
  const files = src.files.map((f) => resolve(f));
  const useHarness = (o.harness ?? true) && o.pcf === undefined;
  const label = src.label ?? src.top;

  let harness: SynthReport["harness"] = null;
  let harnessFile: string | null = null;
  let synthTop = src.top;
  if (useHarness) {
    const ports = await discoverPorts(files, src.top, params, out, timeoutMs);
    const h = buildHarness(src.top, ports, params);
    harnessFile = writeHarness(h, out);
    harness = { module: h.module, inBits: h.inBits, outBits: h.outBits, pins: h.pins };
    synthTop = h.module;
  }
  say(
    `${label} (${src.top}) on ${dev.name} ${dev.package}, target ${o.freqMhz} MHz` +
      (harness === null
        ? ", own pins"
        : `, harness: ${harness.inBits} input bits from din_i, ${harness.outBits} output bits to dout_o`),
  );

  // ---- Yosys
  const netlist = join(out, "synth.json");
  const yosysLog = join(out, "yosys.log");
  const reads = [...files, ...(harnessFile === null ? [] : [harnessFile])].map((f) =>
    readVerilogCommand(f, { dsp }),
  );
  const chparams =
    harness === null
      ? Object.entries(params).map(([k, v]) => `chparam -set ${k} ${v} ${src.top}`)
      : [];
  const script = [
    ...reads,
    ...chparams,
    `${synthIce40Command(synthTop, { dsp, abc9 })} -json synth.json`,
  ].join("; ");
  const yTrack = progressTracker(
    "yosys",
    YOSYS_PHASES.map(([re, s]) => [re, () => s]),
    say,
  );
  const y = await runTool("yosys", ["-l", yosysLog, "-p", script], {
    cwd: out,
    timeoutMs,
    onLine: yTrack.onLine,
  });
  yTrack.stop();
  if (y.status !== 0) {
    throw new GenError(
      "E_TOOL_FAIL",
      y.timedOut
        ? `yosys did not finish within ${timeoutMs / 1000} s`
        : `yosys failed on ${src.top}:\n${tail(y.output)}`,
      { hint: `full log: ${shown(yosysLog)}` },
    );
  }
  const stat = parseYosysStat(readFileSync(yosysLog, "utf8"));
  const total = stat.expand(synthTop);
  const harnessCells = harness === null ? null : stat.own(synthTop);
  const block = harnessCells === null ? total : subtract(total, harnessCells);
  say(
    `yosys done in ${y.seconds.toFixed(1)} s: ${block.luts} LUT4, ${block.carries} carry, ${block.ffs} flip-flops, ${block.brams} RAM, ${block.dsps} DSP in ${src.top}` +
      (harnessCells === null
        ? ""
        : ` (harness: ${harnessCells.luts} LUT4, ${harnessCells.ffs} flip-flops)`),
  );

  // ---- nextpnr
  const asc = join(out, "out.asc");
  const nextpnrLog = join(out, "nextpnr.log");
  const nextpnrReport = join(out, "nextpnr-report.json");
  const args = [
    `--${dev.flag}`,
    "--package",
    dev.package,
    "--json",
    netlist,
    "--asc",
    asc,
    "--freq",
    String(o.freqMhz),
    "--seed",
    String(seed),
    "--timing-allow-fail",
    "-l",
    nextpnrLog,
    "--report",
    nextpnrReport,
    ...(o.pcf === undefined ? ["--pcf-allow-unconstrained"] : ["--pcf", resolve(o.pcf)]),
  ];
  const nTrack = progressTracker("nextpnr", NEXTPNR_PHASES, say);
  const n = await runTool("nextpnr-ice40", args, { cwd: out, timeoutMs, onLine: nTrack.onLine });
  nTrack.stop();
  const pnr = parseNextpnrLog(n.output);
  const over = overflows(pnr.utilisation);
  if (over.length > 0 || (n.status !== 0 && resourceOfError(pnr.errors) !== undefined)) {
    const e = fitError(label, dev.name, over, pnr.errors, shown(nextpnrLog));
    e.block = block;
    throw e;
  }
  if (n.status !== 0 || !pnr.routed) {
    throw new GenError(
      "E_TOOL_FAIL",
      n.timedOut
        ? `nextpnr-ice40 did not finish within ${timeoutMs / 1000} s`
        : `nextpnr-ice40 failed on ${label}:\n${tail(pnr.errors.join("\n") || n.output)}`,
      { hint: `full log: ${shown(nextpnrLog)}` },
    );
  }
  const lc = pnr.utilisation["ICESTORM_LC"];
  say(
    `nextpnr done in ${n.seconds.toFixed(1)} s: ` +
      (lc === undefined ? "" : `${lc.used}/${lc.available} LCs, `) +
      (pnr.clocks.length === 0
        ? "no clock"
        : pnr.clocks
            .map(
              (c) =>
                `${c.name} ${c.fmaxMhz.toFixed(2)} MHz (${c.pass ? "meets" : "misses"} ${c.targetMhz} MHz)`,
            )
            .join(", ")),
  );

  // ---- icepack
  let bitstream: string | null = null;
  let icepackSeconds: number | null = null;
  if (o.bitstream === true) {
    bitstream = join(out, "out.bin");
    const p = await runTool("icepack", [asc, bitstream], { cwd: out, timeoutMs });
    if (p.status !== 0) throw new GenError("E_TOOL_FAIL", `icepack failed:\n${tail(p.output)}`);
    icepackSeconds = p.seconds;
    say(`icepack: ${bitstream}`);
  }

  return {
    label,
    top: src.top,
    params,
    device: o.device,
    deviceName: dev.name,
    package: dev.package,
    freqTargetMhz: o.freqMhz,
    seed,
    dsp,
    abc9,
    harness,
    block,
    harnessCells,
    total,
    utilisation: pnr.utilisation,
    packing: pnr.packing,
    clocks: pnr.clocks,
    timingMet: pnr.clocks.every((c) => c.pass),
    tools: {
      yosys: await toolVersion("yosys", "-V", out),
      nextpnr: await toolVersion("nextpnr-ice40", "--version", out),
    },
    seconds: { yosys: y.seconds, nextpnr: n.seconds, icepack: icepackSeconds },
    files: {
      sources: files,
      harness: harnessFile,
      netlist,
      asc,
      bitstream,
      yosysLog,
      nextpnrLog,
      nextpnrReport,
    },
  };
}

/** A path as messages show it: relative to the working folder when it lies inside it. */
export function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r === "" || r.startsWith("..") || isAbsolute(r) ? path : r;
}

function subtract(a: CellCounts, b: CellCounts): CellCounts {
  const cells: Record<string, number> = { ...a.cells };
  for (const [t, n] of Object.entries(b.cells)) {
    const left = (cells[t] ?? 0) - n;
    if (left === 0) delete cells[t];
    else cells[t] = left;
  }
  return countsOf(cells);
}

/**
 * Write every module of a design to `<outDir>/rtl/` for the tools. A module whose template does
 * not render is left out with a warning (the chosen one is an error): the block may not need it.
 */
export function designSources(
  design: Design,
  chosen: ModuleInstance,
  outDir: string,
  onProgress?: (message: string) => void,
): { paths: string[]; broken: string[] } {
  const files: FileSet = new Map();
  const broken: string[] = [];
  for (const x of design.modules) {
    try {
      for (const [f, text] of emitRtl({ ...design, modules: [x] })) files.set(f, text);
    } catch (e) {
      const msg = `${x.module} (${x.template}) did not render: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
      if (x === chosen) throw new GenError("E_TOOL_FAIL", msg);
      broken.push(msg);
      onProgress?.(`warning: ${msg}; left out`);
    }
  }
  const paths = writeFiles(join(resolve(outDir), "rtl"), files).filter((f) => f.endsWith(".v"));
  return { paths, broken };
}

/**
 * A block that does not fit the part. A GenError whose field is the first overflowing resource
 * (ICESTORM_LC, ICESTORM_RAM, ICESTORM_DSP, ...); it carries what synthesis measured, so a sweep
 * can still report the block's cell counts.
 */
export class FitError extends GenError {
  readonly resource: string;
  readonly overflows: [string, Utilisation][];
  block: CellCounts | undefined;

  constructor(
    message: string,
    resource: string,
    over: [string, Utilisation][],
    opts: { hint: string },
  ) {
    super("E_TOOL_FAIL", message, { hint: opts.hint, field: resource });
    this.name = "FitError";
    this.resource = resource;
    this.overflows = over;
  }
}

/** The "does not fit" error: names every overflowing resource with its counts. */
export function fitError(
  label: string,
  deviceName: string,
  over: readonly [string, Utilisation][],
  errors: readonly string[],
  log: string,
): FitError {
  const named =
    over.length > 0
      ? over.map(([r, u]) => `${r}: ${u.used} needed, ${u.available} available`)
      : [`${resourceOfError(errors) ?? "a resource"}: more needed than available`];
  const first = over[0]?.[0] ?? resourceOfError(errors) ?? "resource";
  return new FitError(
    `${label} does not fit the ${deviceName}: ${named.join("; ")}`,
    first,
    [...over],
    {
      hint: `choose a smaller configuration (fewer lanes or PEs, smaller buffers) or a larger part; nextpnr log: ${log}`,
    },
  );
}

/** How to pick the block of a Design: by role ("pe", "top", ...) or by module name. */
export interface ModuleChoice {
  role?: string;
  top?: string;
}

/** The module to synthesize: `top` by name, else `role`, else role "top", else role "pe". */
export function chooseModule(design: Design, c: ModuleChoice = {}): ModuleInstance {
  const roles = design.modules.map((m) => `${m.role} (${m.module})`).join(", ");
  if (c.top !== undefined) {
    const m = design.modules.find((x) => x.module === c.top);
    if (m === undefined) {
      throw new GenError("E_DESC_FIELD", `design "${design.desc.name}" has no module ${c.top}`, {
        hint: `modules: ${roles}`,
        field: "top",
      });
    }
    return m;
  }
  const want = c.role ?? (design.modules.some((m) => m.role === "top") ? "top" : "pe");
  const m = design.modules.find((x) => x.role === want);
  if (m === undefined) {
    throw new GenError(
      "E_DESC_FIELD",
      `design "${design.desc.name}" has no module with role "${want}"`,
      { hint: `modules: ${roles}`, field: "module" },
    );
  }
  return m;
}

/**
 * Emit a design's RTL into `<outDir>/rtl/` and synthesize the chosen module. Modules are rendered
 * one by one: a module that fails to render is reported as a progress warning and left out, so
 * a block that does not instantiate it still synthesizes (and one that does fails in Yosys, with
 * the rendering error in the message).
 */
export async function synthesizeDesign(
  design: Design,
  choice: ModuleChoice,
  o: SynthOptions,
  params?: ParamValues,
): Promise<SynthReport> {
  const m = chooseModule(design, choice);
  const { paths, broken } = designSources(design, m, o.outDir, o.onProgress);
  try {
    return await synthesize(
      {
        files: paths,
        top: m.module,
        label: `${design.desc.name} ${m.role}`,
        ...(params === undefined ? {} : { params }),
      },
      o,
    );
  } catch (e) {
    if (
      e instanceof GenError &&
      broken.length > 0 &&
      e.code === "E_TOOL_FAIL" &&
      !(e instanceof FitError)
    ) {
      throw new GenError("E_TOOL_FAIL", `${e.message}\n(modules left out: ${broken.join("; ")})`, {
        ...(e.hint === undefined ? {} : { hint: e.hint }),
      });
    }
    throw e;
  }
}
