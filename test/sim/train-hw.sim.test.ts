/**
 * Training on the processor: steps of mlp14 (sparse, raw pixels) with every layer GEMM on the
 * Verilated default processor through the host runtime (training/hw-backend.ts), each checked
 * against the golden model (session.check: every register read and memory byte) and against the
 * fast backend (checkedBackend); the run must equal the same run on the fast backend step for
 * step. Mutants (a memory byte of a result, a counter read, a returned tensor) must stop the run.
 * The build is kept in build/test-sim/train-hw/default/verilator/ and reused while the RTL and
 * the testbench are unchanged (the first build takes about a minute).
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { REPO_ROOT } from "../../generator/emit/render.ts";
import { type HwBackendOptions, HwMismatchError } from "../../training/hw-backend.ts";
import { DEFAULT_CONFIG, type RunConfig, type RunResult, runTraining } from "../../training/run.ts";

const DIR = join(REPO_ROOT, "build", "test-sim", "train-hw", "default");
const STEPS = 3;

const config = (backend: RunConfig["backend"]): RunConfig => ({
  ...DEFAULT_CONFIG,
  model: "mlp14",
  mode: "sparse",
  targetAct: 0.9,
  targetGrad: 0.95,
  pixels: "raw",
  train: 32 * STEPS,
  test: 64,
  maxSteps: STEPS,
  backend,
  ...(backend === "hw" ? { hw: { preset: "default", sim: "verilator", evalOnHw: true } } : {}),
});

function train(
  backend: RunConfig["backend"],
  tamper?: HwBackendOptions["tamper"],
): { r: RunResult; losses: number[] } {
  const losses: number[] = [];
  const r = runTraining(config(backend), {
    onStep: (_, loss) => losses.push(loss),
    hw: {
      dir: DIR,
      log: (m) => console.log(`[train-hw] ${m}`),
      ...(tamper === undefined ? {} : { tamper }),
    },
  });
  return { r, losses };
}

describe("training mlp14 on the default processor (verilator)", () => {
  it(`${STEPS} steps: every GEMM on the processor equals the golden model, the run equals the fast backend's`, () => {
    const t0 = performance.now();
    const hw = train("hw");
    const fast = train("fast");
    const h = hw.r.hardware;
    expect(h).toBeDefined();
    if (h === undefined) return;
    console.log(
      `[train-hw] ${STEPS} steps in ${h.stepSeconds.toFixed(1)} s (${h.stepsPerSecond.toFixed(2)} steps/s), ` +
        `${h.total.calls} runs, ${h.total.cycles} RTL cycles, build ${h.compileSeconds.toFixed(0)} s, ` +
        `test ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    // FP of both layers, BP of fc2, WG of both layers per step; FP of both layers to evaluate
    expect(h.kinds.fp.calls).toBe(2 * STEPS);
    expect(h.kinds.bp.calls).toBe(STEPS);
    expect(h.kinds.wg.calls).toBe(2 * STEPS);
    expect(h.checkedGemms).toBe(5 * STEPS);
    expect(h.evalBackend).toMatch(/^checked\(hw\(default, verilator\)/);
    expect(h.evaluation?.kinds.fp.calls).toBe(2);
    expect(h.evaluation?.checkedGemms).toBe(2);
    expect(h.evaluation?.total.calls).toBe(2);
    for (const k of ["fp", "bp", "wg"] as const) {
      const c = h.kinds[k];
      expect(c.cycles).toBeGreaterThan(c.macsIssued / h.T);
      expect(c.macsIssued + c.macsSkipIn + c.macsSkipOut).toBe(c.macsDense);
      expect(c.bytesRd).toBeGreaterThan(0);
      expect(c.bytesWr).toBeGreaterThan(0);
    }
    // BP skips by the ReLU mask, FP and WG by the zeros of the streamed operand
    expect(h.kinds.bp.macsSkipOut).toBeGreaterThan(0);
    expect(h.kinds.fp.macsSkipIn).toBeGreaterThan(0);
    // the same training, bit for bit: losses, accuracy, sparsity and every MAC counter
    expect(hw.losses).toEqual(fast.losses);
    expect(hw.r.testAcc).toBe(fast.r.testAcc);
    expect(hw.r.layers).toEqual(fast.r.layers);
    expect(hw.r.traffic).toEqual(fast.r.traffic);
  });

  it("stops on a corrupted memory byte of a result (session.check)", () => {
    expect(() =>
      train("hw", {
        run: (_kind, call, run, s) => {
          if (call !== 1 || run.mem === undefined) return;
          const w = s.jobs[0]!.golden.writes[0]!;
          run.mem[w.addr - s.initial.base + 3]! ^= 0x10;
        },
      }),
    ).toThrow(
      /hardware FP \(call 1[^\n]*differs from the golden model[\s\S]*1 memory bytes differ/,
    );
  });

  it("stops on a corrupted counter (PERF_MACS_ISSUED)", () => {
    let err: unknown;
    try {
      train("hw", {
        run: (kind, _call, run, s) => {
          if (kind !== "wg") return;
          const op = s.jobs[0]!.reads.get("PERF_MACS_ISSUED_LO")!;
          run.reads.set(op, (run.reads.get(op) ?? 0) + 1);
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HwMismatchError);
    expect(String(err)).toMatch(/hardware WG[^\n]*\n.*PERF_MACS_ISSUED_LO: got/);
  });

  it("stops on a corrupted result tensor (checkedBackend against the fast backend)", () => {
    expect(() =>
      train("hw", {
        result: (kind, _call, r) => {
          if (kind === "bp") r.out.q[1] = (r.out.q[1] ?? 0) ^ 4;
        },
      }),
    ).toThrow(
      /hw\(default, verilator\) and fast, as stored backends differ in backward: element 1/,
    );
  });
});
