/**
 * The tiny preset with the block-a-cycle output stage (array.requantElems = blockSize) instead of
 * its serial one: the reference for the serial stage's cycle cost in docs/compute-core-bench-tiny.md.
 */
import type { ProcessorDescription } from "../../generator/dsl/description.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";

const tiny = PRESETS["tiny"];
if (tiny === undefined) throw new Error("no tiny preset");

const description: ProcessorDescription = {
  ...tiny,
  name: "tiny_block_requant",
  array: { ...tiny.array, requantElems: 8 },
};
export default description;
