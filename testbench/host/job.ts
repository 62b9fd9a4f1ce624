/**
 * A layer job (docs/top.md) and its register image: the JOB_* registers a host writes before
 * CMD.START, built from the register map by name, and the reverse (what a job's registers say).
 */
import type { Threshold } from "../../generator/model/sparsity.ts";
import type { HostContext } from "./context.ts";

/** External addresses of a job's operands and results. Unused ones may be 0. */
export interface JobAddresses {
  /** A codes (I rows of nbR*k bytes) and A scales (I rows of nbR bytes). */
  a: number;
  aScale: number;
  /** B's stream (JOB_B_BYTES bytes). */
  b: number;
  /** Output mask read with OUT_SKIP. */
  maskIn: number;
  /** Output: stream (OUT_COMPRESSED) or raw codes. */
  out: number;
  /** Raw output scales. */
  outScale: number;
  /** Output mask written with WRITE_MASK. */
  maskOut: number;
}

export interface Job {
  /** Rows of A (outputs per result row), rows of B (result rows), reduction length. */
  I: number;
  J: number;
  R: number;
  relu: boolean;
  outSkip: boolean;
  outCompressed: boolean;
  writeMask: boolean;
  threshold: Threshold;
  addr: JobAddresses;
  /** Bytes of B's stream. */
  bBytes: number;
  /** Room at addr.out for a compressed output. */
  outMax: number;
}

export const NO_ADDRESSES: JobAddresses = {
  a: 0,
  aScale: 0,
  b: 0,
  maskIn: 0,
  out: 0,
  outScale: 0,
  maskOut: 0,
};

/** Address registers: base name -> the job's address field. */
export const ADDRESS_REGS: readonly [string, keyof JobAddresses][] = [
  ["JOB_ADDR_A", "a"],
  ["JOB_ADDR_A_SCALE", "aScale"],
  ["JOB_ADDR_B", "b"],
  ["JOB_ADDR_MASK_IN", "maskIn"],
  ["JOB_ADDR_OUT", "out"],
  ["JOB_ADDR_OUT_SCALE", "outScale"],
  ["JOB_ADDR_MASK_OUT", "maskOut"],
];

/** One register write. */
export interface RegWrite {
  name: string;
  value: number;
}

const u32 = (x: number): number => x >>> 0;

/** The JOB_MODE value of a job. */
export function jobMode(ctx: HostContext, j: Job): number {
  const r = ctx.regs;
  return u32(
    (j.relu ? r.bit("JOB_MODE", "RELU") : 0) |
      (j.outSkip ? r.bit("JOB_MODE", "OUT_SKIP") : 0) |
      (j.outCompressed ? r.bit("JOB_MODE", "OUT_COMPRESSED") : 0) |
      (j.writeMask ? r.bit("JOB_MODE", "WRITE_MASK") : 0),
  );
}

/** The JOB_* register writes of a job, in register-map order. */
export function jobRegisterWrites(ctx: HostContext, j: Job): RegWrite[] {
  const r = ctx.regs;
  const te = j.threshold.te;
  if (!Number.isInteger(te) || te < -128 || te > 127) throw new Error(`threshold te = ${te}`);
  const w: RegWrite[] = [
    { name: "JOB_MODE", value: jobMode(ctx, j) },
    { name: "JOB_DIM_I", value: r.set("JOB_DIM_I", "I", j.I) },
    { name: "JOB_DIM_J", value: r.set("JOB_DIM_J", "J", j.J) },
    { name: "JOB_DIM_R", value: r.set("JOB_DIM_R", "R", j.R) },
    {
      name: "JOB_THRESHOLD",
      value: u32(
        r.set("JOB_THRESHOLD", "TM", j.threshold.tm) | r.set("JOB_THRESHOLD", "TE", te & 0xff),
      ),
    },
  ];
  for (const [base, key] of ADDRESS_REGS) {
    const a = j.addr[key];
    if (!Number.isInteger(a) || a < 0 || a >= 2 ** ctx.addrWidth)
      throw new Error(`${base} = ${a} does not fit ${ctx.addrWidth} address bits`);
    w.push({ name: `${base}_LO`, value: u32(a % 2 ** 32) });
    if (r.has(`${base}_HI`)) w.push({ name: `${base}_HI`, value: Math.floor(a / 2 ** 32) });
  }
  w.push({ name: "JOB_B_BYTES", value: u32(j.bBytes) });
  w.push({ name: "JOB_OUT_MAX", value: u32(j.outMax) });
  const order = new Map(ctx.regs.registers.map((x, i) => [x.name, i]));
  return w.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
}

/** The job the JOB_* registers describe (register name -> value). */
export function jobFromRegisters(ctx: HostContext, v: (name: string) => number): Job {
  const r = ctx.regs;
  const mode = v("JOB_MODE");
  const te = r.get("JOB_THRESHOLD", "TE", v("JOB_THRESHOLD"));
  const addr = { ...NO_ADDRESSES };
  for (const [base, key] of ADDRESS_REGS)
    addr[key] = v(`${base}_LO`) + (r.has(`${base}_HI`) ? v(`${base}_HI`) * 2 ** 32 : 0);
  return {
    I: r.get("JOB_DIM_I", "I", v("JOB_DIM_I")),
    J: r.get("JOB_DIM_J", "J", v("JOB_DIM_J")),
    R: r.get("JOB_DIM_R", "R", v("JOB_DIM_R")),
    relu: r.get("JOB_MODE", "RELU", mode) === 1,
    outSkip: r.get("JOB_MODE", "OUT_SKIP", mode) === 1,
    outCompressed: r.get("JOB_MODE", "OUT_COMPRESSED", mode) === 1,
    writeMask: r.get("JOB_MODE", "WRITE_MASK", mode) === 1,
    threshold: {
      tm: r.get("JOB_THRESHOLD", "TM", v("JOB_THRESHOLD")),
      te: te >= 128 ? te - 256 : te,
    },
    addr,
    bBytes: v("JOB_B_BYTES"),
    outMax: v("JOB_OUT_MAX"),
  };
}

/** One line on a job, for messages. */
export function jobSummary(j: Job): string {
  const flags = [
    j.relu ? "relu" : "",
    j.outSkip ? "outskip" : "",
    j.outCompressed ? "compressed" : "raw",
    j.writeMask ? "mask" : "",
    j.threshold.tm !== 0 ? `thr ${j.threshold.tm}*2^${j.threshold.te}` : "",
  ].filter((f) => f !== "");
  return `I=${j.I} J=${j.J} R=${j.R} ${flags.join(",")} B ${j.bBytes} bytes`;
}
