/**
 * A host session: the memory image a run starts from, the program of register operations the
 * host issues, and what it expects. Each job is turned into register writes, CMD.START, a wait
 * (poll STATUS.BUSY, wait for irq_o with IRQ_ENABLE.DONE, or poll IRQ_STATUS.DONE) and the reads
 * of STATUS, IRQ_STATUS, JOB_OUT_BYTES and the PERF_* counters; the golden reference of the job
 * (golden.ts, on the expected image as it is when the job starts) gives every expected value and
 * the bytes the job writes. A backend (golden-backend.ts, runner.ts) executes the program; `check`
 * compares what it read and the final memory with the expectations.
 */
import type { HostContext } from "./context.ts";
import { type GoldenJob, applyWrites, goldenJob, irqStatusValue, statusValue } from "./golden.ts";
import { type Job, jobRegisterWrites, jobSummary } from "./job.ts";
import { type AllocOptions, type MemImage, type Region, hexAddr } from "./memory.ts";
import { type Op, SLOTS } from "./program.ts";

export type WaitMode = "busy" | "irq" | "done";

export interface JobOptions {
  label?: string;
  /** How the host waits for the end of the job (default "busy"). */
  wait?: WaitMode;
  /** Cycles the wait may take (default: generous, from the job's size). */
  timeout?: number;
  /** Write JOB_B_BYTES from this slot (a length the hardware reported) instead of job.bBytes. */
  bBytesSlot?: number;
  /** Store the JOB_OUT_BYTES read into this slot. */
  outBytesSlot?: number;
  /**
   * The memory answers some of the job's transfers with this error response (the backend's
   * error regions): STATUS.DMA_ERR and DMA_RESP, IRQ_STATUS.ERROR; the job runs to its end and
   * its output is void (not checked).
   */
  dmaError?: 2 | 3;
  /**
   * Right after CMD.START, write every job register with another value: each write must be
   * refused (SLVERR) while the job runs, the job must not see it, and the registers must read
   * their old values afterwards. Only for jobs that run longer than those writes take.
   */
  writeWhileBusy?: boolean;
}

/** Counters and status a job reported (undefined: not read back). */
export interface JobOutcome {
  label: string;
  status: number | undefined;
  irqStatus: number | undefined;
  outBytes: number | undefined;
  cycles: number | undefined;
  macsIssued: number | undefined;
  macsSkipOut: number | undefined;
  macsSkipIn: number | undefined;
  bytesRd: number | undefined;
  bytesWr: number | undefined;
  /** Cycles from the job's first register write to its last read (testbench clock). */
  wallCycles: number | undefined;
}

export interface JobRecord {
  index: number;
  label: string;
  job: Job;
  golden: GoldenJob;
  wait: WaitMode;
  /** Register name (or STATUS etc.) -> op index of its read after the job. */
  reads: Map<string, number>;
  markStart: number;
  markEnd: number;
}

export interface AxiTraffic {
  rdBursts: number;
  rdBeats: number;
  wrBursts: number;
  wrBeats: number;
  /** Most bursts in flight at once. */
  rdOutMax: number;
  wrOutMax: number;
}

/** What a backend returns after executing a program. */
export interface RunOutput {
  backend: string;
  /** The program ran to its end and the backend saw nothing wrong. */
  ok: boolean;
  /** Final memory contents (undefined when the run produced none). */
  mem: Uint8Array | undefined;
  /** Op index -> value read (read, poll: the last value, irq: the level). */
  reads: Map<number, number>;
  /** Mark id -> cycle. */
  marks: Map<number, number>;
  cycles: number | undefined;
  /** AXI traffic the protocol monitor counted (simulators only). */
  axi?: AxiTraffic;
  /** The backend's own failure lines (MISMATCH, TIMEOUT, ...). */
  messages: string[];
  output: string;
  compileMs: number;
  runMs: number;
}

export interface CheckResult {
  ok: boolean;
  errors: string[];
  outcomes: JobOutcome[];
  /** Differing memory bytes. */
  memDiffs: number;
}

const COUNTERS = [
  ["PERF_CYCLES", "cycles"],
  ["PERF_MACS_ISSUED", "macsIssued"],
  ["PERF_MACS_SKIP_OUT", "macsSkipOut"],
  ["PERF_MACS_SKIP_IN", "macsSkipIn"],
  ["PERF_BYTES_RD", "bytesRd"],
  ["PERF_BYTES_WR", "bytesWr"],
] as const;

export class HostSession {
  /** The image the run starts from (host writes go here and into `expected`). */
  readonly initial: MemImage;
  /** The image after every job, as the golden model says. */
  readonly expected: MemImage;
  readonly ops: Op[] = [];
  readonly jobs: JobRecord[] = [];
  private marks = 0;
  private slots = 0;
  private ended = false;
  /** Expected slot values (what the hardware should have stored). */
  private readonly slotValues = new Map<number, number>();
  /** Byte ranges whose final contents are not checked (outputs of aborted jobs). */
  private readonly unchecked: { addr: number; bytes: number }[] = [];

  constructor(
    readonly ctx: HostContext,
    mem: MemImage,
  ) {
    this.initial = mem.clone();
    this.expected = mem.clone();
  }

  /** A session continuing from a run's final memory (allocations carry over). */
  next(mem: Uint8Array): HostSession {
    return new HostSession(this.ctx, this.expected.withData(mem));
  }

  alloc(name: string, bytes: number, o: AllocOptions = {}): Region {
    const r = this.initial.alloc(name, bytes, o);
    const e = this.expected.alloc(name, bytes, o);
    if (r.addr !== e.addr) throw new Error("session: images out of step");
    return r;
  }

  /** Host writes happen before the run: both images get them. */
  write(addr: number, bytes: Uint8Array): void {
    this.initial.write(addr, bytes);
    this.expected.write(addr, bytes);
  }

  /** A fresh slot (a 32-bit value the testbench keeps between register operations). */
  newSlot(): number {
    if (this.slots >= SLOTS) throw new Error(`session: more than ${SLOTS} slots`);
    return this.slots++;
  }

  private push(o: Op): number {
    if (this.ended) throw new Error("session: program already ended");
    this.ops.push(o);
    return this.ops.length - 1;
  }

  writeReg(name: string, value: number, note = name): number {
    return this.push({ op: "write", addr: this.ctx.regs.offset(name), value: value >>> 0, note });
  }

  readReg(name: string, want?: number, note = name, toSlot?: number): number {
    const reg = this.ctx.regs.reg(name);
    return this.push({
      op: "read",
      addr: reg.offset,
      ...(want === undefined ? {} : { expect: { value: want >>> 0, mask: reg.mask } }),
      ...(toSlot === undefined ? {} : { toSlot }),
      note,
    });
  }

  mark(note: string): number {
    const id = this.marks++;
    this.push({ op: "mark", id, note });
    return id;
  }

  idle(cycles: number): void {
    this.push({ op: "idle", cycles, note: "idle" });
  }

  /** ID and CONFIG are the generated values, STATUS idle. */
  checkIdentity(): void {
    const r = this.ctx.regs;
    this.readReg("ID", r.reg("ID").value ?? 0);
    this.readReg("CONFIG", r.reg("CONFIG").value ?? 0);
    this.readReg("STATUS", 0, "STATUS after reset");
    this.push({ op: "irq", expect: 0, note: "irq after reset" });
  }

  /** Submit a job: its program and its expectations. Returns its record. */
  job(job: Job, o: JobOptions = {}): JobRecord {
    const { regs } = this.ctx;
    const index = this.jobs.length;
    const label = o.label ?? `job ${index}`;
    const wait = o.wait ?? "busy";
    const golden = goldenJob(this.ctx, this.expected, job);
    if (o.dmaError !== undefined) {
      golden.bits = { ...golden.bits, dmaErr: true, dmaResp: o.dmaError };
      golden.status = statusValue(this.ctx, golden.bits);
      golden.irqStatus = irqStatusValue(this.ctx, golden.bits);
      for (const w of golden.writes) this.unchecked.push({ addr: w.addr, bytes: w.bytes.length });
    }
    const pre = `${label} (${jobSummary(job)})`;
    const markStart = this.mark(`${label} start`);
    const done = regs.bit("IRQ_STATUS", "DONE");
    const err = regs.bit("IRQ_STATUS", "ERROR");
    this.writeReg("IRQ_STATUS", done | err, `${pre}: clear IRQ_STATUS`);
    this.writeReg(
      "IRQ_ENABLE",
      wait === "irq" ? regs.bit("IRQ_ENABLE", "DONE") : 0,
      `${pre}: IRQ_ENABLE`,
    );
    if (wait === "irq") this.push({ op: "irq", expect: 0, note: `${pre}: irq low before START` });
    for (const w of jobRegisterWrites(this.ctx, job)) {
      if (w.name === "JOB_B_BYTES" && o.bBytesSlot !== undefined) {
        const want = this.slotValues.get(o.bBytesSlot);
        if (want !== undefined && want !== job.bBytes)
          throw new Error(
            `${label}: slot ${o.bBytesSlot} holds ${want}, the job says ${job.bBytes}`,
          );
        this.push({
          op: "write",
          addr: regs.offset(w.name),
          value: 0,
          fromSlot: o.bBytesSlot,
          note: `${pre}: JOB_B_BYTES from slot ${o.bBytesSlot}`,
        });
      } else this.writeReg(w.name, w.value, `${pre}: ${w.name}`);
    }
    this.writeReg("CMD", regs.bit("CMD", "START"), `${pre}: CMD.START`);
    const jobRegs = jobRegisterWrites(this.ctx, job);
    if (o.writeWhileBusy === true)
      for (const w of jobRegs) {
        const mask = regs.reg(w.name).mask;
        this.push({
          op: "write",
          addr: regs.offset(w.name),
          value: (~w.value & mask) >>> 0,
          refused: true,
          note: `${pre}: ${w.name} written while the job runs (refused)`,
        });
      }
    const timeout = o.timeout ?? this.defaultTimeout(job);
    if (wait === "busy")
      this.push({
        op: "poll",
        addr: regs.offset("STATUS"),
        mask: regs.bit("STATUS", "BUSY"),
        value: 0,
        timeout,
        note: `${pre}: wait for STATUS.BUSY = 0`,
      });
    else if (wait === "irq")
      this.push({ op: "waitIrq", level: 1, timeout, note: `${pre}: wait for irq` });
    else
      this.push({
        op: "poll",
        addr: regs.offset("IRQ_STATUS"),
        mask: done,
        value: done,
        timeout,
        note: `${pre}: wait for IRQ_STATUS.DONE`,
      });
    const reads = new Map<string, number>();
    if (o.writeWhileBusy === true)
      for (const w of jobRegs) this.readReg(w.name, w.value, `${pre}: ${w.name} kept its value`);
    reads.set("STATUS", this.readReg("STATUS", golden.status, `${pre}: STATUS`));
    reads.set("IRQ_STATUS", this.readReg("IRQ_STATUS", golden.irqStatus, `${pre}: IRQ_STATUS`));
    if (o.outBytesSlot !== undefined) {
      if (o.outBytesSlot < 0 || o.outBytesSlot >= SLOTS) throw new Error(`slot ${o.outBytesSlot}`);
      if (golden.outBytes !== undefined) this.slotValues.set(o.outBytesSlot, golden.outBytes);
    }
    reads.set(
      "JOB_OUT_BYTES",
      this.readReg("JOB_OUT_BYTES", golden.outBytes, `${pre}: JOB_OUT_BYTES`, o.outBytesSlot),
    );
    const c = golden.counters;
    const cb = this.ctx.counterBits;
    for (const [name, key] of COUNTERS) {
      // the counters count modulo 2^counterBits; a _HI register exists above 32 bits
      const exact = key === "cycles" ? undefined : c[key];
      const want = exact === undefined ? undefined : exact % 2 ** cb;
      reads.set(
        `${name}_LO`,
        this.readReg(
          `${name}_LO`,
          want === undefined ? undefined : want % 2 ** 32,
          `${pre}: ${name}_LO`,
        ),
      );
      if (cb > 32)
        reads.set(
          `${name}_HI`,
          this.readReg(
            `${name}_HI`,
            want === undefined ? undefined : Math.floor(want / 2 ** 32),
            `${pre}: ${name}_HI`,
          ),
        );
    }
    if (wait === "irq") {
      this.push({ op: "irq", expect: 1, note: `${pre}: irq high after the job` });
      this.writeReg("IRQ_STATUS", done | err, `${pre}: clear IRQ_STATUS`);
      this.push({ op: "irq", expect: 0, note: `${pre}: irq low after clearing IRQ_STATUS` });
    }
    const markEnd = this.mark(`${label} end`);
    applyWrites(this.expected, golden.writes);
    const rec: JobRecord = { index, label, job, golden, wait, reads, markStart, markEnd };
    this.jobs.push(rec);
    return rec;
  }

  /**
   * Start a job and abort it with CMD.SOFT_RESET `cycles` later: afterwards the processor must be
   * idle (STATUS.BUSY clear) and take the next job as if nothing happened. What the aborted job
   * may have written (its output and mask regions) is not checked.
   */
  abortJob(job: Job, cycles: number, label = `aborted job ${this.jobs.length}`): void {
    const { regs } = this.ctx;
    const pre = `${label} (${jobSummary(job)})`;
    const all = regs.bit("IRQ_STATUS", "DONE") | regs.bit("IRQ_STATUS", "ERROR");
    this.writeReg("IRQ_STATUS", all, `${pre}: clear IRQ_STATUS`);
    for (const w of jobRegisterWrites(this.ctx, job))
      this.writeReg(w.name, w.value, `${pre}: ${w.name}`);
    this.writeReg("CMD", regs.bit("CMD", "START"), `${pre}: CMD.START`);
    this.idle(cycles);
    this.writeReg("CMD", regs.bit("CMD", "SOFT_RESET"), `${pre}: CMD.SOFT_RESET`);
    this.push({
      op: "poll",
      addr: regs.offset("STATUS"),
      mask: regs.bit("STATUS", "BUSY"),
      value: 0,
      timeout: 2000,
      note: `${pre}: STATUS.BUSY clear after the soft reset`,
    });
    this.writeReg("IRQ_STATUS", all, `${pre}: clear IRQ_STATUS`);
    const g = goldenJob(this.ctx, this.expected, job);
    for (const w of g.writes) this.unchecked.push({ addr: w.addr, bytes: w.bytes.length });
    if (job.outCompressed) this.unchecked.push({ addr: job.addr.out, bytes: job.outMax });
    for (const w of g.writes) this.expected.write(w.addr, w.bytes);
  }

  /** A wait limit no correct job reaches: every byte and MAC stalled many times over. */
  private defaultTimeout(job: Job): number {
    const bytes = job.bBytes + job.I * job.R * 2 + job.J * job.I * 2;
    const tiles = Math.ceil(job.I / this.ctx.top.T);
    return 20_000 + 200 * Math.ceil(bytes / this.ctx.busBytes) + 40 * tiles * job.J * (job.R + 4);
  }

  /** End the program; returns its operations. */
  end(): Op[] {
    if (!this.ended) this.push({ op: "end", note: "end" });
    this.ended = true;
    return this.ops;
  }

  /** Compare a run's reads and final memory with the expectations. */
  check(run: RunOutput, maxErrors = 40): CheckResult {
    const errors: string[] = [];
    for (const m of run.messages) errors.push(`${run.backend}: ${this.annotate(m)}`);
    if (!run.ok && run.messages.length === 0)
      errors.push(
        `${run.backend}: the run failed:\n${run.output.split("\n").slice(-30).join("\n")}`,
      );
    // every checked read, host side (the testbench checks them too: not reported twice)
    const reported = new Set<number>();
    for (const m of run.messages) {
      const op = m.match(/^MISMATCH op (\d+)/);
      if (op?.[1] !== undefined) reported.add(Number(op[1]));
    }
    this.ops.forEach((o, i) => {
      if (reported.has(i)) return;
      const got = run.reads.get(i);
      if (o.op === "read" && o.expect !== undefined) {
        if (got === undefined) errors.push(`${o.note}: not read`);
        else if (((got ^ o.expect.value) & o.expect.mask) >>> 0 !== 0)
          errors.push(
            `${o.note}: got 0x${got.toString(16)} (${got}), expected 0x${o.expect.value.toString(16)} (${o.expect.value})`,
          );
      }
      if (o.op === "irq" && o.expect !== undefined && got !== undefined && got !== o.expect)
        errors.push(`${o.note}: irq_o is ${got}, expected ${o.expect}`);
    });
    const outcomes = this.jobs.map((j) => this.outcome(j, run));
    let memDiffs = 0;
    if (run.mem === undefined) errors.push(`${run.backend}: no memory dump`);
    else {
      const got = run.mem.slice();
      for (const u of this.unchecked) {
        const o = u.addr - this.expected.base;
        got.set(this.expected.data.subarray(o, o + u.bytes), o);
      }
      const d = this.expected.diff(got, 24);
      memDiffs = d.count;
      if (d.count > 0) {
        errors.push(`${run.backend}: ${d.count} memory bytes differ from the golden model:`);
        for (const x of d.diffs)
          errors.push(
            `  ${hexAddr(x.addr)} (${x.where}): got 0x${x.got.toString(16).padStart(2, "0")}, expected 0x${x.want.toString(16).padStart(2, "0")}`,
          );
      }
    }
    return { ok: errors.length === 0, errors: errors.slice(0, maxErrors), outcomes, memDiffs };
  }

  /** A backend message with the note of the op it names ("op <n>"). */
  annotate(m: string): string {
    const op = m.match(/\bop (\d+)/);
    const note = op?.[1] === undefined ? undefined : this.ops[Number(op[1])]?.note;
    return note === undefined ? m : `${m} [${note}]`;
  }

  outcome(j: JobRecord, run: RunOutput): JobOutcome {
    const r = (name: string): number | undefined => {
      const op = j.reads.get(name);
      return op === undefined ? undefined : run.reads.get(op);
    };
    // a counter as read (modulo 2^counterBits): its _LO register and, above 32 bits, its _HI one
    const c64 = (name: string): number | undefined => {
      const lo = r(`${name}_LO`);
      const hi = this.ctx.counterBits > 32 ? r(`${name}_HI`) : 0;
      return lo === undefined || hi === undefined ? undefined : hi * 2 ** 32 + lo;
    };
    const t0 = run.marks.get(j.markStart);
    const t1 = run.marks.get(j.markEnd);
    return {
      label: j.label,
      status: r("STATUS"),
      irqStatus: r("IRQ_STATUS"),
      outBytes: r("JOB_OUT_BYTES"),
      cycles: c64("PERF_CYCLES"),
      macsIssued: c64("PERF_MACS_ISSUED"),
      macsSkipOut: c64("PERF_MACS_SKIP_OUT"),
      macsSkipIn: c64("PERF_MACS_SKIP_IN"),
      bytesRd: c64("PERF_BYTES_RD"),
      bytesWr: c64("PERF_BYTES_WR"),
      wallCycles: t0 === undefined || t1 === undefined ? undefined : t1 - t0,
    };
  }
}
