import { describe, expect, it } from "vitest";
import { mnistSplit, pixelsOf, poolDataset } from "../../training/data.ts";
import { MODEL_POOL, MODELS, buildNetwork } from "../../training/network.ts";

describe("pooled digits for the processor-sized MLP", () => {
  it("averages each f x f window, keeps labels, and rejects a factor that does not divide", () => {
    const { train } = mnistSplit(20, 5);
    const p = poolDataset(train, 2);
    expect([p.side, p.n, pixelsOf(p), p.images.length]).toEqual([14, 20, 196, 20 * 196]);
    expect(p.labels).toBe(train.labels);
    for (const [s, y, x] of [
      [0, 0, 0],
      [3, 7, 9],
      [19, 13, 13],
    ] as const) {
      let sum = 0;
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++)
          sum += train.images[s * 784 + (2 * y + dy) * 28 + 2 * x + dx] ?? 0;
      expect(p.images[s * 196 + y * 14 + x]).toBeCloseTo(sum / 4, 6);
    }
    expect(poolDataset(train, 1)).toBe(train);
    expect(() => poolDataset(train, 3)).toThrow(/cannot pool 28 x 28 images by 3/);
  });

  it("mlp14 takes 196 inputs: every reduction fits a 256-element lane RAM", () => {
    const side = 28 / MODEL_POOL.mlp14;
    const layers = buildNetwork(MODELS.mlp14, 1, { h: side, w: side, c: 1 });
    expect(layers.map((l) => [l.K, l.M])).toEqual([
      [196, 64],
      [64, 10],
    ]);
  });
});
