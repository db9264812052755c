// Where dump text goes. Formatters write many small strings; OutputSink
// packs them into ~64 KiB UTF-8 Buffers as it goes, so a 12 MB dump never
// becomes one huge string rope that the garbage collector has to keep alive.
// Byte-level writers (format/byte-out.ts) hand it whole UTF-8 chunks.
// The CLI streams the chunks to stdout; the string APIs join them at the end.

export interface TextSink {
  write(text: string): void;
}

const CHUNK = 1 << 16;

export class OutputSink implements TextSink {
  private pending = "";
  private readonly chunks: Buffer[] = [];

  /** @param onChunk receives each full chunk (e.g. a stdout writer); without it chunks are kept for text(). */
  constructor(private readonly onChunk?: (chunk: Buffer) => void) {}

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= CHUNK) this.flush();
  }

  /** Appends UTF-8 bytes (whole characters) after what was written; the sink takes ownership of `bytes`. */
  writeBytes(bytes: Uint8Array): void {
    this.flush();
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.onChunk) this.onChunk(buf);
    else this.chunks.push(buf);
  }

  /** Emits what is pending as a chunk. */
  flush(): void {
    if (!this.pending) return;
    const buf = Buffer.from(this.pending, "utf8");
    this.pending = "";
    if (this.onChunk) this.onChunk(buf);
    else this.chunks.push(buf);
  }

  /** Everything written, as one string (only when no onChunk consumer was given). */
  text(): string {
    this.flush();
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** Runs `fill` against a collecting sink and returns the text. */
export function collect(fill: (sink: TextSink) => void): string {
  const sink = new OutputSink();
  fill(sink);
  return sink.text();
}
