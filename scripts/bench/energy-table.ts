/**
 * The energy model's per-operation table: the one place its figures live. The bench's energy
 * section computes with it and docs/energy.md is generated from it (`npm run bench --
 * --energy-doc`; test/bench.test.ts fails when the page is stale).
 *
 * All figures are 45 nm, 0.9 V figures of one published table, so that their ratios are
 * consistent; they are not figures of this design in any process.
 */

export type EnergyOp = "mult8" | "add32" | "sramByte" | "dramByte";

export interface EnergyEntry {
  op: EnergyOp;
  /** What the model charges it for. */
  what: string;
  /** Energy in pJ per operation or per byte. */
  pj: number;
  unit: "operation" | "byte";
  /** The published figure, as published. */
  published: string;
  /** How the figure used follows from the published one. */
  derivation: string;
  /** Key into SOURCES. */
  source: keyof typeof SOURCES;
}

export const SOURCES = {
  horowitz:
    'M. Horowitz, "1.1 Computing\'s energy problem (and what we can do about it)", 2014 IEEE International Solid-State Circuits Conference (ISSCC), Digest of Technical Papers, pp. 10-14, doi:10.1109/ISSCC.2014.6757323 (table of energy per operation, 45 nm, 0.9 V)',
  han: 'S. Han, X. Liu, H. Mao, J. Pu, A. Pedram, M. A. Horowitz, W. J. Dally, "EIE: Efficient Inference Engine on Compressed Deep Neural Network", ISCA 2016, arXiv:1602.01528, Table I ("Energy table for 45nm CMOS process", from Horowitz 2014)',
} as const;

export const ENERGY_TABLE: readonly EnergyEntry[] = [
  {
    op: "mult8",
    what: "8-bit x 8-bit integer multiply (one element pair of a MAC)",
    pj: 0.2,
    unit: "operation",
    published: "8-bit integer multiply: 0.2 pJ",
    derivation: "as published",
    source: "horowitz",
  },
  {
    op: "add32",
    what: "accumulator add, 32 bits (the default preset's ACC_W = 32; one per MAC)",
    pj: 0.1,
    unit: "operation",
    published: "32-bit integer add: 0.1 pJ",
    derivation: "as published",
    source: "horowitz",
  },
  {
    op: "sramByte",
    what: "on-chip buffer (SRAM) read or write, per byte",
    pj: 10 / 8,
    unit: "byte",
    published: "8 KB SRAM cache, 64-bit access: 10 pJ",
    derivation:
      "10 pJ / 8 bytes (the default preset's buffers are 16 KB each, the lane RAMs 256 B)",
    source: "horowitz",
  },
  {
    op: "dramByte",
    what: "external DRAM access, per byte",
    pj: 640 / 4,
    unit: "byte",
    published: "32-bit DRAM access: 640 pJ",
    derivation: "640 pJ / 4 bytes",
    source: "han",
  },
];

/** The figure of one operation, in pJ. */
export function energyOf(op: EnergyOp): number {
  const e = ENERGY_TABLE.find((x) => x.op === op);
  if (e === undefined) throw new Error(`no energy figure for ${op}`);
  return e.pj;
}
