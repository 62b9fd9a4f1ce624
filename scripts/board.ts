/**
 * Drive the board wrapper over its UART: a real board on a serial port, or the same RTL in a
 * co-simulation. Runs an FC layer's FP, BP and WG jobs through the host runtime
 * (testbench/host/): the tensors are stored into the board memory, the jobs are started through
 * the register file and waited for, the memory is loaded back, and every register read and every
 * byte is compared with the golden model. See docs/board.md.
 *
 *   npm run board -- --port /dev/ttyUSB1                 (an HX8K breakout with the bitstream)
 *   npm run board -- --sim verilator                     (the RTL, through named pipes)
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { boardParams } from "../generator/elab/board.ts";
import { GenError } from "../generator/errors.ts";
import { BOARDS, BOARD_NAMES, type BoardName } from "../generator/fpga/boards.ts";
import { loadDescription } from "../generator/load.ts";
import { Rng } from "../generator/model/rng.ts";
import { randomMatrix } from "../testbench/core.ts";
import { HostSession, MemImage, fcSteps, hostContext, memBase } from "../testbench/host/index.ts";
import { startLinkSim } from "../testbench/host/link-sim.ts";
import {
  type ByteChannel,
  UartLink,
  runOverLink,
  serialChannel,
} from "../testbench/host/uart-link.ts";
import { REPO_ROOT } from "../generator/emit/render.ts";
import { join } from "node:path";

const a = await yargs(hideBin(process.argv))
  .scriptName("npm run board --")
  .usage(
    "$0 (--port DEV | --sim SIM) [options]\n\nRun an FC layer's FP, BP and WG on the board wrapper over its UART and check every byte against the golden model.",
  )
  .option("port", { type: "string", describe: "serial port of a board (e.g. /dev/ttyUSB1)" })
  .option("baud", { type: "number", default: 115200, describe: "baud rate of the board's UART" })
  .option("sim", {
    choices: ["verilator", "icarus"] as const,
    describe: "instead of a board: the board wrapper's RTL in this simulator",
  })
  .option("board", {
    choices: BOARD_NAMES,
    default: "hx8k-breakout" as BoardName,
    describe: "the board the bitstream was built for (sets the default --mem-bytes)",
  })
  .option("preset", {
    type: "string",
    default: "tiny_hx8k",
    describe: "preset or description file (the bitstream's; tiny_hx8k fits the HX8K)",
  })
  .option("mem-bytes", {
    type: "number",
    describe: `the board memory's size (the bitstream's; a power of two; default the board's: ${BOARD_NAMES.map((b) => `${b} ${BOARDS[b].memBytes}`).join(", ")})`,
  })
  .option("base", {
    type: "number",
    describe:
      "where the host places its tensors (a multiple of --mem-bytes; default the upper half of the address space, 0x80000000 for 32-bit addresses)",
  })
  .option("layer", { type: "string", default: "10x21", describe: "FC layer MxK (W is M x K)" })
  .option("batch", { type: "number", default: 5, describe: "batch N" })
  .option("density", { type: "number", default: 0.5, describe: "density of X and dY" })
  .option("wait", {
    choices: ["busy", "irq"] as const,
    default: "busy" as const,
    describe: "wait for a job by polling STATUS or the interrupt line",
  })
  .option("seed", { type: "number", default: 1 })
  .option("timeout", {
    type: "number",
    default: 30,
    describe: "longest wait for a reply or a job, s",
  })
  .conflicts("port", "sim")
  .check((x) => {
    if (x.port === undefined && x.sim === undefined) throw new Error("give --port or --sim");
    if (!/^\d+x\d+$/.test(x.layer)) throw new Error("--layer takes MxK, e.g. 10x21");
    if (!(x.density >= 0 && x.density <= 1)) throw new Error("--density is a fraction 0..1");
    return true;
  })
  .strict()
  .version(false)
  .help()
  .alias("h", "help")
  .parseAsync();

async function main(): Promise<void> {
  const desc = await loadDescription(a.preset);
  const bp = boardParams(desc, { memBytes: a.memBytes ?? BOARDS[a.board].memBytes, baud: a.baud });
  const aw = desc.dma.addrWidth;
  const base = a.base ?? memBase(aw, bp.memBytes);
  if (base % bp.memBytes !== 0 || base < 0 || base + bp.memBytes > 2 ** aw)
    throw new GenError(
      "E_DESC_FIELD",
      `--base 0x${base.toString(16)} is not a multiple of the memory size ${bp.memBytes} inside the ${aw}-bit address space`,
      {
        field: "base",
        hint: `for example 0x${memBase(aw, bp.memBytes).toString(16)}`,
      },
    );
  const say = (m: string): void => void process.stderr.write(`board: ${m}\n`);
  const ctx = hostContext(desc);
  const [M, K] = a.layer.split("x").map(Number) as [number, number];
  const N = a.batch;
  const rng = new Rng(a.seed);
  const s = new HostSession(ctx, new MemImage({ base, size: bp.memBytes, seed: a.seed, guard: 8 }));
  s.checkIdentity();
  fcSteps(
    s,
    {
      M,
      K,
      N,
      w: randomMatrix(rng, M, K, 1, 6),
      xT: randomMatrix(rng, N, K, a.density, 6),
      dyT: randomMatrix(rng, N, M, a.density, 6),
      maskX: new Uint8Array(N * K).map(() => (rng.bernoulli(0.6) ? 1 : 0)),
    },
    { label: "fc", wait: a.wait },
  );
  s.end();
  let channel: ByteChannel;
  let finish: () => Promise<string> = async () => "";
  if (a.port !== undefined) {
    say(`${a.port} at ${a.baud} baud`);
    channel = serialChannel(a.port, a.baud);
  } else {
    say(`co-simulation of ${desc.name}_board in ${a.sim} (building if needed)`);
    const ls = await startLinkSim(desc, {
      sim: a.sim!,
      dir: join(REPO_ROOT, "build", "board-link", desc.name, String(bp.memBytes)),
      memBytes: bp.memBytes,
    });
    channel = ls.channel;
    finish = async () => {
      const d = await ls.done;
      return d.output.split("\n").find((l) => /^(PASS|FAILED)/.test(l)) ?? "";
    };
  }
  const link = new UartLink(channel, { timeoutMs: 1000 * a.timeout });
  const t0 = performance.now();
  let r;
  try {
    r = await runOverLink(link, s.initial, s.ops, {
      pollTimeoutMs: 1000 * a.timeout,
      onProgress: say,
    });
  } finally {
    await channel.close();
  }
  const simLine = await finish();
  const chk = s.check(r);
  const secs = (performance.now() - t0) / 1000;
  console.log(`# FC layer ${M}x${K}, batch ${N} on ${desc.name}_board (${a.port ?? a.sim})\n`);
  console.log(`| job | MACs issued | result |`);
  console.log(`|---|---:|---|`);
  for (const j of s.jobs)
    console.log(
      `| ${j.label} | ${j.golden.counters.macsIssued} | ${chk.ok ? "byte-exact" : "see errors"} |`,
    );
  console.log(
    `\n${s.ops.filter((o) => o.op !== "end").length} operations, ${2 * bp.memBytes} memory bytes over the link, ${secs.toFixed(1)} s.${simLine === "" ? "" : ` Simulation: ${simLine}`}`,
  );
  if (!chk.ok || r.messages.length > 0) {
    console.error([...r.messages, ...chk.errors].slice(0, 40).join("\n"));
    throw new GenError("E_SIM_FAIL", "the board's results differ from the golden model");
  }
}

main().catch((e: unknown) => {
  if (e instanceof GenError) {
    console.error(e.format());
    process.exit(1);
  }
  throw e;
});
