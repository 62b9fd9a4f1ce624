/**
 * User-facing errors. Anything a user can cause (a bad description, a bad flag, a missing tool)
 * is reported as a GenError: a stable code, a message that names the field or thing at fault,
 * and a hint that says how to fix it. The CLI prints these without a stack trace.
 */
export type ErrorCode =
  | "E_DESC_FIELD" // a description field is out of its allowed range or breaks a rule
  | "E_DESC_LOAD" // a user's description file could not be loaded
  | "E_PRESET" // unknown preset name
  | "E_TOOL_MISSING" // an EDA tool is not installed
  | "E_SIM_FAIL" // a simulation reported a mismatch or did not finish
  | "E_TOOL_FAIL" // an EDA tool exited with an error
  | "E_STALE" // generated files differ from what the generator emits
  | "E_CODEC" // a compressed stream is malformed
  | "E_MODEL_ARG" // a golden-model function was called with arguments outside its domain
  | "E_OPTION"; // a flow option that the chosen part or block cannot take

export class GenError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; field?: string } = {}) {
    super(message);
    this.name = "GenError";
    this.code = code;
    this.hint = opts.hint;
    this.field = opts.field;
  }

  /** One-paragraph rendering for the terminal. */
  format(): string {
    const hint = this.hint === undefined ? "" : `\n  hint: ${this.hint}`;
    return `error[${this.code}]: ${this.message}${hint}`;
  }
}

/** Throw a model-argument error unless `cond` holds. */
export function require_(cond: boolean, message: string): asserts cond {
  if (!cond) throw new GenError("E_MODEL_ARG", message);
}
