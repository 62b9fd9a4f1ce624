/**
 * The PE testbench: golden-model vectors -> generated testbench -> simulator -> verdict.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type PeParams, type ModuleInstance, peDoc } from "../generator/elab/elaborate.ts";
import { banner, renderRtl, renderTb } from "../generator/emit/render.ts";
import { Rng } from "../generator/model/rng.ts";
import { beatLines, expectLines, genPeVectors } from "./pe.ts";
import { type SimResult, type Simulator, runSim } from "./sim.ts";

export interface PeBenchOptions {
  /** Random vectors (edge cases are added on top). */
  vectors: number;
  seed: number;
  /** Probability (percent) that the driver offers a beat / the sink accepts a result each cycle. */
  validPct?: number;
  readyPct?: number;
  waves?: boolean;
  /** Corrupt the expected result of this vector (to prove the bench can fail). */
  corruptVector?: number;
}

export interface PeBenchResult extends SimResult {
  vectors: number;
  beats: number;
  cycles: number | undefined;
}

/** Render the PE module for stand-alone parameters (no description needed). */
export function renderPe(module: string, pe: PeParams, source: string): string {
  return renderRtl("bfp8_dot_pe.v.hbs", {
    banner: banner(`${module}: BFP8 dot-product PE`, source),
    module,
    doc: peDoc(pe),
    ...pe,
  });
}

export function peModuleOf(modules: readonly ModuleInstance[]): ModuleInstance {
  const m = modules.find((x) => x.role === "pe");
  if (m === undefined) throw new Error("design has no PE");
  return m;
}

export function runPeBench(
  dir: string,
  module: string,
  rtl: string,
  pe: PeParams,
  sim: Simulator,
  o: PeBenchOptions,
): PeBenchResult {
  const vecs = genPeVectors(pe, o.vectors, o.seed);
  const beats = beatLines(vecs, pe, new Rng(o.seed ^ 0x5a5a5a5a));
  const expects = expectLines(vecs, pe);
  if (o.corruptVector !== undefined) {
    const i = o.corruptVector % expects.length;
    const line = expects[i] ?? "0";
    const last = parseInt(line.slice(-1), 16) ^ 1;
    expects[i] = line.slice(0, -1) + last.toString(16);
  }
  const work = join(dir, sim);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "beats.hex"), beats.join("\n") + "\n");
  writeFileSync(join(work, "expect.hex"), expects.join("\n") + "\n");
  writeFileSync(join(work, "dut.v"), rtl);
  const rng = new Rng(o.seed ^ 0x1234567);
  const tb = renderTb("tb_bfp8_dot_pe.sv.hbs", {
    banner: banner(`Testbench for ${module}`, "testbench/templates/tb_bfp8_dot_pe.sv.hbs"),
    module,
    nbeats: beats.length,
    nvec: vecs.length,
    beatBits: pe.beatBits,
    resBits: pe.resBits,
    lanes: pe.lanes,
    accW: pe.accW,
    validPct: o.validPct ?? 70,
    readyPct: o.readyPct ?? 70,
    timeout: beats.length * 20 + 1000,
    seedIn: ((rng.u32() | 1) >>> 0).toString(16).padStart(8, "0"),
    seedOut: ((rng.u32() | 1) >>> 0).toString(16).padStart(8, "0"),
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
  const m = res.passLine?.match(/(\d+) cycles/);
  return {
    ...res,
    vectors: vecs.length,
    beats: beats.length,
    cycles: m?.[1] !== undefined ? Number(m[1]) : undefined,
  };
}
