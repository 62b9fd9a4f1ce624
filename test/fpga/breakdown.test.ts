/**
 * The area breakdown (`npm run synth -- --breakdown`): Yosys with the hierarchy kept on a block
 * with submodules (the tiny decoder: section FIFOs of several parameter sets). Every row's
 * subtree equals its own cells plus its children's subtrees times the instance counts; the
 * parameterised variants are told apart; the Markdown table has one line per row.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { elaborate } from "../../generator/elab/elaborate.ts";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { areaBreakdownDesign, breakdownMarkdown } from "../../generator/fpga/breakdown.ts";
import { presetDescription } from "../../generator/load.ts";

describe("area breakdown", () => {
  it("lists the tiny decoder's modules with consistent totals", async () => {
    const b = await areaBreakdownDesign(
      elaborate(presetDescription("tiny")),
      { role: "codec_dec" },
      { device: "hx8k", outDir: join(REPO_ROOT, "build", "test-fpga", "breakdown-dec") },
    );
    expect(b.rows[0]?.module).toBe("tiny_codec_dec");
    expect(b.rows.length).toBeGreaterThan(2);
    expect(b.rows.some((r) => /^tiny_codec_fifo #2$/.test(r.module))).toBe(true);
    // subtree = own x instances + the children's subtrees (x instances)
    const check = (i: number): number => {
      const r = b.rows[i]!;
      let luts = 0;
      let j = i + 1;
      for (; j < b.rows.length && b.rows[j]!.depth > r.depth; j++)
        if (b.rows[j]!.depth === r.depth + 1) luts += b.rows[j]!.total.luts;
      return r.own.luts * r.instances + luts * r.instances;
    };
    expect(check(0)).toBe(b.total.luts);
    expect(b.total.luts).toBeGreaterThan(1000);
    expect(b.total.brams).toBeGreaterThan(0);
    const md = breakdownMarkdown(b).split("\n");
    expect(md.filter((l) => l.startsWith("| ")).length).toBe(b.rows.length + 1);
    expect(md.join("\n")).toMatch(/\| 100\.0% \|/);
  }, 300_000);
});
