/**
 * The iCE40 parts the FPGA flow targets, with the package nextpnr places into and what Yosys may
 * map to. `hx8k` and `up5k` are the two the project reports figures for; the others are there
 * for small experiments (and for the resource-error test, which needs a part a design overflows).
 */

export interface Ice40Device {
  /** nextpnr device flag, without the dashes ("hx8k" -> --hx8k). */
  flag: string;
  /** Human name. */
  name: string;
  /** Package for nextpnr --package (the one with the most IOs, or the iCEBreaker's). */
  package: string;
  /** Logic cells (one LUT4 + one flip-flop + carry logic each). */
  lcs: number;
  /** 4 kbit block RAMs (SB_RAM40_4K). */
  brams: number;
  /** SB_MAC16 DSP blocks (UltraPlus only): Yosys maps multipliers to them with `-dsp`. */
  dsps: number;
  /** 256 kbit single-port RAMs (UltraPlus only). */
  sprams: number;
}

export const DEVICES = {
  hx1k: {
    flag: "hx1k",
    name: "iCE40HX1K",
    package: "tq144",
    lcs: 1280,
    brams: 16,
    dsps: 0,
    sprams: 0,
  },
  hx8k: {
    flag: "hx8k",
    name: "iCE40HX8K",
    package: "ct256",
    lcs: 7680,
    brams: 32,
    dsps: 0,
    sprams: 0,
  },
  up5k: {
    flag: "up5k",
    name: "iCE40UP5K",
    package: "sg48",
    lcs: 5280,
    brams: 30,
    dsps: 8,
    sprams: 4,
  },
} as const satisfies Record<string, Ice40Device>;

export type DeviceName = keyof typeof DEVICES;
export const DEVICE_NAMES = Object.keys(DEVICES) as DeviceName[];

/** The devices `npm run synth` offers (hx1k exists for tests and experiments). */
export const REPORTED_DEVICES: readonly DeviceName[] = ["hx8k", "up5k"];

export function isDeviceName(s: string): s is DeviceName {
  return Object.prototype.hasOwnProperty.call(DEVICES, s);
}
