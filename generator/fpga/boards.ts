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
}

export interface BoardDef {
  name: string;
  device: DeviceName;
  clockHz: number;
  /** LEDs light when their pin is low. */
  ledActiveLow: boolean;
  pins: BoardPin[];
}

export const BOARDS = {
  icebreaker: {
    name: "iCEBreaker",
    device: "up5k",
    clockHz: 12_000_000,
    ledActiveLow: true,
    pins: [
      { port: "clk_i", pin: "35", doc: "12 MHz oscillator" },
      { port: "rst_ni", pin: "10", doc: "user button BTN_N (low when pressed)" },
      { port: "uart_rx_i", pin: "6", doc: "FTDI channel B TX -> FPGA RX" },
      { port: "uart_tx_o", pin: "9", doc: "FPGA TX -> FTDI channel B RX" },
      { port: "irq_led_o", pin: "11", doc: "red LED LEDR_N: the processor's interrupt" },
      { port: "alive_led_o", pin: "37", doc: "green LED LEDG_N: heartbeat" },
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
