/**
 * The AXI4 DMA against its golden model in both simulators, for the bus widths of every shipped
 * preset: random transfer lists (1 byte to 12 KB rows, unaligned, 2D with positive, negative and
 * page strides, short / exact / overflowing / empty write streams), 4 KB boundary sweeps, SLVERR
 * and DECERR injected by the memory model, random stalls on every channel, the whole memory
 * compared byte for byte afterwards (guard bytes around every destination). Then mutants: the
 * bench must catch a wrong expected word, a 4 KB crossing, an overrun, an ignored error, one
 * outstanding burst too many, a payload change while stalled and a realignment slip.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { PRESET_NAMES } from "../../generator/dsl/presets.ts";
import { presetDescription } from "../../generator/load.ts";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import {
  type DmaBenchResult,
  type DmaBusConfig,
  NO_STALLS,
  dmaRtl,
  genScenario,
  runDmaBench,
} from "../../testbench/dma-bench.ts";
import { SIMULATORS, type Simulator } from "../../testbench/sim.ts";

const WORK = join(REPO_ROOT, "build", "test-sim", "dma");

/** Per preset: a different mix of stalls and latencies (percent = probability per cycle). */
const BUS: Readonly<Record<string, DmaBusConfig>> = {
  tiny: {
    rdLatency: 3,
    wrLatency: 7,
    arReadyPct: 50,
    rValidPct: 50,
    awReadyPct: 50,
    wReadyPct: 50,
    bValidPct: 50,
    outReadyPct: 50,
    inValidPct: 50,
    cmdPct: 60,
  },
  default: {
    rdLatency: 16,
    wrLatency: 10,
    arReadyPct: 80,
    rValidPct: 70,
    awReadyPct: 60,
    wReadyPct: 80,
    bValidPct: 40,
    outReadyPct: 70,
    inValidPct: 80,
    cmdPct: 100,
  },
  large: {
    rdLatency: 30,
    wrLatency: 24,
    arReadyPct: 30,
    rValidPct: 90,
    awReadyPct: 90,
    wReadyPct: 60,
    bValidPct: 90,
    outReadyPct: 90,
    inValidPct: 40,
    cmdPct: 100,
  },
};

function report(name: string, r: DmaBenchResult): void {
  console.log(
    `[dma-sim] ${name} ${r.sim}: ${r.rdCmds} reads (${r.rdBytes} B), ${r.wrCmds} writes (${r.wrBytes} B), ${r.errCmds} with error responses, ${r.overflowCmds} overflows, ${r.cycles} cycles, compile ${(r.compileMs / 1000).toFixed(1)} s, run ${(r.runMs / 1000).toFixed(1)} s`,
  );
}

function failure(r: DmaBenchResult): string {
  return [r.output.split("\n").slice(0, 40).join("\n"), ...r.memErrors].join("\n");
}

describe.each(PRESET_NAMES)("DMA of preset %s", (preset) => {
  const desc = presetDescription(preset);
  const d = dmaRtl(desc);
  const bus = BUS[preset] ?? NO_STALLS;
  const sc = genScenario(d.params, 4242 + preset.length, { reads: 40, writes: 40 });
  const cycles = new Map<Simulator, number | undefined>();

  it("has a transfer list that covers what it claims", () => {
    const kinds = new Set([...sc.rd, ...sc.wr].map((c) => c.kind.split(/[-/]/)[0]));
    for (const k of ["1d", "2d", "sweep", "err"]) expect(kinds).toContain(k);
    const wk = sc.wr.map((c) => c.kind);
    for (const m of ["/exact", "/short", "/overflow", "negative-stride", "page-stride"])
      expect(wk.some((k) => k.includes(m))).toBe(true);
    expect(sc.rd.some((c) => c.rowBytes * c.rows >= 8000)).toBe(true);
    expect(sc.rd.some((c) => c.rowBytes * c.rows === 1)).toBe(true);
    expect(sc.rd.some((c) => Number(c.addr % BigInt(d.params.bytes)) !== 0)).toBe(true);
  });

  it.each(SIMULATORS)(
    "moves random lists, 4 KB sweeps and error responses like the golden model in %s",
    (sim) => {
      const r = runDmaBench(join(WORK, preset), d.modules, d.rtl, d.params, sc, sim, {
        seed: 99,
        bus,
      });
      if (!r.ok) console.log(failure(r));
      expect(r.ok).toBe(true);
      report(preset, r);
      expect(r.errCmds).toBeGreaterThanOrEqual(12);
      expect(r.overflowCmds).toBeGreaterThanOrEqual(1);
      // the outstanding limit is reached, not merely respected
      const out = r.passLine?.match(/outstanding rd (\d+) wr (\d+)/);
      expect(Number(out?.[1])).toBe(d.params.maxOutstanding);
      expect(Number(out?.[2])).toBe(d.params.maxOutstanding);
      // the stall generators are simulator independent: both take the same number of cycles
      cycles.set(sim, r.cycles);
      const other = [...cycles.entries()].find(([s]) => s !== sim);
      if (other !== undefined) expect(r.cycles).toBe(other[1]);
    },
  );
});

describe("DMA at full rate", () => {
  it("moves a random list with no stall anywhere (tiny, icarus)", () => {
    const desc = presetDescription("tiny");
    const d = dmaRtl(desc);
    const sc = genScenario(d.params, 31, { reads: 15, writes: 15, sweeps: false, maxLen: 6000 });
    const r = runDmaBench(join(WORK, "full-rate"), d.modules, d.rtl, d.params, sc, "icarus", {
      seed: 3,
      bus: NO_STALLS,
    });
    if (!r.ok) console.log(failure(r));
    expect(r.ok).toBe(true);
    report("tiny full-rate", r);
  });
});

describe("the DMA testbench can fail", () => {
  const desc = presetDescription("tiny");
  const d = dmaRtl(desc);
  const sc = genScenario(d.params, 8, { reads: 8, writes: 8 });
  const bus = BUS.tiny ?? NO_STALLS;

  it.each(SIMULATORS)("reports a wrong expected read word in %s", (sim) => {
    const r = runDmaBench(join(WORK, "mutant-expect"), d.modules, d.rtl, d.params, sc, sim, {
      seed: 5,
      bus,
      corruptReadWord: 57,
    });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/MISMATCH read stream word 57\b/);
  });

  // RTL mutants: one edit of the emitted Verilog each, and the message that must catch it.
  const MUTANTS: [string, "rd" | "wr", string, string, RegExp, Partial<DmaBusConfig>][] = [
    [
      "bursts aligned to half blocks (data right, but some cross 4 KB)",
      "rd",
      "wire [BB_W-1:0] boff      = at_row_q ? row_addr_q[BB_W-1:0] : {BB_W{1'b0}};",
      "wire [BB_W-1:0] boff      = at_row_q ? {1'b0, row_addr_q[BB_W-2:0]} : {BB_W{1'b0}};",
      /PROTOCOL ERROR \[dma\]: read burst crosses a 4 KB boundary/,
      {},
    ],
    [
      "every strobe set (overrun)",
      "wr",
      "wstrb_q  <= strb;",
      "wstrb_q  <= {NB{1'b1}};",
      /OVERRUN guard byte/,
      {},
    ],
    [
      "write error responses ignored",
      "wr",
      "if (bfire & (m_axi_bresp_i != 2'b00) & ~err_q) begin",
      "if (1'b0) begin",
      /MISMATCH write status/,
      {},
    ],
    [
      "one outstanding read burst too many",
      "rd",
      `(outst_q != ${d.params.outW}'d${d.params.maxOutstanding})`,
      `(outst_q != ${d.params.outW}'d${d.params.maxOutstanding + 1})`,
      /PROTOCOL ERROR \[dma\]: too many outstanding read bursts/,
      { rdLatency: 20, rValidPct: 100 },
    ],
    [
      "AR reloaded while stalled",
      "rd",
      "wire            ar_free   = ~arvalid_q | m_axi_arready_i;",
      "wire            ar_free   = 1'b1;",
      /PROTOCOL ERROR \[dma\]: AR changed or dropped while stalled/,
      {},
    ],
    [
      "read realignment off by one lane",
      "rd",
      "wire [OFFW-1:0] rot     = cnt_q - lane_lo;",
      "wire [OFFW-1:0] rot     = cnt_q - lane_lo + 1'b1;",
      /MISMATCH read stream/,
      {},
    ],
  ];
  it.each(MUTANTS)(
    "catches the mutant: %s (icarus)",
    (_name, which, from, to, message, busEdit) => {
      const src = d.rtl[which];
      expect(src).toContain(from);
      const rtl = { ...d.rtl, [which]: src.replace(from, to) };
      const r = runDmaBench(join(WORK, "mutant-rtl"), d.modules, rtl, d.params, sc, "icarus", {
        seed: 6,
        bus: { ...bus, ...busEdit },
      });
      expect(r.ok).toBe(false);
      expect([r.output, ...r.memErrors].join("\n")).toMatch(message);
    },
  );
});
