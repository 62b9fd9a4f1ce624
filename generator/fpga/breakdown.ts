/**
 * Where a block's area goes: Yosys `synth_ice40 -noflatten` keeps every module of the hierarchy,
 * and its statistics give each module's own cells and, expanded over its submodules and their
 * instance counts, the cells of its whole subtree. Synthesis only (no place and route). Keeping
 * the hierarchy forbids optimisation across module boundaries, so the total is a little above
 * the flattened figure `synthesize` reports; the shares are what to read.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Design } from "../elab/elaborate.ts";
import { GenError } from "../errors.ts";
import { DEVICES } from "./devices.ts";
import {
  chooseModule,
  designSources,
  dspMapping,
  type ModuleChoice,
  progressTracker,
  readVerilogCommand,
  shown,
  synthIce40Command,
  type SynthOptions,
  type SynthSource,
  YOSYS_PHASES,
} from "./flow.ts";
import { type CellCounts, countsOf, parseYosysStat } from "./parse.ts";
import { runTool, tail } from "./run.ts";

export interface BreakdownRow {
  /** Depth in the hierarchy (the block is 0). */
  depth: number;
  /** Module name as written (parameterised variants of one module are numbered). */
  module: string;
  /** Instances under its parent row (1 for the block). */
  instances: number;
  /** Cells of one instance, submodules left out. */
  own: CellCounts;
  /** Cells of all its instances with their submodules. */
  total: CellCounts;
}

export interface AreaBreakdown {
  label: string;
  top: string;
  device: string;
  rows: BreakdownRow[];
  /** Cells of the whole block (the first row's total). */
  total: CellCounts;
  /** The Yosys synthesis command that was run. */
  command: string;
  seconds: number;
  log: string;
}

const scale = (c: CellCounts, n: number): CellCounts =>
  countsOf(Object.fromEntries(Object.entries(c.cells).map(([t, v]) => [t, v * n])));

/** Synthesize with the hierarchy kept and list every module's cells, depth first. */
export async function areaBreakdown(
  src: SynthSource,
  o: Pick<SynthOptions, "device" | "outDir" | "onProgress" | "timeoutMs" | "dsp" | "abc9">,
): Promise<AreaBreakdown> {
  const dev = DEVICES[o.device];
  const out = resolve(o.outDir);
  mkdirSync(out, { recursive: true });
  const say = o.onProgress ?? (() => {});
  const timeoutMs = o.timeoutMs ?? 60 * 60_000;
  const dsp = dspMapping(o.device, o.dsp);
  const abc9 = o.abc9 ?? true;
  const label = src.label ?? src.top;
  const log = join(out, "yosys-breakdown.log");
  const command = synthIce40Command(src.top, { dsp, abc9, noflatten: true });
  const script = [
    ...src.files.map((f) => readVerilogCommand(resolve(f), { dsp })),
    ...Object.entries(src.params ?? {}).map(([k, v]) => `chparam -set ${k} ${v} ${src.top}`),
    command,
  ].join("; ");
  say(`${label} (${src.top}) for ${dev.name}: synthesis with the hierarchy kept`);
  const track = progressTracker(
    "yosys",
    YOSYS_PHASES.filter(([, s]) => s !== "flattening").map(([re, s]) => [re, () => s]),
    say,
  );
  const y = await runTool("yosys", ["-l", log, "-p", script], {
    cwd: out,
    timeoutMs,
    onLine: track.onLine,
  });
  track.stop();
  if (y.status !== 0)
    throw new GenError(
      "E_TOOL_FAIL",
      y.timedOut
        ? `yosys did not finish within ${timeoutMs / 1000} s`
        : `yosys failed on ${src.top}:\n${tail(y.output)}`,
      { hint: `full log: ${shown(log)}` },
    );
  const stat = parseYosysStat(readFileSync(log, "utf8"));
  // parameterised variants ($paramod$<hash>\name, or $paramod\name\P=value with one
  // parameter) get the plain name and a number
  const variants = new Map<string, string>();
  const counter = new Map<string, number>();
  const nameOf = (m: string): string => {
    const base = /^\$paramod\\([^\\]+)\\/.exec(m)?.[1] ?? /\\([^\\]+)$/.exec(m)?.[1] ?? m;
    if (base === m) return m;
    let v = variants.get(m);
    if (v === undefined) {
      const n = (counter.get(base) ?? 0) + 1;
      counter.set(base, n);
      v = `${base} #${n}`;
      variants.set(m, v);
    }
    return v;
  };
  const rows: BreakdownRow[] = [];
  const walk = (m: string, depth: number, instances: number): void => {
    rows.push({
      depth,
      module: nameOf(m),
      instances,
      own: stat.own(m),
      total: scale(stat.expand(m), instances),
    });
    // the largest subtree first
    const kids = Object.entries(stat.children(m)).sort(
      ([a, na], [b, nb]) =>
        nb * stat.expand(b).luts - na * stat.expand(a).luts || a.localeCompare(b),
    );
    for (const [k, n] of kids) walk(k, depth + 1, n);
  };
  walk(src.top, 0, 1);
  const total = rows[0]?.total ?? countsOf({});
  say(`yosys done in ${y.seconds.toFixed(1)} s: ${total.luts} LUT4 in ${rows.length} rows`);
  return {
    label,
    top: src.top,
    device: dev.name,
    rows,
    total,
    command,
    seconds: y.seconds,
    log,
  };
}

/** The breakdown of a module of an elaborated design. */
export async function areaBreakdownDesign(
  design: Design,
  choice: ModuleChoice,
  o: Pick<SynthOptions, "device" | "outDir" | "onProgress" | "timeoutMs" | "dsp" | "abc9">,
): Promise<AreaBreakdown> {
  const m = chooseModule(design, choice);
  const { paths } = designSources(design, m, o.outDir, o.onProgress);
  return areaBreakdown({ files: paths, top: m.module, label: `${design.desc.name} ${m.role}` }, o);
}

/** The breakdown as a Markdown table: the tree indented, each subtree's share of the LUT4s. */
export function breakdownMarkdown(b: AreaBreakdown): string {
  const pct = (v: number): string =>
    b.total.luts === 0 ? "-" : `${((100 * v) / b.total.luts).toFixed(1)}%`;
  const lines = [
    `## Area of ${b.label} (${b.top}) by module, ${b.device}`,
    "",
    `Yosys \`${b.command.replace(/ -top \S+/, "")}\`: every module kept, so no optimisation crosses a module boundary and the total is a little above the flattened synthesis. Per instance: the module's own cells, submodules left out; subtree: all its instances with their submodules.`,
    "",
    "| module | instances | LUT4 / instance (own) | LUT4 (subtree) | share | carry | flip-flops | block RAMs | DSPs |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...b.rows.map(
      (r) =>
        `| ${"&nbsp;&nbsp;".repeat(r.depth)}${r.module} | ${r.instances} | ${r.own.luts} | ${r.total.luts} | ${pct(r.total.luts)} | ${r.total.carries} | ${r.total.ffs} | ${r.total.brams} | ${r.total.dsps} |`,
    ),
    "",
  ];
  return lines.join("\n");
}
