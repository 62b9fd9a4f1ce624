/**
 * The board wrapper in a simulator, driven over its UART by a host program outside it: a
 * co-simulation through two named pipes (testbench/templates/tb_board_link.sv.hbs). The host
 * side is the same UartLink a real board is driven with, so the protocol code that talks to a
 * board is the code the tests run against the RTL.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { boardParams, uartCodes } from "../../generator/elab/board.ts";
import { elaborate } from "../../generator/elab/elaborate.ts";
import { emitRtl } from "../../generator/emit/emit.ts";
import { banner, renderTb } from "../../generator/emit/render.ts";
import { GenError } from "../../generator/errors.ts";
import type { ResolvedDescription } from "../../generator/dsl/description.ts";
import { renderAxiTbModels } from "../dma-bench.ts";
import { type Simulator, buildSim, simCommand } from "../sim.ts";
import { ByteQueue, type ByteChannel } from "./uart-link.ts";

export interface LinkSimOptions {
  sim: Simulator;
  /** Work folder (the build is reused while its sources are the same). */
  dir: string;
  /** Board memory in bytes (the wrapper's WORDS parameter). */
  memBytes: number;
  /** UART bit time in cycles (the wrapper's CLKS_PER_BIT; default 4). */
  clksPerBit?: number;
}

export interface LinkSim {
  channel: ByteChannel;
  /** The simulation's end: its exit status and what it printed (PASS ... or FAILED ...). */
  done: Promise<{ ok: boolean; output: string }>;
  compileMs: number;
}

/** Build (or reuse) the co-simulation and start it; the channel talks to its UART. */
export async function startLinkSim(desc: ResolvedDescription, o: LinkSimOptions): Promise<LinkSim> {
  const cpb = o.clksPerBit ?? 4;
  const nb = desc.dma.dataWidth / 8;
  const top = `${desc.name}_board`;
  const files = new Map<string, string>();
  for (const [f, text] of emitRtl(elaborate(desc))) files.set(`rtl_${f}`, text);
  files.set("axi_monitor.sv", renderAxiTbModels().monitor);
  files.set(
    "tb.sv",
    renderTb("tb_board_link.sv.hbs", {
      banner: banner(`UART co-simulation of ${top}`, "testbench/templates/tb_board_link.sv.hbs"),
      board: top,
      uart: uartCodes(),
      clksPerBit: cpb,
      memBytes: o.memBytes,
      bytes: nb,
      waw: boardParams(desc, { memBytes: o.memBytes }).WAW,
      dw: desc.dma.dataWidth,
      aw: desc.dma.addrWidth,
      maxBurst: desc.dma.maxBurst,
      maxOutstanding: desc.dma.maxOutstanding,
    }),
  );
  const dir = resolve(o.dir, o.sim);
  mkdirSync(dir, { recursive: true });
  const h = createHash("sha256");
  const sources: string[] = [];
  for (const [f, text] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    h.update(`${f}\n${text}\n`);
    const p = join(dir, f);
    if (!existsSync(p) || readFileSync(p, "utf8") !== text) writeFileSync(p, text);
    sources.push(p);
  }
  h.update(`sim=${o.sim}`);
  const job = { dir, top: "tb", sources };
  const b = buildSim(job, o.sim, { key: h.digest("hex") });
  if (!b.ok)
    throw new GenError(
      "E_SIM_FAIL",
      `the co-simulation did not build:\n${b.output.split("\n").slice(0, 40).join("\n")}`,
    );
  const fin = join(dir, "uart_in.fifo");
  const fout = join(dir, "uart_out.fifo");
  for (const f of [fin, fout]) {
    rmSync(f, { force: true });
    const m = spawnSync("mkfifo", [f], { encoding: "utf8" });
    if (m.status !== 0) throw new GenError("E_TOOL_FAIL", `mkfifo ${f}: ${m.stderr.trim()}`);
  }
  const { cmd, args } = simCommand(job, o.sim);
  const proc = spawn(cmd, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout.on("data", (d: Buffer) => (output += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const q = new ByteQueue();
  const done = new Promise<{ ok: boolean; output: string }>((res) => {
    proc.on("close", (code) => {
      q.fail(
        new GenError(
          "E_SIM_FAIL",
          `the simulation ended:\n${output.split("\n").slice(-20).join("\n")}`,
        ),
      );
      res({ ok: code === 0 && /^PASS /m.test(output) && !/ERROR|FAILED/.test(output), output });
    });
  });
  const ws = createWriteStream(fin);
  const rs = createReadStream(fout, { encoding: "utf8" });
  let text = "";
  rs.on("data", (chunk) => {
    text += String(chunk);
    const lines = text.split("\n");
    text = lines.pop() ?? "";
    if (lines.length > 0) q.push(Uint8Array.from(lines.map((l) => parseInt(l, 16))));
  });
  return {
    channel: {
      write: (bytes) =>
        new Promise<void>((res, rej) => ws.write(Buffer.from(bytes), (e) => (e ? rej(e) : res()))),
      read: (n, ms) => q.take(n, ms),
      close: () => new Promise<void>((res) => ws.end(() => res())),
    },
    done,
    compileMs: b.compileMs,
  };
}
