/**
 * External memory: bytes per element of dense BFP8, flat bit-mask (zvc), run-length (rle) and
 * hierarchical bit-mask (hbm) in the default preset's codec configuration, against the entropy
 * bound, (1) on random masks at densities 100% to 1% and (2) on the real activations and error
 * gradients of MNIST training in the golden model's numerics, encoded with the golden model's
 * encoder; and (3) the external traffic of whole training steps (training/metrics.ts) in hbm
 * against dense BFP8.
 */
import { type CodecFormat, type CodecParams, CODEC_FORMATS } from "../../generator/model/codecs.ts";
import { Rng } from "../../generator/model/rng.ts";
import { CODEC, TRAFFIC_KINDS } from "../../training/metrics.ts";
import { type Series, lineChart } from "../../training/svg.ts";
import { type CaptureResult, type TensorKind } from "./capture.ts";
import { MASK_DENSITIES, maskSizes, randomMask, tensorSizes } from "./codec-sizes.ts";
import { type SectionOptions, cmd, fix, mdTable, pct, secs, writeSvg } from "./common.ts";
import { type TrainingData, runLabel } from "./training.ts";

export interface MemoryParams {
  /** Elements of each random mask. */
  maskElems: number;
  seed: number;
}

export function memoryParams(quick: boolean): MemoryParams {
  return { maskElems: quick ? 16384 : 65536, seed: 1 };
}

/** The codec configuration every size here uses: the default preset's (training/metrics.ts). */
export const CODEC_BASE: Omit<CodecParams, "format"> = {
  k: CODEC.k,
  frameElems: CODEC.frameElems,
  busBits: CODEC.busBits,
  grid: CODEC.grid,
  levels: CODEC.levels,
  runBits: CODEC.runBits,
};

export function codecConfigLine(): string {
  const c = CODEC_BASE;
  return `BFP8 blocks of ${c.k}, frames of ${c.frameElems} elements padded to a ${c.busBits}-bit bus word, hbm grid ${c.grid} with ${c.levels} levels, rle ${c.runBits}-bit run tokens (the default preset's codec, \`training/metrics.ts\` CODEC)`;
}

export interface RandomRow {
  density: number;
  bound: number;
  /** Bytes per element. */
  bytes: Record<CodecFormat, number>;
}

export function randomMaskRows(p: MemoryParams): RandomRow[] {
  const rng = new Rng(p.seed);
  return MASK_DENSITIES.map((d) => {
    const s = maskSizes(randomMask(rng, p.maskElems, d), CODEC_BASE);
    const bytes = Object.fromEntries(CODEC_FORMATS.map((f) => [f, s.bits[f] / 8])) as Record<
      CodecFormat,
      number
    >;
    return { density: s.density, bound: s.bound / 8, bytes };
  });
}

function best(bytes: Record<CodecFormat, number>): CodecFormat {
  let b: CodecFormat = "dense";
  for (const f of CODEC_FORMATS) if (bytes[f] < bytes[b]) b = f;
  return b;
}

/** Sizes of a group of tensors (summed): logical elements, non-zeros, bound bits, bytes. */
interface Group {
  tensors: number;
  n: number;
  nz: number;
  boundBits: number;
  bytes: Record<CodecFormat, number>;
  shape: string;
}

function emptyGroup(shape = ""): Group {
  return {
    tensors: 0,
    n: 0,
    nz: 0,
    boundBits: 0,
    bytes: { dense: 0, zvc: 0, rle: 0, hbm: 0 },
    shape,
  };
}

export interface TensorRow {
  run: string;
  layer: string;
  kind: TensorKind;
  group: Group;
}

/** Encode every kept tensor of every run; rows per (run, layer, kind), summed over the steps. */
export function tensorRows(runs: readonly CaptureResult[]): TensorRow[] {
  const rows: TensorRow[] = [];
  for (const r of runs) {
    const byKey = new Map<string, TensorRow>();
    for (const t of r.tensors) {
      const key = `${t.layer}/${t.kind}`;
      let row = byKey.get(key);
      if (row === undefined) {
        row = { run: runLabel(r), layer: t.layer, kind: t.kind, group: emptyGroup() };
        byKey.set(key, row);
        rows.push(row);
      }
      const s = tensorSizes(t, CODEC_BASE);
      const g = row.group;
      g.tensors++;
      g.n += s.n;
      g.nz += s.density * s.n;
      g.boundBits += s.bound * s.n;
      g.shape = `${t.rows} x ${t.cols}`;
      for (const f of CODEC_FORMATS) g.bytes[f] += s.bytes[f];
    }
  }
  return rows;
}

function addInto(into: Group, g: Group): void {
  into.tensors += g.tensors;
  into.n += g.n;
  into.nz += g.nz;
  into.boundBits += g.boundBits;
  for (const f of CODEC_FORMATS) into.bytes[f] += g.bytes[f];
}

const perElem = (g: Group, f: CodecFormat): number => g.bytes[f] / g.n;

function lessThan(x: number, base: number): string {
  const r = 1 - x / base;
  return r >= 0 ? `${pct(r)} less` : `${pct(-r)} more`;
}

export async function memorySection(
  opts: SectionOptions,
  p: MemoryParams,
  data: TrainingData,
): Promise<string> {
  const out: string[] = [];
  out.push("## External memory\n");
  out.push(`Codec configuration: ${codecConfigLine()}.\n`);
  out.push(
    "Bytes per element are stream bytes of the golden model's codecs (`generator/model/codecs.ts`) over the tensor's elements. " +
      "The bound is H(p) + 8p bits per element (mask entropy plus the non-zero codes) plus 8 bits per block that holds a non-zero (its scale), for independent elements.\n",
  );

  // (1) random masks
  opts.log("external memory: random masks");
  const t0 = performance.now();
  const rnd = randomMaskRows(p);
  out.push("### Random masks (bytes per element)\n");
  out.push(
    `${p.maskElems} elements per mask, independent non-zeros, seed ${p.seed}; the same masks as ${cmd(`npm run codec-bits -- --n ${p.maskElems} --k ${CODEC_BASE.k} --bus ${CODEC_BASE.busBits} --seed ${p.seed}`)} (which prints bits per element). ${secs(performance.now() - t0)}.\n`,
  );
  out.push(
    mdTable(
      ["density", "bound", ...CODEC_FORMATS, "best", "hbm / bound", "hbm vs dense"],
      rnd.map((r) => [
        pct(r.density),
        fix(r.bound),
        ...CODEC_FORMATS.map((f) => fix(r.bytes[f])),
        best(r.bytes),
        `${fix(r.bytes.hbm / r.bound, 2)}x`,
        lessThan(r.bytes.hbm, r.bytes.dense),
      ]),
    ) + "\n",
  );

  // (2) MNIST interim tensors
  opts.log("external memory: encoding the kept MNIST tensors");
  const t1 = performance.now();
  const rows = tensorRows(data.runs);
  out.push("### MNIST interim tensors\n");
  out.push(
    `The hidden layers' activations (written by FP, after ReLU, re-quantization and threshold) and error gradients (written by BP) of short training runs, kept at ${data.params.captures} steps of each run and encoded whole with every format (\`encode\`), padding of each row to whole blocks included. Runs (fast backend, bit-identical to the model; each command reproduces the run's metrics):\n`,
  );
  for (const r of data.runs) {
    const steps = [...new Set(r.tensors.map((t) => t.step + 1))].join(", ");
    out.push(`- ${runLabel(r)}: ${cmd(r.command)}; tensors kept at steps ${steps}`);
  }
  out.push("");
  const agg = new Map<string, Group>();
  const aggOrder: { run: string; kind: TensorKind }[] = [];
  for (const r of rows) {
    const key = `${r.run}/${r.kind}`;
    let g = agg.get(key);
    if (g === undefined) {
      g = emptyGroup();
      agg.set(key, g);
      aggOrder.push({ run: r.run, kind: r.kind });
    }
    addInto(g, r.group);
  }
  const groupCells = (g: Group): string[] => [
    pct(g.nz / g.n),
    fix(g.boundBits / g.n / 8),
    ...CODEC_FORMATS.map((f) => fix(perElem(g, f))),
    best(g.bytes),
    `${fix(perElem(g, "hbm") / (g.boundBits / g.n / 8), 2)}x`,
    lessThan(g.bytes.hbm, g.bytes.dense),
  ];
  out.push(
    `Per run and tensor kind (all hidden layers and kept steps; ${secs(performance.now() - t1)} to encode):\n`,
  );
  out.push(
    mdTable(
      [
        "run",
        "tensor",
        "kept",
        "elements",
        "density",
        "bound",
        ...CODEC_FORMATS,
        "best",
        "hbm / bound",
        "hbm vs dense",
      ],
      aggOrder.map(({ run, kind }) => {
        const g = agg.get(`${run}/${kind}`)!;
        return [run, kind, String(g.tensors), String(g.n), ...groupCells(g)];
      }),
      ["l", "l"],
    ) + "\n",
  );
  out.push(
    "Per layer (bytes per element, summed over the kept steps). Shapes are as stored: one row per sample (FC) or per pixel (convolution), each row padded to whole blocks of k, so conv2's 16 channels cost a 32-element block per pixel in every format; conv2's gradient is stored as fc3's BP writes it, one row of 784 per sample.\n",
  );
  out.push(
    mdTable(
      [
        "run",
        "layer",
        "tensor",
        "shape",
        "density",
        "bound",
        ...CODEC_FORMATS,
        "best",
        "hbm / bound",
        "hbm vs dense",
      ],
      rows.map((r) => [r.run, r.layer, r.kind, r.group.shape, ...groupCells(r.group)]),
      ["l", "l", "l", "r"],
    ) + "\n",
  );

  // (3) whole training steps
  out.push("### External traffic of a whole training step\n");
  out.push(
    "Every stored tensor each GEMM of a step reads or writes (FP reads W and X, writes Y; BP reads W, dY and the ReLU mask, writes dX; WG reads dY and X, writes dW), counted by `training/metrics.ts` in hbm and in dense BFP8, averaged over all steps of the run. Masks are plain bitmaps in both.\n",
  );
  out.push(
    mdTable(
      [
        "run",
        ...TRAFFIC_KINDS.map((k) => `${k} hbm/dense`),
        "dense kB/step",
        "hbm kB/step",
        "hbm vs dense",
      ],
      data.runs.map((r) => {
        const t = r.metrics.traffic;
        const dense = denseTotal(r) / r.steps;
        const coded = codedTotal(r) / r.steps;
        return [
          runLabel(r),
          ...TRAFFIC_KINDS.map((k) => (t[k].dense === 0 ? "-" : fix(t[k].coded / t[k].dense))),
          fix(dense / 8 / 1000, 1),
          fix(coded / 8 / 1000, 1),
          lessThan(coded, dense),
        ];
      }),
    ) + "\n",
  );
  out.push(
    "Dense BFP8 traffic does not depend on the values, so it is the same for every run of a model: the last column is also the reduction against the model trained without sparsity scaling and moved as dense BFP8. kB: 1000 bytes.\n",
  );

  // plots
  const x = (d: number): number => 100 * d;
  const lines: Series[] = [
    { label: "entropy bound", points: rnd.map((r) => ({ x: x(r.density), y: r.bound })) },
    ...CODEC_FORMATS.map((f) => ({
      label: f,
      points: rnd.map((r) => ({ x: x(r.density), y: r.bytes[f] })),
    })),
  ];
  out.push(
    writeSvg(
      opts.outDir,
      "memory-random-masks.svg",
      lineChart(lines, {
        title: `Bytes per element, random masks (${p.maskElems} elements)`,
        xLabel: "density (%)",
        yLabel: "bytes per element",
        xRange: [0, 100],
        yRange: [0, Math.ceil(Math.max(...lines.flatMap((s) => s.points.map((q) => q.y))) + 0.25)],
      }),
      "bytes per element over density, random masks",
    ) + "\n",
  );
  const real: Series[] = CODEC_FORMATS.filter((f) => f !== "dense").map((f) => ({
    label: `${f} (MNIST tensors)`,
    scatter: true,
    points: rows.map((r) => ({ x: x(r.group.nz / r.group.n), y: perElem(r.group, f) })),
  }));
  real.unshift({
    label: "hbm (random masks)",
    points: rnd.map((r) => ({ x: x(r.density), y: r.bytes.hbm })),
  });
  out.push(
    writeSvg(
      opts.outDir,
      "memory-mnist-tensors.svg",
      lineChart(real, {
        title: "Bytes per element, MNIST activations and gradients",
        xLabel: "density (%)",
        yLabel: "bytes per element",
        xRange: [0, 100],
        width: 720,
      }),
      "bytes per element of MNIST interim tensors over density",
    ) + "\n",
  );
  return out.join("\n");
}

function denseTotal(r: CaptureResult): number {
  return TRAFFIC_KINDS.reduce((s, k) => s + r.metrics.traffic[k].dense, 0);
}

function codedTotal(r: CaptureResult): number {
  return TRAFFIC_KINDS.reduce((s, k) => s + r.metrics.traffic[k].coded, 0);
}
