// The CLI's only contact with the file system and standard streams: reading
// input files with errors mapped to BtfsnoopError, and writing output that
// survives a closed pipe (`btfsnoop ... | head`).
import { readFileSync } from "node:fs";
import { BtfsnoopError } from "../internal/errors.js";
import { OutputSink, type TextSink } from "../btf/format/sink.js";
import { Errno, type ErrnoName } from "../internal/errno.js";

const REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EISDIR: "is a directory",
};

/** Reads a whole file; failures become a BtfsnoopError naming the file and the errno. */
export function readInputFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const code: ErrnoName = err.code !== undefined && err.code in Errno ? (err.code as ErrnoName) : "EIO";
    const why = REASONS[err.code ?? ""] ?? err.message;
    throw new BtfsnoopError(code, `cannot read '${path}': ${why}`, { cause: e });
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
}

/** The real standard streams. */
export const processIo: CliIo = {
  out: writeStdout,
  err: (text) => void process.stderr.write(text),
  stream: async (fill) => {
    const pending: Promise<void>[] = [];
    const sink = new OutputSink((chunk) => pending.push(writeStdout(chunk)));
    fill(sink);
    sink.flush();
    await Promise.all(pending);
  },
  outputClosed: () => pipeClosed,
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
      const code: ErrnoName = e.code !== undefined && e.code in Errno ? (e.code as ErrnoName) : "EIO";
      reject(new BtfsnoopError(code, `cannot write to standard output: ${e.message}`, { cause: e }));
    });
  });
}
