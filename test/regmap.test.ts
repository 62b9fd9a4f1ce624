/**
 * The register map's four outputs (regfile RTL, C header, Markdown page, TypeScript constants)
 * agree with each other and with the register map they come from.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generate, generatePresetDocs } from "../generator/generate.ts";
import { presetDescription } from "../generator/load.ts";
import { PRESET_NAMES } from "../generator/dsl/presets.ts";
import { ID_MAGIC, REGMAP_VERSION } from "../generator/dsl/regmap.ts";
import type { ResolvedDescription } from "../generator/dsl/description.ts";
import { REPO_ROOT } from "../generator/emit/render.ts";
import { CUSTOM } from "./fixtures/descriptions.ts";
import { RegfileModel, RESP_OKAY, RESP_SLVERR } from "../testbench/regfile-model.ts";

interface Row {
  name: string;
  offset: number;
  reset: number;
  mask: number;
  value: number | undefined;
  fields: { name: string; lsb: number; width: number }[];
}

function fromModel(desc: ResolvedDescription): Row[] {
  return generate(desc).design.registers.map((r) => ({
    name: r.name,
    offset: r.offset,
    reset: r.reset,
    mask: r.mask,
    value: r.value,
    fields: r.fields.map((f) => ({ name: f.name, lsb: f.lsb, width: f.width })),
  }));
}

/** Rows from the C header's #defines. */
function fromHeader(text: string, prefix: string, names: string[]): Row[] {
  const defs = new Map<string, number>();
  for (const m of text.matchAll(/^#define (\w+) (0x[0-9a-f]+|\d+)u$/gm))
    defs.set(m[1] ?? "", Number(m[2]));
  return names.map((name) => {
    const base = `${prefix}_REG_${name}`;
    const fields: Row["fields"] = [];
    for (const [k, v] of defs) {
      const m = k.match(new RegExp(`^${base}_(\\w+)_LSB$`));
      if (m?.[1] !== undefined)
        fields.push({ name: m[1], lsb: v, width: defs.get(`${base}_${m[1]}_WIDTH`) ?? -1 });
    }
    fields.sort((a, b) => a.lsb - b.lsb);
    return {
      name,
      offset: defs.get(base) ?? -1,
      reset: defs.get(`${base}_RESET`) ?? -1,
      mask: defs.get(`${base}_MASK`) ?? -1,
      value: defs.get(`${base}_VALUE`),
      fields,
    };
  });
}

const sortFields = (rows: Row[]): Row[] =>
  rows.map((r) => ({ ...r, fields: [...r.fields].sort((a, b) => a.lsb - b.lsb) }));

async function check(desc: ResolvedDescription): Promise<void> {
  const { files } = generate(desc);
  const name = desc.name;
  const model = sortFields(fromModel(desc));
  const names = model.map((r) => r.name);

  // C header: parsed, and (when a C compiler is present) compiled and run.
  const header = files.get(`${name}_regs.h`) ?? "";
  expect(fromHeader(header, name.toUpperCase(), names)).toEqual(model);
  const dir = mkdtempSync(join(tmpdir(), "regs-"));
  writeFileSync(join(dir, `${name}_regs.h`), header);
  const cc = spawnSync("sh", ["-c", "command -v cc"], { encoding: "utf8" });
  if (cc.status === 0) {
    const P = name.toUpperCase();
    const prog = [
      `#include <stdio.h>`,
      `#include "${name}_regs.h"`,
      `int main(void) {`,
      ...names.map((n) => `  printf("%s %u %u\\n", "${n}", ${P}_REG_${n}, ${P}_REG_${n}_MASK);`),
      `  return 0;`,
      `}`,
    ].join("\n");
    writeFileSync(join(dir, "main.c"), prog);
    const b = spawnSync("cc", ["-std=c99", "-Wall", "-Werror", "-o", "main", "main.c"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(b.status, b.stderr).toBe(0);
    const out = spawnSync(join(dir, "main"), { encoding: "utf8" }).stdout.trim().split("\n");
    expect(out).toEqual(model.map((r) => `${r.name} ${r.offset} ${r.mask}`));
  }

  // TypeScript constants: imported as a module.
  const tsPath = join(dir, `${name}_regs.ts`);
  writeFileSync(tsPath, files.get(`${name}_regs.ts`) ?? "");
  const ts = (await import(pathToFileURL(tsPath).href)) as {
    REG: Record<string, number>;
    RESET: Record<string, number>;
    MASK: Record<string, number>;
    VALUE: Record<string, number>;
    FIELD: Record<string, Record<string, { lsb: number; width: number }>>;
    REGFILE_ADDR_WIDTH: number;
  };
  expect(ts.REGFILE_ADDR_WIDTH).toBe(desc.regfile.addrWidth);
  expect(
    sortFields(
      names.map((n) => ({
        name: n,
        offset: ts.REG[n] ?? -1,
        reset: ts.RESET[n] ?? -1,
        mask: ts.MASK[n] ?? -1,
        value: ts.VALUE[n],
        fields: Object.entries(ts.FIELD[n] ?? {}).map(([fn, f]) => ({ name: fn, ...f })),
      })),
    ),
  ).toEqual(model);

  // Verilog: the address localparams and the reset values of rw registers.
  const rtl = files.get(`${name}_regfile.v`) ?? "";
  const aw = desc.regfile.addrWidth;
  for (const r of model) {
    const hexOff = r.offset.toString(16).padStart(Math.ceil(aw / 4), "0");
    expect(rtl).toContain(`localparam [${aw}-1:0] ADDR_${r.name} = ${aw}'h${hexOff};`);
  }
  // Markdown: the register table.
  const md = files.get(`${name}_registers.md`) ?? "";
  const mdRows = [
    ...md.matchAll(/^\| 0x([0-9a-f]+) \| `(\w+)` \| (\w+)(, job)? \| 0x([0-9a-f]+) \|/gm),
  ];
  expect(mdRows.map((m) => [Number.parseInt(m[1] ?? "", 16), m[2]])).toEqual(
    model.map((r) => [r.offset, r.name]),
  );
  expect(mdRows.map((m) => Number.parseInt(m[5] ?? "", 16))).toEqual(
    model.map((r) => r.value ?? r.reset),
  );
  // the job registers (refused writes while a job runs) are marked, and only they
  const locked = generate(desc).design.registers.map((r) => r.locked);
  expect(mdRows.map((m) => m[4] !== undefined)).toEqual(locked);
  expect(locked.filter((l) => l).length).toBeGreaterThan(0);
  for (const r of model)
    for (const f of r.fields) expect(md).toMatch(new RegExp(`\\| \`${f.name}\` \\|`));
}

describe("register map outputs agree", () => {
  for (const p of PRESET_NAMES)
    it(`preset ${p}`, async () => {
      await check(presetDescription(p));
    });
  it("a description with extra registers and 48-bit DMA addresses", async () => {
    await check(CUSTOM);
    const regs = generate(CUSTOM).design.registers;
    expect(regs.find((r) => r.name === "JOB_ADDR_A_HI")?.mask).toBe(0xffff);
    expect(regs.find((r) => r.name === "USER_CTRL")?.mask).toBe(0xff000071);
  });

  it("docs/registers/ pages are fresh", () => {
    for (const [rel, content] of generatePresetDocs())
      expect(readFileSync(join(REPO_ROOT, rel), "utf8"), `${rel} is stale: npm run gen`).toBe(
        content,
      );
  });
});

describe("ID and CONFIG describe the generated processor", () => {
  for (const p of PRESET_NAMES)
    it(`preset ${p}`, () => {
      const d = presetDescription(p);
      const regs = generate(d).design.registers;
      const id = regs.find((r) => r.name === "ID")?.value ?? -1;
      expect(id >>> 16).toBe(ID_MAGIC);
      expect(id & 0xffff).toBe(REGMAP_VERSION);
      const c = regs.find((r) => r.name === "CONFIG");
      const get = (f: string): number => {
        const fd = c?.fields.find((x) => x.name === f);
        if (fd === undefined || c?.value === undefined) return -1;
        return (c.value >>> fd.lsb) & (2 ** fd.width - 1);
      };
      expect(2 ** get("BLOCK_LOG2")).toBe(d.numerics.blockSize);
      expect(2 ** get("ROWS_LOG2")).toBe(d.array.rows);
      expect(2 ** get("COLS_LOG2")).toBe(d.array.cols);
      expect(2 ** get("LANES_LOG2")).toBe(d.array.lanes);
      expect(get("ACC_WIDTH")).toBe(d.numerics.accWidth);
      expect(["dense", "zvc", "rle", "hbm"][get("FORMAT")]).toBe(d.codec.format);
      expect(8 * 2 ** get("BUS_LOG2")).toBe(d.dma.dataWidth);
      expect(get("IN_SKIP")).toBe(d.features.inputSkipping ? 1 : 0);
      // where the register map has _HI registers (tiny has neither, large both)
      expect(get("ADDR_HI")).toBe(regs.some((r) => r.name === "JOB_ADDR_A_HI") ? 1 : 0);
      expect(get("CNT_HI")).toBe(regs.some((r) => r.name === "PERF_CYCLES_HI") ? 1 : 0);
      expect(get("ADDR_HI")).toBe(d.dma.addrWidth > 32 ? 1 : 0);
      expect(get("CNT_HI")).toBe(d.regfile.counterBits > 32 ? 1 : 0);
    });
});

describe("register-file reference model", () => {
  const model = () => new RegfileModel(generate(CUSTOM).design.regfile);
  const off = (n: string): number =>
    generate(CUSTOM).design.registers.find((r) => r.name === n)?.offset ?? -1;
  it("honours byte strobes and field masks on rw registers", () => {
    const m = model();
    expect(m.read(off("USER_CTRL")).data).toBe(0x5 & 0xff000071);
    expect(m.write(off("USER_CTRL"), 0xffffffff, 0b1000)).toBe(RESP_OKAY);
    expect(m.read(off("USER_CTRL")).data).toBe(0xff000001);
    expect(m.write(off("SCRATCH"), 0x12345678, 0b0011)).toBe(RESP_OKAY);
    expect(m.read(off("SCRATCH")).data).toBe(0xdead5678);
  });
  it("rejects writes to read-only and unmapped registers with SLVERR", () => {
    const m = model();
    expect(m.write(off("ID"), 1, 0xf)).toBe(RESP_SLVERR);
    expect(m.write(off("USER_STAT"), 1, 0xf)).toBe(RESP_SLVERR);
    expect(m.read(0x3fc).resp).toBe(RESP_SLVERR);
  });
  it("w1c: hardware sets, host clears with ones; w1p pulses and reads 0", () => {
    const m = model();
    m.setBits("USER_EVT", 0xff);
    expect(m.read(off("USER_EVT")).data).toBe(0xf);
    m.write(off("USER_EVT"), 0x5, 0xf);
    expect(m.read(off("USER_EVT")).data).toBe(0xa);
    m.write(off("CMD"), 0x3, 0xf);
    expect(m.takePulses("CMD")).toEqual({ bits: 3, count: 1 });
    expect(m.read(off("CMD")).data).toBe(0);
  });
});
