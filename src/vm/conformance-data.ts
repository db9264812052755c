// The bpf_conformance suite's `.data` test format (lib/src/bpf_test_parser.cc
// rules): sections, comments, results, memory and raw instruction words.
// Pure parsing; callers read the files.

export interface ConformanceData {
  /** The `-- asm` section's lines (comments removed, blank lines dropped), joined with "\n". */
  asm?: string;
  /** The `-- raw` section as little-endian instruction bytes (8 per slot). */
  raw?: Uint8Array;
  /** How the raw section was written: whole 64-bit words (tests/lddw.data) or 8 hex bytes per line (negative/unused-*). */
  rawForm?: "words" | "bytes";
  /** Input memory (`-- mem`); empty when absent. */
  mem: Uint8Array;
  /** Expected r0 (`-- result`, last non-empty line), as an unsigned 64-bit value. */
  result?: bigint;
  /** Expected error (`-- error`, last non-empty line); "" when the section is present but empty. */
  error?: string;
  /** Why the C++ runner would skip this file, when it would (unknown directive, no result/error, no instructions). */
  skip?: string;
}

type State = "ignore" | "asm" | "raw" | "result" | "mem" | "error";

/** C++ std::stoull(s, nullptr, base): leading space, optional sign (negation wraps), digits; the rest ignored. */
function stoull(s: string, hex: boolean): bigint {
  const m = hex ? /^\s*([+-]?)(?:0[xX])?([0-9a-fA-F]+)/.exec(s) : /^\s*([+-]?)([0-9]+)/.exec(s);
  if (m === null) throw new Error(`stoull: no conversion of ${JSON.stringify(s)}`);
  const v = BigInt((hex ? "0x" : "") + m[2]);
  if (v >= 1n << 64n) throw new Error(`stoull: ${JSON.stringify(s)} out of range`);
  return BigInt.asUintN(64, m[1] === "-" ? -v : v);
}

const BYTE_ROW = /^\s*(?:[0-9a-fA-F]{2}\s+){7}[0-9a-fA-F]{2}\s*$/;

/** Parses the text of one `.data` file. Never throws on the suite's files. */
export function parseConformanceData(text: string): ConformanceData {
  let state: State = "ignore";
  const asm: string[] = [];
  const rawLines: string[] = [];
  const memLines: string[] = [];
  let result: string | undefined;
  let error: string | undefined;
  let sawAsm = false;
  let sawRaw = false;
  for (let line of text.split("\n")) {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const hash = line.indexOf("#");
    if (hash >= 0) line = line.slice(0, hash);
    if (line.includes("--")) {
      if (line.includes("asm")) {
        state = "asm";
        sawAsm = true;
      } else if (line.includes("result")) state = "result";
      else if (line.includes("mem")) state = "mem";
      else if (line.includes("raw")) {
        state = "raw";
        sawRaw = true;
      } else if (line.includes("no register offset")) state = "ignore";
      else if (line.includes(" c")) state = "ignore";
      else if (line.includes("error")) {
        state = "error";
        error ??= "";
      } else {
        return { mem: new Uint8Array(0), skip: `Unknown directive ${line}` };
      }
      continue;
    }
    if (line === "") continue;
    switch (state) {
      case "asm":
        asm.push(line);
        break;
      case "result":
        result = line;
        break;
      case "mem":
        memLines.push(line);
        break;
      case "error":
        error = line;
        break;
      case "raw":
        rawLines.push(line);
        break;
      default:
        break;
    }
  }

  const out: ConformanceData = { mem: parseMem(memLines.join(" ")) };
  if (sawAsm) out.asm = asm.join("\n");
  if (result !== undefined) out.result = stoull(result, result.includes("0x"));
  if (error !== undefined) out.error = error;
  if (sawRaw) {
    const isBytes = rawLines.length > 0 && rawLines.every((l) => BYTE_ROW.test(l));
    out.rawForm = isBytes ? "bytes" : "words";
    out.raw = isBytes ? parseByteRows(rawLines) : parseWords(rawLines);
  }
  if ((out.error ?? "") === "" && result === undefined) out.skip = "No result or error in test file";
  else if (out.raw === undefined && (out.asm === undefined || out.asm === "")) out.skip = "Test file has no BPF instructions.";
  return out;
}

/** `ss >> std::hex >> value` over whitespace-separated tokens, each truncated to a byte; stops at the first bad token. */
function parseMem(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const tok of text.split(/\s+/)) {
    if (tok === "") continue;
    const m = /^(?:0[xX])?([0-9a-fA-F]+)/.exec(tok);
    if (m === null) break;
    bytes.push(Number(BigInt("0x" + m[1]) & 0xffn));
  }
  return Uint8Array.from(bytes);
}

function parseWords(lines: string[]): Uint8Array {
  const words = lines
    .join(" ")
    .split(/\s+/)
    .filter((t) => t !== "")
    .map((t) => stoull(t, t.startsWith("0x")));
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, w, true));
  return out;
}

function parseByteRows(lines: string[]): Uint8Array {
  const bytes = lines.flatMap((l) => l.trim().split(/\s+/).map((b) => parseInt(b, 16)));
  return Uint8Array.from(bytes);
}

/** Reads and parses a `.data` file. */
