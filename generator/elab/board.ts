/**
 * Elaboration of the board wrapper (docs/board.md): the processor with on-chip memory standing
 * in for external memory and a UART command bridge to its registers and that memory. The
 * wrapper's parameters (clock, baud rate, memory size) are Verilog parameters with defaults for
 * the iCEBreaker; `boardParams` computes them, `boardModules` lists the wrapper's modules.
 */
import type { ResolvedDescription } from "../dsl/description.ts";
import { GenError } from "../errors.ts";
import type { ModuleInstance } from "./elaborate.ts";

const log2 = (x: number): number => Math.round(Math.log2(x));

export interface BoardOptions {
  /** Board clock in Hz (iCEBreaker: 12 MHz). */
  clockHz: number;
  /** UART baud rate. */
  baud: number;
  /** Board memory in bytes: a power of two, at least 8 bus words. */
  memBytes: number;
}

/**
 * The UART bridge's command bytes and its answer to an unknown one (docs/board.md). The bridge,
 * the testbenches and the host client (testbench/host/uart-link.ts) all take them from here.
 */
export const UART_COMMANDS = {
  ping: 0x50,
  write: 0x57,
  read: 0x52,
  store: 0x53,
  load: 0x4c,
  irq: 0x49,
} as const;
export const UART_BAD_COMMAND = 0xee;

/** The command bytes as the templates write them (two hex digits each, `uart.<name>`). */
export function uartCodes(): Record<keyof typeof UART_COMMANDS | "bad", string> {
  const hex = (v: number): string => v.toString(16).padStart(2, "0");
  return {
    ping: hex(UART_COMMANDS.ping),
    write: hex(UART_COMMANDS.write),
    read: hex(UART_COMMANDS.read),
    store: hex(UART_COMMANDS.store),
    load: hex(UART_COMMANDS.load),
    irq: hex(UART_COMMANDS.irq),
    bad: hex(UART_BAD_COMMAND),
  };
}

export const BOARD_DEFAULTS: BoardOptions = { clockHz: 12_000_000, baud: 115_200, memBytes: 8192 };

export interface BoardParams extends BoardOptions {
  /** Clock cycles per UART bit (the UART modules size their bit-time counters from it). */
  clksPerBit: number;
  /** Bytes per bus word, its log2. */
  NB: number;
  LNB: number;
  /** Memory words per byte lane and their address width. */
  WORDS: number;
  WAW: number;
}

/** Cycles per bit the UART accepts (the receiver samples in the middle of a bit). */
export const MIN_CLKS_PER_BIT = 4;
/** At most 2^16 - 1 cycles per bit (the bit-time counters are clog2(cycles per bit) wide). */
export const UART_COUNTER_BITS = 16;

export function boardParams(d: ResolvedDescription, o: Partial<BoardOptions> = {}): BoardParams {
  const opts: BoardOptions = { ...BOARD_DEFAULTS, ...o };
  const NB = d.dma.dataWidth / 8;
  const clksPerBit = Math.round(opts.clockHz / opts.baud);
  if (!(clksPerBit >= MIN_CLKS_PER_BIT && clksPerBit < 2 ** UART_COUNTER_BITS))
    throw new GenError(
      "E_DESC_FIELD",
      `board clock ${opts.clockHz} Hz / baud ${opts.baud} gives ${clksPerBit} cycles per bit; allowed ${MIN_CLKS_PER_BIT}..${2 ** UART_COUNTER_BITS - 1}`,
      { field: "board.baud", hint: "choose a lower baud rate or a faster clock" },
    );
  const m = opts.memBytes;
  // at most 16 MiB, and no more than the processor's AXI addresses reach
  const mMax = 2 ** Math.min(24, d.dma.addrWidth);
  if (!(Number.isInteger(m) && m > 0 && (m & (m - 1)) === 0 && m >= 8 * NB && m <= mMax))
    throw new GenError(
      "E_DESC_FIELD",
      `board memory of ${m} bytes: must be a power of two from ${8 * NB} (8 bus words) to ${mMax} bytes (16 MiB, and no more than the ${d.dma.addrWidth}-bit AXI addresses reach)`,
      { field: "board.memBytes", hint: "for example 8192" },
    );
  const WORDS = m / NB;
  return {
    ...opts,
    clksPerBit,
    NB,
    LNB: log2(NB),
    WORDS,
    WAW: log2(WORDS),
  };
}

/**
 * The wrapper's modules: UART receiver and transmitter, command bridge, memory, board top. Their
 * rendered parameter defaults are those of the board options (the shipped wrapper uses the
 * defaults; a unit test of one block may render it for another memory size).
 */
export function boardModules(
  d: ResolvedDescription,
  o: Partial<BoardOptions> = {},
): ModuleInstance[] {
  const n = d.name;
  const p = boardParams(d, o);
  const names = {
    rxModule: `${n}_uart_rx`,
    txModule: `${n}_uart_tx`,
    bridgeModule: `${n}_uart_bridge`,
    ramModule: `${n}_board_ram`,
    topModule: `${n}_top`,
  };
  const common = { ...p, AW: d.dma.addrWidth, DW: d.dma.dataWidth, RA: d.regfile.addrWidth };
  return [
    {
      role: "uart_rx",
      module: names.rxModule,
      template: "uart_rx.v.hbs",
      file: `${names.rxModule}.v`,
      doc: "UART receiver, 8N1",
      params: common,
    },
    {
      role: "uart_tx",
      module: names.txModule,
      template: "uart_tx.v.hbs",
      file: `${names.txModule}.v`,
      doc: "UART transmitter, 8N1",
      params: common,
    },
    {
      role: "uart_bridge",
      module: names.bridgeModule,
      template: "uart_bridge.v.hbs",
      file: `${names.bridgeModule}.v`,
      doc: "UART command bridge to the register file (AXI4-Lite master) and the board memory",
      params: { ...common, LAW: d.regfile.addrWidth, HAW: p.WAW + p.LNB, uart: uartCodes() },
    },
    {
      role: "board_ram",
      module: names.ramModule,
      template: "board_ram.v.hbs",
      file: `${names.ramModule}.v`,
      doc: `Board memory: ${p.memBytes} bytes of block RAM behind an AXI4 slave (${d.dma.dataWidth}-bit) and a byte-wide host port`,
      params: common,
    },
    {
      role: "board",
      module: `${n}_board`,
      template: "board.v.hbs",
      file: `${n}_board.v`,
      doc: `Board wrapper: ${n}_top with ${p.memBytes} bytes of on-chip memory and a UART bridge (${p.baud} baud at ${p.clockHz / 1e6} MHz)`,
      params: { ...common, ...names },
    },
  ];
}
