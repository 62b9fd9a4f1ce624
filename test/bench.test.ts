/**
 * `npm run bench` (scripts/bench.ts) with tiny sizes: every section is present, every Markdown
 * table is well formed, every SVG plot is written and well formed, no figure is missing; the
 * bench's captures (runTraining with its hooks, without the test evaluation) train exactly as a
 * plain runTraining; the codec sizes agree with the traffic
 * accounting; docs/energy.md is what the energy table generates. No timing is asserted.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../generator/emit/render.ts";
import { CODEC_FORMATS } from "../generator/model/codecs.ts";
import { streamBits } from "../training/metrics.ts";
import { DEFAULT_CONFIG, type RunConfig, runTraining } from "../training/run.ts";
import { captureSteps, captureTraining } from "../scripts/bench/capture.ts";
import { tensorSizes } from "../scripts/bench/codec-sizes.ts";
import { mdTable } from "../scripts/bench/common.ts";
import { CODEC_BASE } from "../scripts/bench/memory.ts";
import { ENERGY_DOC, SECTIONS, energyDocText, runBench } from "../scripts/bench/report.ts";
import type { ComputeParams } from "../scripts/bench/compute.ts";

/** Two small layers on the tiny preset in Icarus: every job checked against the golden model. */
const COMPUTE: ComputeParams = {
  shapes: [
    { net: "test", name: "8 -> 12", M: 12, K: 8 },
    { net: "test", name: "20 -> 5", M: 5, K: 20 },
  ],
  densities: [1, 0.2],
  N: 6,
  preset: "tiny",
  sim: "icarus",
};

const made: string[] = [];
function workDir(): string {
  mkdirSync(join(REPO_ROOT, "build"), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, "build", "bench-test-"));
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const tiny = (c: Partial<RunConfig> & Pick<RunConfig, "model" | "mode">): RunConfig => ({
  ...DEFAULT_CONFIG,
  train: 256,
  test: 64,
  maxSteps: 3,
  ...c,
});

/** Every pipe table of a Markdown text: rows of cells. */
function tables(md: string): string[][][] {
  const out: string[][][] = [];
  let cur: string[][] | undefined;
  for (const line of md.split("\n")) {
    if (line.startsWith("|")) {
      const cells = line
        .replace(/\\\|/g, "")
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
      expect(line.trimEnd().endsWith("|"), `table row ends with a pipe: ${line}`).toBe(true);
      if (cur === undefined) out.push((cur = []));
      cur.push(cells);
    } else cur = undefined;
  }
  return out;
}

function checkTables(md: string): number {
  const ts = tables(md);
  for (const t of ts) {
    const width = t[0]!.length;
    expect(t.length, "a table has a header, a rule and at least one row").toBeGreaterThanOrEqual(3);
    expect(
      t[1]!.every((c) => /^:?-{3,}:?$/.test(c)),
      `rule row: ${t[1]!.join("|")}`,
    ).toBe(true);
    for (const row of t) expect(row.length, `row ${row.join("|")}`).toBe(width);
    for (const row of t.slice(2))
      for (const c of row)
        expect(c, `cell in ${row.join("|")}`).not.toMatch(/NaN|undefined|Infinity/);
  }
  return ts.length;
}

/** Tags of an SVG balance and nothing is NaN. */
function checkSvg(text: string): void {
  expect(text.startsWith("<svg ")).toBe(true);
  expect(text.trimEnd().endsWith("</svg>")).toBe(true);
  expect(text).not.toMatch(/NaN|undefined|Infinity/);
  const stack: string[] = [];
  for (const m of text.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self === "/") continue;
    if (close === "/") expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(text).toMatch(/<(polyline|circle|rect|polygon) /);
}

describe("bench helpers", () => {
  it("mdTable pads columns and escapes pipes", () => {
    const t = mdTable(["a", "b"], [["x|y", "1"]]);
    expect(t.split("\n")).toEqual(["| a    |   b |", "| ---- | --: |", "| x\\|y |   1 |"]);
  });
});

describe("the bench's training captures", () => {
  it.each([
    tiny({ model: "mlp", mode: "sparse", targetAct: 0.9, targetGrad: 0.95 }),
    tiny({ model: "cnn", mode: "bfp8", maxSteps: 2 }),
    tiny({ model: "mlp14", mode: "bfp8", maxSteps: 2 }),
  ])("train as a plain runTraining does ($model $mode)", (c) => {
    const mine = captureTraining(c, captureSteps(c.maxSteps ?? 1, 2));
    const ref = runTraining(c);
    expect(mine.steps).toBe(ref.steps);
    expect(mine.command).toBe(ref.command);
    expect(mine.metrics.traffic).toEqual(ref.traffic);
    mine.metrics.layers.forEach((l, i) => {
      const r = ref.layers[i]!;
      expect([l.act, l.grad, l.fp, l.bp, l.wg]).toEqual([r.act, r.grad, r.fp, r.bp, r.wg]);
    });
    // activations and gradients of every hidden layer at each kept step
    const hidden = mine.layers.length - 1;
    expect(mine.tensors.length).toBe(2 * hidden * captureSteps(c.maxSteps ?? 1, 2).size);
    // the encoder's bytes are what the traffic accounting sizes (streamBits)
    for (const t of mine.tensors) {
      const s = tensorSizes(t, CODEC_BASE);
      for (const f of CODEC_FORMATS)
        expect(s.bytes[f] * 8, `${t.layer} ${t.kind} ${f}`).toBe(
          streamBits(t.q, { ...CODEC_BASE, format: f }),
        );
      expect(s.density).toBeGreaterThanOrEqual(0);
      expect(s.density).toBeLessThanOrEqual(1);
    }
  });
});

describe("npm run bench with tiny sizes", () => {
  it("prints every section with well-formed tables and writes well-formed SVG plots", async () => {
    const outDir = workDir();
    const logs: string[] = [];
    const report = await runBench({
      quick: true,
      outDir,
      only: SECTIONS,
      command: "npm run bench -- (test sizes)",
      log: (s) => logs.push(s),
      params: {
        compute: COMPUTE,
        training: {
          runs: [
            tiny({ model: "mlp", mode: "bfp8" }),
            tiny({ model: "mlp", mode: "sparse", targetAct: 0.9, targetGrad: 0.95 }),
            tiny({ model: "cnn", mode: "bfp8", maxSteps: 2 }),
            tiny({ model: "cnn", mode: "sparse", targetAct: 0.9, targetGrad: 0.95, maxSteps: 2 }),
          ],
          captures: 1,
        },
        memory: { maskElems: 2048, seed: 1 },
        sim: { peVectors: 100, pePreset: "tiny", codecFrames: 0, codecPreset: "tiny", seed: 1 },
        gen: { reps: 1 },
      },
    });
    // the compute section: every layer, density and step, speedups next to the ideal
    expect(report).toMatch(/\| test +\| 8 -> 12 +\| +20% +\| +WG +\|/);
    expect(report).toContain("Geometric mean over the layers");
    for (const h of [
      "# Benchmarks and reports",
      "## Compute",
      "## External memory",
      "### Random masks",
      "### MNIST interim tensors",
      "### External traffic of a whole training step",
      "## Energy estimate (a model, not a measurement)",
      "## Simulation speed",
      "## Generator speed",
    ])
      expect(report, h).toContain(`${h}`);
    // sections in the order of SECTIONS
    const at = (h: string): number => report.indexOf(h);
    expect(at("## Compute")).toBeLessThan(at("## External memory"));
    expect(at("## External memory")).toBeLessThan(at("## Energy estimate"));
    expect(at("## Energy estimate")).toBeLessThan(at("## Simulation speed"));
    expect(at("## Simulation speed")).toBeLessThan(at("## Generator speed"));
    // every figure next to the command that produced it
    expect(report).toContain("command: `npm run bench -- (test sizes)`");
    expect(report).toContain("`npm run train -- --model cnn --mode sparse --target-act 0.9");
    expect(report).toContain("`npm run codec-bits -- --n 2048");
    expect(report).toContain("`npm run sim -- tiny --sim both -n 100 --seed 1`");
    expect(checkTables(report)).toBeGreaterThanOrEqual(8);
    // both simulators ran and passed
    expect(report).toMatch(/\| PE +\| verilator +\| pass /);
    expect(report).toMatch(/\| PE +\| icarus +\| pass /);
    // the report file and the plots it links
    expect(readFileSync(join(outDir, "bench.md"), "utf8")).toBe(report);
    const svgs = readdirSync(outDir).filter((f) => f.endsWith(".svg"));
    expect(svgs.sort()).toEqual([
      "compute-speedup.svg",
      "energy-per-step.svg",
      "memory-mnist-tensors.svg",
      "memory-random-masks.svg",
    ]);
    for (const f of svgs) {
      expect(report).toContain(`](${f})`);
      checkSvg(readFileSync(join(outDir, f), "utf8"));
    }
    expect(logs.length).toBeGreaterThan(0);
  });
});

describe("docs/energy.md", () => {
  it("is generated from the energy table (npm run bench -- --energy-doc)", async () => {
    expect(existsSync(ENERGY_DOC)).toBe(true);
    expect(readFileSync(ENERGY_DOC, "utf8")).toBe(await energyDocText());
  });
});
