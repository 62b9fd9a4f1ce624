/**
 * DMA bus efficiency: bytes moved per cycle over the ideal (data width / 8 bytes per cycle), for
 * the shipped presets' DMA engines in simulation against the AXI4 memory model. Prints Markdown.
 *
 *   npm run bench:dma -- [--kib 64] [--sim icarus|verilator] [--presets tiny,default,large]
 *
 * Each run moves, read and write at the same time (independent AXI channels):
 *   1. one long 1D transfer of --kib KiB, bus-aligned;
 *   2. the same length starting 3 bytes past a word boundary, 5 bytes shorter;
 *   3. a 2D tile: 64 rows of 1000 bytes, 4096 bytes apart;
 *   4. 64 separate 1D transfers of 64 bytes (command overhead).
 * Cycles run from a command's handshake to its done pulse (a read is done when its last word
 * was handed over, a write when its last write response arrived); for the 64 small transfers,
 * from the first handshake to the last done. Stalls are on the five AXI channels only (the
 * stream consumer and producer never stall), each from its own random generator; latency is
 * added to every burst. Every run is also checked: the streams, statuses and the final memory
 * must match the golden model, or the script stops.
 */
import { join } from "node:path";
import { PRESET_NAMES } from "../generator/dsl/presets.ts";
import { presetDescription } from "../generator/load.ts";
import { REPO_ROOT } from "../generator/emit/render.ts";
import {
  type DmaBusConfig,
  type DmaCmd,
  type DmaPerf,
  type DmaWrCmd,
  type Placed,
  customScenario,
  dmaRtl,
  runDmaBench,
} from "../testbench/dma-bench.ts";
import type { Simulator } from "../testbench/sim.ts";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";

const args = yargs(hideBin(process.argv))
  .scriptName("npm run bench:dma --")
  .usage("$0 [options]\n\nDMA bus efficiency with and without stalls (Markdown tables).")
  .option("kib", { type: "number", default: 64, describe: "length of the long transfers, KiB" })
  .option("sim", {
    choices: ["icarus", "verilator"] as const,
    default: "icarus" as const,
    describe: "simulator",
  })
  .option("presets", {
    type: "string",
    default: PRESET_NAMES.join(","),
    describe: "comma-separated presets",
  })
  .check(
    (x) =>
      (Number.isInteger(x.kib) && x.kib >= 4 && x.kib <= 1024) ||
      "--kib takes an integer from 4 to 1024",
  )
  .strict()
  .version(false)
  .help()
  .alias("h", "help")
  .parseSync();
const kib = args.kib;
const sim: Simulator = args.sim;
const presets = args.presets.split(",");
for (const p of presets) {
  if (!PRESET_NAMES.includes(p)) {
    console.error(`unknown preset ${p} (shipped: ${PRESET_NAMES.join(", ")})`);
    process.exit(2);
  }
}

interface BusCase {
  label: string;
  stallPct: number;
  latency: number;
}
const CASES: BusCase[] = [
  { label: "none", stallPct: 0, latency: 0 },
  { label: "none", stallPct: 0, latency: 32 },
  { label: "50% every channel", stallPct: 50, latency: 0 },
];

function bus(c: BusCase): DmaBusConfig {
  const p = 100 - c.stallPct;
  return {
    rdLatency: c.latency,
    wrLatency: c.latency,
    arReadyPct: p,
    rValidPct: p,
    awReadyPct: p,
    wReadyPct: p,
    bValidPct: p,
    outReadyPct: 100,
    inValidPct: 100,
    cmdPct: 100,
  };
}

const SHAPES = ["long 1D aligned", "long 1D unaligned", "2D tile 64 rows x 1000 B", "64 x 64 B"];
const SMALL = 64;

const TILE_ROWS = 64;
const TILE_SPAN = (TILE_ROWS - 1) * 4096 + 1000;

/** Offsets of the four shapes inside one half of the memory, and that half's size. */
function layout(len: number): { offsets: number[]; half: number } {
  const offsets = [0, len + 4096 + 3, 2 * len + 8192 + 7, 2 * len + 12288 + TILE_SPAN];
  const end = (offsets[3] ?? 0) + 128 * SMALL + 4096;
  return { offsets, half: 2 ** Math.ceil(Math.log2(end)) };
}

/** Commands of the four shapes; reads in the lower half of the memory, writes in the upper. */
function commands(len: number): { rd: Placed<DmaCmd>[]; wr: Placed<DmaWrCmd>[]; memBytes: number } {
  const { offsets, half } = layout(len);
  const o = (i: number): number => offsets[i] ?? 0;
  const shapes = (base: number): Placed<DmaCmd>[] => [
    { offset: base + o(0), rowBytes: len, rows: 1, stride: 0n, kind: "long-aligned" },
    { offset: base + o(1), rowBytes: len - 5, rows: 1, stride: 0n, kind: "long-unaligned" },
    { offset: base + o(2), rowBytes: 1000, rows: TILE_ROWS, stride: 4096n, kind: "tile" },
    ...Array.from({ length: SMALL }, (_, i) => ({
      offset: base + o(3) + 128 * i,
      rowBytes: 64,
      rows: 1,
      stride: 0n,
      kind: "small",
    })),
  ];
  return {
    rd: shapes(0),
    wr: shapes(half).map((c) => ({ ...c, streamBytes: c.rowBytes * c.rows })),
    memBytes: 2 * half,
  };
}

/** Bytes per cycle of each shape, from the per-command PERF lines. */
function perShape(perf: readonly DmaPerf[], dir: "rd" | "wr"): number[] {
  const mine = perf.filter((x) => x.dir === dir).sort((a, b) => a.index - b.index);
  const rate = (xs: DmaPerf[]): number => {
    const first = xs[0];
    const last = xs[xs.length - 1];
    if (first === undefined || last === undefined) return NaN;
    const bytes = xs.reduce((s, x) => s + x.bytes, 0);
    return bytes / (last.start + last.cycles - first.start);
  };
  return [
    rate(mine.slice(0, 1)),
    rate(mine.slice(1, 2)),
    rate(mine.slice(2, 3)),
    rate(mine.slice(3)),
  ];
}

const len = kib * 1024;
console.log(`# DMA bus efficiency (${sim})\n`);
console.log(
  `Efficiency = bytes moved per cycle / (data width / 8). Reads and writes run at the same time. Long transfers: ${kib} KiB. command: npm run bench:dma -- --kib ${kib} --sim ${sim} --presets ${presets.join(",")}\n`,
);
const longRows: string[] = [];
const shapeRows: string[] = [];
for (const preset of presets) {
  const desc = presetDescription(preset);
  const d = dmaRtl(desc);
  const p = d.params;
  const { rd, wr, memBytes } = commands(len);
  for (const [ci, c] of CASES.entries()) {
    const sc = customScenario(p, memBytes, rd, wr, 11 + ci);
    const r = runDmaBench(
      join(REPO_ROOT, "build", "bench-dma", preset, `case${ci}`),
      d.modules,
      d.rtl,
      p,
      sc,
      sim as Simulator,
      { seed: 21 + ci, bus: bus(c), perf: true },
    );
    if (!r.ok) {
      console.error(r.output.split("\n").slice(0, 30).join("\n"));
      console.error(r.memErrors.join("\n"));
      process.exit(1);
    }
    const rdR = perShape(r.perf, "rd");
    const wrR = perShape(r.perf, "wr");
    const eff = (x: number | undefined): string =>
      x === undefined || Number.isNaN(x) ? "-" : `${((100 * x) / p.bytes).toFixed(1)}%`;
    const bpc = (x: number | undefined): string =>
      x === undefined || Number.isNaN(x) ? "-" : x.toFixed(2);
    longRows.push(
      `| ${preset} | ${p.dw} | ${p.maxBurst} | ${p.maxOutstanding} | ${c.label} | ${c.latency} | ${bpc(rdR[0])} | ${eff(rdR[0])} | ${bpc(wrR[0])} | ${eff(wrR[0])} |`,
    );
    SHAPES.forEach((s, i) => {
      if (i === 0) return;
      shapeRows.push(
        `| ${preset} | ${c.label} | ${c.latency} | ${s} | ${eff(rdR[i])} | ${eff(wrR[i])} |`,
      );
    });
  }
}
console.log(`## Long 1D transfers (${kib} KiB, bus-aligned)\n`);
console.log(
  "| preset | bus bits | burst (beats) | outstanding | AXI stalls | latency (cycles) | read B/cycle | read efficiency | write B/cycle | write efficiency |",
);
console.log("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|");
for (const l of longRows) console.log(l);
console.log(`\n## Other shapes\n`);
console.log("| preset | AXI stalls | latency | shape | read efficiency | write efficiency |");
console.log("|---|---|---:|---|---:|---:|");
for (const l of shapeRows) console.log(l);
