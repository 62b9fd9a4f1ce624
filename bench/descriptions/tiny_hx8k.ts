/**
 * The tiny preset cut to fit an iCE40HX8K with the board wrapper: one MAC unit (array.macPasses
 * = 8, eight passes over each row of B) and 16-bit PERF_* counters (regfile.counterBits = 16: they
 * count modulo 2^16, 5.4 ms at the board's 12 MHz; a job's counts are read after each job). The
 * hx8k-breakout board gives it 2 KiB of memory (`npm run synth -- --desc
 * bench/descriptions/tiny_hx8k.ts --board hx8k-breakout --mem-bytes 2048`, docs/fpga.md).
 */
import type { ProcessorDescription } from "../../generator/dsl/description.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";

const tiny = PRESETS["tiny"];
if (tiny === undefined) throw new Error("no tiny preset");

const description: ProcessorDescription = {
  ...tiny,
  name: "tiny_hx8k",
  array: { ...tiny.array, macPasses: 8 },
  regfile: { ...tiny.regfile, counterBits: 16 },
};
export default description;
