/**
 * The register map: the standard registers every processor has, derived from the description,
 * followed by the description's extra registers. The regfile RTL, the C header, the Markdown
 * page and the TypeScript constants are all emitted from `buildRegisterMap`.
 */
import type { RegisterDesc, ResolvedDescription } from "./description.ts";

export type Access = RegisterDesc["access"] | "w1p";

export interface RegisterField {
  name: string;
  lsb: number;
  width: number;
  doc: string;
}

export interface Register {
  name: string;
  offset: number;
  access: Access;
  doc: string;
  reset: number;
  fields: RegisterField[];
  /** Implemented bits: the union of the fields, or every bit when the register has no fields. */
  mask: number;
  /** Read-only registers whose value is fixed at generation (ID, CONFIG): that value. */
  value?: number;
  /**
   * A job register (the rw JOB_* registers): the running job reads it, so a write while the
   * sequencer is busy is refused with SLVERR and changes nothing.
   */
  locked: boolean;
}

const f = (name: string, lsb: number, width: number, doc: string): RegisterField => ({
  name,
  lsb,
  width,
  doc,
});

// 3: the PERF_* counters' _HI registers exist only above 32 counter bits (CONFIG.CNT_HI)
// 4: writes to the rw JOB_* registers while STATUS.BUSY is set are refused (SLVERR)
export const REGMAP_VERSION = 4;
export const ID_MAGIC = 0x5bf8;

const FORMAT_CODE: Readonly<Record<ResolvedDescription["codec"]["format"], number>> = {
  dense: 0,
  zvc: 1,
  rle: 2,
  hbm: 3,
};

/** The CONFIG register's value: the generated configuration, packed as its fields say. */
function configValue(d: ResolvedDescription): number {
  const l2 = (x: number): number => Math.log2(x);
  const b = (x: boolean): number => (x ? 1 : 0);
  return (
    (l2(d.numerics.blockSize) |
      (l2(d.array.rows) << 3) |
      (l2(d.array.cols) << 6) |
      (l2(d.array.lanes) << 9) |
      (d.numerics.accWidth << 12) |
      (FORMAT_CODE[d.codec.format] << 18) |
      (l2(d.dma.dataWidth / 8) << 20) |
      (b(d.features.inputSkipping) << 23) |
      (b(d.features.outputSkipping) << 24) |
      (b(d.features.threshold) << 25) |
      (b(d.dma.addrWidth > 32) << 26) |
      (b(d.regfile.counterBits > 32) << 27)) >>>
    0
  );
}

/** Bits covered by a list of fields (every bit when there are none). */
export function fieldMask(fields: readonly RegisterField[]): number {
  if (fields.length === 0) return 0xffffffff;
  let m = 0;
  for (const fd of fields)
    m = (m | (fd.width >= 32 ? 0xffffffff : (2 ** fd.width - 1) * 2 ** fd.lsb)) >>> 0;
  return m >>> 0;
}

/** Standard registers (offsets in order, 4 bytes apart). */
type RegisterSpec = Omit<Register, "offset" | "mask" | "locked">;

function standardRegisters(d: ResolvedDescription): RegisterSpec[] {
  const wide = d.dma.addrWidth > 32;
  // job addresses: a _LO register (only addrWidth bits below 32), a _HI one above 32 bits
  const aw = d.dma.addrWidth;
  const addr = (base: string, doc: string): RegisterSpec[] => [
    {
      name: `${base}_LO`,
      access: "rw",
      doc: `${doc} (bits ${Math.min(aw, 32) - 1}:0)`,
      reset: 0,
      fields: aw < 32 ? [f("ADDR", 0, aw, `address bits ${aw - 1}:0`)] : [],
    },
    ...(wide
      ? [
          {
            name: `${base}_HI`,
            access: "rw" as const,
            doc: `${doc} (bits ${d.dma.addrWidth - 1}:32)`,
            reset: 0,
            fields: [f("ADDR", 0, d.dma.addrWidth - 32, "address bits above 31")],
          },
        ]
      : []),
  ];
  // PERF_* counters: counterBits wide (they wrap), a _HI register above 32 bits
  const cb = d.regfile.counterBits;
  const counter = (base: string, doc: string): RegisterSpec[] => [
    {
      name: `${base}_LO`,
      access: "ro",
      doc: `${doc} (bits ${Math.min(cb, 32) - 1}:0 of a ${cb}-bit counter)`,
      reset: 0,
      fields: cb < 32 ? [f("COUNT", 0, cb, `counter bits ${cb - 1}:0`)] : [],
    },
    ...(cb > 32
      ? [
          {
            name: `${base}_HI`,
            access: "ro" as const,
            doc: `${doc} (bits ${cb - 1}:32)`,
            reset: 0,
            fields: cb < 64 ? [f("COUNT", 0, cb - 32, `counter bits ${cb - 1}:32`)] : [],
          },
        ]
      : []),
  ];
  return [
    {
      name: "ID",
      access: "ro",
      doc: "Identification: 0x5BF8 and the register-map version",
      reset: 0,
      value: ((ID_MAGIC << 16) | REGMAP_VERSION) >>> 0,
      fields: [f("VERSION", 0, 16, "register map version"), f("MAGIC", 16, 16, "0x5BF8")],
    },
    {
      name: "CONFIG",
      access: "ro",
      doc: "Generated configuration, so software can check what it talks to",
      reset: 0,
      value: configValue(d),
      fields: [
        f("BLOCK_LOG2", 0, 3, "log2 of the BFP block size"),
        f("ROWS_LOG2", 3, 3, "log2 of the PE rows"),
        f("COLS_LOG2", 6, 3, "log2 of the PE columns"),
        f("LANES_LOG2", 9, 3, "log2 of the multipliers per PE"),
        f("ACC_WIDTH", 12, 6, "accumulator width in bits"),
        f("FORMAT", 18, 2, "external format: 0 dense, 1 zvc, 2 rle, 3 hbm"),
        f("BUS_LOG2", 20, 3, "log2 of the AXI data width in bytes"),
        f("IN_SKIP", 23, 1, "input zero skipping present"),
        f("OUT_SKIP", 24, 1, "output skipping present"),
        f("THRESH", 25, 1, "sparsity-scaling threshold present"),
        f("ADDR_HI", 26, 1, "the job addresses have _HI registers (dma.addrWidth > 32)"),
        f("CNT_HI", 27, 1, "the PERF_* counters have _HI registers (regfile.counterBits > 32)"),
      ],
    },
    {
      name: "CMD",
      access: "w1p",
      doc: "Commands (write 1 to a bit; reads 0)",
      reset: 0,
      fields: [
        f("START", 0, 1, "start the job in the JOB_* registers"),
        f("SOFT_RESET", 1, 1, "abort and reset the sequencer"),
      ],
    },
    {
      name: "STATUS",
      access: "ro",
      doc: "Sequencer status (the error bits describe the last job; cleared at START)",
      reset: 0,
      fields: [
        f("BUSY", 0, 1, "a job is running"),
        f("NAN", 1, 1, "the last job wrote a NaN block"),
        f("DMA_ERR", 2, 1, "an AXI error response was received in the last job"),
        f("DMA_RESP", 3, 2, "the AXI response code of the first such error"),
        f("DIM_ERR", 5, 1, "the job's dimensions do not fit the buffers (nothing was done)"),
        f("B_OVERFLOW", 6, 1, "operand B has more non-zeros than the B buffer holds"),
        f("B_FORMAT", 7, 1, "operand B's stream is malformed or shorter than JOB_B_BYTES says"),
        f("OUT_OVERFLOW", 8, 1, "the compressed output was longer than JOB_OUT_MAX"),
      ],
    },
    {
      name: "IRQ_ENABLE",
      access: "rw",
      doc: "Interrupt enables",
      reset: 0,
      fields: [f("DONE", 0, 1, "job done"), f("ERROR", 1, 1, "job ended with an error")],
    },
    {
      name: "IRQ_STATUS",
      access: "w1c",
      doc: "Interrupt status (write 1 to clear)",
      reset: 0,
      fields: [f("DONE", 0, 1, "job done"), f("ERROR", 1, 1, "job ended with an error")],
    },
    {
      name: "JOB_MODE",
      access: "rw",
      doc: "Job flags",
      reset: 0,
      fields: [
        f("RELU", 0, 1, "apply ReLU in the output stage (FP)"),
        f("OUT_SKIP", 1, 1, "read the output mask at JOB_ADDR_MASK_IN and skip its 0 bits (BP)"),
        f("OUT_COMPRESSED", 2, 1, "write the output as a codec stream (else raw codes + scales)"),
        f("WRITE_MASK", 3, 1, "write the output's non-zero mask (the ReLU mask in FP)"),
      ],
    },
    {
      name: "JOB_DIM_I",
      access: "rw",
      doc: "Rows of A: outputs per row of the result, looped over tiles of the lanes",
      reset: 0,
      fields: [f("I", 0, 16, "1..65535")],
    },
    {
      name: "JOB_DIM_J",
      access: "rw",
      doc: "Rows of B: rows of the result",
      reset: 0,
      fields: [
        f("J", 0, 16, "1..the B row buffer, and J x ceil(I / k) blocks fit the output buffer"),
      ],
    },
    {
      name: "JOB_DIM_R",
      access: "rw",
      doc: "Reduction length",
      reset: 0,
      fields: [f("R", 0, 16, "1..the lane RAM length")],
    },
    {
      name: "JOB_THRESHOLD",
      access: "rw",
      doc: "Sparsity-scaling threshold tm * 2^te",
      reset: 0,
      fields: [f("TM", 0, 8, "mantissa (0 disables)"), f("TE", 8, 8, "exponent, two's complement")],
    },
    ...addr("JOB_ADDR_A", "Operand A codes: I rows of ceil(R / k) x k bytes, contiguous"),
    ...addr("JOB_ADDR_A_SCALE", "Operand A block scales: I rows of ceil(R / k) bytes, contiguous"),
    ...addr("JOB_ADDR_B", "Operand B: codec stream of J x ceil(R / k) blocks, row by row"),
    {
      name: "JOB_B_BYTES",
      access: "rw",
      doc: "Bytes of operand B's stream",
      reset: 0,
      fields: [],
    },
    ...addr("JOB_ADDR_MASK_IN", "Output mask read with OUT_SKIP: J rows of ceil(I / k) x k bits"),
    ...addr("JOB_ADDR_OUT", "Output: codec stream, or raw codes (J rows of ceil(I / k) x k bytes)"),
    ...addr("JOB_ADDR_OUT_SCALE", "Raw output block scales: J rows of ceil(I / k) bytes"),
    ...addr(
      "JOB_ADDR_MASK_OUT",
      "Output mask written with WRITE_MASK: J rows of ceil(I / k) x k bits",
    ),
    {
      name: "JOB_OUT_MAX",
      access: "rw",
      doc: "Bytes available at JOB_ADDR_OUT for a compressed output",
      reset: 0,
      fields: [],
    },
    {
      name: "JOB_OUT_BYTES",
      access: "ro",
      doc: "Bytes of the last job's output at JOB_ADDR_OUT (stream length, or raw code bytes)",
      reset: 0,
      fields: [],
    },
    ...counter("PERF_CYCLES", "Cycles busy"),
    ...counter("PERF_MACS_ISSUED", "MACs issued to the array"),
    ...counter("PERF_MACS_SKIP_IN", "MACs skipped by input zero skipping"),
    ...counter("PERF_MACS_SKIP_OUT", "MACs skipped by output skipping"),
    ...counter("PERF_BYTES_RD", "Bytes read over AXI"),
    ...counter("PERF_BYTES_WR", "Bytes written over AXI"),
  ];
}

/** The job's external addresses: each a `_LO` register, and a `_HI` one for addresses over 32 bits. */
export const JOB_ADDRESS_BASES: readonly string[] = [
  "JOB_ADDR_A",
  "JOB_ADDR_A_SCALE",
  "JOB_ADDR_B",
  "JOB_ADDR_MASK_IN",
  "JOB_ADDR_OUT",
  "JOB_ADDR_OUT_SCALE",
  "JOB_ADDR_MASK_OUT",
];

/** Names of the standard registers (for validation of extra registers). Widest configuration. */
export const STANDARD_REGISTER_NAMES: readonly string[] = [
  "ID",
  "CONFIG",
  "CMD",
  "STATUS",
  "IRQ_ENABLE",
  "IRQ_STATUS",
  "JOB_MODE",
  "JOB_DIM_I",
  "JOB_DIM_J",
  "JOB_DIM_R",
  "JOB_THRESHOLD",
  ...JOB_ADDRESS_BASES.flatMap((b) => [`${b}_LO`, `${b}_HI`]),
  "JOB_B_BYTES",
  "JOB_OUT_MAX",
  "JOB_OUT_BYTES",
  ...[
    "PERF_CYCLES",
    "PERF_MACS_ISSUED",
    "PERF_MACS_SKIP_IN",
    "PERF_MACS_SKIP_OUT",
    "PERF_BYTES_RD",
    "PERF_BYTES_WR",
  ].flatMap((b) => [`${b}_LO`, `${b}_HI`]),
];

export function buildRegisterMap(d: ResolvedDescription): Register[] {
  const regs: RegisterSpec[] = [
    ...standardRegisters(d),
    ...d.regfile.extraRegisters.map((r) => ({
      name: r.name,
      access: r.access,
      doc: r.doc,
      reset: r.reset ?? 0,
      fields: r.fields ?? [],
    })),
  ];
  const standard = regs.length - d.regfile.extraRegisters.length;
  return regs.map((r, i) => {
    const mask = fieldMask(r.fields);
    const locked = i < standard && r.access === "rw" && r.name.startsWith("JOB_");
    return { ...r, reset: (r.reset & mask) >>> 0, mask, offset: i * 4, locked };
  });
}
