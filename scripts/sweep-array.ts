/**
 * Area and speed of the compute core (or any block of the design) over array sizes: a shipped
 * preset with its array replaced by each rows x cols in the list and its weight buffer scaled
 * with the PE count (so the longest reduction stays the preset's), synthesized with Yosys and
 * placed with nextpnr in the synthesis harness. Prints a Markdown table: cells, LUT4 per PE,
 * the least-squares LUT4 cost of one more PE, logic cells and Fmax (or why a size does not fit).
 * See docs/fpga.md.
 *
 *   npm run sweep-array -- [--preset tiny] [--arrays 2x4,4x4,4x8] [--lanes 1] [--module core]
 *                          [--schedule shared per-lane] [--passes 1 2 8]
 *   npm run sweep-array -- --tables-from build/sweep-array.json
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import type { LaneSchedule, ProcessorDescription } from "../generator/dsl/description.ts";
import { PRESET_NAMES, PRESETS } from "../generator/dsl/presets.ts";
import { validateDescription } from "../generator/dsl/validate.ts";
import { elaborate } from "../generator/elab/elaborate.ts";
import { GenError } from "../generator/errors.ts";
import { DEVICES, type DeviceName } from "../generator/fpga/devices.ts";
import { synthesizeDesign } from "../generator/fpga/flow.ts";
import { presetDescription } from "../generator/load.ts";

import {
  figuresLine,
  slope,
  synthFigures,
  synthRunOptions,
  type SynthFigures,
} from "./sweep-common.ts";

interface Row extends SynthFigures {
  schedule?: LaneSchedule;
  /** array.macPasses (absent in runs saved before the field existed: 1) */
  passes?: number;
  rows: number;
  cols: number;
  lanes: number;
  weightBytes: number;
}

interface Sweep {
  command: string;
  preset: string;
  module: string;
  device: DeviceName;
  freq: number;
  rows: Row[];
}

function arrays(s: string): [number, number][] {
  return s.split(",").map((x) => {
    const m = /^\s*(\d+)x(\d+)\s*$/.exec(x);
    if (m === null)
      throw new GenError("E_DESC_FIELD", `--arrays: "${x}" is not ROWSxCOLS`, {
        field: "arrays",
        hint: "for example --arrays 2x4,4x4,4x8",
      });
    return [Number(m[1]), Number(m[2])];
  });
}

function tables(s: Sweep): string {
  const dev = DEVICES[s.device];
  const f = (v: number | undefined, d = 0): string => (v === undefined ? "-" : v.toFixed(d));
  const out: string[] = [];
  out.push(
    `# ${s.module} of the ${s.preset} preset over array sizes on the ${dev.name}, target ${s.freq} MHz\n`,
  );
  out.push(`command: \`${s.command}\`\n`);
  out.push(
    `LUT4, carry, flip-flop and block-RAM counts are Yosys \`synth_ice40\` cells of the ${s.module} alone; LCs and Fmax are nextpnr's (block + synthesis harness), when it fits.\n`,
  );
  out.push(
    "| array | schedule | PEs | passes | MAC units | lanes / PE | weight bytes | LUT4 | carry | FF | BRAM | LUT4 / PE | LCs | Fmax (MHz) | note |",
  );
  out.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of s.rows) {
    const pes = r.rows * r.cols;
    const passes = r.passes ?? 1;
    out.push(
      `| ${r.rows}x${r.cols} | ${r.schedule ?? "-"} | ${pes} | ${passes} | ${pes / passes} | ${r.lanes} | ${r.weightBytes} | ${f(r.block?.luts)} | ${f(r.block?.carries)} | ${f(r.block?.ffs)} | ${f(r.block?.brams)} | ${f(r.block === undefined ? undefined : r.block.luts / pes, 1)} | ${f(r.lcs)} | ${f(r.fmax, 2)} | ${r.note ?? ""} |`,
    );
  }
  const groups = [...new Set(s.rows.map((r) => `${r.schedule ?? ""}/${r.passes ?? 1}`))];
  for (const g of groups) {
    const [sch, ps] = g.split("/");
    const pts: [number, number][] = s.rows
      .filter(
        (r) => r.block !== undefined && (r.schedule ?? "") === sch && String(r.passes ?? 1) === ps,
      )
      .map((r) => [r.rows * r.cols, r.block?.luts ?? 0]);
    const k = slope(pts);
    if (k !== undefined) {
      const [x0, y0] = pts[0] ?? [0, 0];
      const what = [
        sch === "" ? undefined : `${sch} schedule`,
        ps === "1" ? undefined : `${ps} passes`,
      ]
        .filter((x) => x !== undefined)
        .join(", ");
      out.push(
        `\nLUT4 per additional PE${what === "" ? "" : ` (${what})`} (least-squares slope over the sizes above): **${k.toFixed(0)}**; ` +
          `the part that does not grow with the array (intercept): ${(y0 - k * x0).toFixed(0)} LUT4.`,
      );
    }
  }
  return out.join("\n");
}

async function main(argv: string[]): Promise<void> {
  const a = await synthRunOptions(yargs(argv), "sweep-array")
    .scriptName("npm run sweep-array --")
    .usage(
      "$0 [options]\n\nSynthesize a block of a preset (default: the compute core of tiny) over array sizes; print cells, LUT4 per PE, LCs and Fmax.",
    )
    .option("preset", { choices: PRESET_NAMES, default: "tiny", describe: "base preset" })
    .option("arrays", {
      type: "string",
      default: "2x4,4x4,4x8",
      describe: "array sizes ROWSxCOLS (rows x cols must be a multiple of the block size)",
    })
    .option("lanes", { type: "number", describe: "MAC lanes per PE (default: the preset's)" })
    .option("schedule", {
      type: "array",
      choices: ["shared", "per-lane"] as const,
      describe: "lane schedules to sweep (array.schedule; default: the preset's)",
    })
    .option("passes", {
      type: "array",
      describe:
        "MAC passes a row to sweep (array.macPasses: lanes per MAC unit, shared schedule only; default: the preset's, and 1 with the per-lane schedule)",
    })
    .option("module", {
      type: "string",
      default: "core",
      describe: 'role of the block ("core", "top", ...)',
    })
    .strict()
    .version(false)
    .help()
    .alias("h", "help")
    .parseAsync();

  if (a.tablesFrom !== undefined) {
    console.log(tables(JSON.parse(readFileSync(a.tablesFrom, "utf8")) as Sweep));
    return;
  }
  const base = presetDescription(a.preset);
  const raw: ProcessorDescription = PRESETS[a.preset] ?? { name: a.preset };
  const lanes = a.lanes ?? base.array.lanes;
  const T0 = base.array.rows * base.array.cols;
  const list = arrays(a.arrays);
  const schedules: LaneSchedule[] =
    a.schedule === undefined || a.schedule.length === 0
      ? [base.array.schedule]
      : a.schedule.map((x) => (x === "shared" ? "shared" : "per-lane"));
  const passList: number[] =
    a.passes === undefined || a.passes.length === 0
      ? [base.array.macPasses]
      : a.passes.map((x) => {
          const n = Number(x);
          if (!Number.isInteger(n))
            throw new GenError("E_DESC_FIELD", `--passes: "${String(x)}" is not an integer`, {
              field: "passes",
              hint: "for example --passes 1 2 8",
            });
          return n;
        });
  const log = (m: string): void => void process.stderr.write(`sweep-array: ${m}\n`);
  // every size is checked before any synthesis starts
  // MAC passes need the shared schedule: without --passes, a per-lane row has one pass
  const passesFor = (schedule: LaneSchedule): number[] =>
    a.passes === undefined && schedule === "per-lane" ? [1] : passList;
  const descs = schedules.flatMap((schedule) =>
    passesFor(schedule).flatMap((passes) =>
      list.map(([rows, cols]) => {
        const weightBytes = Math.max(1, (base.buffers.weightBytes * rows * cols) / T0);
        const sch = schedule === base.array.schedule ? "" : `_${schedule.replace("-", "")}`;
        const ps = passes === base.array.macPasses ? "" : `_p${passes}`;
        return {
          rows,
          cols,
          schedule,
          passes,
          weightBytes,
          desc: validateDescription({
            ...raw,
            name: `${a.preset}_a${rows}x${cols}${sch}${ps}`,
            array: { ...base.array, rows, cols, lanes, schedule, macPasses: passes },
            buffers: { ...base.buffers, weightBytes },
          }),
        };
      }),
    ),
  );
  const rows: Row[] = [];
  for (const d of descs) {
    const dir = join(a.out, `${d.desc.name}-${a.module}-${a.device}`);
    mkdirSync(dir, { recursive: true });
    log(
      `${d.rows}x${d.cols} (${d.rows * d.cols} PEs on ${(d.rows * d.cols) / d.passes} MAC units, ${lanes} lanes each, ${d.schedule} schedule): synthesizing ${a.module}`,
    );
    const f = await synthFigures(() =>
      synthesizeDesign(
        elaborate(d.desc),
        { role: a.module },
        {
          device: a.device,
          freqMhz: a.freq,
          outDir: dir,
          seed: a.seed,
          abc9: a.abc9,
          onProgress: (m) => log(`  ${m}`),
        },
      ),
    );
    const row: Row = {
      schedule: d.schedule,
      passes: d.passes,
      rows: d.rows,
      cols: d.cols,
      lanes,
      weightBytes: d.weightBytes,
      ...f,
    };
    rows.push(row);
    log(`${d.rows}x${d.cols}: ${figuresLine(f)}`);
  }
  const sweep: Sweep = {
    command: `npm run sweep-array -- --preset ${a.preset} --arrays ${a.arrays} --lanes ${lanes} --schedule ${schedules.join(" ")}${a.passes === undefined ? "" : ` --passes ${passList.join(" ")}`} --module ${a.module} --device ${a.device} --freq ${a.freq} --seed ${a.seed}${a.abc9 ? "" : " --no-abc9"}`,
    preset: a.preset,
    module: a.module,
    device: a.device,
    freq: a.freq,
    rows,
  };
  console.log(tables(sweep));
  if (a.json !== undefined) writeFileSync(a.json, JSON.stringify(sweep, null, 2) + "\n");
}

main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof GenError) {
    console.error(e.format());
    process.exit(1);
  }
  throw e;
});
