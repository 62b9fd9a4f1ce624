import { describe, expect, it } from "vitest";
import { Rng } from "../../generator/model/rng.ts";
import { fp32Engine } from "../../training/engine.ts";
import {
  type LayerSpec,
  type Shape,
  Net,
  buildNetwork,
  shapeSize,
  softmaxLoss,
} from "../../training/network.ts";

/** Direct convolution (float64), NHWC, no bias: y[n,oy,ox,co] = sum W[co,(ky,kx,ci)] x[...]. */
function directConv(
  x: Float64Array,
  n: number,
  inS: Shape,
  w: ArrayLike<number>,
  cout: number,
  ks: number,
  s: number,
  p: number,
  outS: Shape,
): Float64Array {
  const y = new Float64Array(n * outS.h * outS.w * cout);
  for (let img = 0; img < n; img++)
    for (let oy = 0; oy < outS.h; oy++)
      for (let ox = 0; ox < outS.w; ox++)
        for (let co = 0; co < cout; co++) {
          let acc = 0;
          for (let ky = 0; ky < ks; ky++)
            for (let kx = 0; kx < ks; kx++)
              for (let ci = 0; ci < inS.c; ci++) {
                const yy = oy * s - p + ky;
                const xx = ox * s - p + kx;
                if (yy < 0 || yy >= inS.h || xx < 0 || xx >= inS.w) continue;
                acc +=
                  w[co * ks * ks * inS.c + (ky * ks + kx) * inS.c + ci]! *
                  x[((img * inS.h + yy) * inS.w + xx) * inS.c + ci]!;
              }
          y[((img * outS.h + oy) * outS.w + ox) * cout + co] = acc;
        }
  return y;
}

const CASES: { ks: number; s: number; p: number; h: number; c: number; cout: number }[] = [
  { ks: 3, s: 1, p: 1, h: 7, c: 3, cout: 5 },
  { ks: 5, s: 2, p: 2, h: 11, c: 2, cout: 4 },
  { ks: 3, s: 2, p: 1, h: 9, c: 4, cout: 3 },
  { ks: 2, s: 2, p: 0, h: 8, c: 3, cout: 2 },
  { ks: 1, s: 3, p: 0, h: 7, c: 2, cout: 3 }, // kernel smaller than the stride: phases without taps
  { ks: 4, s: 3, p: 1, h: 10, c: 3, cout: 4 }, // ragged
];

describe("convolution lowered to the three GEMMs equals direct convolution", () => {
  for (const cs of CASES) {
    it(`kernel ${cs.ks}, stride ${cs.s}, pad ${cs.p}, ${cs.h}x${cs.h}x${cs.c} -> ${cs.cout} channels`, () => {
      const rng = new Rng(cs.ks * 100 + cs.s * 10 + cs.p);
      const input: Shape = { h: cs.h, w: cs.h, c: cs.c };
      const specs: LayerSpec[] = [
        { kind: "conv", name: "c0", out: 3, kernel: 3, stride: 1, pad: 1 },
        { kind: "conv", name: "c1", out: cs.cout, kernel: cs.ks, stride: cs.s, pad: cs.p },
        { kind: "fc", name: "fc", out: 4 },
      ];
      const layers = buildNetwork(specs, 7, input);
      const eng = fp32Engine("f64");
      const net = new Net(layers, eng);
      const n = 3;
      const x = Float64Array.from({ length: n * shapeSize(input) }, () => rng.normal());
      const { tape } = net.forward(x, n, []);
      const l1 = layers[1]!;
      const x1 = eng.unpack(tape.steps[1]!.x); // layer 0's ReLU output, the conv's input
      // FP
      const ref = directConv(x1, n, l1.inShape, l1.w, l1.M, cs.ks, cs.s, cs.p, l1.outShape);
      const y = eng.unpack(tape.steps[1]!.y);
      ref.forEach((v, i) => expect(y[i]).toBeCloseTo(Math.max(0, v), 10));
      // BP and WG with a random loss gradient
      const dLogits = Float64Array.from({ length: n * 4 }, () => rng.normal());
      const dws = net.backward(tape, dLogits, []);
      const st = tape.steps[1]!;
      const dy = eng.unpack(st.dy!);
      // dX[n,y,x,ci] = mask * sum over taps hitting (y, x) of W[co,tap,ci] dY[n,oy,ox,co]
      const { h, w, c } = l1.inShape;
      const { h: ho, w: wo } = l1.outShape;
      const dxRef = new Float64Array(n * h * w * c);
      const dwRef = new Float64Array(l1.M * l1.K);
      for (let img = 0; img < n; img++)
        for (let oy = 0; oy < ho; oy++)
          for (let ox = 0; ox < wo; ox++)
            for (let co = 0; co < l1.M; co++) {
              const g = dy[((img * ho + oy) * wo + ox) * l1.M + co]!;
              for (let ky = 0; ky < cs.ks; ky++)
                for (let kx = 0; kx < cs.ks; kx++) {
                  const yy = oy * cs.s - cs.p + ky;
                  const xx = ox * cs.s - cs.p + kx;
                  if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                  for (let ci = 0; ci < c; ci++) {
                    const xi = ((img * h + yy) * w + xx) * c + ci;
                    const wi = co * l1.K + (ky * cs.ks + kx) * c + ci;
                    dxRef[xi] = dxRef[xi]! + l1.w[wi]! * g;
                    dwRef[wi] = dwRef[wi]! + x1[xi]! * g;
                  }
                }
            }
      const dx = eng.unpack(st.dx!);
      let masked = 0;
      dxRef.forEach((v, i) => {
        const live = x1[i] !== 0;
        if (!live) masked++;
        expect(dx[i]).toBeCloseTo(live ? v : 0, 10);
      });
      expect(masked).toBeGreaterThan(0); // the ReLU mask really skipped outputs
      dwRef.forEach((v, i) => expect(dws[1]![i]).toBeCloseTo(v, 10));
      // BP ran as one GEMM per phase with taps, and skipped masked outputs
      expect(st.bp!.macsOutputSkipped).toBeGreaterThan(0);
    });
  }
});

describe("gradient check of the FP32 path (float64 engine, central differences)", () => {
  const nets: [string, LayerSpec[], Shape][] = [
    [
      "MLP",
      [
        { kind: "fc", name: "a", out: 7 },
        { kind: "fc", name: "b", out: 6 },
        { kind: "fc", name: "c", out: 10 },
      ],
      { h: 4, w: 4, c: 1 },
    ],
    [
      "CNN",
      [
        { kind: "conv", name: "a", out: 4, kernel: 5, stride: 2, pad: 2 },
        { kind: "conv", name: "b", out: 3, kernel: 3, stride: 2, pad: 1 },
        { kind: "fc", name: "c", out: 10 },
      ],
      { h: 9, w: 9, c: 1 },
    ],
  ];
  for (const [label, specs, input] of nets) {
    it(`${label}: dW of every layer matches the numerical derivative of the loss`, () => {
      const rng = new Rng(label.length);
      const layers = buildNetwork(specs, 3, input);
      const net = new Net(layers, fp32Engine("f64"));
      const n = 4;
      const x = Float64Array.from({ length: n * shapeSize(input) }, () => rng.float());
      const labels = Uint8Array.from({ length: n }, () => rng.int(0, 9));
      const lossAt = (): number => softmaxLoss(net.forward(x, n, []).logits, labels, n).loss;
      const fw = net.forward(x, n, []);
      const { grad } = softmaxLoss(fw.logits, labels, n);
      const dws = net.backward(fw.tape, grad, []);
      let checked = 0;
      layers.forEach((l, li) => {
        for (let t = 0; t < 6; t++) {
          const i = rng.int(0, l.w.length - 1);
          const w0 = l.w[i]!;
          const eps = 1e-3;
          l.w[i] = w0 + eps;
          const wUp = l.w[i]!; // the master weights are float32: use the stored values
          const up = lossAt();
          l.w[i] = w0 - eps;
          const wDown = l.w[i]!;
          const down = lossAt();
          l.w[i] = w0;
          const num = (up - down) / (wUp - wDown);
          const ana = dws[li]![i]!;
          expect(Math.abs(num - ana)).toBeLessThanOrEqual(1e-6 + 1e-4 * Math.abs(num));
          if (Math.abs(ana) > 1e-6) checked++;
        }
      });
      expect(checked).toBeGreaterThan(8);
    });
  }
});
