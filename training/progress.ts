/**
 * A progress bar for long runs: steps done, loss, accuracy, sparsity, elapsed time and ETA. On a
 * terminal it redraws one line; otherwise (CI logs, pipes) it prints a line every `every` steps.
 */
export interface ProgressFields {
  loss: number;
  acc: number;
  sparsity?: number;
  extra?: string;
}

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  const r = Math.round(s - m * 60);
  return m > 0 ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}

export class Progress {
  private readonly t0 = performance.now();
  private lastLine = 0;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly label: string,
    /** Where the bar goes; undefined: nowhere. */
    private readonly sink: ProgressSink | undefined,
    private readonly every = Math.max(1, Math.ceil(total / 10)),
  ) {}

  line(done: number, f: ProgressFields): string {
    const width = 24;
    const frac = this.total === 0 ? 1 : done / this.total;
    const filled = Math.round(frac * width);
    const el = (performance.now() - this.t0) / 1000;
    const eta = done > 0 ? (el * (this.total - done)) / done : NaN;
    const parts = [
      `${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${this.total}`,
      `loss ${f.loss.toFixed(4)}`,
      `acc ${(100 * f.acc).toFixed(1)}%`,
    ];
    if (f.sparsity !== undefined) parts.push(`sparsity ${(100 * f.sparsity).toFixed(1)}%`);
    if (f.extra !== undefined) parts.push(f.extra);
    parts.push(`${fmtTime(el)} eta ${fmtTime(eta)}`);
    return parts.join(" | ");
  }

  update(done: number, f: ProgressFields): void {
    if (this.sink === undefined) return;
    if (this.sink.isTTY === true) {
      this.sink.write(`\r\x1b[2K${this.line(done, f)}`);
      this.drawn = true;
    } else if (done - this.lastLine >= this.every || done === this.total) {
      this.sink.write(`${this.line(done, f)}\n`);
      this.lastLine = done;
    }
  }

  /** End the bar's line (TTY) and print a closing message. */
  done(message: string): void {
    if (this.sink === undefined) return;
    if (this.drawn) this.sink.write("\n");
    this.drawn = false;
    this.sink.write(`${message}\n`);
  }
}
