// ByteOut: the byte-level writer of the whole-BTF dumps. Records are written
// as bytes into one buffer (ASCII constants, decimal numbers, names copied
// straight from the string section) and handed to a TextSink in chunks of
// about 64 KiB, always at record boundaries, so a 12 MB dump allocates no
// per-record strings, and one buffer in all when the sink's consumer hands
// each chunk back (a synchronous write, see sink.ts).
import type { StringTable } from "../strings.js";
import { OutputSink, type TextSink } from "./sink.js";

const CHUNK = 1 << 16;

export class ByteOut {
  buf: Buffer;
  pos = 0;

  /** @param sink receives the bytes: as chunks when it is an OutputSink, else as text. */
  constructor(private readonly sink: TextSink) {
    this.buf = Buffer.allocUnsafe(CHUNK * 2);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** One byte (an ASCII character code). */
  byte(c: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** An ASCII string (constants of the formats). */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any string, UTF-8 encoded. */
  text(s: string): void {
    this.ensure(3 * s.length);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** A non-negative integer below 2^53 in decimal. */
  uint(v: number): void {
    if (v < 10) {
      this.byte(48 + v);
      return;
    }
    if (this.pos + 16 > this.buf.length) this.ensure(16);
    if (v > 0x7fffffff) {
      this.ascii(String(v));
      return;
    }
    // int32 fast path: digits counted by comparison, divided with |0
    const digits = v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    const b = this.buf;
    let p = this.pos + digits;
    this.pos = p;
    while (v >= 10) {
      const q = (v / 10) | 0;
      b[--p] = 48 + v - q * 10;
      v = q;
    }
    b[--p] = 48 + v;
  }

  /** An integer (|v| < 2^53) in decimal. */
  int(v: number): void {
    if (v < 0) {
      this.byte(45);
      v = -v;
    }
    this.uint(v);
  }

  /**
   * The string at `local` (an offset into `table.bytes`) copied as bytes when
   * it is plain ASCII without `"`, `\` or control characters; false (nothing
   * written) otherwise, so the caller can take the decoded-string path.
   */
  plainName(table: StringTable, local: number): boolean {
    const src = table.bytes;
    let end = local;
    for (;;) {
      const c = src[end]!;
      if (c === 0) break;
      if (c >= 0x80 || c < 0x20 || c === 0x22 || c === 0x5c) return false;
      end++;
    }
    const n = end - local;
    if (this.pos + n > this.buf.length) this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = local; i < end; i++) b[p++] = src[i]!;
    this.pos = p;
    return true;
  }

  /** Ends a record: passes the buffer on once a chunk is full. */
  endRecord(): void {
    if (this.pos >= CHUNK) this.flush();
  }

  /** Passes everything written so far to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    const sink = this.sink;
    if (sink instanceof OutputSink) {
      // a consumer done with the bytes gives the buffer back; else it keeps it
      if (!sink.writeBytes(this.buf.subarray(0, this.pos))) this.buf = Buffer.allocUnsafe(CHUNK * 2);
    } else {
      sink.write(this.buf.toString("utf8", 0, this.pos));
    }
    this.pos = 0;
  }
}
