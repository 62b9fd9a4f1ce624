/**
 * Bit-level stream packing used by the codecs. Bit i of a stream is bit (i % 8) of byte
 * floor(i / 8): least-significant bit first, so a little-endian bus word of W bits holds stream
 * bits [W*n, W*n + W) with stream bit W*n in bus bit 0.
 */
import { GenError } from "../errors.ts";

export class BitWriter {
  private bytes: number[] = [];
  private nbits = 0;

  /** Number of bits written so far. */
  get length(): number {
    return this.nbits;
  }

  /** Append the low `width` bits of `value` (unsigned, width <= 32), LSB first. */
  write(value: number, width: number): void {
    for (let i = 0; i < width; i++) {
      this.writeBit((value >>> i) & 1);
    }
  }

  writeBit(bit: number): void {
    const byte = this.nbits >>> 3;
    if (byte === this.bytes.length) this.bytes.push(0);
    if (bit & 1) this.bytes[byte] = (this.bytes[byte] ?? 0) | (1 << (this.nbits & 7));
    this.nbits++;
  }

  /** Pad with zero bits up to the next multiple of `bits`. */
  alignTo(bits: number): void {
    while (this.nbits % bits !== 0) this.writeBit(0);
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export class BitReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get position(): number {
    return this.pos;
  }

  get totalBits(): number {
    return this.bytes.length * 8;
  }

  readBit(): number {
    const byte = this.bytes[this.pos >>> 3];
    if (byte === undefined) {
      throw new GenError("E_CODEC", `stream ends early: bit ${this.pos} of ${this.totalBits}`);
    }
    const bit = (byte >>> (this.pos & 7)) & 1;
    this.pos++;
    return bit;
  }

  /** Read `width` bits (<= 32) LSB first as an unsigned number. */
  read(width: number): number {
    let v = 0;
    for (let i = 0; i < width; i++) v += this.readBit() * 2 ** i;
    return v;
  }

  alignTo(bits: number): void {
    while (this.pos % bits !== 0) this.readBit();
  }
}
