/**
 * The tiny preset with one outstanding AXI transaction per direction (dma.maxOutstanding = 1,
 * tiny has 2): what the DMA engines' tracking costs in area (docs/fpga.md).
 */
import type { ProcessorDescription } from "../../generator/dsl/description.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";

const tiny = PRESETS["tiny"];
if (tiny === undefined) throw new Error("no tiny preset");

const description: ProcessorDescription = {
  ...tiny,
  name: "tiny_one_outstanding",
  dma: { ...tiny.dma, maxOutstanding: 1 },
};
export default description;
