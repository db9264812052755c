// The CLI's only contact with the file system and standard streams: reading
// input files with errors mapped to BtfsnoopError, writing output files
// (-o FILE) and standard output. A closed pipe (`btfsnoop ... | head`) ends
// output quietly; any other failed write (ENOSPC, EFBIG, EIO) is an error
// naming the file and the errno, raised at the write that failed.
import { closeSync, fstatSync, openSync, readSync, writeSync, type Stats } from "node:fs";
import { BtfsnoopError } from "../internal/errors.js";
import { OutputSink, type TextSink } from "../btf/format/sink.js";
import { Errno, type ErrnoName } from "../internal/errno.js";

const REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EISDIR: "is a directory",
};

/**
 * Largest input file read (256 MiB, the cap src/btf/load.ts puts on gzip
 * output: a vmlinux BTF is ~6 MB). Kept here rather than imported so the CLI
 * does not load the BTF parser to read a file.
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** Bytes read per read(2): files that never end (/dev/zero, a FIFO) stop within one chunk of the cap. */
const READ_CHUNK = 1024 * 1024;

/**
 * Reads a whole file, in chunks, up to `maxBytes`: a bigger regular file is
 * refused before reading, and a device or FIFO that has more (/dev/zero
 * never ends) stops at the cap, with no more than the cap allocated.
 * Failures become a BtfsnoopError naming the file and the errno (E2BIG
 * past the cap).
 */
export function readInputFile(path: string, maxBytes = MAX_INPUT_BYTES): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw readError(path, e);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new BtfsnoopError("EISDIR", `cannot read '${path}': ${REASONS.EISDIR}`);
    if (st.isFile() && st.size > maxBytes) throw tooBig(path, `file of ${st.size} bytes is larger than ${sizeText(maxBytes)}`);
    // A regular file is read into one buffer of its size; anything else (or a file that grows) in chunks.
    const chunks: Buffer[] = [];
    let total = 0;
    let want = st.isFile() && st.size > 0 ? st.size : Math.min(READ_CHUNK, maxBytes);
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      let filled = 0;
      while (filled < want) {
        const n = readSync(fd, buf, filled, want - filled, null);
        if (n === 0) break;
        filled += n;
      }
      if (filled > 0) chunks.push(filled === want ? buf : buf.subarray(0, filled));
      total += filled;
      if (filled < want) break; // end of file
      if (total >= maxBytes) {
        // At the cap: one more byte says whether there is more.
        const probe = Buffer.allocUnsafe(1);
        if (readSync(fd, probe, 0, 1, null) === 0) break;
        throw tooBig(path, st.isFile() ? `file grew past ${sizeText(maxBytes)} while being read` : `${fileKind(st)} gives more than ${sizeText(maxBytes)}`);
      }
      want = Math.min(READ_CHUNK, maxBytes - total);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } catch (e) {
    throw e instanceof BtfsnoopError ? e : readError(path, e);
  } finally {
    closeSync(fd);
  }
}

function readError(path: string, e: unknown): BtfsnoopError {
  const err = e as NodeJS.ErrnoException;
  const why = REASONS[err.code ?? ""] ?? err.message;
  return new BtfsnoopError(errnoOf(err), `cannot read '${path}': ${why}`, { cause: e });
}

function tooBig(path: string, what: string): BtfsnoopError {
  return new BtfsnoopError("E2BIG", `cannot read '${path}': ${what}, the most btfsnoop reads from a file`, {
    hint: "is this the file you meant? btfsnoop's inputs are BTF files (a vmlinux BTF is ~6 MB) and BPF programs",
  });
}

/** 268435456 -> "256 MiB (268435456 bytes)". */
function sizeText(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB (${n} bytes)` : `${n} bytes`;
}

function fileKind(st: Stats): string {
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  if (st.isFIFO()) return "FIFO";
  if (st.isSocket()) return "socket";
  return "special file";
}

/** The errno name of a Node file-system error, as BtfsnoopError takes it (EIO when btfsnoop has no name for it). */
function errnoOf(e: NodeJS.ErrnoException): ErrnoName {
  return e.code !== undefined && e.code in Errno ? (e.code as ErrnoName) : "EIO";
}

/**
 * An output file (-o FILE), created or truncated on open. Writes are
 * synchronous: a failure surfaces at the write that failed, as a
 * BtfsnoopError (`cannot write 'FILE': ENOSPC: no space left on device,
 * write`), and everything written before it is in the file, as nothing is
 * buffered here.
 */
export class OutputFile {
  /** Bytes written so far. */
  bytesWritten = 0;
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Opens (creates, truncates) `path` for writing. */
  static open(path: string): OutputFile {
    try {
      return new OutputFile(path, openSync(path, "w"));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new BtfsnoopError(errnoOf(err), `cannot write '${path}': ${err.message}`, { cause: e });
    }
  }

  /** The file is a pipe whose reader went away (EPIPE): writes are dropped quietly, as on stdout. */
  readerGone = false;

  /**
   * Writes all of `data` (looping over short writes); false when the file
   * is a pipe whose reader has gone (EPIPE: the producer should stop),
   * throws on any other failure.
   */
  write(data: string | Uint8Array): boolean {
    if (this.fd === undefined) throw new BtfsnoopError("EBADF", `cannot write '${this.path}': already closed`);
    if (this.readerGone) return false;
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    try {
      while (off < bytes.length) {
        const n = writeSync(this.fd, bytes, off, bytes.length - off);
        off += n;
        this.bytesWritten += n;
      }
      return true;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === "EPIPE") {
        this.readerGone = true;
        return false;
      }
      throw new BtfsnoopError(errnoOf(err), `cannot write '${this.path}': ${err.message}`, {
        cause: e,
        ...(err.code === "ENOSPC" || err.code === "EFBIG" ? { hint: `${this.bytesWritten} bytes were written before the failure` } : {}),
      });
    }
  }

  /** Closes the file (idempotent); a failing close (EIO on a network file system) is an error too. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new BtfsnoopError(errnoOf(err), `cannot write '${this.path}': ${err.message}`, { cause: e });
    }
  }
}

/** Where the CLI's output goes: the process's streams, or buffers in tests. */
export interface CliIo {
  /** Writes to standard output; resolves when flushed. */
  out(text: string): Promise<void>;
  /** Writes to standard error. */
  err(text: string): void;
  /** Runs a producer that writes a lot of text; chunks go out as they fill up. */
  stream(fill: (sink: TextSink) => void): Promise<void>;
  /** All of standard input as text. */
  readStdin(): Promise<string>;
  /** Whether standard output's reader has gone away (EPIPE): producers should stop. */
  outputClosed?(): boolean;
  /** Standard output's terminal width (undefined on a pipe or file); process.stdout's when absent. */
  columns?(): number | undefined;
}

/** The real standard streams. */
export const processIo: CliIo = {
  out: writeStdout,
  err: (text) => void process.stderr.write(text),
  stream: async (fill) => {
    const pending: Promise<void>[] = [];
    // Nothing left buffered in stdout after the write: the chunk went out synchronously (files; pipes on Linux), its buffer may be reused.
    const sink = new OutputSink((chunk) => pending.push(writeStdout(chunk)) > 0 && process.stdout.writableLength === 0);
    fill(sink);
    sink.flush();
    await Promise.all(pending);
  },
  outputClosed: () => pipeClosed,
  columns: () => process.stdout.columns,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
};

let pipeClosed = false;

/**
 * Writes text to stdout; resolves when flushed. Once the reader is gone
 * (EPIPE) output is dropped quietly; other write errors (ENOSPC, EIO) reject
 * with a BtfsnoopError so the CLI reports them in one line.
 */
export function writeStdout(text: string | Uint8Array): Promise<void> {
  if (pipeClosed) return Promise.resolve();
  if (process.stdout.listenerCount("error") === 0) {
    // Errors also reach the write callback; this listener only keeps Node from crashing on them.
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") pipeClosed = true;
    });
  }
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err?: Error | null) => {
      const e = err as NodeJS.ErrnoException | null | undefined;
      if (!e || e.code === "EPIPE") {
        if (e) pipeClosed = true;
        resolve();
        return;
      }
      reject(new BtfsnoopError(errnoOf(e), `cannot write to standard output: ${e.message}`, { cause: e }));
    });
  });
}
