/**
 * Two board-wrapper blocks on their own, in the corners the whole-board runs do not reach
 * (testbench/board-units-bench.ts):
 *
 * - the board memory (templates/board_ram.v.hbs) under a random AXI4 master and a random
 *   host-port requester aimed at the same words, against a reference memory; each run must
 *   reach the three collisions its header describes (a host write waiting for an AXI read of
 *   its word, an AXI write waiting for a read of its word, a host read taking the read port);
 * - the UART bridge (templates/uart_bridge.v.hbs) under random commands at the line rate, a
 *   reply sink, an AXI4-Lite slave and a memory that withholds h_gnt_i, against a reference.
 *
 * Mutants of the RTL (the guards that keep a word from being read and written in one cycle, the
 * bridge's store retry) must fail the benches.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { BOARDS } from "../../generator/fpga/boards.ts";
import { presetDescription } from "../../generator/load.ts";
import {
  type BoardUnitResult,
  runBoardRamBench,
  runUartBridgeBench,
} from "../../testbench/board-units-bench.ts";
import type { Simulator } from "../../testbench/sim.ts";

const WORK = join(REPO_ROOT, "build", "test-sim", "board-units");

interface Config {
  preset: string;
  memBytes: number;
  sims: readonly Simulator[];
}

/**
 * tiny on the iCEBreaker (8 KiB), tiny_hx8k on the HX8K breakout (2 KiB), the default preset's
 * 64-bit bus; Verilator builds the two boards' (a build takes 6 to 20 s).
 */
const RAM_CONFIGS: Config[] = [
  { preset: "tiny", memBytes: BOARDS.icebreaker.memBytes, sims: ["icarus", "verilator"] },
  {
    preset: "tiny_hx8k",
    memBytes: BOARDS["hx8k-breakout"].memBytes,
    sims: ["icarus", "verilator"],
  },
  { preset: "default", memBytes: 4096, sims: ["icarus"] },
];
const RAM_SEEDS = [1, 2, 3];
const RAM_CYCLES = 3000;

const fails = (r: BoardUnitResult): string =>
  r.output
    .split("\n")
    .filter((l) => /MISMATCH|ERROR|TIMEOUT/.test(l))
    .slice(0, 10)
    .join("\n") || r.output.slice(0, 2000);

describe("board memory on its own", () => {
  for (const c of RAM_CONFIGS)
    for (const sim of c.sims)
      it(`${c.preset}, ${c.memBytes} bytes, in ${sim}: random AXI bursts and host bytes`, () => {
        for (const seed of RAM_SEEDS) {
          const t0 = performance.now();
          const r = runBoardRamBench(
            join(WORK, `ram-${c.preset}-${c.memBytes}`),
            presetDescription(c.preset),
            c.memBytes,
            sim,
            { seed, cycles: RAM_CYCLES },
          );
          const traffic = r.output.split("\n").find((l) => l.startsWith("TRAFFIC")) ?? "";
          console.log(
            `[board-ram] ${c.preset} ${c.memBytes} B ${sim} seed ${seed}: ` +
              `${Object.entries(r.counts)
                .map(([k, v]) => `${k}=${v}`)
                .join(
                  " ",
                )}; ${traffic.slice(8)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
          );
          expect(r.ok, fails(r)).toBe(true);
          // the run reached every collision the memory's header describes
          expect(r.counts.host_write_waited, "host write waited for an AXI read").toBeGreaterThan(
            0,
          );
          expect(r.counts.axi_write_waited, "AXI write waited for a read").toBeGreaterThan(0);
          expect(r.counts.host_read_took_port, "host read took the port").toBeGreaterThan(0);
          expect(r.counts.host_withheld).toBeGreaterThan(0);
        }
      });

  const MUTANTS: [string, string, string, RegExp][] = [
    [
      "a host write does not wait for an AXI read of its word",
      "wire          h_wr = h_req_i && h_we_i && !(a_rd && r_addr_q == h_addr_i[LNB +: WAW]);",
      "wire          h_wr = h_req_i && h_we_i;",
      // the read of the word being written is X in simulation
      /MISMATCH cycle \d+: (AXI|host) read/,
    ],
    [
      "an AXI write does not wait for a read of its word",
      "assign s_axi_wready_o  = w_active_q && !h_wr && !(rd_en && rd_addr == w_addr_q);",
      "assign s_axi_wready_o  = w_active_q && !h_wr;",
      /MISMATCH cycle \d+: (AXI|host) read/,
    ],
    [
      "RLAST a beat early",
      "s_axi_rlast_o  <= (r_left_q == 8'd0);",
      "s_axi_rlast_o  <= (r_left_q == 8'd1);",
      /PROTOCOL ERROR \[board_ram\] cycle \d+: RLAST not on the burst's last beat/,
    ],
    [
      "BVALID held after BREADY",
      "if (s_axi_bvalid_o && s_axi_bready_i) s_axi_bvalid_o <= 1'b0;",
      "",
      /PROTOCOL ERROR \[board_ram\] cycle \d+: BVALID without a finished write burst/,
    ],
  ];
  it.each(MUTANTS)("catches the mutant: %s (icarus)", (name, from, to, message) => {
    const c = { preset: "tiny_hx8k", memBytes: BOARDS["hx8k-breakout"].memBytes };
    const r = runBoardRamBench(
      join(WORK, "ram-mutant"),
      presetDescription(c.preset),
      c.memBytes,
      "icarus",
      { seed: 1, cycles: RAM_CYCLES },
      (src) => {
        expect(src).toContain(from);
        return src.replace(from, to);
      },
    );
    console.log(`[board-ram] mutant "${name}": ${fails(r).split("\n")[0]}`);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(message);
  });
});

/**
 * rx_data_i holds a byte for half a bit: 2 cycles at 4 clocks a bit (a grant may be withheld 1
 * cycle), 3 at 6 (2 cycles; the store-retry mutant needs a grant withheld that long).
 */
const BRIDGE_CONFIGS: (Config & { clksPerBit: number })[] = [
  { preset: "tiny", memBytes: BOARDS.icebreaker.memBytes, clksPerBit: 6, sims: ["icarus"] },
  {
    preset: "tiny_hx8k",
    memBytes: BOARDS["hx8k-breakout"].memBytes,
    clksPerBit: 4,
    sims: ["icarus", "verilator"],
  },
];
const BRIDGE_SEEDS = [1, 2];
const BRIDGE_COMMANDS = 80;

describe("UART bridge on its own", () => {
  for (const c of BRIDGE_CONFIGS)
    for (const sim of c.sims)
      it(`${c.preset}, ${c.memBytes} bytes, ${c.clksPerBit} clocks a bit, in ${sim}: random commands`, () => {
        for (const seed of BRIDGE_SEEDS) {
          const t0 = performance.now();
          const r = runUartBridgeBench(
            join(WORK, `bridge-${c.preset}-${c.memBytes}-${c.clksPerBit}`),
            presetDescription(c.preset),
            c.memBytes,
            sim,
            { seed, commands: BRIDGE_COMMANDS, clksPerBit: c.clksPerBit },
          );
          console.log(
            `[uart-bridge] ${c.preset} ${c.memBytes} B cpb ${c.clksPerBit} ${sim} seed ${seed}: ` +
              `${Object.entries(r.counts)
                .map(([k, v]) => `${k}=${v}`)
                .join(" ")} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
          );
          expect(r.ok, fails(r)).toBe(true);
          expect(r.counts.store_withheld, "a store's byte had its grant withheld").toBeGreaterThan(
            0,
          );
          if (c.clksPerBit >= 6) expect(r.counts.store_withheld_2).toBeGreaterThan(0);
          for (const k of ["ping", "write", "read", "store", "load", "irq", "bad"])
            expect(r.counts[k], `${k} commands`).toBeGreaterThan(0);
        }
      });

  it("catches the mutant: a store's retry does not wait for h_gnt_i (icarus)", () => {
    const from = "S_STW: if (h_gnt_i) begin";
    const c = { preset: "tiny_hx8k", memBytes: BOARDS["hx8k-breakout"].memBytes, clksPerBit: 6 };
    const r = runUartBridgeBench(
      join(WORK, "bridge-mutant"),
      presetDescription(c.preset),
      c.memBytes,
      "icarus",
      { seed: 1, commands: BRIDGE_COMMANDS, clksPerBit: c.clksPerBit },
      (src) => {
        expect(src).toContain(from);
        return src.replace(from, "S_STW: if (1'b1) begin");
      },
    );
    console.log(`[uart-bridge] mutant: ${fails(r).split("\n")[0]}`);
    expect(r.ok).toBe(false);
    // the request is dropped while withheld, and the byte never reaches the memory
    expect(r.output).toMatch(
      /PROTOCOL ERROR \[uart_bridge\] cycle \d+: withheld host request changed/,
    );
    expect(r.output).toMatch(/MISMATCH (memory byte|cycle \d+: reply byte)/);
  });
});
