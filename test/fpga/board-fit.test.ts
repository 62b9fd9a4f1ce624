/**
 * The whole processor on an iCE40: the tiny_hx8k preset (tiny cut to fit the HX8K) in its board
 * wrapper for the hx8k-breakout with the board's 2 KiB of board memory, through the command a
 * user runs (`npm run synth -- --preset tiny_hx8k --board hx8k-breakout`): Yosys,
 * nextpnr place and route, icepack. It must fit, route, meet the board's 12 MHz clock and give a
 * bitstream. The same RTL runs over the UART in test/sim/board-hx8k.sim.test.ts.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import type { SynthReport } from "../../generator/fpga/flow.ts";

const OUT = join(REPO_ROOT, "build", "test-fpga", "board-hx8k");

function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "scripts", "synth.ts"), ...args],
      { cwd: REPO_ROOT },
    );
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      // progress of a long run, so a CI log shows where it is
      for (const l of d.toString().split("\n"))
        if (/nextpnr: (placing|routing)/.test(l)) console.log(l);
    });
    p.on("close", (status) => res({ status, stdout, stderr }));
  });
}

describe("the whole processor on the iCE40HX8K", () => {
  it(
    "tiny_hx8k on the hx8k-breakout (its default 2 KiB memory): fits, routes, meets 12 MHz, bitstream",
    async () => {
      const r = await run([
        "--preset",
        "tiny_hx8k",
        "--board",
        "hx8k-breakout",
        "--json",
        "--out",
        OUT,
      ]);
      expect(r.status, r.stderr.slice(-3000)).toBe(0);
      const rep = JSON.parse(r.stdout) as SynthReport;
      expect(rep.deviceName).toBe("iCE40HX8K");
      expect(rep.top).toBe("tiny_hx8k_board");
      const lc = rep.utilisation["ICESTORM_LC"];
      const ram = rep.utilisation["ICESTORM_RAM"];
      expect(lc).toBeDefined();
      expect(lc?.used).toBeGreaterThan(0);
      expect(lc?.used).toBeLessThanOrEqual(lc?.available ?? 0);
      expect(ram?.used).toBeLessThanOrEqual(ram?.available ?? 0);
      const clk = rep.clocks.find((c) => c.name === "clk_i");
      expect(clk).toBeDefined();
      expect(clk?.targetMhz).toBe(12);
      expect(clk?.pass).toBe(true);
      expect(rep.files.bitstream).not.toBeNull();
      expect(statSync(rep.files.bitstream ?? "").size).toBeGreaterThan(100_000);
      console.log(
        `[fpga] tiny_hx8k board on iCE40HX8K: ${rep.total.luts} LUT4, ${rep.total.ffs} FF, ` +
          `${lc?.used}/${lc?.available} LCs, ${ram?.used}/${ram?.available} RAMs, clk_i ${clk?.fmaxMhz} MHz`,
      );
    },
    40 * 60_000,
  );
});
