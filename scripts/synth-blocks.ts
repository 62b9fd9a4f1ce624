/**
 * Every block of a processor synthesized, placed and routed on its own (each in the synthesis
 * harness, so its ports need no pins): LUT4, flip-flops, block RAMs, logic cells and Fmax per
 * block, in a Markdown table. When the whole processor does not fit a part, this still tells
 * which block limits its clock (the lowest Fmax is an upper bound on the design's: joining the
 * blocks only adds routing) and where its area goes. See docs/fpga.md.
 *
 *   npm run synth-blocks -- [--preset tiny] [--device hx8k] [--blocks core,codec_enc,...]
 *   npm run synth-blocks -- --tables-from build/synth-blocks.json
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { elaborate } from "../generator/elab/elaborate.ts";
import { GenError } from "../generator/errors.ts";
import { DEVICES, type DeviceName } from "../generator/fpga/devices.ts";
import { synthesizeDesign } from "../generator/fpga/flow.ts";
import { loadDescription } from "../generator/load.ts";
import { figuresLine, synthFigures, synthRunOptions, type SynthFigures } from "./sweep-common.ts";

/** The processor's blocks below the top level, with what each one is. */
const BLOCKS: readonly [string, string][] = [
  ["core", "compute core (MAC lanes, buffers, schedule, output stage)"],
  ["core_mac", "one MAC lane of the core"],
  ["requant", "the core's output stage"],
  ["codec_enc", "codec encoder"],
  ["codec_dec", "codec decoder"],
  ["sequencer", "sequencer (loader, tiling, output path, counters)"],
  ["dma_rd", "AXI read DMA"],
  ["dma_wr", "AXI write DMA"],
  ["regfile", "AXI4-Lite register file"],
];

interface Row extends SynthFigures {
  role: string;
  what: string;
  module: string;
}

interface Run {
  command: string;
  design: string;
  device: DeviceName;
  freq: number;
  rows: Row[];
}

function tables(s: Run): string {
  const dev = DEVICES[s.device];
  const f = (v: number | undefined, d = 0): string => (v === undefined ? "-" : v.toFixed(d));
  const out: string[] = [];
  out.push(`# Blocks of ${s.design}, each on its own on the ${dev.name}, target ${s.freq} MHz\n`);
  out.push(`command: \`${s.command}\`\n`);
  out.push(
    `LUT4, carry, flip-flop and block-RAM counts are Yosys \`synth_ice40\` cells of the block alone (its submodules included); LCs and Fmax are nextpnr's for the block in the synthesis harness. "through": the source lines of the critical path.\n`,
  );
  out.push("| block | what | LUT4 | carry | FF | BRAM | LCs | Fmax (MHz) | through | note |");
  out.push("|---|---|---:|---:|---:|---:|---:|---:|---|---|");
  for (const r of s.rows)
    out.push(
      `| ${r.role} | ${r.what} | ${f(r.block?.luts)} | ${f(r.block?.carries)} | ${f(r.block?.ffs)} | ${f(r.block?.brams)} | ${f(r.lcs)} | ${f(r.fmax, 2)} | ${r.through.slice(0, 3).join(", ")} | ${r.note ?? ""} |`,
    );
  const timed = s.rows.filter((r) => r.fmax !== undefined);
  const slowest = timed.reduce<Row | undefined>(
    (m, r) => (m === undefined || (r.fmax ?? 0) < (m.fmax ?? 0) ? r : m),
    undefined,
  );
  if (slowest !== undefined)
    out.push(
      `\nSlowest block: **${slowest.role}** at ${f(slowest.fmax, 2)} MHz; the processor's clock can be no faster (of ${timed.length} block(s) that placed and routed; ${s.rows.length - timed.length} did not).`,
    );
  return out.join("\n");
}

async function main(argv: string[]): Promise<void> {
  const a = await synthRunOptions(yargs(argv), "synth-blocks")
    .scriptName("npm run synth-blocks --")
    .usage(
      "$0 [options]\n\nSynthesize, place and route every block of a processor on its own; print each block's cells, logic cells and Fmax, and the slowest block.",
    )
    .option("preset", {
      type: "string",
      default: "tiny",
      describe: "shipped preset name or a description file (.ts)",
    })
    .option("blocks", {
      type: "string",
      default: BLOCKS.map(([r]) => r).join(","),
      describe: "roles of the blocks, comma-separated",
    })
    .option("timeout", {
      type: "number",
      default: 20,
      describe:
        "minutes each tool may take per block (a nearly full part can take nextpnr long to place)",
    })
    .strict()
    .version(false)
    .help()
    .alias("h", "help")
    .parseAsync();

  if (a.tablesFrom !== undefined) {
    console.log(tables(JSON.parse(readFileSync(a.tablesFrom, "utf8")) as Run));
    return;
  }
  const design = elaborate(await loadDescription(a.preset));
  const roles = a.blocks
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
  const known = new Set(design.modules.map((m) => m.role));
  const unknown = roles.filter((r) => !known.has(r));
  if (unknown.length > 0)
    throw new GenError("E_DESC_FIELD", `--blocks: no block ${unknown.join(", ")} in ${a.preset}`, {
      field: "blocks",
      hint: `blocks of this design: ${[...known].join(", ")}`,
    });
  const log = (m: string): void => void process.stderr.write(`synth-blocks: ${m}\n`);
  const rows: Row[] = [];
  for (const [i, role] of roles.entries()) {
    const what = BLOCKS.find(([r]) => r === role)?.[1] ?? role;
    const module = design.modules.find((m) => m.role === role)?.module ?? role;
    const dir = join(a.out, `${design.desc.name}-${role}-${a.device}`);
    mkdirSync(dir, { recursive: true });
    log(`[${i + 1}/${roles.length}] ${role} (${module}): synthesizing`);
    const f = await synthFigures(() =>
      synthesizeDesign(
        design,
        { role },
        {
          device: a.device,
          freqMhz: a.freq,
          outDir: dir,
          seed: a.seed,
          timeoutMs: a.timeout * 60_000,
          onProgress: (m) => log(`  ${m}`),
        },
      ),
    );
    const row: Row = { role, what, module, ...f };
    rows.push(row);
    log(`[${i + 1}/${roles.length}] ${role}: ${figuresLine(f)}`);
  }
  const run: Run = {
    command: `npm run synth-blocks -- --preset ${a.preset} --blocks ${roles.join(",")} --device ${a.device} --freq ${a.freq} --seed ${a.seed} --timeout ${a.timeout}`,
    design: `${design.desc.name}`,
    device: a.device,
    freq: a.freq,
    rows,
  };
  console.log(tables(run));
  if (a.json !== undefined) writeFileSync(a.json, JSON.stringify(run, null, 2) + "\n");
}

main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof GenError) {
    console.error(e.format());
    process.exit(1);
  }
  throw e;
});
