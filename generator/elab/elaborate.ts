/**
 * Elaboration: a validated description becomes a resolved design: every derived width, depth
 * and count computed once, here, and a tree of module instances that templates only render.
 * Deterministic: the same description always gives the same design (and byte-identical files).
 */
import { productWidth, ACC_EXP_WIDTH } from "../model/accum.ts";
import type { ResolvedDescription } from "../dsl/description.ts";
import { buildRegisterMap, type Register } from "../dsl/regmap.ts";
import { codecModules } from "./codec.ts";
import { type CoreParams, coreModules, coreParams } from "./core.ts";
import { dmaModules } from "./dma.ts";
import { type RegfileParams, regfileDoc, regfileParams } from "./regfile.ts";
import { boardModules } from "./board.ts";
import { topModules } from "./top.ts";

export const GENERATOR_NAME = "sparsetrain-gen";
export const GENERATOR_VERSION = "0.1.0";

const clog2 = (x: number): number => Math.ceil(Math.log2(x));

/**
 * Verilog define under which the generated PEs and MAC units write their 8 x 8 products as
 * `x * y`, so that `synth_ice40 -dsp` maps them to SB_MAC16 blocks; without it they are
 * hand-built LUT multipliers, smaller than what Yosys makes of `x * y` on a part with no DSPs.
 * The FPGA flow defines it when it maps to DSPs (generator/fpga/flow.ts).
 */
export const DSP_MUL_DEFINE = "SPARSETRAIN_DSP_MUL";

/** Parameters of the BFP8 dot-product PE. */
export interface PeParams {
  /** Block size (elements per block pair). */
  k: number;
  /** Element pairs per beat. */
  lanes: number;
  /** Accumulator width. */
  accW: number;
  /** Width of a block-pair product sum: 15 + log2(k). */
  pw: number;
  /** accW - pw: sign-extension bits from a block sum to the accumulator. */
  accExt: number;
  /** pw - 16: sign-extension bits from one product to a block sum. */
  prodExt: number;
  /** Width of the alignment shift: clog2(accW). */
  shw: number;
  /** Width of one operand's beat: lanes x 8 bits. */
  lanesBits: number;
  /** Testbench beat word: {dlast, blast, sa[8], sb[8], a[lanesBits], b[lanesBits]}. */
  beatBits: number;
  /** Testbench result word: {nan, exp[expW], acc[accW]}. */
  resBits: number;
  /** Largest alignment shift: accW - 1. */
  shMax: number;
  /** Width of the exponent-sum field (9). */
  expW: number;
  /** The define that selects the `x * y` product form (DSP_MUL_DEFINE). */
  dspMulDefine: string;
  /** Lane indices 0..lanes-1. */
  laneIdx: number[];
  /** Balanced adder tree over the lane products sum_0_<i>: one node per adder. */
  adderTree: { out: string; a: string; b: string }[];
  /** Name of the tree's root (the beat sum). */
  beatSum: string;
}

/**
 * A balanced binary tree over n leaves named <prefix>_0_<i>: one node per two-input operator,
 * named <prefix>_<depth>_<i>. Used for the PE's adder tree and the output stage's max tree.
 */
export function balancedTree(
  n: number,
  prefix: string,
): { nodes: { out: string; a: string; b: string }[]; root: string } {
  let level = Array.from({ length: n }, (_, i) => `${prefix}_0_${i}`);
  const nodes: { out: string; a: string; b: string }[] = [];
  let depth = 0;
  while (level.length > 1) {
    depth++;
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i] ?? "";
      const b = level[i + 1];
      if (b === undefined) {
        next.push(a);
        continue;
      }
      const out = `${prefix}_${depth}_${i / 2}`;
      nodes.push({ out, a, b });
      next.push(out);
    }
    level = next;
  }
  return { nodes, root: level[0] ?? `${prefix}_0_0` };
}

export interface ModuleInstance {
  /** Role in the design ("pe", "regfile", ...). */
  role: string;
  /** Verilog module name (prefixed with the description's name). */
  module: string;
  /** Template file under templates/. */
  template: string;
  /** Output file name. */
  file: string;
  /** One line on what the module does. */
  doc: string;
  params: Record<string, unknown>;
}

export interface Design {
  desc: ResolvedDescription;
  pe: PeParams;
  registers: Register[];
  regfile: RegfileParams;
  core: CoreParams;
  modules: ModuleInstance[];
}

export function peParams(k: number, lanes: number, accW: number): PeParams {
  const pw = productWidth(k);
  const tree = balancedTree(lanes, "sum");
  return {
    k,
    lanes,
    accW,
    pw,
    accExt: accW - pw,
    prodExt: pw - 16,
    shw: clog2(accW),
    shMax: accW - 1,
    lanesBits: lanes * 8,
    beatBits: 18 + 16 * lanes,
    resBits: 1 + ACC_EXP_WIDTH + accW,
    expW: ACC_EXP_WIDTH,
    dspMulDefine: DSP_MUL_DEFINE,
    laneIdx: Array.from({ length: lanes }, (_, i) => i),
    adderTree: tree.nodes,
    beatSum: tree.root,
  };
}

/** One-line description of a PE, used in banners and docs. */
export function peDoc(pe: PeParams): string {
  return `BFP8 dot-product PE: ${pe.lanes} MACs per beat, blocks of ${pe.k}, ${pe.accW}-bit accumulator`;
}

export function elaborate(desc: ResolvedDescription): Design {
  const pe = peParams(desc.numerics.blockSize, desc.array.lanes, desc.numerics.accWidth);
  const registers = buildRegisterMap(desc);
  const regfile = regfileParams(desc, registers);
  const core = coreParams(desc);
  const mac = peParams(desc.numerics.blockSize, 1, desc.numerics.accWidth);
  const p = desc.name;
  const modules: ModuleInstance[] = [
    {
      role: "pe",
      module: `${p}_bfp8_dot_pe`,
      template: "bfp8_dot_pe.v.hbs",
      file: `${p}_bfp8_dot_pe.v`,
      doc: peDoc(pe),
      params: { ...pe },
    },
    {
      role: "regfile",
      module: `${p}_regfile`,
      template: "regfile.v.hbs",
      file: `${p}_regfile.v`,
      doc: regfileDoc(regfile),
      params: { ...regfile },
    },
    ...coreModules(desc, core, mac, peDoc(mac)),
    ...codecModules(desc),
    ...dmaModules(desc),
    ...topModules(desc, core, regfile.regs),
    ...boardModules(desc),
  ];
  return { desc, pe, registers, regfile, core, modules };
}
