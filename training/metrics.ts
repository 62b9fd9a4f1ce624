/**
 * What a training run measures, summed over every step:
 *
 *   sparsity  zeros / elements of each interim tensor as written: layer l's activations Y_l (FP
 *             output after ReLU, re-quantization and threshold) and its error gradients dY_l (the
 *             gradient of Y_l as read by layer l's BP and WG: written by layer l+1's BP, or by the
 *             host's loss for the last layer). Padding elements are not counted. "Overall" is
 *             zeros / elements over all of them.
 *   MACs      the GEMM operation counters of generator/model/gemm.ts per layer and step kind.
 *   bytes     external traffic of the processor, in bits of the default preset's codec: every
 *             stored tensor each GEMM reads or writes, encoded whole (row padding included), sized
 *             as encodedBits does (streamBits below), once in the default hbm format and once as
 *             dense BFP8:
 *               FP_l  reads W_l and X_l, writes Y_l
 *               BP_l  reads W_l, dY_l and the ReLU mask of X_l, writes dY_(l-1)   (l >= 2)
 *               WG_l  reads dY_l and X_l, writes dW_l
 *             X_1 is the quantized image batch ("input"); X_l = Y_(l-1) otherwise. Transposes
 *             and lowering happen on the way in, so a tensor is counted in its stored form each
 *             time it moves. The mask is a plain bitmap (1 bit per element) in both columns. The
 *             logits' read and the loss gradient's write are host traffic and not counted.
 */
import { DEFAULTS } from "../generator/dsl/description.ts";
import type { OpCounters } from "../generator/model/gemm.ts";
import type { CodecParams } from "../generator/model/codecs.ts";
import type { Engine, Stored } from "./engine.ts";
import { type Layer, type LayerStep, addCounters, zeroCounters } from "./network.ts";

/** The default preset's codec, block size and bus width. */
export const CODEC: CodecParams = {
  format: DEFAULTS.codec.format,
  k: DEFAULTS.numerics.blockSize,
  frameElems: DEFAULTS.codec.frameElems,
  busBits: DEFAULTS.dma.dataWidth,
  grid: DEFAULTS.codec.grid,
  levels: DEFAULTS.codec.levels,
  runBits: DEFAULTS.codec.runBits,
};
export const DENSE: CodecParams = { ...CODEC, format: "dense" };

export interface Count {
  zeros: number;
  total: number;
}

export type TrafficKind = "input" | "activations" | "gradients" | "weights" | "masks";
export const TRAFFIC_KINDS: readonly TrafficKind[] = [
  "input",
  "activations",
  "gradients",
  "weights",
  "masks",
];

export interface Traffic {
  /** Bits as dense BFP8. */
  dense: number;
  /** Bits in the codec's format. */
  coded: number;
}

export interface LayerMetrics {
  name: string;
  act: Count;
  grad: Count;
  fp: OpCounters;
  bp: OpCounters;
  wg: OpCounters;
}

export class RunMetrics {
  readonly layers: LayerMetrics[];
  readonly traffic: Record<TrafficKind, Traffic>;
  steps = 0;

  constructor(layers: readonly Layer[]) {
    this.layers = layers.map((l) => ({
      name: l.spec.name,
      act: { zeros: 0, total: 0 },
      grad: { zeros: 0, total: 0 },
      fp: zeroCounters(),
      bp: zeroCounters(),
      wg: zeroCounters(),
    }));
    this.traffic = {
      input: { dense: 0, coded: 0 },
      activations: { dense: 0, coded: 0 },
      gradients: { dense: 0, coded: 0 },
      weights: { dense: 0, coded: 0 },
      masks: { dense: 0, coded: 0 },
    };
  }

  /** Record one training step (every layer's tape entry after BP and WG). */
  record<T extends Stored>(eng: Engine<T>, steps: readonly LayerStep<T>[], bytes: boolean): void {
    this.steps++;
    const L = steps.length;
    steps.forEach((st, li) => {
      const m = this.layers[li]!;
      count(m.act, eng, st.y);
      if (st.dy !== undefined) count(m.grad, eng, st.dy);
      addCounters(m.fp, st.fp);
      if (st.bp !== undefined) addCounters(m.bp, st.bp);
      if (st.wg !== undefined) addCounters(m.wg, st.wg);
    });
    if (!bytes || eng.streamCodes === undefined) return;
    const codes = eng.streamCodes.bind(eng);
    const add = (kind: TrafficKind, t: T, times: number): void => {
      if (times === 0) return;
      const q = codes(t);
      this.traffic[kind].dense += times * streamBits(q, DENSE);
      this.traffic[kind].coded += times * streamBits(q, CODEC);
    };
    const bus = CODEC.busBits;
    steps.forEach((st, li) => {
      if (li === 0) add("input", st.x, 2);
      add("activations", st.y, li < L - 1 ? 3 : 1);
      if (st.dy !== undefined) add("gradients", st.dy, (li < L - 1 ? 1 : 0) + 1 + (li > 0 ? 1 : 0));
      add("weights", st.wq, li > 0 ? 2 : 1);
      if (st.dw !== undefined) add("weights", st.dw, 1);
      if (li > 0) {
        const bits = Math.ceil((st.x.rows * st.x.cols) / bus) * bus;
        this.traffic.masks.dense += bits;
        this.traffic.masks.coded += bits;
      }
    });
  }
}

function count<T extends Stored>(c: Count, eng: Engine<T>, t: T): void {
  const total = t.rows * t.cols;
  c.total += total;
  c.zeros += total - eng.nonZeros(t);
}

export function sparsity(c: Count): number {
  return c.total === 0 ? 0 : c.zeros / c.total;
}

/** Summary figures of a run's metrics. */
export function summarize(m: RunMetrics): {
  actSparsity: number;
  gradSparsity: number;
  overallSparsity: number;
  macs: OpCounters;
  trafficDense: number;
  trafficCoded: number;
} {
  const act: Count = { zeros: 0, total: 0 };
  const grad: Count = { zeros: 0, total: 0 };
  const macs = zeroCounters();
  for (const l of m.layers) {
    act.zeros += l.act.zeros;
    act.total += l.act.total;
    grad.zeros += l.grad.zeros;
    grad.total += l.grad.total;
    addCounters(macs, l.fp);
    addCounters(macs, l.bp);
    addCounters(macs, l.wg);
  }
  let trafficDense = 0;
  let trafficCoded = 0;
  for (const k of TRAFFIC_KINDS) {
    trafficDense += m.traffic[k].dense;
    trafficCoded += m.traffic[k].coded;
  }
  return {
    actSparsity: sparsity(act),
    gradSparsity: sparsity(grad),
    overallSparsity: sparsity({ zeros: act.zeros + grad.zeros, total: act.total + grad.total }),
    macs,
    trafficDense,
    trafficCoded,
  };
}

/**
 * encodedBits (generator/model/codecs.ts) of the stream of a tensor's element codes, computed
 * from the codes without building the mask: the same frames, levels and padding.
 * test/train/fastgemm.test.ts checks it equal to encodedBits for every format.
 */
export function streamBits(q: Int8Array, p: CodecParams): number {
  const n = q.length;
  const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;
  const levels = p.format === "zvc" ? 1 : p.levels;
  let total = 0;
  for (let f0 = 0; f0 < n; f0 += p.frameElems) {
    const fn = Math.min(p.frameElems, n - f0);
    let nnz = 0;
    let blocks = 0;
    for (let b = 0; b < fn; b += p.k) {
      let any = false;
      for (let i = b; i < b + p.k && i < fn; i++)
        if (q[f0 + i] !== 0) {
          nnz++;
          any = true;
        }
      if (any || p.format === "dense") blocks++;
    }
    let index = 0;
    if (p.format === "hbm" || p.format === "zvc") {
      // level sizes top-down; count the set grids of each level above the bottom
      let size = fn;
      const sizes = [fn];
      for (let l = 1; l < levels; l++) sizes.unshift((size = Math.ceil(size / p.grid)));
      index += roundUp(sizes[0]!, 8);
      let span = 1; // elements per bit of the level being counted
      for (let l = levels - 1; l >= 1; l--) {
        span *= p.grid;
        let set = 0;
        for (let g = 0; g < fn; g += span) {
          for (let i = g; i < g + span && i < fn; i++)
            if (q[f0 + i] !== 0) {
              set++;
              break;
            }
        }
        index += roundUp(set * p.grid, 8);
      }
    } else if (p.format === "rle") {
      const esc = 2 ** p.runBits - 1;
      let gap = 0;
      let tokens = 0;
      for (let i = 0; i < fn; i++) {
        if (q[f0 + i] === 0) {
          gap++;
          continue;
        }
        tokens += Math.floor(gap / esc) + 1;
        gap = 0;
      }
      tokens += Math.ceil(gap / esc);
      index = tokens * p.runBits;
    }
    const mants = p.format === "dense" ? fn : nnz;
    total += roundUp(roundUp(index, 8) + blocks * 8 + mants * 8, p.busBits);
  }
  return total;
}
