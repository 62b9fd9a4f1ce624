/**
 * One emitter per output: RTL modules (from templates/), the elaborated configuration as JSON.
 * `emitDesign` returns every file as (relative path -> content); `writeFiles` puts them on disk.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Design, ModuleInstance } from "../elab/elaborate.ts";
import { banner, renderRtl } from "./render.ts";
import { emitCHeader, emitRegisterDoc, emitTsConstants, regsFileNames } from "./regs.ts";

export type FileSet = Map<string, string>;

function moduleContext(design: Design, m: ModuleInstance): Record<string, unknown> {
  return {
    banner: banner(`${m.module}: ${m.doc}`, `description "${design.desc.name}"`),
    module: m.module,
    doc: m.doc,
    ...m.params,
  };
}

/** Every module's Verilog (or only the modules of the given roles). */
export function emitRtl(design: Design, roles?: readonly string[]): FileSet {
  const files: FileSet = new Map();
  for (const m of design.modules.filter((x) => roles === undefined || roles.includes(x.role)))
    files.set(m.file, renderRtl(m.template, moduleContext(design, m)));
  return files;
}

/** The fully elaborated configuration, for users and scripts to read. */
export function emitConfig(design: Design): string {
  const doc = {
    generatedBy: banner("elaborated configuration", `description "${design.desc.name}"`, "")
      .split("\n")
      .map((l) => l.trim())
      .join(" "),
    description: design.desc,
    derived: { pe: design.pe },
    modules: design.modules.map((m) => ({
      role: m.role,
      module: m.module,
      file: m.file,
      doc: m.doc,
      params: m.params,
    })),
    registers: design.registers,
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

export function emitDesign(design: Design): FileSet {
  const files = emitRtl(design);
  const names = regsFileNames(design.desc.name);
  files.set(names.header, emitCHeader(design));
  files.set(names.ts, emitTsConstants(design));
  files.set(names.doc, emitRegisterDoc(design));
  files.set("config.json", emitConfig(design));
  return files;
}

export function writeFiles(dir: string, files: FileSet): string[] {
  const written: string[] = [];
  for (const [rel, content] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written.push(path);
  }
  return written;
}
