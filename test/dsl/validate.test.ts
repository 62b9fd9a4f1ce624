import { describe, expect, it } from "vitest";
import { GenError } from "../../generator/errors.ts";
import { validateDescription } from "../../generator/dsl/validate.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";

/** [what, description, field the message must name, text the message must contain] */
const INVALID: [string, unknown, string, string][] = [
  ["not an object", 42, "(description)", "must be an object"],
  ["no name", {}, "name", "required"],
  ["bad name", { name: "9lives" }, "name", "starting with a letter"],
  ["unknown top field", { name: "a", arrays: {} }, "arrays", 'did you mean "array"'],
  [
    "unknown section field",
    { name: "a", numerics: { blocksize: 8 } },
    "numerics.blocksize",
    'did you mean "blockSize"',
  ],
  ["wrong type", { name: "a", array: { rows: "8" } }, "array.rows", "must be a number"],
  ["bad target", { name: "a", target: "asic" }, "target", '"generic" or "ice40"'],
  ["block size", { name: "a", numerics: { blockSize: 12 } }, "numerics.blockSize", "8, 16 or 32"],
  [
    "rounding",
    { name: "a", numerics: { rounding: "up" } },
    "numerics.rounding",
    "ties away from zero",
  ],
  [
    "accumulator too narrow",
    { name: "a", numerics: { blockSize: 32, accWidth: 19 } },
    "numerics.accWidth",
    "from 20 to 48",
  ],
  ["accumulator too wide", { name: "a", numerics: { accWidth: 64 } }, "numerics.accWidth", "to 48"],
  [
    "rows not a power of two",
    { name: "a", array: { rows: 6 } },
    "array.rows",
    "power of two from 1 to 64",
  ],
  [
    "cols too large",
    { name: "a", array: { cols: 128 } },
    "array.cols",
    "power of two from 1 to 64",
  ],
  [
    "lanes above block size",
    { name: "a", numerics: { blockSize: 8 }, array: { lanes: 16 } },
    "array.lanes",
    "from 1 to 8",
  ],
  [
    "output lanes do not fill a block",
    { name: "a", numerics: { blockSize: 32 }, array: { rows: 2, cols: 4 } },
    "array.cols",
    "multiple of numerics.blockSize",
  ],
  ["schedule", { name: "a", array: { schedule: "lockstep" } }, "array.schedule", '"per-lane"'],
  [
    "stream entries",
    { name: "a", array: { streamEntries: 3 } },
    "array.streamEntries",
    "power of two from 2 to 16",
  ],
  [
    "lane queue",
    { name: "a", array: { laneQueue: 128 } },
    "array.laneQueue",
    "power of two from 2 to 64",
  ],
  [
    "requantizer wider than a block",
    { name: "a", numerics: { blockSize: 16 }, array: { rows: 4, cols: 4, requantElems: 32 } },
    "array.requantElems",
    "power of two from 1 to 16",
  ],
  [
    "requantizer width not a power of two",
    { name: "a", array: { requantElems: 3 } },
    "array.requantElems",
    "power of two from 1 to 32",
  ],
  [
    "more MAC passes than lanes",
    { name: "a", array: { schedule: "shared", macPasses: 128 } },
    "array.macPasses",
    "power of two from 1 to 64",
  ],
  [
    "MAC passes with a schedule per lane",
    { name: "a", array: { macPasses: 2 } },
    "array.macPasses",
    'unless array.schedule is "shared"',
  ],
  ["codec format", { name: "a", codec: { format: "lz4" } }, "codec.format", "dense, zvc, rle, hbm"],
  ["grid", { name: "a", codec: { grid: 4 } }, "codec.grid", "from 8 to 64"],
  ["levels", { name: "a", codec: { levels: 5 } }, "codec.levels", "from 1 to 3"],
  ["run bits", { name: "a", codec: { runBits: 12 } }, "codec.runBits", "from 2 to 8"],
  [
    "codec word wider than the bus",
    { name: "a", codec: { wordBits: 128 } },
    "codec.wordBits",
    "power of two from 8 to dma.dataWidth (64)",
  ],
  [
    "codec word not a power of two",
    { name: "a", codec: { wordBits: 24 } },
    "codec.wordBits",
    "from 8",
  ],
  [
    "codec word narrower than a block's slice of the mask",
    { name: "a", codec: { format: "zvc", wordBits: 16 } },
    "codec.wordBits",
    "at least 32 for this codec",
  ],
  [
    "frame not a multiple of the grid span",
    { name: "a", codec: { grid: 64, levels: 3, frameElems: 1024 } },
    "codec.frameElems",
    "grid^(levels-1) = 4096",
  ],
  ["bus width", { name: "a", dma: { dataWidth: 48 } }, "dma.dataWidth", "32, 64 or 128"],
  [
    "bus wider than a block's codes",
    { name: "a", numerics: { blockSize: 8 }, array: { rows: 4, cols: 4 }, dma: { dataWidth: 128 } },
    "dma.dataWidth",
    "at most 8 x numerics.blockSize (64 bits)",
  ],
  ["address width", { name: "a", dma: { addrWidth: 16 } }, "dma.addrWidth", "from 17 to 64"],
  ["address too wide", { name: "a", dma: { addrWidth: 65 } }, "dma.addrWidth", "from 17 to 64"],
  [
    "burst over 4 KB",
    { name: "a", dma: { dataWidth: 128, maxBurst: 512 } },
    "dma.maxBurst",
    "from 1 to 256",
  ],
  ["outstanding", { name: "a", dma: { maxOutstanding: 0 } }, "dma.maxOutstanding", "from 1 to 16"],
  [
    "counters too narrow",
    { name: "a", regfile: { counterBits: 8 } },
    "regfile.counterBits",
    "from 16 to 64",
  ],
  [
    "counters too wide",
    { name: "a", regfile: { counterBits: 65 } },
    "regfile.counterBits",
    "from 16 to 64",
  ],
  [
    "weight buffer too small for a tile",
    { name: "a", array: { rows: 64 }, buffers: { weightBytes: 2048 } },
    "buffers.weightBytes",
    "too small",
  ],
  [
    "input buffer smaller than a frame",
    { name: "a", codec: { frameElems: 4096 }, buffers: { inputBytes: 2048 } },
    "buffers.inputBytes",
    "codec frame",
  ],
  [
    "output buffer",
    { name: "a", array: { rows: 64, cols: 64 }, buffers: { outputBytes: 4096 } },
    "buffers.outputBytes",
    "output tiles",
  ],
  [
    "buffer not a power of two",
    { name: "a", buffers: { weightBytes: 3000 } },
    "buffers.weightBytes",
    "power of two",
  ],
  [
    "regfile address width",
    { name: "a", regfile: { addrWidth: 4 } },
    "regfile.addrWidth",
    "from 8 to 16",
  ],
  [
    "register name clash",
    { name: "a", regfile: { extraRegisters: [{ name: "STATUS", access: "rw", doc: "x" }] } },
    "regfile.extraRegisters[0].name",
    "already used",
  ],
  [
    "register field overlap",
    {
      name: "a",
      regfile: {
        extraRegisters: [
          {
            name: "USER0",
            access: "rw",
            doc: "x",
            fields: [
              { name: "A", lsb: 0, width: 8, doc: "" },
              { name: "B", lsb: 4, width: 8, doc: "" },
            ],
          },
        ],
      },
    },
    "regfile.extraRegisters[0].fields[1]",
    "overlaps",
  ],
  [
    "register field name",
    {
      name: "a",
      regfile: {
        extraRegisters: [
          {
            name: "USER0",
            access: "rw",
            doc: "x",
            fields: [{ name: "lower", lsb: 0, width: 8, doc: "" }],
          },
        ],
      },
    },
    "regfile.extraRegisters[0].fields[0].name",
    "upper-case identifier",
  ],
];

describe("description validation", () => {
  it.each(INVALID)("rejects %s, naming the field", (_what, desc, field, text) => {
    let err: unknown;
    try {
      validateDescription(desc);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GenError);
    const ge = err as GenError;
    expect(ge.code).toBe("E_DESC_FIELD");
    expect(ge.message).toContain(field);
    expect(ge.message).toContain(text);
    expect(ge.hint).toBeDefined();
  });

  it("reports every problem at once", () => {
    expect(() => validateDescription({ name: "a", array: { rows: 3, cols: 5 } })).toThrow(
      /2 problems[\s\S]*array\.rows[\s\S]*array\.cols/,
    );
  });

  it("accepts every shipped preset and fills defaults", () => {
    for (const d of Object.values(PRESETS)) {
      const r = validateDescription(d);
      expect(r.name).toBe(d.name);
      expect(r.numerics.blockSize).toBeGreaterThan(0);
    }
  });

  it("re-quantizes a block a cycle unless told otherwise, whatever the block size", () => {
    for (const blockSize of [8, 16, 32]) {
      const r = validateDescription({ name: "a", numerics: { blockSize } });
      expect(r.array.requantElems).toBe(blockSize);
    }
    const serial = { name: "a", numerics: { blockSize: 16 }, array: { requantElems: 2 } };
    expect(validateDescription(serial).array.requantElems).toBe(2);
  });
});
