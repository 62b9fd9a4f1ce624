/**
 * The host-side UART client (testbench/host/uart-link.ts: the code `npm run board` drives a real
 * board with) against the board wrapper's RTL: a co-simulation through named pipes
 * (testbench/host/link-sim.ts). An FC layer's FP, BP and WG jobs, waited for by polling, with
 * the memory stored and loaded over the link; every register read and every memory byte is
 * compared with the golden model. Jobs are waited for by polling STATUS and (a second session in
 * Verilator, the only one in Icarus) on the interrupt line (the bridge's 'I' command). Also:
 * ping, a refused write, an unknown command, a corrupted byte.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { presetDescription } from "../../generator/load.ts";
import {
  type HostSession,
  hostContext,
  memBase,
  randomFcSession,
} from "../../testbench/host/index.ts";
import { startLinkSim } from "../../testbench/host/link-sim.ts";
import { BAD_COMMAND, UartLink, runOverLink } from "../../testbench/host/uart-link.ts";
import type { Simulator } from "../../testbench/sim.ts";

const desc = presetDescription("tiny");
const ctx = hostContext(desc);
// the board memory answers at any multiple of its size: a base other than the other tests'
const BASE = memBase(ctx.addrWidth, 1 << 16) + (1 << 15);
// Icarus is about 40 times slower: a smaller memory (stored and loaded over the UART) and one run
const MEM: Record<Simulator, number> = { verilator: 8192, icarus: 4096 };

function session(sim: Simulator, seed: number, wait: "busy" | "done" | "irq"): HostSession {
  const layer = { M: 10, K: 21, N: 5, xDensity: 0.5, dyDensity: 0.4, maskDensity: 0.6 };
  return randomFcSession(ctx, { base: BASE, size: MEM[sim] }, seed, layer, {
    label: "fc",
    wait,
    place: { skew: 2 },
  });
}

describe.each<Simulator>(["verilator", "icarus"])(
  "UART client against the board RTL (%s)",
  (sim) => {
    it("runs FP, BP and WG byte-exact, and the link's error cases", async () => {
      const ls = await startLinkSim(desc, {
        sim,
        dir: join(REPO_ROOT, "build", "test-sim", "board-link"),
        memBytes: MEM[sim],
      });
      const link = new UartLink(ls.channel, { timeoutMs: 120_000 });
      try {
        await link.ping();
        expect(await link.writeReg(0x00, 0x1234)).toBe(2); // ID is read-only: SLVERR
        await ls.channel.write(Uint8Array.of(0x01));
        expect([...(await ls.channel.read(1, 60_000))]).toEqual([BAD_COMMAND]);
        const s = session(sim, 7, sim === "verilator" ? "busy" : "irq");
        const r = await runOverLink(link, s.initial, s.ops, { pollTimeoutMs: 120_000 });
        const chk = s.check(r);
        if (!chk.ok) console.log(chk.errors.join("\n"));
        expect(r.messages).toEqual([]);
        expect(chk.ok).toBe(true);
        // a wrong byte in what came back is caught
        const w = s.jobs.flatMap((j) => j.golden.writes).find((x) => x.bytes.length > 0)!;
        const bad = r.mem!.slice();
        bad[w.addr - BASE] = bad[w.addr - BASE]! ^ 0x80;
        expect(s.check({ ...r, mem: bad }).ok).toBe(false);
        if (sim === "verilator") {
          // a second run waits for its jobs on the interrupt line
          const si = session(sim, 8, "irq");
          const ri = await runOverLink(link, si.initial, si.ops, { pollTimeoutMs: 120_000 });
          expect(ri.messages).toEqual([]);
          expect(si.check(ri).ok).toBe(true);
        }
      } finally {
        await ls.channel.close();
      }
      const end = await ls.done;
      console.log(
        `[board-link] ${sim}: ${end.output.split("\n").find((l) => /^(PASS|FAILED)/.test(l))}`,
      );
      expect(end.ok, end.output.slice(-2000)).toBe(true);
    }, 900_000);
  },
);
