/**
 * What the host needs to know about a processor: its limits (generator/elab/top.ts), its codec,
 * its numerics and its register map (generator/dsl/regmap.ts), all from the description.
 */
import type { ResolvedDescription } from "../../generator/dsl/description.ts";
import { type Register, buildRegisterMap } from "../../generator/dsl/regmap.ts";
import { type CoreParams, coreParams } from "../../generator/elab/core.ts";
import { type TopParams, topParams } from "../../generator/elab/top.ts";
import type { Rounding } from "../../generator/model/bfp8.ts";
import type { CodecParams } from "../../generator/model/codecs.ts";
import { modelCodecParams } from "../codec-bench.ts";

export interface Numerics {
  k: number;
  rounding: Rounding;
  accWidth: number;
}

/** The register map by name, with field access. */
export class RegMap {
  readonly byName: ReadonlyMap<string, Register>;
  constructor(readonly registers: readonly Register[]) {
    this.byName = new Map(registers.map((r) => [r.name, r]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  reg(name: string): Register {
    const r = this.byName.get(name);
    if (r === undefined) throw new Error(`register ${name} is not in the register map`);
    return r;
  }

  offset(name: string): number {
    return this.reg(name).offset;
  }

  /** Name of the register at a byte offset (for messages). */
  nameAt(offset: number): string {
    return this.registers.find((r) => r.offset === offset)?.name ?? `@0x${offset.toString(16)}`;
  }

  field(reg: string, field: string): { lsb: number; width: number; mask: number } {
    const f = this.reg(reg).fields.find((x) => x.name === field);
    if (f === undefined) throw new Error(`register ${reg} has no field ${field}`);
    const mask = (f.width >= 32 ? 0xffffffff : ((2 ** f.width - 1) * 2 ** f.lsb) >>> 0) >>> 0;
    return { lsb: f.lsb, width: f.width, mask };
  }

  /** The field's bits set to v (v must fit). */
  set(reg: string, field: string, v: number): number {
    const f = this.field(reg, field);
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** f.width)
      throw new Error(`${reg}.${field} = ${v} does not fit ${f.width} bits`);
    return (v * 2 ** f.lsb) >>> 0;
  }

  /** Bit mask of one field. */
  bit(reg: string, field: string): number {
    return this.field(reg, field).mask;
  }

  get(reg: string, field: string, value: number): number {
    const f = this.field(reg, field);
    return Math.floor((value >>> 0) / 2 ** f.lsb) % 2 ** f.width;
  }
}

export interface HostContext {
  desc: ResolvedDescription;
  core: CoreParams;
  top: TopParams;
  codec: CodecParams;
  num: Numerics;
  regs: RegMap;
  /** AXI address width (the *_HI registers exist when it exceeds 32). */
  addrWidth: number;
  /** Bus bytes. */
  busBytes: number;
  /** Width of the PERF_* counters (they count modulo 2^counterBits; *_HI exist above 32). */
  counterBits: number;
}

export function hostContext(desc: ResolvedDescription): HostContext {
  const core = coreParams(desc);
  return {
    desc,
    core,
    top: topParams(desc, core),
    codec: modelCodecParams(desc),
    num: {
      k: desc.numerics.blockSize,
      rounding: desc.numerics.rounding,
      accWidth: desc.numerics.accWidth,
    },
    regs: new RegMap(buildRegisterMap(desc)),
    addrWidth: desc.dma.addrWidth,
    busBytes: desc.dma.dataWidth / 8,
    counterBits: desc.regfile.counterBits,
  };
}
