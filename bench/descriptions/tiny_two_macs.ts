/**
 * The tiny preset on 2 MAC units instead of 4 (array.macPasses = 4: four passes over each row of
 * B): what halving the MAC units saves in area and costs in cycles (docs/fpga.md).
 */
import type { ProcessorDescription } from "../../generator/dsl/description.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";

const tiny = PRESETS["tiny"];
if (tiny === undefined) throw new Error("no tiny preset");

const description: ProcessorDescription = {
  ...tiny,
  name: "tiny_two_macs",
  array: { ...tiny.array, macPasses: 4 },
};
export default description;
