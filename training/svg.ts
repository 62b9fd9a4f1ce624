/**
 * Minimal SVG line/scatter charts for the training report (no dependencies): linear axes with
 * ticks, one polyline per series with point markers, a legend. Deterministic output.
 */
export interface Series {
  label: string;
  points: readonly { x: number; y: number; tag?: string }[];
  /** Draw points only (no connecting line). */
  scatter?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xRange?: [number, number];
  yRange?: [number, number];
  /** A horizontal reference line (e.g. the FP32 accuracy). */
  hLines?: readonly { y: number; label: string }[];
  width?: number;
  height?: number;
  /** Format of tick labels. */
  xFmt?: (v: number) => string;
  yFmt?: (v: number) => string;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"];
const MARKERS = ["circle", "square", "diamond", "triangle"] as const;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function niceTicks(lo: number, hi: number, n = 6): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= n) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
    ticks.push(Math.round(v / step) * step);
  return ticks;
}

function extent(vals: number[], pad: number): [number, number] {
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

function marker(kind: (typeof MARKERS)[number], x: number, y: number, color: string): string {
  const r = 4;
  const f = (v: number): string => v.toFixed(1);
  if (kind === "circle") return `<circle cx="${f(x)}" cy="${f(y)}" r="${r}" fill="${color}"/>`;
  if (kind === "square")
    return `<rect x="${f(x - r)}" y="${f(y - r)}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`;
  if (kind === "diamond")
    return `<polygon points="${f(x)},${f(y - r - 1)} ${f(x + r + 1)},${f(y)} ${f(x)},${f(y + r + 1)} ${f(x - r - 1)},${f(y)}" fill="${color}"/>`;
  return `<polygon points="${f(x)},${f(y - r - 1)} ${f(x + r + 1)},${f(y + r)} ${f(x - r - 1)},${f(y + r)}" fill="${color}"/>`;
}

export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 400;
  const m = { l: 64, r: 180, t: 36, b: 52 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  for (const h of o.hLines ?? []) ys.push(h.y);
  const [x0, x1] = o.xRange ?? extent(xs.length > 0 ? xs : [0, 1], 0.05);
  const [y0, y1] = o.yRange ?? extent(ys.length > 0 ? ys : [0, 1], 0.08);
  const X = (v: number): number => m.l + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v: number): number => m.t + ph - ((v - y0) / (y1 - y0)) * ph;
  const xf = o.xFmt ?? ((v: number) => String(v));
  const yf = o.yFmt ?? ((v: number) => String(v));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(
    `<text x="${m.l + pw / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  );
  for (const t of niceTicks(x0, x1)) {
    const x = X(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${x}" y="${m.t + ph + 16}" text-anchor="middle">${esc(xf(t))}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    const y = Y(t).toFixed(1);
    out.push(`<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(
      `<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(yf(t))}</text>`,
    );
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  out.push(
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  (o.hLines ?? []).forEach((h) => {
    const y = Y(h.y).toFixed(1);
    out.push(
      `<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="#777" stroke-dasharray="5 4"/>`,
    );
    out.push(
      `<text x="${m.l + pw - 4}" y="${Number(y) - 4}" text-anchor="end" fill="#555">${esc(h.label)}</text>`,
    );
  });
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const mk = MARKERS[i % MARKERS.length]!;
    const pts = s.points.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`);
    if (!s.scatter && pts.length > 1)
      out.push(
        `<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="2"/>`,
      );
    s.points.forEach((p, k) => {
      out.push(marker(mk, X(p.x), Y(p.y), color));
      // tags alternate above and below their point so that neighbours do not overlap
      const dy = k % 2 === 0 ? -7 : 15;
      if (p.tag !== undefined)
        out.push(
          `<text x="${(X(p.x) + 6).toFixed(1)}" y="${(Y(p.y) + dy).toFixed(1)}" font-size="10" fill="${color}">${esc(p.tag)}</text>`,
        );
    });
    const ly = m.t + 10 + i * 20;
    const lx = m.l + pw + 14;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    out.push(marker(mk, lx + 11, ly, color));
    out.push(`<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
