/**
 * What the synthesis sweeps (sweep-pe.ts, sweep-array.ts) share: one synthesis run turned into a
 * table row's figures (a design that does not fit still gives Yosys' cells and a note naming the
 * overflowing resources), and the least-squares slope the tables report.
 */
import { join } from "node:path";
import type { Argv } from "yargs";
import { REPO_ROOT } from "../generator/emit/render.ts";
import { GenError } from "../generator/errors.ts";
import { DEVICE_NAMES, type DeviceName } from "../generator/fpga/devices.ts";
import { FitError, type SynthReport } from "../generator/fpga/flow.ts";
import type { CellCounts } from "../generator/fpga/parse.ts";
import { fmaxOf } from "../generator/fpga/report.ts";

export interface SynthFigures {
  block: CellCounts | undefined;
  lcs: number | undefined;
  fmax: number | undefined;
  /** Source lines the slowest clock's critical path runs through (nextpnr). */
  through: string[];
  /** Why place and route gave no figures (does not fit, tool error). */
  note: string | undefined;
  seconds: number;
}

/** Run one synthesis; a misfit or a tool error becomes a note, anything else is thrown. */
export async function synthFigures(run: () => Promise<SynthReport>): Promise<SynthFigures> {
  const t0 = performance.now();
  let r: SynthReport | undefined;
  let block: CellCounts | undefined;
  let note: string | undefined;
  try {
    r = await run();
    block = r.block;
  } catch (e) {
    if (e instanceof FitError) {
      block = e.block;
      note = `does not fit: ${e.overflows.map(([res, u]) => `${res} ${u.used}/${u.available}`).join(", ")}`;
    } else if (e instanceof GenError) note = `failed: ${e.message.split("\n")[0] ?? ""}`;
    else throw e;
  }
  const slowest = r?.clocks.reduce<SynthReport["clocks"][number] | undefined>(
    (m, c) => (m === undefined || c.fmaxMhz < m.fmaxMhz ? c : m),
    undefined,
  );
  return {
    block,
    lcs: r?.utilisation["ICESTORM_LC"]?.used,
    fmax: r === undefined ? undefined : fmaxOf(r),
    through: slowest?.critical?.lines ?? [],
    note,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** One line of progress for a finished run. */
export function figuresLine(f: SynthFigures): string {
  return (
    (f.block === undefined ? "" : `${f.block.luts} LUT4, ${f.block.ffs} FF, `) +
    (f.fmax === undefined ? (f.note ?? "") : `${f.lcs} LCs, ${f.fmax.toFixed(2)} MHz`) +
    ` (${f.seconds.toFixed(0)} s)`
  );
}

/** Least-squares slope of y over x (undefined for fewer than two distinct x). */
export function slope(points: readonly [number, number][]): number | undefined {
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  return sxx === 0 ? undefined : sxy / sxx;
}

/**
 * The options every synthesis sweep takes: the part, the nextpnr target and seed, the work folder
 * (build/<work>), a JSON copy of the results and re-printing a saved run.
 */
export function synthRunOptions<T>(y: Argv<T>, work: string) {
  return y
    .option("device", {
      choices: DEVICE_NAMES,
      default: "hx8k" as DeviceName,
      describe: "iCE40 part",
    })
    .option("freq", { type: "number", default: 40, describe: "target MHz for nextpnr" })
    .option("seed", { type: "number", default: 1, describe: "nextpnr placement seed" })
    .option("abc9", {
      type: "boolean",
      default: true,
      describe: "Yosys ABC9 LUT mapping (--no-abc9: the classic ABC mapping)",
    })
    .option("out", {
      type: "string",
      default: join(REPO_ROOT, "build", work),
      describe: "work folder",
    })
    .option("json", { type: "string", describe: "also save the results to this JSON file" })
    .option("tables-from", {
      type: "string",
      describe: "print the tables of a run saved with --json (no synthesis)",
    });
}
