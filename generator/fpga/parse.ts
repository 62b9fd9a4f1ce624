/**
 * Parsers for what the tools print: Yosys' `stat` (cell counts per module and for the whole
 * hierarchy) and nextpnr-ice40's log (device utilisation, maximum frequency per clock, errors).
 * Pure functions over log text, tested on captured logs (test/fpga/fixtures/).
 */
import { GenError } from "../errors.ts";

/** Cell counts of a synthesized netlist (iCE40 primitives). */
export interface CellCounts {
  /** SB_LUT4: 4-input lookup tables. */
  luts: number;
  /** SB_CARRY: carry-chain cells (they share a logic cell with a LUT). */
  carries: number;
  /** Every SB_DFF* flip-flop variant. */
  ffs: number;
  /** SB_RAM40_4K block RAMs. */
  brams: number;
  /** SB_MAC16 DSP blocks. */
  dsps: number;
  /** SB_SPRAM256KA single-port RAMs. */
  sprams: number;
  /** Every primitive type and its count. */
  cells: Record<string, number>;
}

export function countsOf(cells: Readonly<Record<string, number>>): CellCounts {
  let luts = 0;
  let carries = 0;
  let ffs = 0;
  let brams = 0;
  let dsps = 0;
  let sprams = 0;
  for (const [type, n] of Object.entries(cells)) {
    if (type === "SB_LUT4") luts += n;
    else if (type === "SB_CARRY") carries += n;
    else if (/^SB_DFF/.test(type)) ffs += n;
    else if (/^SB_RAM40_4K/.test(type)) brams += n;
    else if (type === "SB_MAC16") dsps += n;
    else if (type === "SB_SPRAM256KA") sprams += n;
  }
  return { luts, carries, ffs, brams, dsps, sprams, cells: { ...cells } };
}

export interface YosysStat {
  /** Cells of each module on its own (submodule instances appear as a cell of their type). */
  modules: Map<string, Record<string, number>>;
  /** Primitive counts of `module` with every submodule instance expanded. */
  expand(module: string): CellCounts;
  /** Primitive counts of `module` alone (its submodule instances left out). */
  own(module: string): CellCounts;
  /** Submodules instantiated by `module` (module name -> instance count). */
  children(module: string): Record<string, number>;
}

/**
 * Parse the last statistics printout of a Yosys log (`stat`, which `synth_ice40` runs at the
 * end): one "=== name ===" section per module, then "=== design hierarchy ===" when the design
 * kept more than one module.
 */
export function parseYosysStat(log: string): YosysStat {
  const start = log.lastIndexOf("Printing statistics.");
  if (start < 0) {
    throw new GenError("E_TOOL_FAIL", "the Yosys log has no statistics (did synthesis finish?)");
  }
  const lines = log.slice(start).split("\n");
  const modules = new Map<string, Record<string, number>>();
  let current: Record<string, number> | undefined;
  let inCells = false;
  for (const line of lines) {
    const sec = /^=== (.+) ===$/.exec(line.trim());
    if (sec !== null) {
      const name = sec[1] ?? "";
      if (name === "design hierarchy") break;
      current = {};
      modules.set(name.replace(/^\\/, ""), current);
      inCells = false;
      continue;
    }
    if (/^\d+\.\d+(\.\d+)*\. /.test(line) && modules.size > 0) break; // the next pass
    if (current === undefined) continue;
    if (/^\s+Number of cells:/.test(line)) {
      inCells = true;
      continue;
    }
    const cell = /^\s{4,}(\S+)\s+(\d+)\s*$/.exec(line);
    if (inCells && cell !== null) {
      current[(cell[1] ?? "").replace(/^\\/, "")] = Number(cell[2]);
    } else if (line.trim() !== "" && inCells) {
      inCells = false;
    }
  }
  if (modules.size === 0) {
    throw new GenError("E_TOOL_FAIL", "could not read the Yosys statistics: no module sections");
  }
  const expanded = new Map<string, Record<string, number>>();
  const expandRaw = (name: string, depth: number): Record<string, number> => {
    const done = expanded.get(name);
    if (done !== undefined) return done;
    const own = modules.get(name);
    if (own === undefined || depth > 64) return {};
    const total: Record<string, number> = {};
    for (const [type, n] of Object.entries(own)) {
      if (modules.has(type)) {
        for (const [t2, n2] of Object.entries(expandRaw(type, depth + 1)))
          total[t2] = (total[t2] ?? 0) + n * n2;
      } else {
        total[type] = (total[type] ?? 0) + n;
      }
    }
    expanded.set(name, total);
    return total;
  };
  const get = (module: string): Record<string, number> => {
    const m = modules.get(module);
    if (m === undefined) {
      throw new GenError(
        "E_TOOL_FAIL",
        `module ${module} is not in the Yosys statistics (modules: ${[...modules.keys()].join(", ")})`,
      );
    }
    return m;
  };
  const split = (module: string, sub: boolean): Record<string, number> =>
    Object.fromEntries(Object.entries(get(module)).filter(([t]) => modules.has(t) === sub));
  return {
    modules,
    expand: (module) => {
      get(module);
      return countsOf(expandRaw(module, 0));
    },
    own: (module) => countsOf(split(module, false)),
    children: (module) => split(module, true),
  };
}

/** One row of nextpnr's "Device utilisation" table. */
export interface Utilisation {
  used: number;
  available: number;
}

export interface ClockTiming {
  /** Clock net as nextpnr names it, with the IO-buffer and global-buffer suffixes removed. */
  name: string;
  /** The net name nextpnr printed. */
  net: string;
  fmaxMhz: number;
  targetMhz: number;
  pass: boolean;
  /** The final critical path of this clock: delay split and the source lines it runs through. */
  critical: CriticalPath | null;
}

export interface CriticalPath {
  logicNs: number;
  routingNs: number;
  /** "file.v:line" of every design source line on the path, in path order, without repeats. */
  lines: string[];
}

export interface NextpnrLog {
  /** Resource (ICESTORM_LC, ICESTORM_RAM, ICESTORM_DSP, SB_IO, ...) -> used / available. */
  utilisation: Record<string, Utilisation>;
  /** Final (post-routing when routing ran) maximum frequency per clock. */
  clocks: ClockTiming[];
  /** Logic-cell packing summary: "LCs used as LUT4 only" -> count, etc. */
  packing: Record<string, number>;
  /** Every "ERROR:" line. */
  errors: string[];
  routed: boolean;
  finished: boolean;
}

/** Strip nextpnr's buffer suffixes from a clock net name: clk_i$SB_IO_IN_$glb_clk -> clk_i. */
export function clockName(net: string): string {
  return net
    .replace(/_\$glb_clk$/, "")
    .replace(/\$glb_clk$/, "")
    .replace(/\$SB_IO_IN$/, "");
}

export function parseNextpnrLog(log: string): NextpnrLog {
  const lines = log.split("\n");
  let utilisation: Record<string, Utilisation> = {};
  const clocks = new Map<string, ClockTiming>();
  const packing: Record<string, number> = {};
  const errors: string[] = [];
  const critical = new Map<string, CriticalPath>();
  let crit: { net: string; lines: string[] } | undefined;
  let inUtil = false;
  let routed = false;
  let finished = false;
  for (const line of lines) {
    if (/Device utilisation:/.test(line)) {
      utilisation = {};
      inUtil = true;
      continue;
    }
    if (inUtil) {
      const u = /^Info:\s+([A-Za-z0-9_]+):\s+(\d+)\s*\/\s*(\d+)\s+\d+%\s*$/.exec(line);
      if (u !== null) {
        utilisation[u[1] ?? ""] = { used: Number(u[2]), available: Number(u[3]) };
        continue;
      }
      inUtil = false;
    }
    const c = /Critical path report for (clock '([^']+)'|cross-domain path)/.exec(line);
    if (c !== null) {
      crit = c[2] === undefined ? undefined : { net: c[2], lines: [] };
      continue;
    }
    if (crit !== undefined) {
      const src = /^Info:\s+(\S+\.s?v):(\d+)\.\d+-\d+\.\d+\s*$/.exec(line);
      if (src !== null && !/\/share\/yosys\//.test(src[1] ?? "") && src[2] !== "0") {
        const at = `${(src[1] ?? "").split("/").pop() ?? ""}:${src[2]}`;
        if (!crit.lines.includes(at)) crit.lines.push(at);
        continue;
      }
      const sum = /^Info: ([\d.]+) ns logic, ([\d.]+) ns routing/.exec(line);
      if (sum !== null) {
        critical.set(crit.net, {
          logicNs: Number(sum[1]),
          routingNs: Number(sum[2]),
          lines: crit.lines,
        });
        crit = undefined;
        continue;
      }
    }
    const f =
      /Max frequency for clock\s+'([^']+)': ([\d.]+) MHz \((PASS|FAIL) at ([\d.]+) MHz\)/.exec(
        line,
      );
    if (f !== null) {
      const net = f[1] ?? "";
      // A DSP used as a plain multiplier has its clock pin tied to a constant net, which nextpnr
      // times as a clock of its own; it is not a clock of the design.
      if (/^\$PACKER_(GND|VCC)_NET/.test(net)) continue;
      clocks.set(net, {
        name: clockName(net),
        net,
        fmaxMhz: Number(f[2]),
        targetMhz: Number(f[4]),
        pass: f[3] === "PASS",
        critical: null,
      });
      continue;
    }
    const p =
      /^Info:\s+(\d+) (LCs used as [^.]+|LCs used to legalise carry chains|LUTs merged into carry LCs)\.?\s*$/.exec(
        line,
      );
    if (p !== null) packing[p[2] ?? ""] = Number(p[1]);
    if (/^ERROR:/.test(line)) errors.push(line.trim());
    if (/Routing complete\./.test(line)) routed = true;
    if (/Program finished normally\./.test(line)) finished = true;
  }
  const timed = [...clocks.values()].map((t) => ({ ...t, critical: critical.get(t.net) ?? null }));
  return { utilisation, clocks: timed, packing, errors, routed, finished };
}

/** Resources the design needs more of than the part has, from the utilisation table. */
export function overflows(u: Readonly<Record<string, Utilisation>>): [string, Utilisation][] {
  return Object.entries(u).filter(([, x]) => x.used > x.available);
}

/**
 * The resource named by nextpnr's placement error ("no BELs remaining to implement cell type
 * 'ICESTORM_LC'"), for logs where the overflow shows in no utilisation row.
 */
export function resourceOfError(errors: readonly string[]): string | undefined {
  for (const e of errors) {
    const m = /cell type '([^']+)'/.exec(e) ?? /implement cell type (\S+)/.exec(e);
    if (m !== null) return m[1];
  }
  return undefined;
}
