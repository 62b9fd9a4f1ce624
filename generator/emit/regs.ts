/**
 * Register-map emitters: the C header, the TypeScript constants and the Markdown page, rendered
 * from the same elaborated register file as the RTL (templates/regfile.v.hbs), so all four agree.
 */
import type { Design } from "../elab/elaborate.ts";
import { banner, renderRtl } from "./render.ts";

function context(design: Design, what: string, comment: string): Record<string, unknown> {
  return {
    ...design.regfile,
    name: design.desc.name,
    regCount: design.regfile.regs.length,
    banner: banner(what, `description "${design.desc.name}"`, comment),
  };
}

export function emitCHeader(design: Design): string {
  return renderRtl("regs.h.hbs", context(design, `${design.desc.name}_regs.h: register map`, "//"));
}

export function emitTsConstants(design: Design): string {
  return renderRtl(
    "regs.ts.hbs",
    context(design, `${design.desc.name}_regs.ts: register map constants`, "//"),
  );
}

export function emitRegisterDoc(design: Design): string {
  const b = context(design, `Register map of "${design.desc.name}"`, "");
  return renderRtl("registers.md.hbs", {
    ...b,
    banner: String(b["banner"])
      .split("\n")
      .map((l) => l.trim())
      .join("\n"),
  });
}

/** File names of the register-map outputs of a design. */
export function regsFileNames(name: string): { header: string; ts: string; doc: string } {
  return { header: `${name}_regs.h`, ts: `${name}_regs.ts`, doc: `${name}_registers.md` };
}
