/**
 * FPGA flow in one command: elaborate a description (or take Verilog files), synthesize the
 * chosen block with Yosys `synth_ice40`, place and route it with nextpnr-ice40, and print the
 * figures: LUTs, carries, flip-flops, block RAMs, DSPs, logic cells and Fmax per clock, as a
 * Markdown table or as JSON. See docs/fpga.md.
 *
 *   npm run synth -- --preset tiny --device up5k
 *   npm run synth -- --preset tiny --device hx8k --freq 48 --json
 *   npm run synth -- --verilog bench/fp16_pe/fp16_mac_pe.v --top fp16_mac_pe --param LANES=4
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { boardParams } from "../generator/elab/board.ts";
import type { ResolvedDescription } from "../generator/dsl/description.ts";
import {
  type Design,
  DSP_MUL_DEFINE,
  type ModuleInstance,
  elaborate,
} from "../generator/elab/elaborate.ts";
import { BOARD_NAMES, BOARDS, boardDef, boardPcf } from "../generator/fpga/boards.ts";
import {
  type AreaBreakdown,
  areaBreakdown,
  areaBreakdownDesign,
  breakdownMarkdown,
} from "../generator/fpga/breakdown.ts";
import { REPO_ROOT } from "../generator/emit/render.ts";
import { GenError } from "../generator/errors.ts";
import { PRESET_NAMES } from "../generator/dsl/presets.ts";
import { loadDescriptionFile, presetDescription } from "../generator/load.ts";
import { DEVICE_NAMES, DEVICES, type DeviceName } from "../generator/fpga/devices.ts";
import {
  chooseModule,
  FitError,
  synthesize,
  synthesizeDesign,
  type SynthOptions,
  type SynthReport,
} from "../generator/fpga/flow.ts";
import { jsonReport, markdownReport } from "../generator/fpga/report.ts";

function parseParams(list: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of list) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+)$/.exec(p);
    if (m === null) {
      throw new GenError("E_DESC_FIELD", `--param ${p}: expected NAME=INTEGER`, {
        field: "param",
        hint: "for example --param LANES=4",
      });
    }
    out[m[1] ?? ""] = Number(m[2]);
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const a = await yargs(argv)
    .scriptName("npm run synth --")
    .usage(
      "$0 [options]\n\nSynthesize a block for an iCE40 with Yosys and nextpnr and report its size and Fmax. " +
        "The block sits in a synthesis harness (a shift register feeds its inputs, its outputs are " +
        "XOR-reduced to one pin), so any block places and routes; see docs/fpga.md.",
    )
    .option("preset", {
      type: "string",
      describe: `shipped preset (${PRESET_NAMES.join(", ")})`,
    })
    .option("desc", { type: "string", describe: "description file (.ts) instead of a preset" })
    .option("verilog", {
      type: "string",
      array: true,
      describe: "Verilog files to synthesize instead of a description (with --top)",
    })
    .option("param", {
      type: "string",
      array: true,
      default: [] as string[],
      describe: "parameter override of the top module, NAME=VALUE (with --verilog)",
    })
    .option("device", {
      choices: DEVICE_NAMES,
      default: "hx8k" as DeviceName,
      describe: "iCE40 part: hx8k (iCE40HX8K ct256) or up5k (iCE40UP5K sg48, the iCEBreaker's)",
    })
    .option("freq", {
      type: "number",
      default: 40,
      describe: "target clock frequency in MHz (timing-driven placement, PASS/FAIL)",
    })
    .option("module", {
      type: "string",
      describe:
        'role of the block to synthesize ("pe", "top", ...; default: "top" if any, else "pe")',
    })
    .option("top", { type: "string", describe: "module name of the block to synthesize" })
    .option("out", {
      type: "string",
      describe: "work folder (default build/synth/<design>-<block>-<device>)",
    })
    .option("json", { type: "boolean", default: false, describe: "print the report as JSON" })
    .option("seed", { type: "number", default: 1, describe: "nextpnr placement seed" })
    .option("abc9", {
      type: "boolean",
      default: true,
      describe:
        "map to LUTs with Yosys' ABC9 flow (synth_ice40 -abc9; --no-abc9: the classic ABC mapping)",
    })
    .option("dsp", {
      type: "boolean",
      describe: `map the 8 x 8 products to SB_MAC16 DSPs (synth_ice40 -dsp, sources read with -D${DSP_MUL_DEFINE}; default: when the part has DSPs; --no-dsp: LUT multipliers)`,
    })
    .option("harness", {
      type: "boolean",
      default: true,
      describe: "wrap the block in the synthesis harness (--no-harness: use its own pins)",
    })
    .option("pcf", { type: "string", describe: "pin constraints (implies --no-harness)" })
    .option("bitstream", { type: "boolean", default: false, describe: "also run icepack" })
    .option("board", {
      choices: BOARD_NAMES,
      describe:
        "build the board wrapper (<name>_board) for a board: its part (overrides --device), pins (a generated .pcf), clock (the timing target) and LEDs, and a bitstream",
    })
    .option("mem-bytes", {
      type: "number",
      describe: `with --board: bytes of on-chip board memory (a power of two; default: the board's: ${BOARD_NAMES.map((n) => `${n} ${BOARDS[n].memBytes}`).join(", ")})`,
    })
    .option("breakdown", {
      type: "boolean",
      default: false,
      describe:
        "only Yosys, with the hierarchy kept: LUT4, flip-flops and RAMs of every module (no place and route)",
    })
    .option("require-timing", {
      type: "boolean",
      default: false,
      describe: "exit with an error when a clock misses --freq",
    })
    .conflicts("preset", "desc")
    .conflicts("verilog", ["preset", "desc", "module"])
    .conflicts("board", ["verilog", "module", "top", "pcf"])
    .implies("mem-bytes", "board")
    .check((x) => {
      if (x.verilog !== undefined && x.top === undefined) throw new Error("--verilog needs --top");
      if (!(x.freq > 0)) throw new Error("--freq must be a positive number of MHz");
      return true;
    })
    .example("$0 --preset tiny --device up5k", "the tiny preset's top level (or PE) on the UP5K")
    .example("$0 --preset tiny --module pe --json", "its PE on the HX8K, JSON report")
    .example("$0 --preset tiny --board icebreaker", "the board wrapper, pins and bitstream")
    .example("$0 --preset tiny --module top --breakdown", "where the tiny processor's LUTs go")
    .example(
      "$0 --verilog bench/fp16_pe/fp16_mac_pe.v --top fp16_mac_pe --param LANES=4",
      "a hand-written design",
    )
    .strict()
    .version(false)
    .help()
    .alias("h", "help")
    .fail((msg, err, y) => {
      if (err instanceof GenError) throw err;
      console.error(y.help().toString());
      console.error(`\n${msg ?? String(err)}`);
      process.exit(2);
    })
    .parseAsync();

  const board = a.board === undefined ? undefined : boardDef(a.board);
  const device = board?.device ?? a.device;
  const say = (m: string): void => void process.stderr.write(`synth: ${m}\n`);
  const common = (outDir: string): SynthOptions => ({
    device,
    freqMhz: a.freq,
    outDir,
    seed: a.seed,
    abc9: a.abc9,
    ...(a.dsp === undefined ? {} : { dsp: a.dsp }),
    harness: a.harness && board === undefined,
    bitstream: a.bitstream || board !== undefined,
    onProgress: say,
    ...(a.pcf === undefined ? {} : { pcf: a.pcf }),
  });

  // the description and the block of it to synthesize (the board wrapper with --board)
  const chosenBlock = async (): Promise<{
    desc: ResolvedDescription;
    design: Design;
    m: ModuleInstance;
  }> => {
    const desc =
      a.desc !== undefined
        ? await loadDescriptionFile(a.desc)
        : presetDescription(a.preset ?? "tiny");
    const design = elaborate(desc);
    const m = chooseModule(
      design,
      board !== undefined
        ? { role: "board" }
        : {
            ...(a.module === undefined ? {} : { role: a.module }),
            ...(a.top === undefined ? {} : { top: a.top }),
          },
    );
    return { desc, design, m };
  };

  if (a.breakdown) {
    const bo = {
      device,
      outDir: "",
      onProgress: say,
      abc9: a.abc9,
      ...(a.dsp === undefined ? {} : { dsp: a.dsp }),
    };
    let b: AreaBreakdown;
    if (a.verilog !== undefined) {
      const top = a.top ?? "";
      bo.outDir = a.out ?? join(REPO_ROOT, "build", "synth", `${top}-${device}-breakdown`);
      b = await areaBreakdown({ files: a.verilog, top, params: parseParams(a.param) }, bo);
    } else {
      const { desc, design, m } = await chosenBlock();
      bo.outDir =
        a.out ?? join(REPO_ROOT, "build", "synth", `${desc.name}-${m.role}-${device}-breakdown`);
      b = await areaBreakdownDesign(design, { top: m.module }, bo);
    }
    const md = breakdownMarkdown(b);
    writeFileSync(join(bo.outDir, "breakdown.md"), md);
    if (a.json) process.stdout.write(JSON.stringify(b, null, 2) + "\n");
    else process.stdout.write(md);
    return;
  }

  let report: SynthReport;
  if (a.verilog !== undefined) {
    const top = a.top ?? "";
    const out = a.out ?? join(REPO_ROOT, "build", "synth", `${top}-${device}`);
    report = await synthesize({ files: a.verilog, top, params: parseParams(a.param) }, common(out));
  } else {
    const { desc, design, m } = await chosenBlock();
    const out =
      a.out ?? join(REPO_ROOT, "build", "synth", `${desc.name}-${a.board ?? m.role}-${device}`);
    if (board === undefined)
      report = await synthesizeDesign(design, { top: m.module }, common(out));
    else {
      // the wrapper's pins from the board's definition; its UART bit time from the board's clock
      mkdirSync(out, { recursive: true });
      const pcf = join(out, `${a.board}.pcf`);
      writeFileSync(pcf, boardPcf(board, m.module));
      const bp = boardParams(design.desc, {
        clockHz: board.clockHz,
        memBytes: a.memBytes ?? board.memBytes,
      });
      say(
        `board ${board.name}: pins in ${relative(process.cwd(), pcf)}, ${bp.baud} baud, ${bp.memBytes} bytes of memory`,
      );
      report = await synthesizeDesign(
        design,
        { top: m.module },
        { ...common(out), pcf, freqMhz: board.clockHz / 1e6 },
        {
          CLKS_PER_BIT: bp.clksPerBit,
          WORDS: bp.WORDS,
          WAW: bp.WAW,
          LED_ACTIVE_LOW: board.ledActiveLow ? 1 : 0,
        },
      );
    }
  }

  const md = markdownReport(report);
  writeFileSync(join(report.files.netlist, "..", "report.md"), md);
  writeFileSync(join(report.files.netlist, "..", "report.json"), jsonReport(report));
  if (a.json) process.stdout.write(jsonReport(report));
  else {
    process.stdout.write(md);
    process.stdout.write(
      `\nReport files: ${relative(process.cwd(), join(report.files.netlist, "..", "report.md"))}, report.json (same folder).\n`,
    );
  }
  if (a.requireTiming && !report.timingMet) {
    const missed = report.clocks.filter((c) => !c.pass);
    throw new GenError(
      "E_TOOL_FAIL",
      `timing not met on ${DEVICES[device].name}: ${missed.map((c) => `${c.name} ${c.fmaxMhz} MHz < ${c.targetMhz} MHz`).join(", ")}`,
      { hint: "lower --freq, or pipeline the critical path nextpnr prints in its log" },
    );
  }
}

main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof FitError && e.block !== undefined) {
    // What synthesis measured, to size the configuration down from.
    const b = e.block;
    console.error(
      `synth: Yosys cells of the block: ${b.luts} LUT4, ${b.carries} carry, ${b.ffs} flip-flops, ${b.brams} block RAMs, ${b.dsps} DSPs, ${b.sprams} SPRAMs`,
    );
  }
  if (e instanceof GenError) {
    console.error(e.format());
    process.exit(1);
  }
  throw e;
});
