/**
 * Validation of a processor description. Every rule names the field, the value and the allowed
 * range; all violations are reported together in one GenError (code E_DESC_FIELD).
 */
import { GenError } from "../errors.ts";
import { blockSliceLevel, CODEC_FORMATS } from "../model/codecs.ts";
import { ACC_WIDTH_MAX, productWidth } from "../model/accum.ts";
import {
  DEFAULTS,
  type ProcessorDescription,
  type RegisterDesc,
  type ResolvedDescription,
  resolveDefaults,
} from "./description.ts";
import { STANDARD_REGISTER_NAMES } from "./regmap.ts";

export interface Violation {
  field: string;
  message: string;
}

const isPow2 = (x: number): boolean => Number.isInteger(x) && x > 0 && (x & (x - 1)) === 0;

const SECTIONS: Record<string, readonly string[]> = {
  numerics: Object.keys(DEFAULTS.numerics),
  array: Object.keys(DEFAULTS.array),
  features: Object.keys(DEFAULTS.features),
  codec: Object.keys(DEFAULTS.codec),
  buffers: Object.keys(DEFAULTS.buffers),
  dma: Object.keys(DEFAULTS.dma),
  regfile: ["addrWidth", "counterBits", "extraRegisters"],
};
const TOP_KEYS = ["name", "target", ...Object.keys(SECTIONS)];

function closest(word: string, options: readonly string[]): string | undefined {
  const lw = word.toLowerCase();
  return (
    options.find((o) => o.toLowerCase() === lw) ??
    options.find((o) => o.toLowerCase().startsWith(lw.slice(0, 3)))
  );
}

/** Structural check of an untyped object: unknown keys and value types. */
function checkShape(raw: unknown, out: Violation[]): raw is ProcessorDescription {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    out.push({
      field: "(description)",
      message: "a description must be an object with at least a name",
    });
    return false;
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!TOP_KEYS.includes(key)) {
      const near = closest(key, TOP_KEYS);
      out.push({
        field: key,
        message: `unknown field${near ? ` (did you mean "${near}"?)` : ""}; fields are ${TOP_KEYS.join(", ")}`,
      });
    }
  }
  for (const [sec, keys] of Object.entries(SECTIONS)) {
    const v = obj[sec];
    if (v === undefined) continue;
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      out.push({ field: sec, message: `must be an object with fields ${keys.join(", ")}` });
      continue;
    }
    for (const [key, val] of Object.entries(v as Record<string, unknown>)) {
      if (!keys.includes(key)) {
        const near = closest(key, keys);
        out.push({
          field: `${sec}.${key}`,
          message: `unknown field${near ? ` (did you mean "${near}"?)` : ""}; ${sec} has ${keys.join(", ")}`,
        });
        continue;
      }
      const def = (DEFAULTS as unknown as Record<string, Record<string, unknown>>)[sec]?.[key];
      if (val !== undefined && def !== undefined && typeof val !== typeof def) {
        out.push({
          field: `${sec}.${key}`,
          message: `= ${JSON.stringify(val)}: must be a ${typeof def}`,
        });
      }
    }
  }
  if (typeof obj["name"] !== "string")
    out.push({ field: "name", message: "is required and must be a string" });
  return out.length === 0;
}

/** Check every rule of a resolved description; returns the violations (empty when valid). */
export function checkRules(d: ResolvedDescription): Violation[] {
  const v: Violation[] = [];
  const bad = (field: string, value: unknown, rule: string): void => {
    v.push({ field, message: `= ${JSON.stringify(value)}: ${rule}` });
  };
  const intIn = (field: string, value: number, lo: number, hi: number, extra = ""): boolean => {
    if (!Number.isInteger(value) || value < lo || value > hi) {
      bad(field, value, `must be an integer from ${lo} to ${hi}${extra}`);
      return false;
    }
    return true;
  };
  const pow2In = (field: string, value: number, lo: number, hi: number): boolean => {
    if (!isPow2(value) || value < lo || value > hi) {
      bad(field, value, `must be a power of two from ${lo} to ${hi}`);
      return false;
    }
    return true;
  };

  if (!/^[a-z][a-z0-9_]{0,31}$/.test(d.name)) {
    bad("name", d.name, "must be 1-32 characters of a-z, 0-9 and _, starting with a letter");
  }
  if (d.target !== "generic" && d.target !== "ice40")
    bad("target", d.target, 'must be "generic" or "ice40"');

  const k = d.numerics.blockSize;
  const kOk = [8, 16, 32].includes(k);
  if (!kOk) bad("numerics.blockSize", k, "must be 8, 16 or 32 (32 is OCP MXINT8)");
  if (d.numerics.rounding !== "nearest" && d.numerics.rounding !== "even") {
    bad(
      "numerics.rounding",
      d.numerics.rounding,
      'must be "nearest" (ties away from zero) or "even"',
    );
  }
  if (kOk) {
    intIn(
      "numerics.accWidth",
      d.numerics.accWidth,
      productWidth(k),
      ACC_WIDTH_MAX,
      ` (a block-pair sum of ${k} 8x8-bit products needs ${productWidth(k)} bits)`,
    );
  }

  const rowsOk = pow2In("array.rows", d.array.rows, 1, 64);
  const colsOk = pow2In("array.cols", d.array.cols, 1, 64);
  if (kOk) pow2In("array.lanes", d.array.lanes, 1, k);
  if (d.array.schedule !== "shared" && d.array.schedule !== "per-lane") {
    bad(
      "array.schedule",
      d.array.schedule,
      'must be "per-lane" (each lane has its own entry queue) or "shared" (one schedule for all lanes)',
    );
  }
  pow2In("array.streamEntries", d.array.streamEntries, 2, 16);
  pow2In("array.laneQueue", d.array.laneQueue, 2, 64);
  if (kOk) pow2In("array.requantElems", d.array.requantElems, 1, k);
  if (rowsOk && colsOk) {
    const lanes = d.array.rows * d.array.cols;
    if (pow2In("array.macPasses", d.array.macPasses, 1, lanes) && d.array.macPasses > 1) {
      if (d.array.schedule !== "shared") {
        bad(
          "array.macPasses",
          d.array.macPasses,
          'must be 1 unless array.schedule is "shared": only the shared schedule runs a row of B in passes',
        );
      }
    }
  }

  if (!CODEC_FORMATS.includes(d.codec.format)) {
    bad("codec.format", d.codec.format, `must be one of ${CODEC_FORMATS.join(", ")}`);
  }
  const gridOk = pow2In("codec.grid", d.codec.grid, 8, 64);
  const levelsOk = intIn("codec.levels", d.codec.levels, 1, 3);
  intIn("codec.runBits", d.codec.runBits, 2, 8);
  if (pow2In("codec.frameElems", d.codec.frameElems, 8, 4096) && kOk && gridOk && levelsOk) {
    const span = d.codec.grid ** Math.max(1, d.codec.levels - 1);
    if (d.codec.frameElems % k !== 0 || d.codec.frameElems < span) {
      bad(
        "codec.frameElems",
        d.codec.frameElems,
        `must be a multiple of numerics.blockSize (${k}) and at least grid^(levels-1) = ${span}`,
      );
    }
  }

  const dwOk = [32, 64, 128].includes(d.dma.dataWidth);
  if (!dwOk) bad("dma.dataWidth", d.dma.dataWidth, "must be 32, 64 or 128");
  if (kOk && dwOk && k < d.dma.dataWidth / 8) {
    bad(
      "dma.dataWidth",
      d.dma.dataWidth,
      `must be at most 8 x numerics.blockSize (${8 * k} bits): the sequencer moves whole bus words of one block's codes into the lane RAMs`,
    );
  }
  const wbits = d.codec.wordBits;
  if (dwOk && (!isPow2(wbits) || wbits < 8 || wbits > d.dma.dataWidth)) {
    bad(
      "codec.wordBits",
      wbits,
      `must be a power of two from 8 to dma.dataWidth (${d.dma.dataWidth}): the codec processes at most a bus word a cycle`,
    );
  } else if (kOk && gridOk && levelsOk && (d.codec.format === "hbm" || d.codec.format === "zvc")) {
    // The decoder counts a frame's non-zero blocks from each block's slice of a mask level; a
    // slice may straddle two codec words, no more.
    const { level: lam, bits: slice } = blockSliceLevel(
      d.codec.format,
      k,
      d.codec.grid,
      d.codec.levels,
    );
    if (wbits < slice) {
      bad(
        "codec.wordBits",
        wbits,
        `must be at least ${slice} for this codec: the decoder counts non-zero blocks from each block's ${slice}-bit slice of mask level ${lam}, which may straddle two codec words but no more`,
      );
    }
  }
  // the DMA's row strides are 16-bit sizes widened to the address: more than 16 bits
  intIn("dma.addrWidth", d.dma.addrWidth, 17, 64);
  // 256 beats of 16 bytes is 4096 bytes: every allowed burst fits in one 4 KB page.
  pow2In("dma.maxBurst", d.dma.maxBurst, 1, 256);
  intIn("dma.maxOutstanding", d.dma.maxOutstanding, 1, 16);

  const bufField = (field: string, value: number, need: number, what: string): void => {
    if (pow2In(field, value, 64, 1 << 20) && value < need) {
      bad(field, value, `is too small: ${what} needs ${need} bytes`);
    }
  };
  if (kOk && rowsOk && colsOk) {
    const lanes = d.array.rows * d.array.cols;
    if (lanes % k !== 0) {
      bad(
        "array.cols",
        d.array.cols,
        `rows x cols (${lanes}) must be a multiple of numerics.blockSize (${k}): the compute core's output lanes fill whole output blocks`,
      );
    }
    bufField(
      "buffers.weightBytes",
      d.buffers.weightBytes,
      2 * lanes * Math.max(64, k, d.dma.dataWidth / 8),
      `two tiles (double-buffered) of ${lanes} lanes (rows x cols) x a reduction of at least ${Math.max(64, k)} elements`,
    );
  }
  if (kOk && colsOk) {
    const tile = 2 * d.array.cols * (k + 1);
    const need = Math.max(tile, d.codec.frameElems + d.codec.frameElems / k);
    bufField(
      "buffers.inputBytes",
      d.buffers.inputBytes,
      need,
      `two tiles of ${d.array.cols} columns x ${k} elements (+ scales) and one codec frame`,
    );
  }
  if (rowsOk && colsOk) {
    bufField(
      "buffers.outputBytes",
      d.buffers.outputBytes,
      2 * d.array.rows * d.array.cols,
      `two ${d.array.rows}x${d.array.cols} output tiles`,
    );
  }

  if (intIn("regfile.addrWidth", d.regfile.addrWidth, 8, 16)) {
    const count = STANDARD_REGISTER_NAMES.length + d.regfile.extraRegisters.length;
    if (count * 4 > 2 ** d.regfile.addrWidth) {
      bad(
        "regfile.addrWidth",
        d.regfile.addrWidth,
        `${count} registers need ${Math.ceil(Math.log2(count * 4))} address bits`,
      );
    }
  }
  intIn("regfile.counterBits", d.regfile.counterBits, 16, 64);
  const seen = new Set<string>(STANDARD_REGISTER_NAMES);
  d.regfile.extraRegisters.forEach((r: RegisterDesc, i) => {
    const f = `regfile.extraRegisters[${i}]`;
    if (typeof r.name !== "string" || !/^[A-Z][A-Z0-9_]{0,23}$/.test(r.name)) {
      bad(
        `${f}.name`,
        r.name,
        "must be an upper-case identifier (A-Z, 0-9, _), up to 24 characters",
      );
    } else if (seen.has(r.name)) {
      bad(`${f}.name`, r.name, "is already used by another register");
    } else seen.add(r.name);
    if (!["rw", "ro", "w1c"].includes(r.access))
      bad(`${f}.access`, r.access, 'must be "rw", "ro" or "w1c"');
    if (
      r.reset !== undefined &&
      (!Number.isInteger(r.reset) || r.reset < 0 || r.reset > 0xffffffff)
    ) {
      bad(`${f}.reset`, r.reset, "must be an integer from 0 to 0xFFFFFFFF");
    }
    let used = 0;
    (r.fields ?? []).forEach((fd, j) => {
      const ff = `${f}.fields[${j}]`;
      if (typeof fd.name !== "string" || !/^[A-Z][A-Z0-9_]{0,23}$/.test(fd.name))
        bad(
          `${ff}.name`,
          fd.name,
          "must be an upper-case identifier (A-Z, 0-9, _), up to 24 characters",
        );
      if (
        !Number.isInteger(fd.lsb) ||
        !Number.isInteger(fd.width) ||
        fd.lsb < 0 ||
        fd.width < 1 ||
        fd.lsb + fd.width > 32
      ) {
        bad(ff, `${fd.name}[${fd.lsb}+:${fd.width}]`, "must lie within bits 0..31");
        return;
      }
      const bits = fd.width === 32 ? 0xffffffff : ((2 ** fd.width - 1) * 2 ** fd.lsb) >>> 0;
      if ((used & bits) !== 0) bad(ff, fd.name, "overlaps another field of the register");
      used = (used | bits) >>> 0;
    });
  });
  return v;
}

/** Resolve defaults and validate; throws one GenError listing every violation. */
export function validateDescription(raw: unknown): ResolvedDescription {
  const shape: Violation[] = [];
  if (!checkShape(raw, shape)) throw violationsError(shape);
  const resolved = resolveDefaults(raw);
  const rules = checkRules(resolved);
  if (rules.length > 0) throw violationsError(rules);
  return resolved;
}

function violationsError(vs: Violation[]): GenError {
  const lines = vs.map((x) => `  ${x.field} ${x.message}`).join("\n");
  return new GenError(
    "E_DESC_FIELD",
    `invalid processor description (${vs.length} problem${vs.length > 1 ? "s" : ""}):\n${lines}`,
    {
      field: vs[0]?.field ?? "(description)",
      hint: "see docs/description.md for every field and its allowed range",
    },
  );
}
