/**
 * Elaboration of the codec (encoder/decoder between the DMA and the on-chip buffers).
 * Every derived width and depth of the codec is computed here, once.
 */
import type { ResolvedDescription } from "../dsl/description.ts";
import type { ModuleInstance } from "./elaborate.ts";

/** The codec's module instances for a description (none yet). */
export function codecModules(_desc: ResolvedDescription): ModuleInstance[] {
  return [];
}
