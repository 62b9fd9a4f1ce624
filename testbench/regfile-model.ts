/**
 * Reference model of the generated AXI4-Lite register file (templates/regfile.v.hbs): what every
 * read returns, what every write does, what the hardware sees. The testbench's expected values
 * come from here, computed from the elaborated register list, not from the RTL.
 */
import type { RegfileParams, RegfileReg } from "../generator/elab/regfile.ts";

export const RESP_OKAY = 0;
export const RESP_SLVERR = 2;

export class RegfileModel {
  readonly regs: readonly RegfileReg[];
  private readonly byWord = new Map<number, RegfileReg>();
  /** Stored values of rw and w1c registers; hardware inputs of ro registers. */
  private readonly value = new Map<string, number>();
  /** Bits pulsed on each w1p register since the last `takePulses`. */
  private readonly pulses = new Map<string, { bits: number; count: number }>();
  /** lock_i: a job runs, the job registers refuse writes. */
  private locked = false;

  constructor(private readonly p: RegfileParams) {
    this.regs = p.regs;
    for (const r of p.regs) {
      this.byWord.set(r.word, r);
      this.value.set(r.name, r.kind === "rw" || r.kind === "w1c" ? r.reset : 0);
      if (r.kind === "w1p") this.pulses.set(r.name, { bits: 0, count: 0 });
    }
  }

  private wordOf(addr: number): number {
    return (addr >>> 2) & (2 ** this.p.wordWidth - 1);
  }

  read(addr: number): { data: number; resp: number } {
    const r = this.byWord.get(this.wordOf(addr));
    if (r === undefined) return { data: 0, resp: RESP_SLVERR };
    const v = this.value.get(r.name) ?? 0;
    switch (r.kind) {
      case "const":
        return { data: r.value >>> 0, resp: RESP_OKAY };
      case "w1p":
        return { data: 0, resp: RESP_OKAY };
      case "ro":
        return { data: (v & r.mask) >>> 0, resp: RESP_OKAY };
      default:
        return { data: v >>> 0, resp: RESP_OKAY };
    }
  }

  write(addr: number, data: number, strb: number): number {
    const r = this.byWord.get(this.wordOf(addr));
    if (r === undefined || r.kind === "const" || r.kind === "ro") return RESP_SLVERR;
    if (r.isLocked && this.locked) return RESP_SLVERR;
    let bytes = 0;
    for (let b = 0; b < 4; b++) if ((strb >> b) & 1) bytes = (bytes | (0xff << (8 * b))) >>> 0;
    const v = this.value.get(r.name) ?? 0;
    if (r.kind === "rw") {
      const m = (bytes & r.mask) >>> 0;
      this.value.set(r.name, ((v & ~m) | (data & m)) >>> 0);
    } else if (r.kind === "w1c") {
      this.value.set(r.name, (v & ~(data & bytes) & r.mask) >>> 0);
    } else {
      const bits = (data & bytes & r.mask) >>> 0;
      const pl = this.pulses.get(r.name);
      if (pl !== undefined && bits !== 0) {
        pl.bits = (pl.bits | bits) >>> 0;
        pl.count++;
      }
    }
    return RESP_OKAY;
  }

  /** The hardware drives lock_i. */
  setLock(on: boolean): void {
    this.locked = on;
  }

  /** The hardware drives an ro register's input. */
  setInput(name: string, v: number): void {
    this.value.set(name, v >>> 0);
  }

  /** The hardware sets bits of a w1c register for one cycle. */
  setBits(name: string, bits: number): void {
    const r = this.regs.find((x) => x.name === name);
    const v = this.value.get(name) ?? 0;
    this.value.set(name, ((v | bits) & (r?.mask ?? 0)) >>> 0);
  }

  /** What the hardware sees on an rw or w1c register's output. */
  output(name: string): number {
    return this.value.get(name) ?? 0;
  }

  takePulses(name: string): { bits: number; count: number } {
    const pl = this.pulses.get(name) ?? { bits: 0, count: 0 };
    this.pulses.set(name, { bits: 0, count: 0 });
    return pl;
  }

  irq(enable: string, status: string): boolean {
    return (this.output(enable) & this.output(status)) >>> 0 !== 0;
  }
}
