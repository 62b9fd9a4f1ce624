import { describe, expect, it } from "vitest";
import { GenError } from "../../generator/errors.ts";
import { encodedBits } from "../../generator/model/codecs.ts";
import { Rng } from "../../generator/model/rng.ts";
import { thresholdValue } from "../../generator/model/sparsity.ts";
import { checkedBackend } from "../../training/backend.ts";
import { IMAGE_PIXELS, loadAllDigits, mnistSplit, splitIndices } from "../../training/data.ts";
import { bfp8Engine } from "../../training/engine.ts";
import { DENSE } from "../../training/metrics.ts";
import { MODELS, Net, buildNetwork, softmaxLoss } from "../../training/network.ts";
import { targetPolicy } from "../../training/policy.ts";
import { Progress } from "../../training/progress.ts";
import { DEFAULT_CONFIG, NUMERICS, type RunConfig, runTraining } from "../../training/run.ts";

describe("MNIST from the mnist package", () => {
  it("ships 10,000 digits of every class with pixels in [0, 1]", () => {
    const all = loadAllDigits();
    expect(all.n).toBe(10000);
    const perClass = new Array<number>(10).fill(0);
    for (const l of all.labels) perClass[l]!++;
    for (const c of perClass) expect(c).toBeGreaterThan(800);
    let mn = Infinity;
    let mx = -Infinity;
    for (const v of all.images) {
      mn = Math.min(mn, v);
      mx = Math.max(mx, v);
    }
    expect([mn, mx]).toEqual([0, expect.closeTo(1, 1)]);
  });

  it("the train/test split is deterministic, disjoint and seed-dependent", () => {
    const a = splitIndices(10000, 8000, 2000);
    const b = splitIndices(10000, 8000, 2000);
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    const seen = new Set<number>([...a.train, ...a.test]);
    expect(seen.size).toBe(10000);
    const c = splitIndices(10000, 8000, 2000, 99);
    expect(Array.from(c.test)).not.toEqual(Array.from(a.test));
    const { train, test } = mnistSplit(100, 50);
    expect([train.n, test.n, train.images.length]).toEqual([100, 50, 100 * IMAGE_PIXELS]);
    expect(() => mnistSplit(9000, 2000)).toThrow(GenError);
  });
});

describe("BFP8 training step in situ", () => {
  it("every layer GEMM of CNN training steps equals the golden model bit for bit (checked backend)", () => {
    const chk = checkedBackend();
    const net = new Net(buildNetwork(MODELS.cnn, 5), bfp8Engine(NUMERICS, chk));
    const { train } = mnistSplit(16, 1);
    const n = 8;
    const actPol = [targetPolicy(0.9), targetPolicy(0.9), targetPolicy(0)];
    const gradPol = [targetPolicy(0.9), targetPolicy(0.9), targetPolicy(0)];
    for (let s = 0; s < 2; s++) {
      const images = train.images.subarray(s * n * IMAGE_PIXELS, (s + 1) * n * IMAGE_PIXELS);
      const labels = train.labels.subarray(s * n, (s + 1) * n);
      const fw = net.forward(
        images,
        n,
        actPol.map((p) => p.current()),
      );
      const { grad } = softmaxLoss(fw.logits, labels, n);
      net.backward(
        fw.tape,
        grad,
        gradPol.map((p) => p.current()),
      );
      fw.tape.steps.forEach((st, li) => {
        actPol[li]!.observe(net.eng.unpack(st.y));
        gradPol[li]!.observe(net.eng.unpack(st.dy!));
      });
    }
    // the second step ran with thresholds on
    expect(actPol[0]!.current().tm).toBeGreaterThan(0);
    expect(gradPol[1]!.current().tm).toBeGreaterThan(0);
    // per step: FP x3, WG x3, BP of fc3 and the 4 phases of conv2's transposed convolution
    expect(chk.checks).toBe(2 * (3 + 3 + 1 + 4));
  });
});

describe("threshold policy", () => {
  it("the target policy settles at the target on stationary data, seeing only written values", () => {
    const rng = new Rng(2);
    const pol = targetPolicy(0.9);
    let last = 0;
    for (let step = 0; step < 60; step++) {
      const t = pol.current();
      const vals = Float64Array.from({ length: 4096 }, () => {
        const v = Math.abs(rng.normal()) * (rng.bernoulli(0.5) ? 1 : 0); // ReLU-like
        return t.tm !== 0 && v < thresholdValue(t) ? 0 : v;
      });
      pol.observe(vals);
      last = vals.reduce((z, v) => z + (v === 0 ? 1 : 0), 0) / vals.length;
    }
    expect(last).toBeGreaterThan(0.87);
    expect(last).toBeLessThan(0.93);
  });
});

function tiny(c: Partial<RunConfig> & Pick<RunConfig, "model" | "mode">): RunConfig {
  return { ...DEFAULT_CONFIG, train: 1024, test: 500, epochs: 2, ...c };
}

describe("tiny training runs reduce the loss", () => {
  it("MLP, BFP8 with sparsity scaling to 85%/90%: loss falls, targets are reached, bytes shrink", () => {
    const losses: number[] = [];
    const cfg = tiny({ model: "mlp", mode: "sparse", targetAct: 0.85, targetGrad: 0.9, lr: 0.05 });
    const r = runTraining(cfg, { onStep: (_, loss) => losses.push(loss) });
    expect(r.steps).toBe(64);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(0.6 * mean(losses.slice(0, 10)));
    expect(r.testAcc).toBeGreaterThan(0.6); // chance is 0.1
    // hidden layers reach the target sparsity (whole-run averages include the ramp-up)
    for (const l of r.layers.slice(0, 2)) {
      expect(l.act.zeros / l.act.total).toBeGreaterThan(0.82);
      expect(l.grad.zeros / l.grad.total).toBeGreaterThan(0.87);
      expect(l.thetaAct).toBeGreaterThan(0);
    }
    const t = r.traffic!;
    expect(t.activations.coded).toBeLessThan(0.5 * t.activations.dense);
    expect(t.gradients.coded).toBeLessThan(0.5 * t.gradients.dense);
    // fc2 reads fc1's sparse output (input skipping) and its BP is masked by it (output skipping)
    const fc2 = r.layers[1]!;
    expect(fc2.fp.macsIssued).toBeLessThan(0.25 * fc2.fp.macsDense);
    expect(fc2.bp.macsOutputSkipped).toBeGreaterThan(0.75 * fc2.bp.macsDense);
  });

  it("CNN, dense BFP8 and FP32: loss falls in 24 steps", () => {
    for (const mode of ["bfp8", "fp32"] as const) {
      const losses: number[] = [];
      runTraining(tiny({ model: "cnn", mode, epochs: 1, maxSteps: 24, test: 100 }), {
        onStep: (_, loss) => losses.push(loss),
      });
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(losses.slice(-6))).toBeLessThan(0.75 * mean(losses.slice(0, 6)));
    }
  });

  it("input traffic is the image batch, read by FP and WG of the first layer", () => {
    const cfg = tiny({ model: "mlp", mode: "bfp8", epochs: 1, maxSteps: 1, test: 10 });
    const r = runTraining(cfg);
    const { train } = mnistSplit(cfg.train, cfg.test);
    // the first batch is a permutation of the training set; dense size does not depend on it
    const eng = bfp8Engine(NUMERICS, checkedBackend());
    const x = eng.pack(train.images.subarray(0, cfg.batch * IMAGE_PIXELS), cfg.batch, IMAGE_PIXELS);
    const mask = Uint8Array.from(eng.streamCodes!(x), (q) => (q !== 0 ? 1 : 0));
    expect(r.traffic!.input.dense).toBe(2 * encodedBits(mask, DENSE));
  });

  it("bad options are user errors naming the flag", () => {
    const bad = (c: Partial<RunConfig>): unknown => {
      try {
        runTraining(tiny({ model: "mlp", mode: "sparse", ...c }));
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = bad({}) as GenError;
    expect(e1).toBeInstanceOf(GenError);
    expect(e1.field).toBe("--mode sparse");
    expect((bad({ targetAct: 1.5 }) as GenError).field).toBe("--target-act");
    expect((bad({ mode: "bfp8", targetAct: 0.5 }) as GenError).field).toBe("--mode bfp8");
  });
});

describe("progress bar", () => {
  it("redraws one line on a terminal and prints every tenth of the run otherwise", () => {
    const tty: string[] = [];
    const p1 = new Progress(50, "run", { write: (s: string) => tty.push(s), isTTY: true });
    for (let i = 1; i <= 50; i++) p1.update(i, { loss: 1 / i, acc: i / 50, sparsity: 0.9 });
    p1.done("finished");
    expect(tty).toHaveLength(52);
    expect(tty[49]).toMatch(
      /^\r\x1b\[2Krun \[#{24}\] 50\/50 \| loss 0\.0200 \| acc 100\.0% \| sparsity 90\.0%/,
    );
    expect(tty.at(-1)).toBe("finished\n");
    const log: string[] = [];
    const p2 = new Progress(50, "run", { write: (s: string) => log.push(s) });
    for (let i = 1; i <= 50; i++) p2.update(i, { loss: 1, acc: 0.5 });
    expect(log).toHaveLength(10);
    expect(log[0]).toMatch(/^run \[##\.{22}\] 5\/50 \| loss 1\.0000 \| acc 50\.0% \| /);
  });
});
