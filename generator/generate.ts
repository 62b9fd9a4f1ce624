/** The generator pipeline as a library: description -> design -> files. */
import { join } from "node:path";
import type { ResolvedDescription } from "./dsl/description.ts";
import { PRESET_NAMES } from "./dsl/presets.ts";
import { elaborate, type Design } from "./elab/elaborate.ts";
import { emitDesign, type FileSet } from "./emit/emit.ts";
import { emitRegisterDoc } from "./emit/regs.ts";
import { presetDescription } from "./load.ts";
import { REPO_ROOT } from "./emit/render.ts";

export const RTL_OUT = join(REPO_ROOT, "rtl-out");

export function generate(desc: ResolvedDescription): { design: Design; files: FileSet } {
  const design = elaborate(desc);
  return { design, files: emitDesign(design) };
}

/** Every shipped preset's files, keyed by "<preset>/<file>". */
export function generatePresets(): FileSet {
  const all: FileSet = new Map();
  for (const name of PRESET_NAMES) {
    const { files } = generate(presetDescription(name));
    for (const [rel, content] of files) all.set(`${name}/${rel}`, content);
  }
  return all;
}

/** Docs pages generated for the shipped presets, keyed by path relative to the repository. */
export function generatePresetDocs(): FileSet {
  const docs: FileSet = new Map();
  for (const name of PRESET_NAMES) {
    docs.set(`docs/registers/${name}.md`, emitRegisterDoc(elaborate(presetDescription(name))));
  }
  return docs;
}
