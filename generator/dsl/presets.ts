/**
 * Shipped presets. `tiny` is the small configuration for fast CI and the iCE40 blocks (its
 * whole processor needs about 9,800 logic cells, more than an iCE40HX8K's 7,680);
 * `tiny_hx8k` is tiny cut down until the whole processor and its board wrapper fit an
 * iCE40HX8K (docs/fpga-hx8k-board.md); `default` is the reference configuration (MXINT8 blocks,
 * 8x8 array, a schedule per lane); `large` is a 16x16 array with a wide bus.
 */
import type { ProcessorDescription } from "./description.ts";

const TINY: ProcessorDescription = {
  name: "tiny",
  target: "ice40",
  numerics: { blockSize: 8, rounding: "nearest", accWidth: 24 },
  // one B schedule for all lanes, its 8 lanes on 4 MAC units (two passes over each row of B)
  // and a serial output stage (an element a cycle, 19 cycles a block): the smaller core for the
  // iCE40 parts
  array: { rows: 2, cols: 4, lanes: 2, schedule: "shared", requantElems: 1, macPasses: 2 },
  // the codec works on bytes (a quarter of the bus word a cycle): less than half the logic
  // and block RAMs of a codec that takes a bus word a cycle
  codec: { format: "hbm", grid: 8, levels: 2, frameElems: 64, wordBits: 8 },
  buffers: { weightBytes: 2048, inputBytes: 1024, outputBytes: 1024 },
  // 20-bit AXI addresses (1 MiB: the boards' memory is on chip) and 32-bit PERF_* counters
  // (no _HI registers; they wrap after 107 s at 40 MHz)
  dma: { dataWidth: 32, addrWidth: 20, maxBurst: 8, maxOutstanding: 2 },
  regfile: { counterBits: 32 },
};

export const PRESETS: Readonly<Record<string, ProcessorDescription>> = {
  tiny: TINY,
  // the tiny preset with the whole processor and the hx8k-breakout board wrapper (2 KiB of board
  // memory) inside an iCE40HX8K (CI checks it fits, routes and meets the board's 12 MHz; the
  // measured figures are in docs/fpga-hx8k-board.md). Same numerics, array shape, codec and
  // address width as tiny.
  tiny_hx8k: {
    ...TINY,
    name: "tiny_hx8k",
    // one MAC unit: eight passes over each row of B (a quarter of tiny's MAC throughput)
    array: { ...TINY.array, macPasses: 8 },
    // half of tiny's on-chip buffers: 1 KiB of weights, 512 bytes each of inputs and outputs
    buffers: { weightBytes: 1024, inputBytes: 512, outputBytes: 512 },
    // one AXI transaction in flight per direction, bursts of up to 4 beats
    dma: { ...TINY.dma, maxBurst: 4, maxOutstanding: 1 },
    // 16-bit PERF_* counters: they count modulo 2^16 (5.4 ms at the board's 12 MHz); a host
    // reads a job's counts after the job
    regfile: { counterBits: 16 },
  },
  default: {
    name: "default",
  },
  large: {
    name: "large",
    numerics: { blockSize: 32, rounding: "nearest", accWidth: 40 },
    // one B schedule for all 256 lanes: per-lane queues of the default depth would hold 1.9 Mbit,
    // more than the weight buffer, and make the design twice as slow to elaborate
    array: { rows: 16, cols: 16, lanes: 16, schedule: "shared" },
    codec: { format: "hbm", grid: 16, levels: 2, frameElems: 1024 },
    buffers: { weightBytes: 131072, inputBytes: 65536, outputBytes: 65536 },
    dma: { dataWidth: 128, addrWidth: 40, maxBurst: 32, maxOutstanding: 8 },
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);
