/**
 * The register-file testbench: a random operation list checked against the reference model
 * (regfile-model.ts) -> generated testbench -> simulator -> verdict.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Design } from "../generator/elab/elaborate.ts";
import type { RegfileParams, RegfileReg } from "../generator/elab/regfile.ts";
import { banner, renderTb } from "../generator/emit/render.ts";
import { Rng } from "../generator/model/rng.ts";
import { RegfileModel } from "./regfile-model.ts";
import { type SimResult, type Simulator, runSim } from "./sim.ts";

export const OP = {
  write: 0,
  read: 1,
  setRo: 2,
  setW1c: 3,
  checkOut: 4,
  checkPulse: 5,
  checkIrq: 6,
  end: 7,
  setLock: 8,
} as const;

interface Op {
  op: number;
  addr?: number;
  data?: number;
  strb?: number;
  exp?: number;
  resp?: number;
  idx?: number;
  cnt?: number;
}

/** One ops.hex line (128 bits, see the testbench header). */
export function opLine(o: Op): string {
  const v =
    (BigInt(o.op) << 124n) |
    (BigInt(o.addr ?? 0) << 108n) |
    (BigInt((o.data ?? 0) >>> 0) << 76n) |
    (BigInt(o.strb ?? 0) << 72n) |
    (BigInt((o.exp ?? 0) >>> 0) << 40n) |
    (BigInt(o.resp ?? 0) << 36n) |
    (BigInt(o.idx ?? 0) << 28n) |
    (BigInt(o.cnt ?? 0) << 12n);
  return v.toString(16).padStart(32, "0");
}

/** A random operation list with its expectations from the reference model. */
export function genRegfileOps(p: RegfileParams, count: number, seed: number): Op[] {
  const rng = new Rng(seed);
  const model = new RegfileModel(p);
  const ops: Op[] = [];
  const below = (n: number): number => rng.int(0, n - 1);
  const pick = <T>(xs: readonly T[]): T => rng.pick(xs);
  const of = (k: RegfileReg["kind"]): RegfileReg[] => p.regs.filter((r) => r.kind === k);
  const ro = of("ro");
  const w1c = of("w1c");
  const w1p = of("w1p");
  const outs = p.regs.filter((r) => r.kind === "rw" || r.kind === "w1c");
  const space = 2 ** p.addrWidth;
  const data = (): number => {
    switch (below(4)) {
      case 0:
        return 0xffffffff;
      case 1:
        return 1 << below(32);
      default:
        return rng.u32();
    }
  };
  const addrOf = (): number => {
    // Mostly mapped registers; sometimes an unmapped word or a misaligned byte address.
    if (below(10) === 0) return below(space);
    return pick(p.regs).offset + (below(8) === 0 ? below(4) : 0);
  };
  const readBack = (addr: number): void => {
    const r = model.read(addr);
    ops.push({ op: OP.read, addr, exp: r.data, resp: r.resp });
  };
  // Start with every register read at its reset value.
  for (const r of p.regs) readBack(r.offset);
  for (let n = 0; n < count; n++) {
    const kind = below(10);
    if (kind < 4) {
      const addr = addrOf();
      const d = data();
      const strb = below(3) === 0 ? below(16) : 0xf;
      const resp = model.write(addr, d, strb);
      ops.push({ op: OP.write, addr, data: d, strb, resp });
      const reg = p.regs.find((r) => r.word === (addr >>> 2) % 2 ** p.wordWidth);
      if (reg !== undefined && (reg.kind === "rw" || reg.kind === "w1c"))
        ops.push({ op: OP.checkOut, idx: reg.word, exp: model.output(reg.name) });
      if (reg !== undefined && reg.kind === "w1p") {
        const pl = model.takePulses(reg.name);
        ops.push({ op: OP.checkPulse, idx: reg.word, exp: pl.bits, cnt: pl.count });
      }
    } else if (kind < 7) {
      readBack(addrOf());
    } else if (kind === 7 && p.hasLock && below(3) === 0) {
      const on = below(2) === 0;
      model.setLock(on);
      ops.push({ op: OP.setLock, data: on ? 1 : 0 });
    } else if (kind < 8 && ro.length > 0) {
      const r = pick(ro);
      const d = data();
      model.setInput(r.name, d);
      ops.push({ op: OP.setRo, idx: r.word, data: d });
    } else if (kind < 9 && w1c.length > 0) {
      const r = pick(w1c);
      const d = below(2) === 0 ? data() : 1 << below(4);
      model.setBits(r.name, d);
      ops.push({ op: OP.setW1c, idx: r.word, data: d });
      ops.push({ op: OP.checkOut, idx: r.word, exp: model.output(r.name) });
    } else {
      ops.push({ op: OP.checkIrq, exp: model.irq("IRQ_ENABLE", "IRQ_STATUS") ? 1 : 0 });
    }
  }
  for (const r of outs) ops.push({ op: OP.checkOut, idx: r.word, exp: model.output(r.name) });
  for (const r of w1p) {
    const pl = model.takePulses(r.name);
    ops.push({ op: OP.checkPulse, idx: r.word, exp: pl.bits, cnt: pl.count });
  }
  for (const r of p.regs) readBack(r.offset);
  ops.push({ op: OP.checkIrq, exp: model.irq("IRQ_ENABLE", "IRQ_STATUS") ? 1 : 0 });
  ops.push({ op: OP.end });
  return ops;
}

export interface RegfileBenchOptions {
  ops: number;
  seed: number;
  readyPct?: number;
  waves?: boolean;
  /** Flip a bit of one expected read value (to prove the bench can fail). */
  corruptRead?: number;
}

export interface RegfileBenchResult extends SimResult {
  ops: number;
}

export function runRegfileBench(
  dir: string,
  design: Design,
  rtl: string,
  sim: Simulator,
  o: RegfileBenchOptions,
): RegfileBenchResult {
  const p = design.regfile;
  const module = `${design.desc.name}_regfile`;
  const ops = genRegfileOps(p, o.ops, o.seed);
  if (o.corruptRead !== undefined) {
    const reads = ops.filter((x) => x.op === OP.read);
    const victim = reads[o.corruptRead % reads.length];
    if (victim !== undefined) victim.exp = ((victim.exp ?? 0) ^ 1) >>> 0;
  }
  const work = join(dir, sim);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "ops.hex"), ops.map(opLine).join("\n") + "\n");
  writeFileSync(join(work, "dut.v"), rtl);
  const tb = renderTb("tb_regfile.sv.hbs", {
    banner: banner(`Testbench for ${module}`, "testbench/templates/tb_regfile.sv.hbs"),
    module,
    nops: ops.length,
    addrWidth: p.addrWidth,
    regs: p.regs,
    hasLock: p.hasLock,
    readyPct: o.readyPct ?? 60,
    seed: ((new Rng(o.seed ^ 0x2468ace).u32() | 1) >>> 0).toString(16).padStart(8, "0"),
    timeout: ops.length * 40 + 1000,
  });
  writeFileSync(join(work, "tb.sv"), tb);
  const res = runSim(
    {
      dir: work,
      top: "tb",
      sources: [join(work, "tb.sv"), join(work, "dut.v")],
      ...(o.waves ? { waves: true } : {}),
    },
    sim,
  );
  return { ...res, ops: ops.length };
}
