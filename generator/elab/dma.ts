/**
 * Elaboration of the AXI4 DMA. Every derived width and depth of the DMA is computed here, once;
 * the templates (templates/axi_dma_rd.v.hbs, templates/axi_dma_wr.v.hbs) only render them.
 * The engines and their interfaces are described in docs/dma.md.
 */
import type { ResolvedDescription } from "../dsl/description.ts";
import type { ModuleInstance } from "./elaborate.ts";

const log2 = (x: number): number => Math.round(Math.log2(x));
const clog2 = (x: number): number => (x <= 1 ? 0 : Math.ceil(Math.log2(x)));
const pow2ceil = (x: number): number => 2 ** clog2(x);

/** Width of a command's bytes-per-row field: rows up to 4 GiB - 1. */
export const DMA_LEN_WIDTH = 32;
/** Width of a command's row-count field: up to 65535 rows. */
export const DMA_ROWS_WIDTH = 16;

/**
 * Width of the job's counts, derived once: a command's bytes (row bytes x rows, 48 bits) or the
 * PERF_* counters' width when narrower (then counted modulo 2^counterBits). The DMA engines'
 * bytes_o, the compute core's counters and the sequencer's partial sums all have this width.
 */
export function countBits(desc: ResolvedDescription): number {
  return Math.min(DMA_LEN_WIDTH + DMA_ROWS_WIDTH, desc.regfile.counterBits);
}
/** The AXI4 page that no burst may cross. */
export const AXI_PAGE_BYTES = 4096;

/** Parameters shared by both engines. */
export interface DmaParams {
  /** AXI data width in bits (32, 64, 128). */
  dw: number;
  /** Bytes per bus word (dw / 8): also the width of keep and wstrb. */
  bytes: number;
  /** log2(bytes): byte-offset bits of an address; also AxSIZE. */
  offW: number;
  /** AXI address width. */
  aw: number;
  /** Longest burst in beats (power of two). */
  maxBurst: number;
  /** log2(maxBurst): bits of a burst's beat index (0 when bursts are one beat). */
  lenBits: number;
  /** maxBurst > 1 (the engines have a beat counter). */
  hasLen: boolean;
  /** Bytes of a longest burst: maxBurst * bytes, a power of two that divides 4096. */
  burstBytes: number;
  /** log2(burstBytes): bursts never cross a burstBytes-aligned boundary (hence never 4 KB). */
  bbW: number;
  /** Outstanding bursts per engine. */
  maxOutstanding: number;
  /** Width of the outstanding-burst counter: clog2(maxOutstanding + 1). */
  outW: number;
  /** Depth of the burst-info FIFO: maxOutstanding rounded up to a power of two, at least 2. */
  infoDepth: number;
  /** log2(infoDepth). */
  infoAw: number;
  /** Width of the bytes-per-row field. */
  lenW: number;
  /** Width of the row-count field. */
  rowsW: number;
  /** Width of the bytes-moved counter: lenW + rowsW (a whole 2D command). */
  cntW: number;
  /** Write engine: data FIFO depth in bus words (two longest bursts, at least 4). */
  fifoDepth: number;
  /** log2(fifoDepth). */
  fifoAw: number;
  /** Write engine: width of the count of accepted but not yet committed bytes. */
  availW: number;
}

/** Derived parameters of the DMA for a description. */
export function dmaParams(desc: ResolvedDescription): DmaParams {
  const { dataWidth: dw, addrWidth: aw, maxBurst, maxOutstanding } = desc.dma;
  const bytes = dw / 8;
  const burstBytes = maxBurst * bytes;
  const infoDepth = Math.max(2, pow2ceil(maxOutstanding));
  const fifoDepth = Math.max(4, pow2ceil(2 * maxBurst));
  return {
    dw,
    bytes,
    offW: log2(bytes),
    aw,
    maxBurst,
    lenBits: log2(maxBurst),
    hasLen: maxBurst > 1,
    burstBytes,
    bbW: log2(burstBytes),
    maxOutstanding,
    outW: Math.max(1, clog2(maxOutstanding + 1)),
    infoDepth,
    infoAw: log2(infoDepth),
    lenW: DMA_LEN_WIDTH,
    rowsW: DMA_ROWS_WIDTH,
    // bytes of a command (row bytes x rows), counted modulo the PERF_* counters' width
    cntW: countBits(desc),
    fifoDepth,
    fifoAw: log2(fifoDepth),
    // window (2 words) + FIFO output register (1) + FIFO memory
    availW: clog2((fifoDepth + 3) * bytes + 1),
  };
}

/** One-line descriptions, used in banners and config.json. */
export function dmaRdDoc(p: DmaParams): string {
  return `AXI4 read DMA: ${p.dw}-bit bus, ${p.aw}-bit addresses, bursts up to ${p.maxBurst} beats, ${p.maxOutstanding} outstanding, 1D/2D, realigned byte stream out`;
}
export function dmaWrDoc(p: DmaParams): string {
  return `AXI4 write DMA: ${p.dw}-bit bus, ${p.aw}-bit addresses, bursts up to ${p.maxBurst} beats, ${p.maxOutstanding} outstanding, 1D/2D, byte stream in (length known at its last word)`;
}

/** The DMA's module instances: the read engine and the write engine. */
export function dmaModules(desc: ResolvedDescription): ModuleInstance[] {
  const p = dmaParams(desc);
  const n = desc.name;
  return [
    {
      role: "dma_rd",
      module: `${n}_axi_dma_rd`,
      template: "axi_dma_rd.v.hbs",
      file: `${n}_axi_dma_rd.v`,
      doc: dmaRdDoc(p),
      params: { ...p },
    },
    {
      role: "dma_wr",
      module: `${n}_axi_dma_wr`,
      template: "axi_dma_wr.v.hbs",
      file: `${n}_axi_dma_wr.v`,
      doc: dmaWrDoc(p),
      params: { ...p },
    },
  ];
}
