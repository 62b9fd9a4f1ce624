/**
 * Generator speed: wall-clock time to validate (generator/dsl/validate.ts), elaborate
 * (generator/elab/elaborate.ts) and emit (generator/emit/emit.ts emitDesign: every Verilog file,
 * the register map's header, constants and page, config.json) each shipped preset, in memory
 * (no files written). The first pass over all presets is reported separately (it compiles the
 * Handlebars templates, unless an earlier section of the same process did); the others are
 * warm, and the table gives their median and minimum.
 */
import { PRESET_NAMES, PRESETS } from "../../generator/dsl/presets.ts";
import { validateDescription } from "../../generator/dsl/validate.ts";
import { elaborate } from "../../generator/elab/elaborate.ts";
import { emitDesign } from "../../generator/emit/emit.ts";
import { type SectionOptions, cmd, mdTable, median, millis, si, timed } from "./common.ts";

export interface GenSpeedParams {
  /** Warm repetitions per preset. */
  reps: number;
}

export function genSpeedParams(quick: boolean): GenSpeedParams {
  return { reps: quick ? 10 : 50 };
}

interface Pass {
  validate: number;
  elaborate: number;
  emit: number;
  files: number;
  bytes: number;
}

function onePass(preset: string): Pass {
  const d = PRESETS[preset];
  if (d === undefined) throw new Error(`no preset ${preset}`);
  const v = timed(() => validateDescription(d));
  const e = timed(() => elaborate(v.value));
  const f = timed(() => emitDesign(e.value));
  let bytes = 0;
  for (const text of f.value.values()) bytes += Buffer.byteLength(text);
  return { validate: v.ms, elaborate: e.ms, emit: f.ms, files: f.value.size, bytes };
}

export async function genSpeedSection(opts: SectionOptions, p: GenSpeedParams): Promise<string> {
  opts.log("generator speed");
  const cold = new Map<string, Pass>();
  for (const name of PRESET_NAMES) cold.set(name, onePass(name));
  const warm = new Map<string, Pass[]>();
  for (let i = 0; i < p.reps; i++)
    for (const name of PRESET_NAMES) {
      const list = warm.get(name) ?? [];
      list.push(onePass(name));
      warm.set(name, list);
    }
  const out: string[] = [];
  out.push("## Generator speed\n");
  out.push(
    `Validate, elaborate and emit every shipped preset in memory (what ${cmd("npm run gen")} does before writing files), ${p.reps} warm passes after a first pass over all presets; median (minimum) per stage, wall-clock. The first pass includes compiling the Handlebars templates (the bench runs this section before the simulations, which generate RTL too).\n`,
  );
  const stat = (xs: readonly number[]): string =>
    `${millis(median(xs))} (${millis(Math.min(...xs))})`;
  out.push(
    mdTable(
      [
        "preset",
        "validate",
        "elaborate",
        "emit",
        "total",
        "first pass total",
        "files",
        "bytes emitted",
      ],
      PRESET_NAMES.map((name) => {
        const w = warm.get(name) ?? [];
        const c = cold.get(name)!;
        return [
          name,
          stat(w.map((x) => x.validate)),
          stat(w.map((x) => x.elaborate)),
          stat(w.map((x) => x.emit)),
          stat(w.map((x) => x.validate + x.elaborate + x.emit)),
          millis(c.validate + c.elaborate + c.emit),
          String(c.files),
          si(c.bytes, "B"),
        ];
      }),
    ) + "\n",
  );
  return out.join("\n");
}
