/**
 * Area and speed of the BFP8 dot-product PE over its configurations, next to a straightforward
 * FP16 multiply-accumulate PE (bench/fp16_pe/) built the same way: the same synthesis harness, the
 * same part, the same nextpnr seed and target. Prints Markdown tables: LUT4 cells per MAC lane,
 * flip-flops, logic cells, Fmax, and the FP16/BFP8 LUT ratio. See docs/fpga.md.
 *
 *   npm run sweep-pe -- [--device hx8k] [--lanes 1,2,4,8,16] [--k 8,16,32] [--acc 32] [--freq 40]
 *   npm run sweep-pe -- --tables-from build/sweep-pe.json     (re-print a saved run's tables)
 *
 * LUT4 counts are Yosys' cells of the PE module alone (the harness is counted apart); logic
 * cells (LCs) and Fmax are nextpnr's, for PE + harness. The array sweep (PEs per array, the
 * compute core as a whole) is scripts/sweep-array.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { peParams } from "../generator/elab/elaborate.ts";
import { GenError } from "../generator/errors.ts";
import { DEVICES, type DeviceName } from "../generator/fpga/devices.ts";
import { synthesize } from "../generator/fpga/flow.ts";
import { renderPe } from "../testbench/pe-bench.ts";
import { FP16_PE_MODULE, FP16_PE_RTL } from "../bench/fp16_pe/bench.ts";

import {
  figuresLine,
  slope,
  synthFigures,
  synthRunOptions,
  type SynthFigures,
} from "./sweep-common.ts";

interface Row extends SynthFigures {
  kind: "bfp8" | "fp16";
  k: number | null;
  lanes: number;
  acc: number | null;
}

/** What a run saves (--json) and --tables-from reads back. */
interface Sweep {
  command: string;
  device: DeviceName;
  freq: number;
  lanes: number[];
  k: number[];
  rows: Row[];
}

const list = (s: string): number[] =>
  s.split(",").map((x) => {
    const v = Number(x.trim());
    if (!Number.isInteger(v) || v <= 0) {
      throw new GenError("E_DESC_FIELD", `not a positive integer: ${x}`, {
        hint: "give a comma-separated list such as 1,2,4",
      });
    }
    return v;
  });

function tables(s: Sweep): string {
  const dev = DEVICES[s.device];
  const out: string[] = [];
  const f = (v: number | undefined, d = 0): string => (v === undefined ? "-" : v.toFixed(d));
  const showDsp = dev.dsps > 0;
  const perLane = (r: Row): string =>
    f(r.block === undefined ? undefined : r.block.luts / r.lanes, 1);
  out.push(`# PE area and Fmax on the ${dev.name} (${dev.package}), target ${s.freq} MHz\n`);
  out.push(`command: \`${s.command}\`\n`);
  out.push(
    "LUT4, carry and flip-flop counts are Yosys `synth_ice40` cells of the PE module alone; LCs (logic cells) and Fmax are nextpnr's, for PE + synthesis harness" +
      (showDsp ? "; multipliers go to SB_MAC16 DSPs (`-dsp`), so LUT counts exclude them." : ".") +
      "\n",
  );
  out.push("## BFP8 dot-product PE\n");
  out.push(
    `| k | lanes | acc | LUT4 | carry | FF |${showDsp ? " DSP |" : ""} LUT4 / lane | LCs | Fmax (MHz) | note |`,
  );
  out.push(`|---:|---:|---:|---:|---:|---:|${showDsp ? "---:|" : ""}---:|---:|---:|---|`);
  for (const r of s.rows.filter((x) => x.kind === "bfp8")) {
    out.push(
      `| ${r.k} | ${r.lanes} | ${r.acc} | ${f(r.block?.luts)} | ${f(r.block?.carries)} | ${f(r.block?.ffs)} |` +
        (showDsp ? ` ${f(r.block?.dsps)} |` : "") +
        ` ${perLane(r)} | ${f(r.lcs)} | ${f(r.fmax, 2)} | ${r.note ?? ""} |`,
    );
  }
  const fp = s.rows.filter((x) => x.kind === "fp16");
  if (fp.length > 0) {
    out.push("\n## FP16 multiply-accumulate PE (bench/fp16_pe, FP32 accumulation)\n");
    out.push(
      `| lanes | LUT4 | carry | FF |${showDsp ? " DSP |" : ""} LUT4 / lane | LCs | Fmax (MHz) | note |`,
    );
    out.push(`|---:|---:|---:|---:|${showDsp ? "---:|" : ""}---:|---:|---:|---|`);
    for (const r of fp) {
      out.push(
        `| ${r.lanes} | ${f(r.block?.luts)} | ${f(r.block?.carries)} | ${f(r.block?.ffs)} |` +
          (showDsp ? ` ${f(r.block?.dsps)} |` : "") +
          ` ${perLane(r)} | ${f(r.lcs)} | ${f(r.fmax, 2)} | ${r.note ?? ""} |`,
      );
    }
    out.push("\n## FP16 PE LUT4 / BFP8 PE LUT4 (same lanes)\n");
    out.push(`| lanes | ${s.k.map((k) => `BFP8 k = ${k}`).join(" | ")} |`);
    out.push(`|---:|${s.k.map(() => "---:").join("|")}|`);
    const luts = (kind: Row["kind"], k: number | null, lanes: number): number | undefined =>
      s.rows.find((r) => r.kind === kind && r.k === k && r.lanes === lanes)?.block?.luts;
    for (const lanes of s.lanes) {
      const f16 = luts("fp16", null, lanes);
      const cells = s.k.map((k) => {
        const b = luts("bfp8", k, lanes);
        return f16 === undefined || b === undefined || b === 0 ? "-" : `${(f16 / b).toFixed(2)}x`;
      });
      out.push(`| ${lanes} | ${cells.join(" | ")} |`);
    }
    const pts = (kind: Row["kind"], k: number | null): [number, number][] =>
      s.rows
        .filter((r) => r.kind === kind && r.k === k && r.block !== undefined)
        .map((r) => [r.lanes, r.block?.luts ?? 0]);
    const fpSlope = slope(pts("fp16", null));
    out.push(
      "\nLUT4 per additional lane (least-squares slope of LUT4 over the lanes above), and the ratio:\n",
    );
    out.push(`| | ${s.k.map((k) => `BFP8 k = ${k}`).join(" | ")} | FP16 |`);
    out.push(`|---|${s.k.map(() => "---:").join("|")}|---:|`);
    const bSlopes = s.k.map((k) => slope(pts("bfp8", k)));
    out.push(`| LUT4 / lane | ${bSlopes.map((v) => f(v, 0)).join(" | ")} | ${f(fpSlope, 0)} |`);
    out.push(
      `| FP16 / BFP8 | ${bSlopes
        .map((v) =>
          v === undefined || fpSlope === undefined ? "-" : `${(fpSlope / v).toFixed(2)}x`,
        )
        .join(" | ")} | |`,
    );
  }
  out.push(
    "\nThe array sweep (PEs per array, LUTs per PE of the whole compute core) is `npm run sweep-array`.",
  );
  return out.join("\n");
}

async function main(argv: string[]): Promise<void> {
  const a = await synthRunOptions(yargs(argv), "sweep-pe")
    .scriptName("npm run sweep-pe --")
    .usage(
      "$0 [options]\n\nSynthesize the BFP8 PE over lanes x block sizes and the FP16 reference PE over lanes; print LUTs per lane, Fmax and the FP16/BFP8 LUT ratio.",
    )
    .option("lanes", { type: "string", default: "1,2,4,8,16", describe: "MAC lanes per PE" })
    .option("k", { type: "string", default: "8,16,32", describe: "BFP8 block sizes" })
    .option("acc", { type: "number", default: 32, describe: "BFP8 accumulator width" })
    .option("fp16", { type: "boolean", default: true, describe: "also the FP16 reference PE" })
    .strict()
    .version(false)
    .help()
    .alias("h", "help")
    .parseAsync();

  if (a.tablesFrom !== undefined) {
    console.log(tables(JSON.parse(readFileSync(a.tablesFrom, "utf8")) as Sweep));
    return;
  }
  const lanesList = list(a.lanes);
  const kList = list(a.k);
  const device = a.device;
  const rows: Row[] = [];
  const log = (m: string): void => void process.stderr.write(`sweep-pe: ${m}\n`);

  const run = async (
    kind: Row["kind"],
    k: number | null,
    lanes: number,
    acc: number | null,
    files: string[],
    top: string,
    params: Record<string, number>,
    dir: string,
  ): Promise<void> => {
    const f = await synthFigures(() =>
      synthesize(
        { files, top, params },
        { device, freqMhz: a.freq, outDir: dir, seed: a.seed, abc9: a.abc9 },
      ),
    );
    const row: Row = { kind, k, lanes, acc, ...f };
    rows.push(row);
    log(`${kind}${k === null ? "" : ` k=${k}`} lanes=${lanes}: ${figuresLine(f)}`);
  };

  for (const k of kList) {
    for (const lanes of lanesList) {
      if (lanes > k) continue; // a beat never spans two blocks
      const name = `sweep_k${k}_l${lanes}_a${a.acc}_pe`;
      const dir = join(a.out, `${name}-${device}`);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${name}.v`);
      writeFileSync(file, renderPe(name, peParams(k, lanes, a.acc), "scripts/sweep-pe.ts"));
      await run("bfp8", k, lanes, a.acc, [file], name, {}, dir);
    }
  }
  if (a.fp16) {
    for (const lanes of lanesList) {
      const dir = join(a.out, `fp16_l${lanes}-${device}`);
      await run("fp16", null, lanes, null, [FP16_PE_RTL], FP16_PE_MODULE, { LANES: lanes }, dir);
    }
  }

  const sweep: Sweep = {
    command: `npm run sweep-pe -- --device ${device} --lanes ${lanesList.join(",")} --k ${kList.join(",")} --acc ${a.acc} --freq ${a.freq} --seed ${a.seed}${a.fp16 ? "" : " --no-fp16"}${a.abc9 ? "" : " --no-abc9"}`,
    device,
    freq: a.freq,
    lanes: lanesList,
    k: kList,
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
