/**
 * Shared pieces of `npm run bench` (scripts/bench.ts): the options every section takes, Markdown
 * tables, number formats, timing and the SVG files a section writes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";

/** What every section function receives (the compute section has the same signature). */
export interface SectionOptions {
  /** The short version (`--quick`). */
  quick: boolean;
  /** Reports folder: SVG plots and work files go here. */
  outDir: string;
  /** Progress messages (stderr in the command line; the report itself is the returned text). */
  log: (s: string) => void;
}

export type Align = "l" | "r";

/**
 * A Markdown pipe table with padded columns (readable as plain text). `align` gives each
 * column's alignment; the default is left for the first column and right for the others.
 */
export function mdTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly Align[],
): string {
  const n = headers.length;
  for (const r of rows)
    if (r.length !== n) throw new Error(`mdTable: a row has ${r.length} cells, expected ${n}`);
  const al = (i: number): Align => align?.[i] ?? (i === 0 ? "l" : "r");
  const esc = (s: string): string => s.replace(/\|/g, "\\|");
  const cells = [headers.map(esc), ...rows.map((r) => r.map(esc))];
  const width = headers.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? "").length)));
  const pad = (s: string, i: number): string =>
    al(i) === "r" ? s.padStart(width[i]!) : s.padEnd(width[i]!);
  const line = (r: readonly string[]): string => `| ${r.map((s, i) => pad(s, i)).join(" | ")} |`;
  const rule = `| ${width.map((w, i) => (al(i) === "r" ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}

/** A fraction as a percentage with `digits` decimals. */
export function pct(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : "-";
}

/** A number with `digits` decimals ("-" when not finite). */
export function fix(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "-";
}

/** Three significant digits, with an SI prefix (k, M, G, T) above 1000. */
export function si(x: number, unit = ""): string {
  if (!Number.isFinite(x)) return "-";
  const prefixes = ["", "k", "M", "G", "T", "P"];
  let v = x;
  let p = 0;
  while (Math.abs(v) >= 1000 && p < prefixes.length - 1) {
    v /= 1000;
    p++;
  }
  const s = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${s} ${prefixes[p]}${unit}`.trimEnd();
}

/** Seconds with one decimal. */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Milliseconds with a precision that suits the value. */
export function millis(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  return ms >= 100
    ? `${ms.toFixed(0)} ms`
    : ms >= 10
      ? `${ms.toFixed(1)} ms`
      : `${ms.toFixed(2)} ms`;
}

/** Run f and return its result and the wall-clock time it took (ms). */
export function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A path relative to the repository (for the report). */
export function repoPath(p: string): string {
  const r = relative(REPO_ROOT, p);
  return r.startsWith("..") ? p : r;
}

/** Write an SVG into the reports folder; returns the Markdown image line that shows it. */
export function writeSvg(outDir: string, name: string, svg: string, alt: string): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, name);
  writeFileSync(file, svg);
  return `![${alt}](${name}) (\`${repoPath(file)}\`)`;
}

/** A fenced-free one-line command for the report. */
export function cmd(s: string): string {
  return `\`${s}\``;
}
