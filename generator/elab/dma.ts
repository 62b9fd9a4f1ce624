/**
 * Elaboration of the AXI4 DMA. Every derived width and depth of the DMA is computed here, once.
 */
import type { ResolvedDescription } from "../dsl/description.ts";
import type { ModuleInstance } from "./elaborate.ts";

/** The DMA's module instances for a description (none yet). */
export function dmaModules(_desc: ResolvedDescription): ModuleInstance[] {
  return [];
}
