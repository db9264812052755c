// Where dump text goes. Formatters write many small strings; OutputSink
// packs them into ~64 KiB UTF-8 Buffers as it goes, so a 12 MB dump never
// becomes one huge string rope that the garbage collector has to keep alive.
// Byte-level writers (format/byte-out.ts) hand it whole UTF-8 chunks.
// The CLI streams the chunks to stdout; the string APIs join them at the end.
// A consumer that is done with each chunk when it returns (a synchronous
// write: stdout to a file or, on Linux, a pipe) says so by returning true,
// and the same buffer is then filled again: a dump allocates a couple of
// buffers instead of one per chunk (each a separate allocation outside the
// JS heap that lingered until a GC: 30-40 MB of a 12-17 MB dump's peak RSS).

export interface TextSink {
  write(text: string): void;
}

const CHUNK = 1 << 16;

/**
 * Receives one chunk of output. Returning `true` (exactly) means it is done
 * with the chunk's bytes (they were written or copied), so the buffer may be
 * reused; anything else hands the buffer over for good.
 */
export type ChunkConsumer = (chunk: Buffer) => unknown;

export class OutputSink implements TextSink {
  private pending = "";
  private readonly chunks: Buffer[] = [];
  /** Buffer that flush() encodes pending text into, while the consumer gives chunks back. */
  private scratch: Buffer | undefined;

  /** @param onChunk receives each full chunk (e.g. a stdout writer); without it chunks are kept for text(). */
  constructor(private readonly onChunk?: ChunkConsumer) {}

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= CHUNK) this.flush();
  }

  /**
   * Appends UTF-8 bytes (whole characters) after what was written. Returns
   * true when the bytes were consumed and the caller may reuse their buffer;
   * false when the sink keeps them (the caller must not touch them again).
   */
  writeBytes(bytes: Uint8Array): boolean {
    this.flush();
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.onChunk) return this.onChunk(buf) === true;
    this.chunks.push(buf);
    return false;
  }

  /** Emits what is pending as a chunk. */
  flush(): void {
    if (!this.pending) return;
    const text = this.pending;
    this.pending = "";
    if (!this.onChunk) {
      this.chunks.push(Buffer.from(text, "utf8"));
      return;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit
    if (this.scratch === undefined || this.scratch.length < 3 * text.length) this.scratch = Buffer.allocUnsafe(Math.max(3 * text.length, 3 * CHUNK));
    const n = this.scratch.write(text, 0, "utf8");
    if (this.onChunk(this.scratch.subarray(0, n)) !== true) this.scratch = undefined;
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
