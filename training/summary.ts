/** Markdown summary of one training run (printed by scripts/train.ts). */
import { sparsity, TRAFFIC_KINDS } from "./metrics.ts";
import type { RunResult } from "./run.ts";

function p1(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** Markdown summary of a run. */
export function summaryMarkdown(r: RunResult): string {
  const lines: string[] = [];
  const s = r.summary;
  lines.push(`## ${r.name}\n`);
  lines.push(`command: \`${r.command}\`\n`);
  lines.push(
    `test accuracy **${(100 * r.testAcc).toFixed(2)}%** after ${r.steps} steps (${r.seconds.toFixed(0)} s, backend ${r.backend})\n`,
  );
  lines.push(
    "| layer | activations sparsity | error-gradient sparsity | MACs issued / dense | theta act | theta grad |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|");
  for (const l of r.layers) {
    const dense = l.fp.macsDense + l.bp.macsDense + l.wg.macsDense;
    const issued = l.fp.macsIssued + l.bp.macsIssued + l.wg.macsIssued;
    const th = (v: number | null): string => (v === null ? "-" : v.toPrecision(3));
    lines.push(
      `| ${l.name} | ${p1(sparsity(l.act))} | ${p1(sparsity(l.grad))} | ${p1(issued / dense)} | ${th(l.thetaAct)} | ${th(l.thetaGrad)} |`,
    );
  }
  lines.push(
    `\noverall interim sparsity ${p1(s.overallSparsity)} (activations ${p1(s.actSparsity)}, error gradients ${p1(s.gradSparsity)}); ` +
      `MACs skipped ${p1(1 - s.macs.macsIssued / s.macs.macsDense)} of ${s.macs.macsDense.toExponential(3)}`,
  );
  if (r.traffic !== null) {
    lines.push("\n| traffic | dense BFP8 (MB) | compressed (MB) | ratio |");
    lines.push("|---|---:|---:|---:|");
    for (const k of TRAFFIC_KINDS) {
      const t = r.traffic[k];
      lines.push(
        `| ${k} | ${(t.dense / 8e6).toFixed(2)} | ${(t.coded / 8e6).toFixed(2)} | ${(t.coded / t.dense).toFixed(3)} |`,
      );
    }
    lines.push(
      `| total | ${(s.trafficDense / 8e6).toFixed(2)} | ${(s.trafficCoded / 8e6).toFixed(2)} | ${(s.trafficCoded / s.trafficDense).toFixed(3)} |`,
    );
  }
  return lines.join("\n");
}
