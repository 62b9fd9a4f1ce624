/**
 * Energy estimate: a model, not a measurement. Energy per MNIST training step, dense against
 * sparse, from the golden model's operation counters and the traffic counts of
 * training/metrics.ts, priced with the per-operation table of energy-table.ts.
 *
 *   E = MACs * (mult8 + add32) + on-chip bytes * sramByte + external bytes * dramByte
 *   on-chip bytes = MACs * (1 + 1/k)            A operand: one code and 1/k scale byte per MAC
 *                 + MACs / T * entryBytes       B operand: one entry per non-zero, broadcast to T lanes
 *                 + MACs * 2 * itemBytes / SW   per-lane schedule: each lane writes and reads its
 *                                               queue item, SW entries wide, for SW of its MACs
 *                 + external bytes              staging: each byte moved passes one buffer once
 *
 * "Dense datapath": every MAC issued (macsDense) and every tensor moved as dense BFP8.
 * "Zero skipping + hbm": the MACs the processor issues (macsIssued: input zeros and masked
 * outputs skipped) and the tensors moved in the default preset's hbm codec.
 * Effective operations per joule count the dense work (2 ops per dense MAC) over the energy.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import type { LaneSchedule } from "../../generator/dsl/description.ts";
import { laneItemBits } from "../../generator/elab/core.ts";
import { elaborate } from "../../generator/elab/elaborate.ts";
import type { OpCounters } from "../../generator/model/gemm.ts";
import { presetDescription } from "../../generator/load.ts";
import { summarize } from "../../training/metrics.ts";
import type { RunResult } from "../../training/run.ts";
import { type Series, lineChart } from "../../training/svg.ts";
import { type SectionOptions, cmd, fix, mdTable, pct, si, writeSvg } from "./common.ts";
import { ENERGY_TABLE, SOURCES, energyOf } from "./energy-table.ts";
import { type TrainingData, runLabel } from "./training.ts";

/** The processor the model prices: the default preset's compute core. */
export interface Arch {
  preset: string;
  /** MAC units sharing one broadcast B entry: T, or T / macPasses (each pass reads the row again). */
  lanes: number;
  /** BFP8 block size. */
  k: number;
  /** Bytes of one B entry in the input buffer. */
  entryBytes: number;
  schedule: LaneSchedule;
  /** Per-lane schedule: B entries per lane-queue item (0 with the shared schedule). */
  streamEntries: number;
  /** Per-lane schedule: bytes of one lane-queue item (0 with the shared schedule). */
  itemBytes: number;
  /** Per-lane schedule: items per lane queue. */
  laneQueue: number;
}

/** On-chip bytes per MAC of the lane queues: one item written and read per SW MACs of a lane. */
export const queueBytesPerMac = (a: Arch): number =>
  a.schedule === "per-lane" ? (2 * a.itemBytes) / a.streamEntries : 0;

export function defaultArch(preset = "default"): Arch {
  const d = elaborate(presetDescription(preset));
  const perLane = d.desc.array.schedule === "per-lane";
  const sw = d.desc.array.streamEntries;
  return {
    preset,
    lanes: d.core.TP,
    k: d.core.k,
    entryBytes: d.desc.buffers.inputBytes / d.core.eDepth,
    schedule: d.desc.array.schedule,
    streamEntries: perLane ? sw : 0,
    itemBytes: perLane ? laneItemBits(d.core, sw) / 8 : 0,
    laneQueue: d.desc.array.laneQueue,
  };
}

/** What one training step does, in the model's terms. */
export interface StepWork {
  macs: number;
  /** External bytes. */
  extBytes: number;
  /** Dense MACs of the step (the work the effective rate counts). */
  denseMacs: number;
}

export interface Energy {
  macs: number;
  onChipBytes: number;
  extBytes: number;
  /** pJ */
  compute: number;
  onChip: number;
  dram: number;
  total: number;
  /** Effective operations (2 per dense MAC) per joule. */
  opsPerJoule: number;
}

export function stepEnergy(w: StepWork, a: Arch): Energy {
  const onChipBytes =
    w.macs * (1 + 1 / a.k + queueBytesPerMac(a)) + (w.macs / a.lanes) * a.entryBytes + w.extBytes;
  const compute = w.macs * (energyOf("mult8") + energyOf("add32"));
  const onChip = onChipBytes * energyOf("sramByte");
  const dram = w.extBytes * energyOf("dramByte");
  const total = compute + onChip + dram;
  return {
    macs: w.macs,
    onChipBytes,
    extBytes: w.extBytes,
    compute,
    onChip,
    dram,
    total,
    opsPerJoule: (2 * w.denseMacs) / (total * 1e-12),
  };
}

/** A run's totals, whichever way it was obtained. */
export interface RunTotals {
  label: string;
  model: string;
  mode: string;
  command: string;
  steps: number;
  overallSparsity: number;
  macs: OpCounters;
  /** Bits. */
  trafficDense: number;
  trafficCoded: number;
}

export function denseWork(r: RunTotals): StepWork {
  return {
    macs: r.macs.macsDense / r.steps,
    extBytes: r.trafficDense / 8 / r.steps,
    denseMacs: r.macs.macsDense / r.steps,
  };
}

export function sparseWork(r: RunTotals): StepWork {
  return {
    macs: r.macs.macsIssued / r.steps,
    extBytes: r.trafficCoded / 8 / r.steps,
    denseMacs: r.macs.macsDense / r.steps,
  };
}

/** Saved training results (training/results/*.json, written by `npm run train-report`). */
export function savedRuns(dir = join(REPO_ROOT, "training", "results")): RunTotals[] {
  if (!existsSync(dir)) return [];
  const out: RunTotals[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith(".json")) continue;
    const r = JSON.parse(readFileSync(join(dir, f), "utf8")) as RunResult;
    if (r.config.mode === "fp32" || r.traffic === null || r.steps <= 0) continue;
    out.push({
      label: r.name,
      model: r.config.model,
      mode: r.config.mode,
      command: r.command,
      steps: r.steps,
      overallSparsity: r.summary.overallSparsity,
      macs: r.summary.macs,
      trafficDense: r.summary.trafficDense,
      trafficCoded: r.summary.trafficCoded,
    });
  }
  return out;
}

export function benchRuns(data: TrainingData): RunTotals[] {
  return data.runs.map((r) => {
    const s = summarize(r.metrics);
    return {
      label: runLabel(r),
      model: r.config.model,
      mode: r.config.mode,
      command: r.command,
      steps: r.steps,
      overallSparsity: s.overallSparsity,
      macs: s.macs,
      trafficDense: s.trafficDense,
      trafficCoded: s.trafficCoded,
    };
  });
}

const uj = (pj: number): string => fix(pj / 1e6, pj >= 1e8 ? 0 : pj >= 1e7 ? 1 : 2);
const tops = (opsPerJ: number): string => fix(opsPerJ / 1e12, 2);

export function energyTableMarkdown(): string {
  return mdTable(
    ["operation", "energy", "per", "published figure (45 nm, 0.9 V)", "derivation", "source"],
    ENERGY_TABLE.map((e) => [
      e.what,
      `${fix(e.pj, e.pj < 10 ? 2 : 1)} pJ`,
      e.unit,
      e.published,
      e.derivation,
      `[${e.source}]`,
    ]),
    ["l", "r", "l", "l", "l", "l"],
  );
}

function modelLines(a: Arch): string[] {
  return [
    `- E = MACs x (mult8 + add32) + on-chip bytes x sramByte + external bytes x dramByte, per training step (batch 32).`,
    `- On-chip bytes = MACs x (1 + 1/k) (the lane reads one A code per MAC and one A scale per block pair) + MACs / T x ${a.entryBytes} (one ${a.entryBytes}-byte B entry per streamed non-zero, broadcast to the T lanes)${a.schedule === "per-lane" ? ` + MACs x 2 x ${fix(a.itemBytes, 2)} / ${a.streamEntries} = MACs x ${fix(queueBytesPerMac(a), 2)} (the per-lane schedule: each lane writes and reads a ${fix(a.itemBytes, 2)}-byte queue item of ${a.streamEntries} B entries per ${a.streamEntries} of its MACs; items holding fewer entries, at row ends, cost more, and the lanes' result queues are left out)` : ""} + external bytes (every byte moved is written into or read out of a buffer once). Preset ${a.preset}: ${a.lanes} MAC units sharing a B entry, k = ${a.k}, ${a.schedule} schedule.${a.schedule === "per-lane" ? ` The queues are charged at the 8 KB SRAM rate although each is an array of only ${a.laneQueue} items, so the term is an upper estimate of their energy per byte; it is the price of letting every lane run its own rows (masked BP outputs cost no cycles), and a shared schedule (\`array.schedule: "shared"\`) does without it.` : ""}`,
    '- "dense datapath": every dense MAC issued and every tensor moved as dense BFP8; "zero skipping + hbm": the MACs the processor issues (input zeros of the streamed operand and masked BP outputs skipped, the golden model\'s `macsIssued`) and the tensors moved in the default preset\'s hbm codec (`training/metrics.ts`).',
    "- Effective TOPS/W = 2 x dense MACs / energy (10^12 operations per joule): the dense work done per joule.",
    "- Not modelled: leakage and clock, control, the codec and DMA logic, re-blocking (transposes) on the way in, host work (softmax, loss, SGD), DRAM page effects. Sparse and dense rows share these omissions.",
  ];
}

export async function energySection(
  opts: SectionOptions,
  data: TrainingData,
  saved: readonly RunTotals[] = [],
): Promise<string> {
  opts.log("energy: pricing the training runs");
  const a = defaultArch();
  const out: string[] = [];
  out.push("## Energy estimate (a model, not a measurement)\n");
  out.push(
    `Per-operation energies from one published 45 nm table (\`scripts/bench/energy-table.ts\`; sources and derivations in [docs/energy.md](${relative(opts.outDir, join(REPO_ROOT, "docs", "energy.md"))})): ${ENERGY_TABLE.map((e) => `${e.op} ${Number(e.pj.toPrecision(6))} pJ per ${e.unit}`).join(", ")}.\n`,
  );
  out.push(modelLines(a).join("\n") + "\n");
  const runs = benchRuns(data);
  out.push(
    `### Bench training runs (the runs of the external-memory section, averaged over their ${[...new Set(runs.map((r) => r.steps))].join(" / ")} steps)\n`,
  );
  const base = new Map<string, number>();
  for (const r of runs) if (r.mode === "bfp8") base.set(r.model, stepEnergy(denseWork(r), a).total);
  const rows: string[][] = [];
  for (const r of runs)
    for (const [dp, w] of [
      ["dense datapath", denseWork(r)],
      ["zero skipping + hbm", sparseWork(r)],
    ] as const) {
      const e = stepEnergy(w, a);
      const b = base.get(r.model);
      rows.push([
        r.label,
        dp,
        pct(r.overallSparsity),
        si(e.macs),
        fix(e.onChipBytes / 1e6, 2),
        fix(e.extBytes / 1e6, 3),
        uj(e.compute),
        uj(e.onChip),
        uj(e.dram),
        uj(e.total),
        tops(e.opsPerJoule),
        b === undefined ? "-" : `${fix(b / e.total, 2)}x`,
      ]);
    }
  out.push(
    mdTable(
      [
        "run",
        "datapath",
        "sparsity",
        "MACs/step",
        "on-chip MB/step",
        "external MB/step",
        "compute uJ",
        "on-chip uJ",
        "DRAM uJ",
        "total uJ/step",
        "eff. TOPS/W",
        "vs dense BFP8, dense datapath",
      ],
      rows,
      ["l", "l"],
    ) + "\n",
  );
  out.push(
    "Sparsity: zeros of the interim tensors as written (activations and error gradients), over the run. MB: 10^6 bytes. The dense datapath does the same work whatever the values, so its row is the same for every run of a model.\n",
  );
  out.push("Runs:\n");
  for (const r of runs) out.push(`- ${r.label}: ${cmd(r.command)}`);
  out.push("");

  if (saved.length > 0) {
    const sorted = [...saved].sort(
      (x, y) => x.model.localeCompare(y.model) || x.overallSparsity - y.overallSparsity,
    );
    out.push(
      "### Saved full training runs (`training/results/*.json`, 1000-step runs of docs/training.md)\n",
    );
    out.push(
      mdTable(
        [
          "run",
          "steps",
          "sparsity",
          "MACs issued / dense",
          "external hbm / dense",
          "dense datapath uJ/step",
          "skipping + hbm uJ/step",
          "saving",
          "eff. TOPS/W dense",
          "eff. TOPS/W sparse",
          "command",
        ],
        sorted.map((r) => {
          const d = stepEnergy(denseWork(r), a);
          const s = stepEnergy(sparseWork(r), a);
          return [
            r.label,
            String(r.steps),
            pct(r.overallSparsity),
            fix(r.macs.macsIssued / r.macs.macsDense),
            fix(r.trafficCoded / r.trafficDense),
            uj(d.total),
            uj(s.total),
            `${fix(d.total / s.total, 2)}x`,
            tops(d.opsPerJoule),
            tops(s.opsPerJoule),
            cmd(r.command),
          ];
        }),
        ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l"],
      ) + "\n",
    );
  }

  const series: Series[] = [];
  for (const model of [...new Set([...runs, ...saved].map((r) => r.model))]) {
    const pts = [...saved, ...runs].filter((r) => r.model === model);
    if (pts.length === 0) continue;
    const M = model.toUpperCase();
    series.push({
      label: `${M}, skipping + hbm`,
      scatter: true,
      points: pts.map((r) => ({
        x: 100 * r.overallSparsity,
        y: stepEnergy(sparseWork(r), a).total / 1e6,
      })),
    });
    series.push({
      label: `${M}, dense datapath`,
      scatter: true,
      points: pts.map((r) => ({
        x: 100 * r.overallSparsity,
        y: stepEnergy(denseWork(r), a).total / 1e6,
      })),
    });
  }
  out.push(
    writeSvg(
      opts.outDir,
      "energy-per-step.svg",
      lineChart(series, {
        title: "Modelled energy per training step (batch 32)",
        xLabel: "sparsity of the interim data (%)",
        yLabel: "uJ per step (model)",
        xRange: [0, 100],
        width: 720,
      }),
      "modelled energy per training step over sparsity",
    ) + "\n",
  );
  return out.join("\n");
}

/** docs/energy.md, generated from the table and the model above. */
export function energyDoc(): string {
  const a = defaultArch();
  return [
    "# Energy model",
    "",
    "<!-- generated by `npm run bench -- --energy-doc` (scripts/bench/energy-table.ts, scripts/bench/energy.ts): do not edit -->",
    "",
    "The energy section of `npm run bench` ([bench.md](bench.md)) is an **estimate from a model**, not a measurement: it prices what the golden model counts (MACs issued and dense, from the operation counters of `generator/model/gemm.ts`) and what `training/metrics.ts` counts (external bytes per tensor kind, dense BFP8 and hbm) with published per-operation energies. No simulation, synthesis or power analysis of this design is involved. The figures below are the only place the numbers live: `scripts/bench/energy-table.ts` holds them, the bench computes with them and this page is generated from them (`test/bench.test.ts` fails when it is stale).",
    "",
    "## Per-operation energies",
    "",
    energyTableMarkdown(),
    "",
    "Sources:",
    "",
    ...Object.entries(SOURCES).map(([key, s]) => `- [${key}] ${s}`),
    "",
    "All four figures are 45 nm, 0.9 V figures of the same table (the DRAM figure as Han et al. tabulate Horowitz's 45 nm figures), so their ratios are consistent. Absolute values in a current process are lower; what decides how much sparsity saves is the ratio of DRAM to on-chip and arithmetic energy. How the figures were checked: the 32-bit add and the 8 KB, 64-bit cache access against Table 3 of PMC8934428 (https://pmc.ncbi.nlm.nih.gov/articles/PMC8934428/table/T3/, which takes them from Horowitz's 45 nm, 0.9 V table); the 8-bit multiply and the 32-bit add against `energysim/database/energy.py` of github.com/stillwater-sc/esim (which cites Horowitz, ISSCC 2014); the 640 pJ DRAM figure against secondary reproductions of the table only, not against the EIE paper itself. Not checked here: Horowitz's slides are commonly quoted with DRAM as a range of 1.3-2.6 nJ per 64-bit access; if so, 160 pJ per byte is its low end and the DRAM share, and with it the saving from compression, is if anything underestimated.",
    "",
    "## The model",
    "",
    ...modelLines(a),
    "",
    "A MAC is charged one 8-bit multiply and one 32-bit add: the core's lanes take one element pair per cycle and add each product into a block sum that is aligned into the wide accumulator once per block pair, so one 32-bit add per MAC is an upper bound on the adder work. The SRAM figure is that of an 8 KB array for every buffer; the lane RAMs are smaller (cheaper per access) and the 16 KB buffers somewhat larger.",
    "",
    "## Running it",
    "",
    "```sh",
    "npm run bench -- --quick --only energy   # short training runs, energy tables and plot",
    "npm run bench -- --energy-doc            # regenerate this page",
    "```",
    "",
  ].join("\n");
}
