/**
 * The tiny preset with one MAC unit per lane (array.macPasses = 1) instead of two passes over
 * each row of B: the reference for the passes' cycle cost in docs/compute-core-bench-tiny.md.
 */
import type { ProcessorDescription } from "../../generator/dsl/description.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";

const tiny = PRESETS["tiny"];
if (tiny === undefined) throw new Error("no tiny preset");

const description: ProcessorDescription = {
  ...tiny,
  name: "tiny_one_pass",
  array: { ...tiny.array, macPasses: 1 },
};
export default description;
