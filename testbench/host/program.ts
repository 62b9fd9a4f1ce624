/**
 * A host program: the register operations the testbench's AXI4-Lite master executes, one line of
 * prog.hex each (see testbench/templates/tb_top.sv.hbs):
 *
 *   op[127:124] flags[123:120] addr[119:104] data[103:72] mask[71:40] arg[39:8] slot[7:0]
 *
 *   0 write   addr <- data (flags.0: the value of slot instead; flags.1: the write must be refused
 *             with SLVERR, as a job register's is while a job runs)
 *   1 read    addr (flags.0: store into slot; flags.1: check (value & mask) == (data & mask))
 *   2 poll    read addr until (value & mask) == (data & mask), at most arg cycles
 *   3 waitirq until irq_o == data[0], at most arg cycles
 *   4 irq     sample irq_o (flags.1: check it is data[0])
 *   5 idle    arg cycles
 *   6 mark    print the cycle counter with id arg
 *   7 end
 */

export const SLOTS = 256;

export type Op =
  | {
      op: "write";
      addr: number;
      value: number;
      fromSlot?: number;
      /** The register file must refuse the write (SLVERR, nothing changes). */
      refused?: boolean;
      note: string;
    }
  | {
      op: "read";
      addr: number;
      expect?: { value: number; mask: number };
      toSlot?: number;
      note: string;
    }
  | { op: "poll"; addr: number; mask: number; value: number; timeout: number; note: string }
  | { op: "waitIrq"; level: 0 | 1; timeout: number; note: string }
  | { op: "irq"; expect?: 0 | 1; note: string }
  | { op: "idle"; cycles: number; note: string }
  | { op: "mark"; id: number; note: string }
  | { op: "end"; note: string };

const CODE: Readonly<Record<Op["op"], number>> = {
  write: 0,
  read: 1,
  poll: 2,
  waitIrq: 3,
  irq: 4,
  idle: 5,
  mark: 6,
  end: 7,
};

const u32 = (x: number): bigint => BigInt(x >>> 0);

function field(v: number, bits: number, what: string): bigint {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits)
    throw new Error(`program: ${what} = ${v} does not fit ${bits} bits`);
  return BigInt(v);
}

/** The prog.hex line of an operation (32 hex digits). */
export function opLine(o: Op): string {
  let flags = 0;
  let addr = 0;
  let data = 0;
  let mask = 0;
  let arg = 0;
  let slot = 0;
  switch (o.op) {
    case "write":
      addr = o.addr;
      data = o.value;
      if (o.fromSlot !== undefined) {
        flags |= 1;
        slot = o.fromSlot;
      }
      if (o.refused === true) flags |= 2;
      break;
    case "read":
      addr = o.addr;
      if (o.toSlot !== undefined) {
        flags |= 1;
        slot = o.toSlot;
      }
      if (o.expect !== undefined) {
        flags |= 2;
        data = o.expect.value;
        mask = o.expect.mask;
      }
      break;
    case "poll":
      addr = o.addr;
      data = o.value;
      mask = o.mask;
      arg = o.timeout;
      break;
    case "waitIrq":
      data = o.level;
      arg = o.timeout;
      break;
    case "irq":
      if (o.expect !== undefined) {
        flags |= 2;
        data = o.expect;
      }
      break;
    case "idle":
      arg = o.cycles;
      break;
    case "mark":
      arg = o.id;
      break;
    case "end":
      break;
  }
  const v =
    (BigInt(CODE[o.op]) << 124n) |
    (BigInt(flags) << 120n) |
    (field(addr, 16, "register address") << 104n) |
    (u32(data) << 72n) |
    (u32(mask) << 40n) |
    (field(arg, 32, "argument") << 8n) |
    field(slot, 8, "slot");
  return v.toString(16).padStart(32, "0");
}

/** Parse one prog.hex line back (for the golden backend and tests). */
export function parseOpLine(line: string): {
  code: number;
  flags: number;
  addr: number;
  data: number;
  mask: number;
  arg: number;
  slot: number;
} {
  const v = BigInt(`0x${line}`);
  const bits = (lsb: bigint, w: bigint): number => Number((v >> lsb) & ((1n << w) - 1n));
  return {
    code: bits(124n, 4n),
    flags: bits(120n, 4n),
    addr: bits(104n, 16n),
    data: bits(72n, 32n),
    mask: bits(40n, 32n),
    arg: bits(8n, 32n),
    slot: bits(0n, 8n),
  };
}
