/**
 * Compressed-transfer benchmark: AXI traffic and cycles of a tensor's round trip through the
 * codec and the DMA (codec_enc -> axi_dma_wr -> memory -> axi_dma_rd -> codec_dec), against the
 * dense BFP8 size, over density. Prints Markdown tables.
 *
 *   npx tsx scripts/bench-dma-codec.ts [--preset tiny|default|large|all] [--format hbm]
 *                                      [--elems 4096] [--sim verilator] [--seed 1]
 *
 * Per preset one simulation, no stalls anywhere (memory model without latency or stalls, blocks
 * offered and taken every cycle), one round trip at a time: a tensor of `elems` uniform random
 * elements per density is encoded and written to a word-aligned buffer, then read back with the
 * written length and decoded; the next tensor starts when the last block is out. Everything is
 * checked against the golden model as in test/sim/dma-codec.sim.test.ts (bytes, statuses,
 * blocks, final memory). AXI bytes are the W and R beats times the bus width (the monitor's
 * total count must equal the golden model's per-tensor figures); dense BFP8 is one byte per
 * element plus one scale byte per block. Write cycles run from the first block taken by the
 * encoder to the write engine's done (after the last B response); read cycles from the read
 * command to the last decoded block.
 */
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { PRESET_NAMES, PRESETS } from "../generator/dsl/presets.ts";
import { validateDescription } from "../generator/dsl/validate.ts";
import { REPO_ROOT } from "../generator/emit/render.ts";
import { CODEC_FORMATS } from "../generator/model/codecs.ts";
import { Rng } from "../generator/model/rng.ts";
import { modelCodecParams, randomTensor } from "../testbench/codec-bench.ts";
import {
  RT_NO_STALLS,
  type RoundTripTensor,
  runRoundTripBench,
} from "../testbench/dma-codec-bench.ts";
import type { Simulator } from "../testbench/sim.ts";

const args = await yargs(hideBin(process.argv))
  .scriptName("bench-dma-codec")
  .usage(
    "$0 [options]\n\nAXI bytes and cycles of compressed round trips (codec + DMA) against dense BFP8, over density.",
  )
  .option("preset", {
    choices: [...PRESET_NAMES, "all"],
    default: "all",
    describe: "shipped preset ('all': tiny and default)",
  })
  .option("format", { choices: CODEC_FORMATS, default: "hbm" as const, describe: "codec format" })
  .option("elems", { type: "number", default: 4096, describe: "elements per tensor" })
  .option("densities", {
    type: "string",
    default: "1,0.5,0.1,0.01",
    describe: "comma-separated fractions of non-zero elements",
  })
  .option("sim", { choices: ["verilator", "icarus"] as const, default: "verilator" as const })
  .option("seed", { type: "number", default: 1 })
  .check((a) => {
    if (!Number.isInteger(a.elems) || a.elems < 1)
      throw new Error("--elems takes a positive integer");
    const ds = a.densities.split(",").map(Number);
    if (ds.some((d) => !(d >= 0 && d <= 1))) throw new Error("--densities takes numbers in [0, 1]");
    return true;
  })
  .strict()
  .help()
  .parseAsync();

const presets = args.preset === "all" ? ["tiny", "default"] : [args.preset];
const densities = args.densities.split(",").map(Number);
const sim: Simulator = args.sim;
const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;

console.log("# Compressed transfers: AXI traffic and cycles\n");
console.log(
  `command: npx tsx scripts/bench-dma-codec.ts --preset ${args.preset} --format ${args.format} --elems ${args.elems} --densities ${args.densities} --sim ${sim} --seed ${args.seed}\n`,
);
console.log(
  "No stalls, one round trip at a time, word-aligned buffers. AXI bytes = beats x bus bytes. " +
    "Write: first block into the encoder -> write done (last B). Read: read command -> last decoded block. " +
    "Bound: max(blocks, bus words), one block or one bus word per cycle.\n",
);

for (const preset of presets) {
  const base = PRESETS[preset];
  if (base === undefined) continue;
  const desc = validateDescription({
    ...base,
    name: `bench_rt_${preset}_${args.format}`,
    codec: { ...base.codec, format: args.format },
  });
  const p = modelCodecParams(desc);
  const n = Math.ceil(args.elems / p.k) * p.k;
  const rng = new Rng(args.seed);
  const tensors: RoundTripTensor[] = densities.map((density) => ({
    kind: `${pct(density)}`,
    t: randomTensor(rng, p.k, { n, density }),
    role: "ok",
  }));
  const t0 = performance.now();
  const r = runRoundTripBench(
    join(REPO_ROOT, "build", "bench", "dma-codec", preset),
    [{ desc, tensors, bus: RT_NO_STALLS, seed: args.seed, alignDest: true }],
    sim,
    { seed: args.seed, serial: true, perf: true },
  );
  const u = r.units[0];
  if (!r.ok || u === undefined) {
    console.error(r.output.slice(0, 4000));
    console.error(u?.memErrors.join("\n") ?? "");
    console.error(`${preset}: simulation failed`);
    process.exit(1);
  }
  if (u.axi?.wrBeats !== u.expectWrBeats || u.axi.rdBeats !== u.expectRdBeats) {
    console.error(
      `${preset}: AXI beats ${u.axi?.wrBeats}/${u.axi?.rdBeats} differ from the golden model's ${u.expectWrBeats}/${u.expectRdBeats}`,
    );
    process.exit(1);
  }
  const nb = u.plan.dma.bytes;
  const dense = n + n / p.k;
  console.log(
    `## Preset ${preset}, ${args.format}: ${n} elements (${n / p.k} blocks of ${p.k}), frames of ${p.frameElems}, ${u.plan.dma.dw}-bit bus, bursts up to ${u.plan.dma.maxBurst} beats, ${u.plan.dma.maxOutstanding} outstanding\n`,
  );
  console.log(
    `(${sim}: build and run ${((performance.now() - t0) / 1000).toFixed(0)} s; dense BFP8 = ${dense} bytes = ${Math.ceil(dense / nb)} bus words)\n`,
  );
  console.log(
    "| density | stream bytes | AXI bytes written | AXI bytes read | vs dense BFP8 | bound (cycles) | write cycles | read cycles | read DMA done |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const perf of u.perf) {
    const x = u.plan.tensors[perf.tensor];
    if (x === undefined) continue;
    let nz = 0;
    for (const q of x.t.q) if (q !== 0) nz++;
    const wrAxi = x.wrBeats * nb;
    const rdAxi = x.rdBeats * nb;
    const bound = Math.max(n / p.k, x.stream.length / nb);
    const red = (1 - wrAxi / dense) * 100;
    console.log(
      `| ${pct(nz / n)} | ${x.stream.length} | ${wrAxi} | ${rdAxi} | ${red >= 0 ? `${red.toFixed(1)}% less` : `${(-red).toFixed(1)}% more`} | ${bound} | ${perf.wrCycles} | ${perf.rdCycles ?? "-"} | ${perf.rdDmaCycles ?? "-"} |`,
    );
  }
  console.log("");
}
