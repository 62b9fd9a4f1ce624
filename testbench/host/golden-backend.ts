/**
 * Backends execute a host program against a memory image. The golden backend is the processor at
 * register level in TypeScript: the register file's behaviour (rw, ro, w1c, w1p, const) and, on
 * CMD.START, the job the JOB_* registers describe, run by the golden model on its memory. It is
 * instantaneous (no cycles) and checks the program's expectations like the testbench does, so a
 * host flow can be tried without a simulator and the register encoding is checked both ways.
 */
import type { HostContext } from "./context.ts";
import { applyWrites, goldenJob } from "./golden.ts";
import { jobFromRegisters } from "./job.ts";
import type { MemImage } from "./memory.ts";
import { type Op, SLOTS } from "./program.ts";
import type { RunOutput } from "./session.ts";

export interface Backend {
  readonly name: string;
  run(initial: MemImage, ops: readonly Op[]): RunOutput;
}

export class GoldenBackend implements Backend {
  readonly name = "golden";
  constructor(readonly ctx: HostContext) {}

  run(initial: MemImage, ops: readonly Op[]): RunOutput {
    const t0 = performance.now();
    const { regs } = this.ctx;
    const mem = initial.clone();
    const val = new Map<string, number>();
    for (const r of regs.registers) val.set(r.name, r.value ?? r.reset);
    const byOffset = new Map(regs.registers.map((r) => [r.offset, r]));
    const slots = new Array<number>(SLOTS).fill(0);
    const reads = new Map<number, number>();
    const marks = new Map<number, number>();
    const messages: string[] = [];
    const irq = (): number =>
      ((val.get("IRQ_STATUS") ?? 0) & (val.get("IRQ_ENABLE") ?? 0)) !== 0 ? 1 : 0;
    const readAt = (addr: number): number => {
      const r = byOffset.get(addr & ~3);
      return r === undefined || r.access === "w1p" ? 0 : (val.get(r.name) ?? 0) >>> 0;
    };
    const start = (): void => {
      const job = jobFromRegisters(this.ctx, (n) => val.get(n) ?? 0);
      const g = goldenJob(this.ctx, mem, job);
      applyWrites(mem, g.writes);
      val.set("STATUS", g.status);
      val.set("IRQ_STATUS", ((val.get("IRQ_STATUS") ?? 0) | g.irqStatus) >>> 0);
      val.set("JOB_OUT_BYTES", g.outBytes ?? 0);
      // the counters count modulo 2^counterBits; a _HI register exists above 32 bits
      const set64 = (name: string, exact: number): void => {
        const v = exact % 2 ** this.ctx.counterBits;
        val.set(`${name}_LO`, v % 2 ** 32);
        if (this.ctx.counterBits > 32) val.set(`${name}_HI`, Math.floor(v / 2 ** 32));
      };
      const c = g.counters;
      set64("PERF_CYCLES", 0);
      set64("PERF_MACS_ISSUED", c.macsIssued);
      set64("PERF_MACS_SKIP_OUT", c.macsSkipOut);
      set64("PERF_MACS_SKIP_IN", c.macsSkipIn);
      set64("PERF_BYTES_RD", c.bytesRd);
      set64("PERF_BYTES_WR", c.bytesWr ?? 0);
    };
    const write = (addr: number, v: number): void => {
      const r = byOffset.get(addr & ~3);
      if (r === undefined) return;
      const m = r.mask;
      if (r.access === "rw") val.set(r.name, (v & m) >>> 0);
      else if (r.access === "w1c") val.set(r.name, ((val.get(r.name) ?? 0) & ~(v & m)) >>> 0);
      else if (r.access === "w1p" && r.name === "CMD" && (v & regs.bit("CMD", "START")) !== 0)
        start();
    };
    let ok = true;
    let i = 0;
    try {
      for (; i < ops.length; i++) {
        const o = ops[i]!;
        if (o.op === "end") break;
        switch (o.op) {
          case "write":
            // a refused write (a job register while the job runs) changes nothing
            if (o.refused !== true)
              write(o.addr, o.fromSlot === undefined ? o.value : (slots[o.fromSlot] ?? 0));
            break;
          case "read": {
            const got = readAt(o.addr);
            reads.set(i, got);
            if (o.toSlot !== undefined) slots[o.toSlot] = got;
            if (o.expect !== undefined && ((got ^ o.expect.value) & o.expect.mask) >>> 0 !== 0)
              messages.push(
                `MISMATCH op ${i}: read 0x${o.addr.toString(16)} got ${got.toString(16)} expected ${o.expect.value.toString(16)} mask ${o.expect.mask.toString(16)}`,
              );
            break;
          }
          case "poll": {
            const got = readAt(o.addr);
            reads.set(i, got);
            if (((got ^ o.value) & o.mask) >>> 0 !== 0) {
              messages.push(
                `TIMEOUT op ${i}: poll of 0x${o.addr.toString(16)} reads ${got.toString(16)}`,
              );
              ok = false;
            }
            break;
          }
          case "waitIrq":
            if (irq() !== o.level) {
              messages.push(`TIMEOUT op ${i}: irq_o stays ${irq()}`);
              ok = false;
            }
            break;
          case "irq":
            reads.set(i, irq());
            if (o.expect !== undefined && irq() !== o.expect)
              messages.push(`MISMATCH op ${i}: irq_o is ${irq()}, expected ${o.expect}`);
            break;
          case "mark":
            marks.set(o.id, 0);
            break;
          case "idle":
            break;
        }
        if (!ok) break;
      }
    } catch (e) {
      ok = false;
      messages.push(`FATAL op ${i}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return {
      backend: this.name,
      ok: ok && messages.length === 0,
      mem: mem.data.slice(),
      reads,
      marks,
      cycles: 0,
      messages,
      output: messages.join("\n"),
      compileMs: 0,
      runMs: performance.now() - t0,
    };
  }
}
