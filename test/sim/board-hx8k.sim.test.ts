/**
 * The preset that fits an iCE40HX8K with its board wrapper
 * (tiny_hx8k in generator/dsl/presets.ts: one MAC unit, 16-bit counters, one AXI transaction, bursts of
 * 4, half buffers) and the 2 KiB board memory it is built with on the hx8k-breakout: the
 * host-side UART client (testbench/host/uart-link.ts) against the board RTL in a co-simulation,
 * an FC layer's FP, BP and WG, every register read and memory byte compared with the golden
 * model. What goes on that board is this RTL.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { BOARDS } from "../../generator/fpga/boards.ts";
import { presetDescription } from "../../generator/load.ts";
import { hostContext, memBase, randomFcSession } from "../../testbench/host/index.ts";
import { startLinkSim } from "../../testbench/host/link-sim.ts";
import { UartLink, runOverLink } from "../../testbench/host/uart-link.ts";
import type { Simulator } from "../../testbench/sim.ts";

const desc = presetDescription("tiny_hx8k");
const ctx = hostContext(desc);
// the memory the hx8k-breakout bitstream is built with (test/fpga/board-fit.test.ts)
const MEM = BOARDS["hx8k-breakout"].memBytes;
const BASE = memBase(ctx.addrWidth, MEM);

describe.each<Simulator>(["verilator", "icarus"])(
  "tiny_hx8k board over the UART with 2 KiB of memory (%s)",
  (sim) => {
    it("runs FP, BP and WG byte-exact against the golden model", async () => {
      const layer = { M: 9, K: 19, N: 4, xDensity: 0.5, dyDensity: 0.4, maskDensity: 0.6 };
      const s = randomFcSession(ctx, { base: BASE, size: MEM }, 41, layer, {
        label: "fc",
        wait: "irq",
        place: { skew: 1 },
      });
      const ls = await startLinkSim(desc, {
        sim,
        dir: join(REPO_ROOT, "build", "test-sim", "board-hx8k"),
        memBytes: MEM,
      });
      const link = new UartLink(ls.channel, { timeoutMs: 120_000 });
      try {
        await link.ping();
        const r = await runOverLink(link, s.initial, s.ops, { pollTimeoutMs: 120_000 });
        const chk = s.check(r);
        if (!chk.ok) console.log(chk.errors.join("\n"));
        expect(r.messages).toEqual([]);
        expect(chk.ok).toBe(true);
        // a wrong byte in what came back is caught
        const w = s.jobs.flatMap((j) => j.golden.writes).find((x) => x.bytes.length > 0);
        expect(w).toBeDefined();
        const bad = r.mem!.slice();
        const at = (w?.addr ?? BASE) - BASE;
        bad[at] = bad[at]! ^ 0x80;
        expect(s.check({ ...r, mem: bad }).ok).toBe(false);
      } finally {
        await ls.channel.close();
      }
      const end = await ls.done;
      console.log(
        `[board-hx8k] ${sim}: ${end.output.split("\n").find((l) => /^(PASS|FAILED)/.test(l))}`,
      );
      expect(end.ok, end.output.slice(-2000)).toBe(true);
    }, 900_000);
  },
);
