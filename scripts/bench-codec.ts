/**
 * Codec RTL benchmark: steady-state throughput of the generated encoder and decoder of every
 * format, and the bytes they put on the bus, at densities 100%, 50%, 10%, 1% (and 0%). Prints
 * Markdown tables.
 *
 *   npm run bench:codec -- [--preset default] [--blocks 512] [--sim verilator] [--seed 1]
 *
 * For each preset, the four formats run side by side in one simulation without stalls. Every
 * density gets three tensors of at least `blocks` blocks (whole frames) with independent uniform
 * random masks; the last is measured (the others settle the pipeline at the density): its cycles are the time between the previous tensor's last output and its own
 * (last bus word for the encoder, last block for the decoder). The bound is one block per cycle
 * on the block side or one bus word per cycle, whichever the tensor needs more of. Dead cycles are
 * cycles of the measured tensor in which the codec refused offered input and sent nothing to its
 * ready sink (0 means no bubble caused by the codec). Bytes are the
 * simulated bus words (checked bit for bit against the golden model in the same run); the
 * entropy bound is H(p) + 8p bits per element plus 8 bits per block holding a non-zero.
 */
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { PRESET_NAMES, PRESETS } from "../generator/dsl/presets.ts";
import { validateDescription } from "../generator/dsl/validate.ts";
import { REPO_ROOT } from "../generator/emit/render.ts";
import { binaryEntropy, CODEC_FORMATS, type CodecFormat } from "../generator/model/codecs.ts";
import {
  type CodecUnit,
  codecRtl,
  modelCodecParams,
  rateRows,
  rateTensors,
  runCodecBench,
  type RateRow,
} from "../testbench/codec-bench.ts";
import type { Simulator } from "../testbench/sim.ts";

const args = await yargs(hideBin(process.argv))
  .scriptName("bench-codec")
  .usage(
    "$0 [options]\n\nCodec RTL throughput (elements per cycle) and bus bytes per format, over densities.",
  )
  .option("preset", {
    choices: [...PRESET_NAMES, "all"],
    default: "all",
    describe: "shipped preset to generate the codecs from",
  })
  .option("blocks", { type: "number", default: 512, describe: "blocks per measured tensor" })
  .option("sim", { choices: ["verilator", "icarus"] as const, default: "verilator" as const })
  .option("seed", { type: "number", default: 1 })
  .check((a) => {
    if (!Number.isInteger(a.blocks) || a.blocks < 1)
      throw new Error("--blocks takes a positive integer");
    return true;
  })
  .strict()
  .help()
  .parseAsync();

const presetArg = args.preset;
const presets = presetArg === "all" ? PRESET_NAMES : [presetArg];
const blocks = args.blocks;
const seed = args.seed;
const sim: Simulator = args.sim;
const DENSITIES = [1, 0.5, 0.1, 0.01, 0];
/** Tensors per density: two settle the pipeline at the density, the third is measured. */
const REPEAT = 3;

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;

console.log(`# Codec RTL benchmark\n`);
console.log(
  `command: npm run bench:codec -- --preset ${presetArg} --blocks ${blocks} --sim ${sim} --seed ${seed}\n`,
);
console.log(
  "Steady state without stalls: each row is the last of three equal-density tensors of uniform random masks. " +
    "Bound = elements / max(blocks, codec words): one block per cycle on the block side, one codec word per cycle on the stream side (a bus word, or with a narrower codec.wordBits a word of the stream without its frames' padding).\n",
);

for (const preset of presets) {
  const base = PRESETS[preset];
  if (base === undefined) continue;
  const units: CodecUnit[] = CODEC_FORMATS.map((format) => {
    const desc = validateDescription({
      ...base,
      name: `bench_${preset}_${format}`,
      codec: { ...base.codec, format },
    });
    const p = modelCodecParams(desc);
    const frames = Math.ceil(blocks / (p.frameElems / p.k));
    return {
      tag: desc.name,
      rtl: codecRtl(desc),
      p,
      tensors: rateTensors(p.k, p.frameElems, frames, seed, DENSITIES, REPEAT),
      opts: { fullRateFrom: 0 },
    };
  });
  const first = units[0]?.p;
  if (first === undefined) continue;
  // the codec's word (codec.wordBits): the bound counts the stream in these words
  const wordBits = validateDescription({ ...base, name: `bench_${preset}` }).codec.wordBits;
  const t0 = performance.now();
  const r = runCodecBench(join(REPO_ROOT, "build", "bench", "codec", preset), units, sim, {
    seed,
    perTensor: true,
  });
  if (!r.ok) {
    console.error(r.output.slice(0, 4000));
    console.error(`${preset}: simulation failed`);
    process.exit(1);
  }
  const rows = new Map<CodecFormat, RateRow[]>();
  for (const [i, u] of units.entries()) {
    const res = r.units[i];
    if (res !== undefined) rows.set(u.p.format, rateRows(res, u.tensors, u.p, 0, REPEAT, wordBits));
  }
  const wb = first.busBits / 8;
  const frames = Math.ceil(blocks / (first.frameElems / first.k));
  console.log(
    `## Preset ${preset}: blocks of ${first.k}, frames of ${first.frameElems} elements, ${first.busBits}-bit bus${wordBits < first.busBits ? ` (${wordBits}-bit codec words)` : ""}, ${frames} frames per tensor\n`,
  );
  console.log(
    `(${sim}: build and run ${((performance.now() - t0) / 1000).toFixed(0)} s; codec hbm grid ${first.grid}, ${first.levels} levels; rle ${first.runBits}-bit runs)\n`,
  );
  console.log("### Throughput (elements per cycle)\n");
  if (wordBits < first.busBits)
    console.log(
      `The codec moves ${wordBits / 8} stream byte(s) a cycle, so it takes or sends a bus word only every few cycles: its dead cycles are those cycles, by design, not bubbles.\n`,
    );
  console.log(
    "| format | density | bus words | blocks | bound | encoder | decoder | encoder / bound | decoder / bound | dead cycles enc / dec |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const format of CODEC_FORMATS) {
    for (const row of rows.get(format) ?? []) {
      const bound = row.elems / row.ideal;
      const enc = row.elems / row.encCycles;
      const dec = row.elems / row.decCycles;
      console.log(
        `| ${format} | ${pct(row.density)} | ${row.words} | ${row.blocks} | ${bound.toFixed(2)} | ${enc.toFixed(2)} | ${dec.toFixed(2)} | ${((100 * enc) / bound).toFixed(1)}% | ${((100 * dec) / bound).toFixed(1)}% | ${row.encDead} / ${row.decDead} |`,
      );
    }
  }
  console.log("\n### Bytes on the bus (per element) against the entropy bound\n");
  console.log(
    `| density | bound | ${CODEC_FORMATS.join(" | ")} | ${CODEC_FORMATS.filter((f) => f !== "dense")
      .map((f) => `${f} vs dense`)
      .join(" | ")} |`,
  );
  console.log(`|---:|---:|${CODEC_FORMATS.map(() => "---:").join("|")}|${"---:|".repeat(3)}`);
  const tensorsOf = units[0]?.tensors ?? [];
  for (let i = 0; i < DENSITIES.length; i++) {
    const t = tensorsOf[REPEAT * i + REPEAT - 1]?.t;
    if (t === undefined) continue;
    let nz = 0;
    let nzBlocks = 0;
    for (let b = 0; b < t.scale.length; b++) {
      let any = false;
      for (let e = 0; e < t.k; e++) if ((t.q[b * t.k + e] ?? 0) !== 0) any = true;
      if (any) nzBlocks++;
    }
    for (const q of t.q) if (q !== 0) nz++;
    const n = t.q.length;
    const p = nz / n;
    const boundBytes = (binaryEntropy(p) + 8 * p + (8 * nzBlocks) / n) / 8;
    const bytes = (f: CodecFormat): number => {
      const row = (rows.get(f) ?? [])[i];
      return row === undefined ? NaN : (row.words * wb) / row.elems;
    };
    const dense = bytes("dense");
    console.log(
      `| ${pct(p)} | ${boundBytes.toFixed(3)} | ${CODEC_FORMATS.map((f) => bytes(f).toFixed(3)).join(" | ")} | ${CODEC_FORMATS.filter(
        (f) => f !== "dense",
      )
        .map((f) => {
          const r = (1 - bytes(f) / dense) * 100;
          return r >= 0 ? `${r.toFixed(1)}% less` : `${(-r).toFixed(1)}% more`;
        })
        .join(" | ")} |`,
    );
  }
  console.log("");
}
