/**
 * The tiny preset on one MAC unit (array.macPasses = 8: the unit makes eight passes over each row
 * of B, one a lane): the smallest compute core of the tiny array, the variant closest to fitting
 * the whole processor on an iCE40HX8K (docs/fpga.md).
 */
import type { ProcessorDescription } from "../../generator/dsl/description.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";

const tiny = PRESETS["tiny"];
if (tiny === undefined) throw new Error("no tiny preset");

const description: ProcessorDescription = {
  ...tiny,
  name: "tiny_one_mac",
  array: { ...tiny.array, macPasses: 8 },
};
export default description;
