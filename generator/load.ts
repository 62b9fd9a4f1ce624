/**
 * Where descriptions come from: a shipped preset name, or a user's .ts/.js file that exports a
 * description (default export or `description`).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { GenError } from "./errors.ts";
import { PRESETS, PRESET_NAMES } from "./dsl/presets.ts";
import type { ResolvedDescription } from "./dsl/description.ts";
import { validateDescription } from "./dsl/validate.ts";

export function presetDescription(name: string): ResolvedDescription {
  const d = PRESETS[name];
  if (d === undefined) {
    throw new GenError("E_PRESET", `unknown preset "${name}"`, {
      hint: `shipped presets: ${PRESET_NAMES.join(", ")}`,
    });
  }
  return validateDescription(d);
}

export async function loadDescriptionFile(path: string): Promise<ResolvedDescription> {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    throw new GenError("E_DESC_LOAD", `description file ${path} does not exist`, {
      hint: "pass a preset name or the path of a .ts file that exports a description",
    });
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    throw new GenError(
      "E_DESC_LOAD",
      `could not load ${path}: ${e instanceof Error ? e.message : String(e)}`,
      {
        hint: "the file must be a TypeScript or JavaScript module that runs on its own",
      },
    );
  }
  const d = mod["default"] ?? mod["description"];
  if (d === undefined) {
    throw new GenError("E_DESC_LOAD", `${path} exports no description`, {
      hint: "export default { name: ..., ... } or export const description = { ... }",
    });
  }
  return validateDescription(d);
}

/** A preset name or a file path. */
export async function loadDescription(spec: string): Promise<ResolvedDescription> {
  if (PRESETS[spec] !== undefined) return presetDescription(spec);
  if (/[./\\]/.test(spec)) return loadDescriptionFile(spec);
  return presetDescription(spec);
}
