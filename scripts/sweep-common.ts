/**
 * What the synthesis sweeps (sweep-pe.ts, sweep-array.ts) share: one synthesis run turned into a
 * table row's figures (a design that does not fit still gives Yosys' cells and a note naming the
 * overflowing resources), and the least-squares slope the tables report.
 */
import { GenError } from "../generator/errors.ts";
import { FitError, type SynthReport } from "../generator/fpga/flow.ts";
import type { CellCounts } from "../generator/fpga/parse.ts";
import { fmaxOf } from "../generator/fpga/report.ts";

export interface SynthFigures {
  block: CellCounts | undefined;
  lcs: number | undefined;
  fmax: number | undefined;
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
  return {
    block,
    lcs: r?.utilisation["ICESTORM_LC"]?.used,
    fmax: r === undefined ? undefined : fmaxOf(r),
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
