/**
 * The host side of the board wrapper's UART protocol (docs/board.md, templates/uart_bridge.v.hbs)
 * and a host program runner on top of it: the same programs HostSession builds for the
 * simulators (testbench/host/program.ts), executed command by command over a byte channel, with
 * the memory image stored before and loaded back after. The channel is a serial port to a board
 * (`serialChannel`) or the pipes of a co-simulation (testbench/host/link-sim.ts).
 */
import { spawnSync } from "node:child_process";
import { closeSync, createReadStream, openSync, writeSync } from "node:fs";
import { UART_BAD_COMMAND, UART_COMMANDS } from "../../generator/elab/board.ts";
import { GenError } from "../../generator/errors.ts";
import type { MemImage } from "./memory.ts";
import type { Op } from "./program.ts";
import type { RunOutput } from "./session.ts";

/** A byte stream both ways. */
export interface ByteChannel {
  write(bytes: Uint8Array): Promise<void>;
  /** Exactly n bytes, or an error after timeoutMs without them. */
  read(n: number, timeoutMs: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Collects incoming chunks and hands out exact byte counts. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
    this.waiter?.();
  }

  fail(e: Error): void {
    this.failure = e;
    this.waiter?.();
  }

  async take(n: number, timeoutMs: number, what = "reply"): Promise<Uint8Array> {
    const t0 = Date.now();
    while (this.size < n) {
      if (this.failure !== undefined) throw this.failure;
      const left = timeoutMs - (Date.now() - t0);
      if (left <= 0)
        throw new GenError(
          "E_SIM_FAIL",
          `the board sent ${this.size} of ${n} ${what} bytes within ${timeoutMs} ms`,
          {
            hint: "check the port, the baud rate and that the board is configured and out of reset",
          },
        );
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiter = () => {
          clearTimeout(t);
          res();
        };
      });
      this.waiter = undefined;
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.size -= n;
    return out;
  }

  get pending(): number {
    return this.size;
  }
}

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

export const CMD = UART_COMMANDS;
/** The bridge's answer to a command it does not know. */
export const BAD_COMMAND = UART_BAD_COMMAND;

export interface LinkOptions {
  /** Longest wait for one command's reply, ms (a store or load: per chunk). */
  timeoutMs?: number;
  /** Bytes per store / load command. */
  chunk?: number;
}

/** The bridge's commands. */
export class UartLink {
  readonly timeoutMs: number;
  readonly chunk: number;
  constructor(
    readonly ch: ByteChannel,
    o: LinkOptions = {},
  ) {
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.chunk = o.chunk ?? 4096;
  }

  async ping(): Promise<void> {
    await this.ch.write(Uint8Array.of(CMD.ping));
    const [r] = await this.ch.read(1, this.timeoutMs);
    if (r !== CMD.ping)
      throw new GenError(
        "E_SIM_FAIL",
        `ping answered 0x${(r ?? 0).toString(16)}, not 0x${CMD.ping.toString(16)}`,
        {
          hint: "is the board wrapper's bitstream loaded, at this baud rate?",
        },
      );
  }

  /** Register write; returns BRESP. */
  async writeReg(addr: number, value: number): Promise<number> {
    await this.ch.write(Uint8Array.of(CMD.write, addr & 0xff, (addr >> 8) & 0xff, ...le32(value)));
    const [r] = await this.ch.read(1, this.timeoutMs);
    return r ?? 0;
  }

  /** Register read: the value and RRESP. */
  async readReg(addr: number): Promise<{ value: number; resp: number }> {
    await this.ch.write(Uint8Array.of(CMD.read, addr & 0xff, (addr >> 8) & 0xff));
    const r = await this.ch.read(5, this.timeoutMs);
    const value =
      ((r[1] ?? 0) | ((r[2] ?? 0) << 8) | ((r[3] ?? 0) << 16) | ((r[4] ?? 0) << 24)) >>> 0;
    return { value, resp: r[0] ?? 0 };
  }

  /** The processor's interrupt line. */
  async irq(): Promise<0 | 1> {
    await this.ch.write(Uint8Array.of(CMD.irq));
    const [r] = await this.ch.read(1, this.timeoutMs);
    if (r !== 0 && r !== 1)
      throw new GenError("E_SIM_FAIL", `the interrupt command answered 0x${(r ?? 0).toString(16)}`);
    return r;
  }

  /** Write bytes to the board memory (in chunks). */
  async store(addr: number, bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; at += this.chunk) {
      const part = bytes.subarray(at, Math.min(bytes.length, at + this.chunk));
      await this.ch.write(Uint8Array.from([CMD.store, ...le32(addr + at), ...le32(part.length)]));
      await this.ch.write(part);
      const [r] = await this.ch.read(1, this.timeoutMs);
      if (r !== 0)
        throw new GenError(
          "E_SIM_FAIL",
          `a store was acknowledged with 0x${(r ?? 0).toString(16)}`,
        );
    }
  }

  /** Read bytes of the board memory (in chunks). */
  async load(addr: number, n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += this.chunk) {
      const k = Math.min(this.chunk, n - at);
      await this.ch.write(Uint8Array.from([CMD.load, ...le32(addr + at), ...le32(k)]));
      out.set(await this.ch.read(k, this.timeoutMs), at);
    }
    return out;
  }
}

export interface LinkRunOptions {
  /** Longest poll, ms (a poll is the host's loop of register reads). */
  pollTimeoutMs?: number;
  onProgress?: (message: string) => void;
}

/**
 * Run a host program over the link: store the whole image, execute the operations (an interrupt
 * wait polls the interrupt line with the 'I' command; idles and marks take no time), load the
 * whole memory back.
 */
export async function runOverLink(
  link: UartLink,
  initial: MemImage,
  ops: readonly Op[],
  o: LinkRunOptions = {},
): Promise<RunOutput> {
  const t0 = performance.now();
  const say = o.onProgress ?? (() => {});
  const reads = new Map<number, number>();
  const messages: string[] = [];
  const slots = new Map<number, number>();
  const pollMs = o.pollTimeoutMs ?? 10_000;
  await link.ping();
  say(`storing ${initial.size} bytes at 0x${initial.base.toString(16)}`);
  await link.store(initial.base, initial.data);
  let done = 0;
  for (const [i, op] of ops.entries()) {
    if (op.op === "end") break;
    switch (op.op) {
      case "write": {
        const v = op.fromSlot === undefined ? op.value : (slots.get(op.fromSlot) ?? 0);
        const resp = await link.writeReg(op.addr, v);
        if (resp !== (op.refused === true ? 2 : 0))
          messages.push(
            `MISMATCH op ${i}: write of ${hex(v)} to 0x${op.addr.toString(16)} answered BRESP ${resp} (${op.note})`,
          );
        break;
      }
      case "read": {
        const r = await link.readReg(op.addr);
        reads.set(i, r.value);
        if (op.toSlot !== undefined) slots.set(op.toSlot, r.value);
        if (r.resp !== 0)
          messages.push(
            `MISMATCH op ${i}: read of 0x${op.addr.toString(16)} answered RRESP ${r.resp} (${op.note})`,
          );
        if (op.expect !== undefined && ((r.value ^ op.expect.value) & op.expect.mask) !== 0)
          messages.push(
            `MISMATCH op ${i}: read of 0x${op.addr.toString(16)} got ${hex(r.value)} expected ${hex(op.expect.value)} (mask ${hex(op.expect.mask)}) (${op.note})`,
          );
        break;
      }
      case "poll": {
        const tp = Date.now();
        let v = 0;
        for (;;) {
          v = (await link.readReg(op.addr)).value;
          if (((v ^ op.value) & op.mask) === 0) break;
          if (Date.now() - tp > pollMs) {
            messages.push(
              `TIMEOUT op ${i}: 0x${op.addr.toString(16)} still reads ${hex(v)} after ${pollMs} ms (${op.note})`,
            );
            break;
          }
        }
        reads.set(i, v >>> 0);
        break;
      }
      case "waitIrq": {
        // the interrupt line, polled over the link
        const tp = Date.now();
        let level = await link.irq();
        while (level !== op.level && Date.now() - tp <= pollMs) level = await link.irq();
        if (level !== op.level)
          messages.push(`TIMEOUT op ${i}: irq is not ${op.level} after ${pollMs} ms (${op.note})`);
        break;
      }
      case "irq": {
        const level = await link.irq();
        reads.set(i, level);
        if (op.expect !== undefined && level !== op.expect)
          messages.push(`MISMATCH op ${i}: irq is ${level}, expected ${op.expect} (${op.note})`);
        break;
      }
      case "idle":
      case "mark":
        break;
    }
    done++;
    if (messages.some((m) => m.startsWith("TIMEOUT"))) break;
  }
  say(`program: ${done} operations; loading ${initial.size} bytes back`);
  const mem = await link.load(initial.base, initial.size);
  return {
    backend: "uart",
    ok: messages.length === 0,
    mem,
    reads,
    marks: new Map(),
    cycles: undefined,
    messages,
    output: messages.join("\n"),
    compileMs: 0,
    runMs: performance.now() - t0,
  };
}

const hex = (v: number): string => (v >>> 0).toString(16).padStart(8, "0");

/**
 * A serial port (a board's USB UART): set to raw 8N1 at `baud` with stty, then read and written
 * as a file. Linux and macOS.
 */
export function serialChannel(port: string, baud: number): ByteChannel {
  const flag = process.platform === "darwin" ? "-f" : "-F";
  const st = spawnSync(
    "stty",
    [
      flag,
      port,
      String(baud),
      "raw",
      "-echo",
      "-ixon",
      "-ixoff",
      "-crtscts",
      "cs8",
      "-cstopb",
      "-parenb",
      "clocal",
    ],
    { encoding: "utf8" },
  );
  if (st.status !== 0)
    throw new GenError("E_TOOL_FAIL", `cannot set up ${port}: ${(st.stderr || st.stdout).trim()}`, {
      hint: "check the port name (e.g. /dev/ttyUSB1 for the iCEBreaker's second FTDI channel) and your access to it",
    });
  const fd = openSync(port, "r+");
  const q = new ByteQueue();
  const rs = createReadStream("", { fd, autoClose: false });
  rs.on("data", (b) => q.push(typeof b === "string" ? Buffer.from(b) : b));
  rs.on("error", (e) => q.fail(e));
  return {
    write: async (bytes) => void writeSync(fd, bytes),
    read: (n, ms) => q.take(n, ms),
    close: async () => {
      rs.destroy();
      closeSync(fd);
    },
  };
}
