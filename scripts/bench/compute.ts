/**
 * The compute section of `npm run bench`: RTL cycles of FP, BP and WG on the simulated processor
 * (every job checked against the golden model) next to the golden model's ideal (MACs issued /
 * lanes) and the dense baseline (the same processor generated with input and output skipping off
 * and the dense codec), over densities of the activations and gradients, on the GEMM shapes of a
 * LeNet-like and a ResNet-18-like network after lowering (a convolution with k x k kernels and C
 * input channels is an FC layer with K = k x k x C inputs).
 *
 * The layers are run with N rows of the lowered batch (batch x output pixels) each, so every job
 * reloads its rows of A: a real layer has many more rows and amortizes those loads better. The
 * processor is the default preset with buffers large enough for the longest reduction (the
 * description is printed); ResNet-18's last stage (K = 4608) is left out to keep the run short.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedDescription } from "../../generator/dsl/description.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";
import { validateDescription } from "../../generator/dsl/validate.ts";
import { Rng } from "../../generator/model/rng.ts";
import { randomMatrix } from "../../testbench/core.ts";
import {
  type LayerResult,
  STEPS,
  type Step,
  baselineOf,
  runLayer,
} from "../../testbench/host/index.ts";
import type { Simulator } from "../../testbench/sim.ts";
import { type Series, lineChart } from "../../training/svg.ts";
import { type SectionOptions, fix, mdTable } from "./common.ts";

export interface Shape {
  net: string;
  name: string;
  /** Outputs and inputs of the lowered layer. */
  M: number;
  K: number;
}

const LENET: Shape[] = [
  { net: "LeNet", name: "conv1 5x5x1 -> 6", M: 6, K: 25 },
  { net: "LeNet", name: "conv2 5x5x6 -> 16", M: 16, K: 150 },
  { net: "LeNet", name: "fc1 400 -> 120", M: 120, K: 400 },
  { net: "LeNet", name: "fc2 120 -> 84", M: 84, K: 120 },
];
const RESNET: Shape[] = [
  { net: "ResNet-18", name: "conv1 7x7x3 -> 64", M: 64, K: 147 },
  { net: "ResNet-18", name: "layer1 3x3x64 -> 64", M: 64, K: 576 },
  { net: "ResNet-18", name: "layer2 3x3x128 -> 128", M: 128, K: 1152 },
  { net: "ResNet-18", name: "layer3 3x3x256 -> 256", M: 256, K: 2304 },
  { net: "ResNet-18", name: "fc 512 -> 1000", M: 1000, K: 512 },
];

/** What the section runs: layers, densities, rows per layer, the preset and the simulator. */
export interface ComputeParams {
  shapes: readonly Shape[];
  densities: readonly number[];
  N: number;
  preset: string;
  sim: Simulator;
}

export function computeParams(quick: boolean): ComputeParams {
  return quick
    ? {
        shapes: [LENET[1]!, RESNET[0]!],
        densities: [1, 0.1],
        N: 32,
        preset: "default",
        sim: "verilator",
      }
    : {
        shapes: [...LENET, ...RESNET],
        densities: [1, 0.5, 0.1, 0.01],
        N: 64,
        preset: "default",
        sim: "verilator",
      };
}

/** The processor of the section: a preset with buffers for the longest reduction. */
export function computeDescription(
  shapes: readonly Shape[],
  N: number,
  preset = "default",
): ResolvedDescription {
  const base = validateDescription(PRESETS[preset] ?? { name: preset });
  const T = base.array.rows * base.array.cols;
  const longest = Math.max(N, ...shapes.flatMap((s) => [s.M, s.K]));
  const rMax = 2 ** Math.ceil(Math.log2(longest));
  return validateDescription({
    ...base,
    name: "bench_compute",
    buffers: {
      weightBytes: Math.max(base.buffers.weightBytes, 2 * T * rMax),
      inputBytes: Math.max(base.buffers.inputBytes, 65536),
      outputBytes: Math.max(base.buffers.outputBytes, 16384),
    },
  });
}

interface Row {
  shape: Shape;
  density: number;
  step: Step;
  cycles: number;
  ideal: number;
  baseline: number;
  /** Ideal speedup: dense MACs / MACs issued. */
  idealSpeedup: number;
}

export async function computeSection(
  opts: SectionOptions,
  cfg: ComputeParams = computeParams(opts.quick),
): Promise<string> {
  const desc = computeDescription(cfg.shapes, cfg.N, cfg.preset);
  const dense = baselineOf(desc);
  const work = join(opts.outDir, "compute");
  const rows: Row[] = [];
  const bad: string[] = [];
  const check = (r: LayerResult, what: string): void => {
    if (!r.ok) bad.push(`${what} (${r.name}): ${r.errors.slice(0, 5).join("; ")}`);
  };
  let simS = 0;
  for (const shape of cfg.shapes) {
    const { M, K } = shape;
    const N = cfg.N;
    const rng = new Rng(M * 7919 + K);
    const w = randomMatrix(rng, M, K, 1, 6);
    const tensors = cfg.densities.map((d) => ({
      d,
      data: { w, xT: randomMatrix(rng, N, K, d, 6), dyT: randomMatrix(rng, N, M, d, 6) },
    }));
    // The baseline stores and computes every element: its cycles do not depend on the data.
    const first = tensors[0];
    if (first === undefined) continue;
    opts.log(`compute: ${shape.net} ${shape.name}, baseline`);
    const base = runLayer(dense, M, K, N, first.data, {
      sim: cfg.sim,
      skipOut: false,
      dir: join(work, dense.name),
      log: opts.log,
    });
    check(base, `${shape.name} baseline`);
    simS += base.compileS + base.runS;
    for (const { d, data } of tensors) {
      opts.log(`compute: ${shape.net} ${shape.name}, density ${d}`);
      const r = runLayer(desc, M, K, N, data, {
        sim: cfg.sim,
        skipOut: true,
        dir: join(work, desc.name),
        log: opts.log,
      });
      check(r, `${shape.name} at density ${d}`);
      simS += r.compileS + r.runS;
      for (const step of STEPS) {
        const s = r.steps[step];
        rows.push({
          shape,
          density: d,
          step,
          cycles: s.cycles,
          ideal: s.issued / r.T,
          baseline: base.steps[step].cycles,
          idealSpeedup: s.dense / Math.max(1, s.issued),
        });
      }
    }
  }
  if (bad.length > 0)
    throw new Error(`compute: the RTL differs from the golden model:\n${bad.join("\n")}`);

  const out: string[] = ["## Compute", ""];
  out.push(
    `Processor \`${desc.name}\`: the default preset (${desc.array.rows}x${desc.array.cols} = ${desc.array.rows * desc.array.cols} lanes, blocks of ${desc.numerics.blockSize}, ${desc.codec.format} codec, ${desc.dma.dataWidth}-bit AXI) with buffers ` +
      `weightBytes ${desc.buffers.weightBytes}, inputBytes ${desc.buffers.inputBytes}, outputBytes ${desc.buffers.outputBytes}; ` +
      `dense baseline \`${dense.name}\`: the same with input and output skipping off and the dense codec. ` +
      `Each layer runs FP, BP (skipping with X's ReLU mask) and WG with N = ${cfg.N} rows of the lowered batch, random X and dY at the given density, in ${cfg.sim}, every job checked against the golden model (${rows.length / 3} layer runs, ${simS.toFixed(0)} s of simulation). ` +
      `Cycles: PERF_CYCLES summed over a step's jobs (loads, compute and writes). Ideal: the golden model's MACs issued / lanes (compute only). ` +
      "Speedup: baseline cycles / cycles; ideal speedup: dense MACs / MACs issued.",
    "",
  );
  const table = mdTable(
    [
      "network",
      "layer",
      "density",
      "step",
      "RTL cycles",
      "ideal",
      "cycles / ideal",
      "baseline cycles",
      "speedup",
      "ideal speedup",
    ],
    rows.map((r) => [
      r.shape.net,
      r.shape.name,
      `${(100 * r.density).toFixed(0)}%`,
      r.step.toUpperCase(),
      String(r.cycles),
      r.ideal.toFixed(0),
      fix(r.cycles / Math.max(1, r.ideal), 2),
      String(r.baseline),
      `${fix(r.baseline / Math.max(1, r.cycles), 2)}x`,
      `${fix(r.idealSpeedup, 2)}x`,
    ]),
  );
  out.push(table, "");

  // Speedup against sparsity per step: geometric mean over the layers, with the ideal curve.
  const geo = (xs: number[]): number =>
    Math.exp(xs.reduce((a, x) => a + Math.log(Math.max(1e-9, x)), 0) / Math.max(1, xs.length));
  const series: Series[] = [];
  const summary: string[][] = [];
  for (const step of STEPS) {
    const pts = cfg.densities.map((d) => {
      const rs = rows.filter((r) => r.step === step && r.density === d);
      return {
        d,
        rtl: geo(rs.map((r) => r.baseline / Math.max(1, r.cycles))),
        ideal: geo(rs.map((r) => r.idealSpeedup)),
      };
    });
    series.push({
      label: `${step.toUpperCase()} RTL`,
      points: pts.map((p) => ({ x: 100 * (1 - p.d), y: Math.log10(p.rtl) })),
    });
    series.push({
      label: `${step.toUpperCase()} ideal`,
      points: pts.map((p) => ({ x: 100 * (1 - p.d), y: Math.log10(p.ideal) })),
    });
    for (const p of pts)
      summary.push([
        step.toUpperCase(),
        `${(100 * (1 - p.d)).toFixed(0)}%`,
        `${fix(p.rtl, 2)}x`,
        `${fix(p.ideal, 2)}x`,
      ]);
  }
  out.push(
    "Geometric mean over the layers:",
    "",
    mdTable(["step", "sparsity", "speedup (RTL)", "ideal speedup"], summary),
    "",
  );
  const svg = lineChart(series, {
    title: "Speedup over the dense baseline vs sparsity",
    xLabel: "sparsity of activations and gradients (%)",
    yLabel: "speedup, log scale (geometric mean over layers)",
    yFmt: (v) => `${(10 ** v).toPrecision(2)}x`,
  });
  const file = join(opts.outDir, "compute-speedup.svg");
  writeFileSync(file, svg);
  out.push(`![speedup vs sparsity](compute-speedup.svg)`, "");
  return out.join("\n");
}
