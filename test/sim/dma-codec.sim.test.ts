/**
 * Compressed transfers in both simulators: the codec on the DMA's streams, as the processor
 * composes them (codec_enc -> axi_dma_wr -> memory -> axi_dma_rd -> codec_dec), so that a tensor's
 * external-memory traffic is its compressed size.
 *  - the tiny preset with every codec format (dense, zvc, rle, hbm) and the default preset with
 *    hbm, all in one simulation (one harness each, each with its own AXI memory model with random
 *    stalls on every channel and latency, and its own protocol monitor);
 *  - per configuration, tensors back to back at unaligned addresses (some across 4 KB pages) with
 *    guard bytes around every destination: the codec's edge cases (all-zero, all-non-zero, single
 *    blocks, ragged ends, NaN blocks), a quantized activation tensor and random tensors at
 *    densities 0-100%; each is encoded on the way out (the write's bytes_o must equal the
 *    encoder's bytes_o and the golden model's stream length), read back with the recorded length
 *    and decoded (every block against the golden model's decode);
 *  - error responses injected by the memory model on the write path (SLVERR, DECERR) and on the
 *    read path (SLVERR, DECERR), and a destination buffer smaller than the stream, each reported
 *    by the DMA status as the golden model says;
 *  - afterwards the whole memory is compared byte for byte with the golden model's (the encoded
 *    streams at their addresses, everything else untouched), and the AXI beats counted by the
 *    monitor with the words the compressed streams span;
 *  - mutation tests: a corrupted expected memory byte and a corrupted expected decoded block are
 *    both reported, and nothing else, in both simulators; DMA RTL mutants (every strobe set, write
 *    or read errors ignored, a wrong write byte count, a read realignment slip) are caught.
 * Verilator runs more tensors than Icarus (slower on this design).
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import type { ResolvedDescription } from "../../generator/dsl/description.ts";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { CODEC_FORMATS } from "../../generator/model/codecs.ts";
import {
  ERROR_ROLES,
  type RoundTripBus,
  type RoundTripResult,
  type RoundTripUnit,
  planRoundTrip,
  roundTripTensors,
  runRoundTripBench,
} from "../../testbench/dma-codec-bench.ts";
import { modelCodecParams } from "../../testbench/codec-bench.ts";
import { SIMULATORS, type Simulator } from "../../testbench/sim.ts";
import { variant } from "../fixtures/variant.ts";

const WORK = join(REPO_ROOT, "build", "test-sim", "dma-codec");

/** Stall mixes (percent = probability per cycle); every AXI channel stalls in each. */
const BUSES: RoundTripBus[] = [
  {
    rdLatency: 3,
    wrLatency: 7,
    arReadyPct: 50,
    rValidPct: 50,
    awReadyPct: 50,
    wReadyPct: 50,
    bValidPct: 50,
    encValidPct: 60,
    decReadyPct: 60,
    cmdPct: 60,
  },
  {
    rdLatency: 16,
    wrLatency: 10,
    arReadyPct: 80,
    rValidPct: 70,
    awReadyPct: 60,
    wReadyPct: 80,
    bValidPct: 40,
    encValidPct: 90,
    decReadyPct: 80,
    cmdPct: 100,
  },
  {
    rdLatency: 0,
    wrLatency: 0,
    arReadyPct: 30,
    rValidPct: 90,
    awReadyPct: 90,
    wReadyPct: 60,
    bValidPct: 90,
    encValidPct: 95,
    decReadyPct: 40,
    cmdPct: 80,
  },
  {
    rdLatency: 24,
    wrLatency: 30,
    arReadyPct: 90,
    rValidPct: 85,
    awReadyPct: 85,
    wReadyPct: 90,
    bValidPct: 85,
    encValidPct: 70,
    decReadyPct: 95,
    cmdPct: 100,
  },
];

interface Spec {
  desc: ResolvedDescription;
  bus: RoundTripBus;
  /** Random tensors per simulator (the edge cases and error tensors come on top). */
  random: Record<Simulator, number>;
}

const SPECS: Spec[] = [
  ...CODEC_FORMATS.map((format, i) => ({
    desc: variant("tiny", `rt_tiny_${format}`, format),
    bus: BUSES[i % BUSES.length] ?? BUSES[0]!,
    random: { verilator: 60, icarus: 16 },
  })),
  {
    desc: variant("default", "rt_default_hbm", "hbm"),
    bus: BUSES[1]!,
    random: { verilator: 20, icarus: 5 },
  },
];

function unitOf(s: Spec, sim: Simulator, seed: number): RoundTripUnit {
  const p = modelCodecParams(s.desc);
  return {
    desc: s.desc,
    tensors: roundTripTensors({
      k: p.k,
      frameElems: p.frameElems,
      rounding: s.desc.numerics.rounding,
      seed,
      random: s.random[sim],
    }),
    bus: s.bus,
    seed: seed + 1,
  };
}

const MAIN_SEED = 77;

/** The main test's units: every configuration in one simulation. */
function mainUnits(sim: Simulator): RoundTripUnit[] {
  return SPECS.map((s, i) => unitOf(s, sim, 700 + 10 * i));
}

function report(what: string, r: RoundTripResult): void {
  const t = r.units.reduce((a, u) => a + u.tensors, 0);
  const rb = r.units.reduce((a, u) => a + u.readBack, 0);
  const wb = r.units.reduce((a, u) => a + (u.axi?.wrBeats ?? 0), 0);
  const rbt = r.units.reduce((a, u) => a + (u.axi?.rdBeats ?? 0), 0);
  console.log(
    `[dma-codec-sim] ${what} ${r.sim}: ${r.units.length} unit(s), ${t} tensors written (${wb} W beats), ${rb} read back (${rbt} R beats), ${r.cycles} cycles; compile ${(r.compileMs / 1000).toFixed(1)} s, run ${(r.runMs / 1000).toFixed(1)} s`,
  );
}

function failure(r: RoundTripResult): string {
  return [
    r.output.split("\n").slice(0, 60).join("\n"),
    ...r.units.flatMap((u) => u.memErrors),
  ].join("\n");
}

describe("compressed transfers: codec_enc -> axi_dma_wr -> memory -> axi_dma_rd -> codec_dec", () => {
  it("places tensors and error regions as claimed (golden model only)", () => {
    for (const u of SIMULATORS.flatMap(mainUnits)) {
      const plan = planRoundTrip(u);
      const nb = plan.dma.bytes;
      const off = (a: bigint): number => Number(a - plan.memBase);
      const roles = plan.tensors.map((t) => t.role);
      for (const r of ERROR_ROLES) expect(roles).toContain(r);
      expect(plan.errs.filter((e) => e.read).length).toBe(2);
      expect(plan.errs.filter((e) => e.write).length).toBe(2);
      expect(plan.tensors.some((t) => off(t.addr) % nb !== 0)).toBe(true);
      expect(plan.tensors.some((t) => off(t.addr) % nb === 0)).toBe(true);
      expect(
        plan.tensors.some(
          (t) =>
            Math.floor(off(t.addr) / 4096) !==
            Math.floor((off(t.addr) + t.stream.length - 1) / 4096),
        ),
      ).toBe(true);
      // ragged tensors, all-zero tensors, densities from 0 to 100%
      const k = plan.p.k;
      const F = plan.p.frameElems;
      expect(plan.tensors.some((t) => t.t.q.length % F !== 0 && t.t.q.length > F)).toBe(true);
      expect(plan.tensors.filter((t) => t.t.q.every((q) => q === 0)).length).toBeGreaterThanOrEqual(
        2,
      );
      expect(plan.tensors.some((t) => t.t.q.every((q) => q !== 0))).toBe(true);
      expect(plan.tensors.some((t) => t.t.q.length === k)).toBe(true);
      let prevEnd = -1;
      for (const t of plan.tensors) {
        // guard bytes between destinations
        expect(off(t.addr)).toBeGreaterThan(prevEnd);
        prevEnd = off(t.addr) + t.region;
        // the write's length is the stream's, unless the buffer is too small
        if (t.role === "overflow") {
          expect(t.wr.overflow).toBe(true);
          expect(t.wr.written).toBe(t.region);
        } else {
          expect(t.wr.written).toBe(t.stream.length);
          expect(t.wr.err).toBe(t.role.startsWith("wr"));
        }
        if (t.rd !== undefined) expect(t.rd.err).toBe(t.role.startsWith("rd"));
        expect(t.stream.length % nb).toBe(0);
      }
    }
  });

  it.each(SIMULATORS)("round-trips every format like the golden model in %s", (sim) => {
    const r = runRoundTripBench(join(WORK, "main"), mainUnits(sim), sim, { seed: MAIN_SEED });
    if (!r.ok) console.log(failure(r));
    expect(r.ok).toBe(true);
    report("main", r);
    for (const u of r.units) {
      // the AXI traffic is exactly the words the compressed streams span
      expect(u.axi, `${u.tag}: summary line`).toBeDefined();
      expect(u.axi?.wrBeats, `${u.tag}: W beats`).toBe(u.expectWrBeats);
      expect(u.axi?.rdBeats, `${u.tag}: R beats`).toBe(u.expectRdBeats);
      expect(u.readBack).toBe(u.tensors - 3);
      // reads back overlap the next writes on the one AXI port, and the bursts pile up
      expect(u.axi?.bothBusy, `${u.tag}: cycles with both engines busy`).toBeGreaterThan(0);
      expect(u.axi?.wrOutMax).toBe(u.plan.dma.maxOutstanding);
      expect(u.axi?.rdOutMax).toBe(u.plan.dma.maxOutstanding);
    }
  });
});

describe("the compressed-transfer testbench can fail", () => {
  const spec = SPECS[3]!; // tiny hbm
  const tag = spec.desc.name;
  /** A short unit: the edge cases, two random tensors and the error tensors. */
  const small = (): RoundTripUnit => {
    const p = modelCodecParams(spec.desc);
    return {
      desc: spec.desc,
      tensors: roundTripTensors({
        k: p.k,
        frameElems: p.frameElems,
        rounding: spec.desc.numerics.rounding,
        seed: 5,
        random: 2,
      }),
      bus: spec.bus,
      seed: 6,
    };
  };

  // One expected memory byte and one expected decoded block corrupted. Verilator runs the main
  // test's testbench and vectors (its build is reused when it is there: no C++ compile), Icarus
  // (which compiles in a second but simulates slowly) a short unit.
  it.each(SIMULATORS)("reports a corrupted expected memory byte and decoded block in %s", (sim) => {
    const units = sim === "verilator" ? mainUnits(sim) : [small()];
    const ui = units.findIndex((u) => u.desc.name === tag);
    const u = units[ui]!;
    const plan = planRoundTrip(u);
    const t = plan.tensors.findIndex((x, i) => i > 3 && x.role === "ok" && x.stream.length > 8);
    expect(t).toBeGreaterThan(0);
    units[ui] = { ...u, corruptMemByte: { tensor: t, byte: 5 }, corruptDecBlock: 23 };
    const dir = join(WORK, sim === "verilator" ? "main" : "mutant");
    const r = runRoundTripBench(dir, units, sim, { seed: MAIN_SEED });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(new RegExp(`MISMATCH \\[${tag}\\] decoded block 23\\b`));
    expect(r.units[ui]?.memErrors.join("\n")).toMatch(
      new RegExp(`MISMATCH \\[${tag}\\] destination byte 5 of tensor ${t}\\b`),
    );
    // nothing else is reported
    expect(r.output.match(/MISMATCH/g)?.length).toBe(1);
    expect(r.units.flatMap((x) => x.memErrors).length).toBe(1);
  });

  // RTL mutants of the DMA engines: one edit of the emitted Verilog each, and what must catch it.
  const MUTANTS: [string, "rd" | "wr", string, string, RegExp][] = [
    [
      "every write strobe set (overrun)",
      "wr",
      "wstrb_q  <= strb;",
      "wstrb_q  <= {NB{1'b1}};",
      /OVERRUN \[\w+\] guard byte/,
    ],
    [
      "write error responses ignored",
      "wr",
      "if (bfire & (m_axi_bresp_i != 2'b00) & ~err_q) begin",
      "if (1'b0) begin",
      /MISMATCH \[\w+\] write status of tensor \d+: got overflow=0 err=0/,
    ],
    [
      "write byte count one too high",
      "wr",
      "bytes_q  <= bytes_q + { {(CNT_W-OFFW-1){1'b0}}, nbytes};",
      "bytes_q  <= bytes_q + { {(CNT_W-OFFW-1){1'b0}}, nbytes} + 1'b1;",
      /MISMATCH \[\w+\] write of tensor \d+: DMA bytes \d+, encoder bytes/,
    ],
    [
      "read error responses ignored",
      "rd",
      "wire            beat_err  = (m_axi_rresp_i != 2'b00) | (m_axi_rlast_i != last_beat);",
      "wire            beat_err  = (m_axi_rlast_i != last_beat);",
      /MISMATCH \[\w+\] read status of read \d+: got err=0/,
    ],
    [
      "read realignment off by one lane",
      "rd",
      "wire [OFFW-1:0] rot     = cnt_q - lane_lo;",
      "wire [OFFW-1:0] rot     = cnt_q - lane_lo + 1'b1;",
      /MISMATCH \[\w+\] read stream word \d+ \(read \d+\): got/,
    ],
  ];
  it.each(MUTANTS)("catches the mutant: %s (icarus)", (_name, which, from, to, message) => {
    const u = small();
    const module = `${tag}_axi_dma_${which}`;
    let edited = false;
    const editRtl = (m: string, text: string): string => {
      if (m !== module || !text.includes(from)) return text;
      edited = true;
      return text.replace(from, to);
    };
    const r = runRoundTripBench(join(WORK, "mutant-rtl"), [{ ...u, editRtl }], "icarus", {
      seed: 5,
    });
    expect(edited, "the mutated line is in the RTL").toBe(true);
    expect(r.ok).toBe(false);
    expect([r.output, ...(r.units[0]?.memErrors ?? [])].join("\n")).toMatch(message);
  });
});
