/**
 * Boards the board wrapper (`<name>_board`, templates/board.v.hbs) can be built for: the part,
 * the clock, the pins of the wrapper's ports and the LED polarity. `boardPcf` writes the pin
 * constraint file nextpnr reads; `npm run synth -- --board NAME` uses both (docs/board.md).
 */
import { renderRtl } from "../emit/render.ts";
import { GenError } from "../errors.ts";
import { DEVICES, type DeviceName } from "./devices.ts";

export interface BoardPin {
  /** Port of the board wrapper. */
  port: "clk_i" | "rst_ni" | "uart_rx_i" | "uart_tx_o" | "irq_led_o" | "alive_led_o";
  /** Package pin. */
  pin: string;
  doc: string;
  /** Turn on the pin's built-in pull-up (an input with nothing driving it reads 1). */
  pullup?: boolean;
}

export interface BoardDef {
  name: string;
  device: DeviceName;
  clockHz: number;
  /** LEDs light when their pin is low. */
  ledActiveLow: boolean;
  /** Board memory of the bitstream in bytes (block RAM the processor leaves free). */
  memBytes: number;
  pins: BoardPin[];
}

export const BOARDS = {
  icebreaker: {
    name: "iCEBreaker",
    device: "up5k",
    clockHz: 12_000_000,
    ledActiveLow: true,
    memBytes: 8192,
    pins: [
      { port: "clk_i", pin: "35", doc: "12 MHz oscillator" },
      { port: "rst_ni", pin: "10", doc: "user button BTN_N (low when pressed)" },
      { port: "uart_rx_i", pin: "6", doc: "FTDI channel B TX -> FPGA RX" },
      { port: "uart_tx_o", pin: "9", doc: "FPGA TX -> FTDI channel B RX" },
      { port: "irq_led_o", pin: "11", doc: "red LED LEDR_N: the processor's interrupt" },
      { port: "alive_led_o", pin: "37", doc: "green LED LEDG_N: heartbeat" },
    ],
  },
  "hx8k-breakout": {
    name: "iCE40-HX8K Breakout Board",
    device: "hx8k",
    clockHz: 12_000_000,
    ledActiveLow: false,
    // the tiny_hx8k processor takes 24 of the HX8K's 32 block RAMs; 4 of the other 8 hold
    // 2 KiB (the size CI fits and routes; 4 KiB would take all 32, not measured)
    memBytes: 2048,
    pins: [
      { port: "clk_i", pin: "J3", doc: "12 MHz oscillator" },
      {
        port: "rst_ni",
        pin: "A5",
        doc: "no button on the board: a free I/O with its pull-up on; tie it to GND to reset",
        pullup: true,
      },
      { port: "uart_rx_i", pin: "B10", doc: "FTDI channel B TXD -> FPGA RX" },
      { port: "uart_tx_o", pin: "B12", doc: "FPGA TX -> FTDI channel B RXD" },
      { port: "irq_led_o", pin: "B5", doc: "LED D2: the processor's interrupt" },
      { port: "alive_led_o", pin: "B4", doc: "LED D3: heartbeat" },
    ],
  },
} as const satisfies Record<string, BoardDef>;

export type BoardName = keyof typeof BOARDS;
export const BOARD_NAMES = Object.keys(BOARDS) as BoardName[];

export function boardDef(name: string): BoardDef {
  if (!(name in BOARDS))
    throw new GenError("E_DESC_FIELD", `unknown board "${name}"`, {
      field: "board",
      hint: `one of: ${BOARD_NAMES.join(", ")}`,
    });
  return BOARDS[name as BoardName];
}

/** The pin constraint file of a board wrapper module on a board. */
export function boardPcf(board: BoardDef, module: string): string {
  const dev = DEVICES[board.device];
  return renderRtl("board.pcf.hbs", {
    title: `${module} on the ${board.name}`,
    module,
    boardName: board.name,
    deviceName: dev.name,
    package: dev.package,
    pins: board.pins,
  });
}
