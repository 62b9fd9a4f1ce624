/**
 * Elaboration of the register file: everything the regfile RTL, the C header, the Markdown page
 * and the TypeScript constants need, derived once from the register map.
 */
import type { ResolvedDescription } from "../dsl/description.ts";
import type { Register } from "../dsl/regmap.ts";

/** How a register meets the hardware around the register file. */
export type RegKind = "const" | "ro" | "rw" | "w1p" | "w1c";

export interface RegfileReg {
  name: string;
  /** Port base name in the RTL (lower case, "reg_" prefix). */
  port: string;
  kind: RegKind;
  offset: number;
  /** Word index: offset / 4 (what the RTL decodes). */
  word: number;
  doc: string;
  reset: number;
  mask: number;
  /** const registers: their value. */
  value: number;
  /** Hex strings for the templates (8 digits). */
  offsetHex: string;
  resetHex: string;
  maskHex: string;
  valueHex: string;
  fields: {
    name: string;
    lsb: number;
    width: number;
    msb: number;
    mask: number;
    maskHex: string;
    doc: string;
  }[];
  isConst: boolean;
  isRo: boolean;
  isRw: boolean;
  isW1p: boolean;
  isW1c: boolean;
  /** A job register: writes are refused while lock_i is high (Register.locked). */
  isLocked: boolean;
}

export interface RegfileParams {
  /** AXI4-Lite address width. */
  addrWidth: number;
  /** Width of the word index: addrWidth - 2. */
  wordWidth: number;
  regs: RegfileReg[];
  /** Some register is locked: the regfile has a lock_i input. */
  hasLock: boolean;
  /** Names of the interrupt enable / status registers. */
  irqEnable: string;
  irqStatus: string;
  /** Prefix for C macros (upper-case description name). */
  cPrefix: string;
  /** Include guard of the C header. */
  guard: string;
  /** The AXI response for a write to a read-only register or an unmapped address (SLVERR). */
  errResp: number;
}

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, "0");

function kindOf(r: Register): RegKind {
  if (r.value !== undefined) return "const";
  return r.access;
}

export function regfileParams(desc: ResolvedDescription, registers: Register[]): RegfileParams {
  const regs = registers.map((r): RegfileReg => {
    const kind = kindOf(r);
    const value = r.value ?? 0;
    return {
      name: r.name,
      port: `reg_${r.name.toLowerCase()}`,
      kind,
      offset: r.offset,
      word: r.offset / 4,
      doc: r.doc,
      reset: r.reset,
      mask: r.mask,
      value,
      offsetHex: hex8(r.offset),
      resetHex: hex8(r.reset),
      maskHex: hex8(r.mask),
      valueHex: hex8(value),
      fields: r.fields.map((f) => {
        const mask = f.width >= 32 ? 0xffffffff : ((2 ** f.width - 1) * 2 ** f.lsb) >>> 0;
        return { ...f, msb: f.lsb + f.width - 1, mask, maskHex: hex8(mask) };
      }),
      isConst: kind === "const",
      isRo: kind === "ro",
      isRw: kind === "rw",
      isW1p: kind === "w1p",
      isW1c: kind === "w1c",
      isLocked: r.locked,
    };
  });
  const cPrefix = desc.name.toUpperCase();
  return {
    addrWidth: desc.regfile.addrWidth,
    wordWidth: desc.regfile.addrWidth - 2,
    regs,
    hasLock: regs.some((r) => r.isLocked),
    irqEnable: "reg_irq_enable",
    irqStatus: "reg_irq_status",
    cPrefix,
    guard: `${cPrefix}_REGS_H`,
    errResp: 2,
  };
}

/** One-line description of the register file. */
export function regfileDoc(p: RegfileParams): string {
  return `AXI4-Lite register file: ${p.regs.length} registers, ${p.addrWidth}-bit addresses`;
}
