/**
 * The tiny preset cut to fit an iCE40HX8K with the board wrapper (docs/fpga.md):
 * - one MAC unit (array.macPasses = 8: eight passes over each row of B);
 * - 16-bit PERF_* counters (regfile.counterBits = 16: they count modulo 2^16, 5.4 ms at the
 *   board's 12 MHz; the host reads a job's counts after the job);
 * - one AXI transaction in flight per direction, bursts of up to 4 beats;
 * - half the tiny preset's on-chip buffers (1 KiB of weights, 512 bytes each of inputs and
 *   outputs).
 * On the hx8k-breakout board it has 2 KiB of board memory:
 * `npm run synth -- --desc bench/descriptions/tiny_hx8k.ts --board hx8k-breakout --mem-bytes 2048`.
 */
import type { ProcessorDescription } from "../../generator/dsl/description.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";

const tiny = PRESETS["tiny"];
if (tiny === undefined) throw new Error("no tiny preset");

const description: ProcessorDescription = {
  ...tiny,
  name: "tiny_hx8k",
  array: { ...tiny.array, macPasses: 8 },
  buffers: { weightBytes: 1024, inputBytes: 512, outputBytes: 512 },
  dma: { ...tiny.dma, maxBurst: 4, maxOutstanding: 1 },
  regfile: { ...tiny.regfile, counterBits: 16 },
};
export default description;
