/**
 * The host runtime without a simulator: memory image and hex files, tensor layouts (raw, stream,
 * mask) round trips, register encoding both ways (and the generated TypeScript constants), the
 * program encoding, the golden job (byte counts, counters, DIM_ERR), chunk planning, and the FC
 * steps and the FP -> BP -> WG chain through the golden backend against the golden model's
 * whole-tensor layer functions.
 */
import { describe, expect, it } from "vitest";
import { presetDescription } from "../../generator/load.ts";
import { validateDescription } from "../../generator/dsl/validate.ts";
import { PRESETS } from "../../generator/dsl/presets.ts";
import { SCALE_NAN, quantizeMatrix } from "../../generator/model/bfp8.ts";
import { canonicalize } from "../../generator/model/codecs.ts";
import { backward, forward, gemmABt, weightGradient } from "../../generator/model/gemm.ts";
import { Rng } from "../../generator/model/rng.ts";
import { reluMask } from "../../generator/model/sparsity.ts";
import { randomMatrix } from "../../testbench/core.ts";
import {
  GoldenBackend,
  HostSession,
  type Job,
  MemImage,
  memBase,
  NO_ADDRESSES,
  bEntryCount,
  compareMatrices,
  decodeMatrix,
  encodeMatrix,
  fcSteps,
  goldenJob,
  hostContext,
  jobFromRegisters,
  jobReadBytes,
  jobRegisterWrites,
  maskBytesOf,
  opLine,
  packMask,
  parseHexDump,
  parseOpLine,
  planChunks,
  putRaw,
  putStream,
  rawSizes,
  readMaskTensor,
  readRaw,
  readRawTensor,
  readStream,
  readStreamTensor,
  runFcChain,
  unpackMask,
  writeMask,
  writeRaw,
  writeStream,
} from "../../testbench/host/index.ts";
import { REG } from "../../rtl-out/tiny/tiny_regs.ts";

const desc = presetDescription("tiny");
const ctx = hostContext(desc);
const k = ctx.top.k;
// the largest image below is 256 KB
const BASE = memBase(ctx.addrWidth, 1 << 18);

const mat = (rng: Rng, rows: number, cols: number, density: number) =>
  quantizeMatrix(randomMatrix(rng, rows, cols, density, 8), rows, cols, k, "nearest");

describe("memory image", () => {
  it("allocates regions with guard bytes and locates every byte", () => {
    const m = new MemImage({ base: BASE, size: 4096, guard: 8 });
    const a = m.alloc("a", 10, { skew: 3 });
    const b = m.alloc("b", 5, { align: 64 });
    expect(a.addr).toBe(BASE + 8 + 3);
    expect(b.addr % 64).toBe(0);
    expect(b.addr).toBeGreaterThanOrEqual(a.addr + 10 + 16);
    expect(m.locate(a.addr + 9)).toBe("in a +9");
    expect(m.locate(a.addr - 1)).toBe("guard before a");
    expect(m.locate(a.addr + 10)).toBe("guard after a");
    expect(m.locate(BASE + 4000)).toBe("unallocated");
    expect(() => m.alloc("big", 5000)).toThrow(/do not fit/);
    const c = m.clone();
    c.write(a.addr + 10, Uint8Array.of(c.byte(a.addr + 10) ^ 1));
    const d = m.diff(c);
    expect(d.count).toBe(1);
    expect(d.diffs[0]?.where).toBe("guard after a");
    // the background pattern is not constant inside a word
    const w = m.read(BASE, 8);
    expect(new Set(w).size).toBeGreaterThan(4);
  });

  it("round-trips through hex words and both simulators' dump flavours", () => {
    const m = new MemImage({ base: BASE, size: 256, seed: 7 });
    const lines = m.hexWords(4);
    expect(lines.length).toBe(64);
    expect(parseHexDump(lines.join("\n"), 4, 256)).toEqual(m.data);
    const icarus = `// comment\n@0\n${lines.slice(0, 32).join("\n")}\n@20\n${lines.slice(32).join(" ")}\n`;
    expect(parseHexDump(icarus, 4, 256)).toEqual(m.data);
    const c = m.withData(new Uint8Array(256).fill(9));
    expect(c.regions).toEqual(m.regions);
    expect(c.byte(BASE + 3)).toBe(9);
  });
});

describe("tensor layouts", () => {
  const rng = new Rng(5);
  it("raw matrices round-trip (ragged columns, any alignment)", () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 8],
      [5, 13],
      [17, 40],
    ] as const) {
      const a = mat(rng, rows, cols, 0.6);
      const z = rawSizes(rows, cols, k);
      expect(z.codeBytes).toBe(rows * Math.ceil(cols / k) * k);
      const mem = new MemImage({ base: BASE, size: 8192 });
      const c = mem.alloc("c", z.codeBytes, { skew: 1 });
      const s = mem.alloc("s", z.scaleBytes, { skew: 3 });
      writeRaw(mem, a, c.addr, s.addr);
      expect(
        compareMatrices("raw", readRaw(mem, rows, cols, k, c.addr, s.addr), a),
      ).toBeUndefined();
      // codes are two's complement bytes, row pitch nb*k
      const code = a.q[a.blocksPerRow * k + 1] ?? 0;
      if (rows > 1) expect(mem.byte(c.addr + a.blocksPerRow * k + 1)).toBe(code & 0xff);
    }
  });

  it("streams round-trip as the codec's encode of the blocks in row-major order", () => {
    for (const d of [0, 0.1, 0.5, 1]) {
      const a = mat(rng, 7, 21, d);
      a.scale[3] = SCALE_NAN; // a NaN block: not representable in hbm, decodes as a zero block
      const mem = new MemImage({ base: BASE, size: 8192 });
      const r = mem.alloc("s", 2048, { skew: 2 });
      const n = writeStream(mem, a, r.addr, ctx.codec);
      expect(n % ctx.busBytes).toBe(0);
      expect(encodeMatrix(a, ctx.codec).bytes.length).toBe(n);
      const back = readStream(mem, r.addr, 2048, 7, 21, ctx.codec);
      const want = canonicalize({ k, q: a.q, scale: a.scale });
      if (want.scale[3] === SCALE_NAN) want.scale[3] = 0;
      expect(Array.from(back.q)).toEqual(Array.from(want.q));
      expect(Array.from(back.scale)).toEqual(Array.from(want.scale));
      expect(decodeMatrix(mem.read(r.addr, n), 7, 21, ctx.codec).bytesRead).toBe(n);
    }
  });

  it("masks round-trip, bit t of a row in byte t/8 bit t%8, rows padded to nb*k bits", () => {
    const a = mat(rng, 6, 19, 0.5);
    const bits = reluMask(a);
    const bytes = packMask(bits, 6, 19, k);
    expect(bytes.length).toBe(6 * 3);
    expect(Array.from(bytes)).toEqual(Array.from(maskBytesOf(a)));
    expect(unpackMask(bytes, 6, 19, k)).toEqual(bits);
    const i = bits.findIndex((b) => b === 1);
    const r = Math.floor(i / 19);
    const c = i % 19;
    expect((bytes[r * 3 + (c >> 3)]! >> (c & 7)) & 1).toBe(1);
    const mem = new MemImage({ base: BASE, size: 1024 });
    const reg = mem.alloc("m", bytes.length, { skew: 1 });
    writeMask(mem, bits, 6, 19, k, reg.addr);
    expect(Array.from(mem.read(reg.addr, bytes.length))).toEqual(Array.from(bytes));
  });
});

describe("registers and program", () => {
  it("uses the register map's offsets, which are the generated constants", () => {
    for (const [name, off] of Object.entries(REG)) expect(ctx.regs.offset(name)).toBe(off);
    expect(ctx.regs.registers.length).toBe(Object.keys(REG).length);
  });

  it("encodes a job into JOB_* registers and back", () => {
    const rng = new Rng(9);
    // any address of the tiny preset's 20-bit space
    const addr = (): number => rng.u32() % 2 ** ctx.addrWidth;
    for (let n = 0; n < 50; n++) {
      const job: Job = {
        I: rng.int(1, 65535),
        J: rng.int(1, 65535),
        R: rng.int(1, 65535),
        relu: rng.bernoulli(0.5),
        outSkip: rng.bernoulli(0.5),
        outCompressed: rng.bernoulli(0.5),
        writeMask: rng.bernoulli(0.5),
        threshold: { tm: rng.int(0, 255), te: rng.int(-128, 127) },
        addr: {
          a: addr(),
          aScale: addr(),
          b: addr(),
          maskIn: addr(),
          out: addr(),
          outScale: addr(),
          maskOut: addr(),
        },
        bBytes: rng.u32(),
        outMax: rng.u32(),
      };
      const w = new Map(jobRegisterWrites(ctx, job).map((x) => [x.name, x.value]));
      expect(jobFromRegisters(ctx, (name) => w.get(name) ?? 0)).toEqual(job);
    }
    const bad = { ...NO_ADDRESSES, a: 2 ** ctx.addrWidth };
    expect(() =>
      jobRegisterWrites(ctx, {
        I: 1,
        J: 1,
        R: 1,
        relu: false,
        outSkip: false,
        outCompressed: false,
        writeMask: false,
        threshold: { tm: 0, te: 0 },
        addr: bad,
        bBytes: 0,
        outMax: 0,
      }),
    ).toThrow(/address bits/);
  });

  it("writes the high address registers of a wide-address processor", () => {
    const wide = hostContext(presetDescription("large"));
    const w = jobRegisterWrites(wide, {
      I: 1,
      J: 1,
      R: 1,
      relu: false,
      outSkip: false,
      outCompressed: true,
      writeMask: false,
      threshold: { tm: 0, te: 0 },
      addr: { ...NO_ADDRESSES, b: 0x12_3456_789a },
      bBytes: 16,
      outMax: 64,
    });
    expect(w.find((x) => x.name === "JOB_ADDR_B_HI")?.value).toBe(0x12);
    expect(w.find((x) => x.name === "JOB_ADDR_B_LO")?.value).toBe(0x3456_789a);
  });

  it("encodes program lines", () => {
    const l = opLine({
      op: "read",
      addr: 0x50,
      expect: { value: 0xdeadbeef, mask: 0xffff },
      toSlot: 7,
      note: "",
    });
    expect(parseOpLine(l)).toEqual({
      code: 1,
      flags: 3,
      addr: 0x50,
      data: 0xdeadbeef,
      mask: 0xffff,
      arg: 0,
      slot: 7,
    });
    expect(
      parseOpLine(opLine({ op: "poll", addr: 12, mask: 1, value: 0, timeout: 99, note: "" })),
    ).toMatchObject({ code: 2, addr: 12, mask: 1, arg: 99 });
    expect(() => opLine({ op: "write", addr: 1 << 16, value: 0, note: "" })).toThrow();
  });
});

describe("golden job", () => {
  const rng = new Rng(21);
  const place = (I: number, J: number, R: number, density: number, withMask: boolean) => {
    const s = new HostSession(ctx, new MemImage({ base: BASE, size: 1 << 16 }));
    const a = mat(rng, I, R, 1);
    const b = mat(rng, J, R, density);
    const at = putRaw(s, "a", a, { skew: 1 });
    const bt = putStream(s, "b", b, [{ row0: 0, rows: J }], { skew: 2 });
    const maskBits = new Uint8Array(J * I).map(() => (rng.bernoulli(0.5) ? 1 : 0));
    const mask = s.alloc("mask", (J * (Math.ceil(I / k) * k)) / 8);
    if (withMask) s.write(mask.addr, packMask(maskBits, J, I, k));
    const out = s.alloc("out", 4096);
    const chunk = bt.chunks[0]!;
    const job: Job = {
      I,
      J,
      R,
      relu: true,
      outSkip: withMask,
      outCompressed: true,
      writeMask: true,
      threshold: { tm: 0, te: 0 },
      addr: {
        ...NO_ADDRESSES,
        a: at.codes.addr,
        aScale: at.scales.addr,
        b: chunk.region.addr,
        maskIn: mask.addr,
        out: out.addr,
        maskOut: out.addr + 2048,
      },
      bBytes: chunk.bytes,
      outMax: 2048,
    };
    return { s, a, b, job, maskBits };
  };

  it("is gemmABt on what is in memory, with the documented byte counts", () => {
    const { s, a, b, job, maskBits } = place(13, 5, 19, 0.4, true);
    const g = goldenJob(ctx, s.expected, job);
    const outMask = new Uint8Array(13 * 5);
    for (let j = 0; j < 5; j++)
      for (let i = 0; i < 13; i++) outMask[i * 5 + j] = maskBits[j * 13 + i]!;
    const ref = gemmABt(a, b, {
      accWidth: ctx.num.accWidth,
      layout: "transposed",
      out: { relu: true, threshold: { tm: 0, te: 0 }, rounding: ctx.num.rounding, k },
      outMask,
    });
    expect(compareMatrices("out", g.result!.out, ref.out)).toBeUndefined();
    expect(g.counters.macsIssued).toBe(ref.counters.macsIssued);
    expect(g.counters.macsSkipOut).toBe(ref.counters.macsOutputSkipped);
    expect(g.counters.macsSkipIn).toBe(ref.counters.macsInputSkipped);
    // 2 tiles (8 + 5 lanes) of 3 blocks of 8 codes and 3 scales, J mask bytes per tile
    expect(g.counters.bytesRd).toBe(job.bBytes + 8 * 24 + 8 * 3 + 5 + 5 * 24 + 5 * 3 + 5);
    expect(jobReadBytes(ctx, job, false)).toBe(g.counters.bytesRd - 10);
    const stream = g.writes.find((w) => w.what === "output stream")!;
    expect(g.outBytes).toBe(stream.bytes.length);
    expect(g.counters.bytesWr).toBe(stream.bytes.length + 5 * 2);
    expect(g.irqStatus).toBe(1);
    expect(g.status).toBe(0);
  });

  it("reports DIM_ERR without reads or writes", () => {
    const { s, job } = place(8, 4, 16, 0.5, false);
    for (const bad of [
      { R: ctx.top.rMax + 1 },
      { J: ctx.top.jMax + 1 },
      { I: 0 },
      { I: 800, J: 20 },
    ]) {
      const g = goldenJob(ctx, s.expected, { ...job, ...bad });
      expect(g.dimErr).toBeDefined();
      expect(g.writes).toEqual([]);
      expect(g.status).toBe(ctx.regs.bit("STATUS", "DIM_ERR"));
      expect(g.irqStatus).toBe(3);
      expect(g.counters.bytesRd).toBe(0);
    }
  });

  it("counts every element of B as issued without input skipping", () => {
    const dense = hostContext(
      validateDescription({ ...PRESETS.tiny, name: "tnoskip", features: { inputSkipping: false } }),
    );
    const { s, job, b } = place(8, 4, 16, 0.3, false);
    const g = goldenJob(dense, s.expected, job);
    const gs = goldenJob(ctx, s.expected, job);
    expect(g.counters.macsSkipIn).toBe(0);
    expect(g.counters.macsIssued).toBe(8 * 4 * 16);
    expect(g.counters.macsIssued).toBe(gs.counters.macsIssued + gs.counters.macsSkipIn);
    expect(g.bEntries).toBe(4 * 16);
    expect(gs.bEntries).toBe(bEntryCount(b, true));
    expect(compareMatrices("same output", g.result!.out, gs.result!.out)).toBeUndefined();
  });
});

describe("chunk plans", () => {
  it("cut J so every chunk fits the output buffer and the B buffer", () => {
    const rng = new Rng(4);
    const b = mat(rng, 90, 40, 0.5);
    const per = Array.from({ length: 90 }, (_, j) => {
      let n = 0;
      for (let c = 0; c < 40; c++) if (b.q[j * 40 + c] !== 0) n++;
      return Math.max(1, n);
    });
    const plan = planChunks(ctx, 90, [{ I: 30, R: 40, entries: (j) => per[j] ?? 0 }]);
    expect(plan.reduce((n, c) => n + c.rows, 0)).toBe(90);
    for (const c of plan) {
      expect(c.rows * Math.ceil(30 / k)).toBeLessThanOrEqual(ctx.top.obufBlocks);
      const e = per.slice(c.row0, c.row0 + c.rows).reduce((x, y) => x + y, 0);
      expect(e).toBeLessThanOrEqual(ctx.top.eDepth);
    }
    expect(plan.length).toBeGreaterThan(3);
    expect(() => planChunks(ctx, 4, [{ I: 8, R: ctx.top.rMax + 1 }])).toThrow(/fits no job/);
  });
});

describe("FC layers through the golden backend", () => {
  it("FP, BP and WG chunk by chunk equal the model's whole-tensor layer functions", () => {
    const rng = new Rng(77);
    const [M, K, N] = [21, 27, 45];
    const s = new HostSession(ctx, new MemImage({ base: BASE, size: 1 << 17 }));
    const xT = randomMatrix(rng, N, K, 0.3);
    const maskX = new Uint8Array(N * K).map(() => (rng.bernoulli(0.6) ? 1 : 0));
    const st = fcSteps(
      s,
      { M, K, N, w: randomMatrix(rng, M, K, 1), xT, dyT: randomMatrix(rng, N, M, 0.2), maskX },
      { wait: ["busy", "irq", "done"], place: { skew: 1 } },
    );
    s.end();
    expect(st.fp!.jobs.length).toBeGreaterThan(1);
    expect(st.bp!.jobs.length).toBeGreaterThan(1);
    const run = new GoldenBackend(ctx).run(s.initial, s.ops);
    const chk = s.check(run);
    expect(chk.errors).toEqual([]);
    const mem = s.expected.withData(run.mem!);
    const num = ctx.num;
    const fp = forward(st.w, st.xT, num, { relu: true });
    expect(compareMatrices("fp", readStreamTensor(ctx, mem, st.fp!.yT), fp.out)).toBeUndefined();
    expect(Array.from(readMaskTensor(mem, st.fp!.mask!))).toEqual(Array.from(reluMask(fp.out)));
    const bp = backward(st.wT, st.dyT, num, { maskT: maskX });
    const dx = st.bp!.dxT;
    expect(dx.kind).toBe("stream");
    if (dx.kind === "stream")
      expect(compareMatrices("bp", readStreamTensor(ctx, mem, dx.tensor), bp.out)).toBeUndefined();
    const wg = weightGradient(st.dy, st.x, num);
    expect(compareMatrices("wg", readRawTensor(mem, st.wg!.dw), wg.out)).toBeUndefined();
    // counters add up over the chunks
    const issued = st.fp!.jobs.reduce((n, j) => n + j.golden.counters.macsIssued, 0);
    expect(issued).toBe(fp.counters.macsIssued);
  });

  it("runs the FP -> BP -> WG chain through memory, and a wrong expectation fails", () => {
    const mem = new MemImage({ base: BASE, size: 1 << 18 });
    const spec = { K0: 20, K1: 19, M1: 13, N: 33, density: 0.4, gradDensity: 0.5, seed: 3 };
    const r = runFcChain(ctx, new GoldenBackend(ctx), mem, spec);
    expect(r.tensorErrors).toEqual([]);
    expect(r.checks.flatMap((c) => c.errors)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.jobs[0]).toBeGreaterThan(2);
    // corrupt one expected byte and one expected register value: both are caught
    const s = r.sessions[1]!;
    const run = r.runs[1]!;
    const at = s.jobs[0]!.golden.writes[0]!.addr;
    s.expected.write(at, Uint8Array.of(s.expected.byte(at) ^ 0x10));
    const op = s.jobs[0]!.reads.get("PERF_MACS_ISSUED_LO")!;
    const o = s.ops[op]!;
    if (o.op === "read" && o.expect !== undefined) o.expect.value ^= 1;
    const bad = s.check(run);
    expect(bad.ok).toBe(false);
    expect(bad.errors.join("\n")).toMatch(/PERF_MACS_ISSUED_LO: got/);
    expect(bad.errors.join("\n")).toMatch(/1 memory bytes differ/);
  });
});
