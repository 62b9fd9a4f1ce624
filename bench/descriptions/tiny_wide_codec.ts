/**
 * The tiny preset with a codec that works on whole 32-bit bus words (codec.wordBits = 32, the
 * default) instead of bytes: the reference for the byte-wide codec's cycle cost in docs/fpga.md.
 */
import type { ProcessorDescription } from "../../generator/dsl/description.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";

const tiny = PRESETS["tiny"];
if (tiny === undefined) throw new Error("no tiny preset");

const description: ProcessorDescription = {
  ...tiny,
  name: "tiny_wide_codec",
  codec: { ...tiny.codec, wordBits: 32 },
};
export default description;
