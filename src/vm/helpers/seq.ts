// bpf_seq_printf (#126) and bpf_seq_write (#127): the output helpers of BPF
// iterator programs. They write into the seq_file the iterator's meta->seq
// points at; the iterator layer (src/syscall/iter.ts) owns the buffers and
// passes a lookup from seq_file address to buffer.
//
// Formatting follows the kernel's bpf_bprintf_prepare + seq_bprintf: flags
// [0 +-space] and a width are allowed (no precision), length modifiers l
// and ll, conversions d i u x X c s %%, and the pointer formats %p %px %pK
// (16 hex digits: this simulation reads as CAP_SYSLOG with kptr_restrict=1),
// %ps/%pS (symbol), %pi4/%pI4 and %pi6/%pI6 (addresses read from the
// pointer), %pks/%pus (strings). Arguments come as an array of u64 (data_len
// a multiple of 8, at most 12); more specifiers than 12 give -E2BIG, more
// than the arguments given or anything unsupported -EINVAL, and output that
// does not fit the seq_file buffer -EOVERFLOW.
import { errRet, readKernelMemory, vmBytes, type HelperImpl, type HelperRuntime } from "./abi.js";

const EINVAL = 22;
const E2BIG = 7;
const EOVERFLOW = 75;
const EFAULT = 14;
/** MAX_BPRINTF_VARARGS. */
export const MAX_SEQ_ARGS = 12;
/** Longest %s the kernel copies per argument (MAX_BPRINTF_BUF-bounded). */
const MAX_STR = 512;

/** The seq_file side a helper writes to: append or report that the buffer is full. */
export interface SeqSink {
  /** Appends `text` (latin1 bytes); false when it does not fit (the seq_file has overflowed). */
  write(bytes: Uint8Array): boolean;
}

function readStr(rt: HelperRuntime, addr: bigint, user: boolean): string | undefined {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  for (let i = 0; i < MAX_STR; i++) {
    const rc = user ? rt.env.readUser(one, addr + BigInt(i)) : readKernelMemory(rt, one, addr + BigInt(i));
    if (rc < 0) return bytes.length ? Buffer.from(bytes).toString("latin1") : undefined;
    if (one[0] === 0) break;
    bytes.push(one[0]!);
  }
  return Buffer.from(bytes).toString("latin1");
}

function pad(s: string, width: number, left: boolean, zero: boolean): string {
  if (s.length >= width) return s;
  if (left) return s.padEnd(width, " ");
  if (zero) {
    const sign = s[0] === "-" || s[0] === "+" || s[0] === " " ? s[0] : "";
    return sign + s.slice(sign.length).padStart(width - sign.length, "0");
  }
  return s.padStart(width, " ");
}

/**
 * Formats `fmt` (without its NUL) with `args` as bpf_seq_printf does.
 * Returns the text or a positive errno (EINVAL, E2BIG).
 */
export function formatBprintf(rt: HelperRuntime, fmt: Uint8Array, args: readonly bigint[]): string | number {
  const f = Buffer.from(fmt).toString("latin1");
  let out = "";
  let argi = 0;
  for (let i = 0; i < f.length; i++) {
    const c = f[i]!;
    if (c !== "%") {
      const code = c.charCodeAt(0);
      // isprint() || isspace(): other control bytes are refused.
      if (code < 0x20 && !(code >= 0x09 && code <= 0x0d)) return EINVAL;
      if (code >= 0x7f) return EINVAL;
      out += c;
      continue;
    }
    i++;
    if (f[i] === "%") {
      out += "%";
      continue;
    }
    if (argi >= MAX_SEQ_ARGS) return E2BIG;
    if (argi >= args.length) return EINVAL;
    let left = false;
    let zero = false;
    let plus = false;
    let space = false;
    while (f[i] === "0" || f[i] === "+" || f[i] === "-" || f[i] === " ") {
      if (f[i] === "0") zero = true;
      else if (f[i] === "-") left = true;
      else if (f[i] === "+") plus = true;
      else space = true;
      i++;
    }
    let width = 0;
    while (f[i] !== undefined && f[i]! >= "0" && f[i]! <= "9") width = width * 10 + Number(f[i++]);
    const a = args[argi++]!;
    if (f[i] === "p") {
      const kind = f[i + 1] ?? "";
      let s: string;
      if (kind === "i" || kind === "I") {
        const v = f[i + 2];
        if (v !== "4" && v !== "6") return EINVAL;
        const bytes = new Uint8Array(v === "4" ? 4 : 16);
        if (readKernelMemory(rt, bytes, a) < 0) bytes.fill(0);
        if (v === "4") s = [...bytes].map((b) => (kind === "i" ? b.toString().padStart(3, "0") : b.toString())).join(".");
        else if (kind === "i") s = Buffer.from(bytes).toString("hex");
        else s = Array.from({ length: 8 }, (_, g) => Buffer.from(bytes.subarray(g * 2, g * 2 + 2)).toString("hex")).join(":");
        i += 2;
      } else if (kind === "k" || kind === "u") {
        if (f[i + 2] !== "s") return EINVAL;
        s = readStr(rt, a, kind === "u") ?? "(efault)";
        i += 2;
      } else if (kind === "s" || kind === "S" || kind === "B") {
        s = rt.env.symbolize?.(a) ?? "0x" + BigInt.asUintN(64, a).toString(16);
        i += 1;
      } else {
        if (kind === "x" || kind === "K") i += 1;
        else if (/[A-Za-z0-9]/.test(kind)) return EINVAL;
        s = BigInt.asUintN(64, a).toString(16).padStart(16, "0");
      }
      out += pad(s, width, left, false);
      continue;
    }
    let len = 32;
    if (f[i] === "l") {
      len = 64;
      i++;
      if (f[i] === "l") i++;
    }
    const conv = f[i];
    let s: string;
    switch (conv) {
      case "d":
      case "i": {
        const v = BigInt.asIntN(len, a);
        s = (v >= 0n ? (plus ? "+" : space ? " " : "") : "") + v.toString();
        break;
      }
      case "u":
        s = BigInt.asUintN(len, a).toString();
        break;
      case "x":
        s = BigInt.asUintN(len, a).toString(16);
        break;
      case "X":
        s = BigInt.asUintN(len, a).toString(16).toUpperCase();
        break;
      case "c":
        if (len !== 32) return EINVAL;
        s = String.fromCharCode(Number(a & 0xffn));
        break;
      case "s":
        if (len !== 32) return EINVAL;
        s = readStr(rt, a, false) ?? "(efault)";
        zero = false;
        break;
      default:
        return EINVAL;
    }
    out += pad(s, width, left, zero && !left);
  }
  return out;
}

/** The two helpers, writing to the sink `seqAt` finds for a seq_file address (undefined: -EINVAL). */
export function seqHelpers(seqAt: (addr: bigint) => SeqSink | undefined): Readonly<Record<number, HelperImpl>> {
  const printf: HelperImpl = (rt, seq, fmt, fmtSize, data, dataLen) => {
    const sink = seqAt(seq);
    if (!sink) return errRet(EINVAL);
    const n = Number(dataLen);
    if (n % 8 !== 0 || n > MAX_SEQ_ARGS * 8 || (n > 0 && data === 0n)) return errRet(EINVAL);
    const f = vmBytes(rt, fmt, Number(fmtSize));
    if (!f || f.length === 0) return errRet(EINVAL);
    const nul = f.indexOf(0);
    if (nul < 0) return errRet(EINVAL);
    const raw = vmBytes(rt, data, n);
    if (!raw) return errRet(EFAULT);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const args = Array.from({ length: n / 8 }, (_, k) => view.getBigUint64(k * 8, true));
    const text = formatBprintf(rt, f.subarray(0, nul), args);
    if (typeof text === "number") return errRet(text);
    return sink.write(Buffer.from(text, "latin1")) ? 0n : errRet(EOVERFLOW);
  };
  const write: HelperImpl = (rt, seq, data, len) => {
    const sink = seqAt(seq);
    if (!sink) return errRet(EINVAL);
    const bytes = vmBytes(rt, data, Number(len));
    if (!bytes) return errRet(EFAULT);
    return sink.write(bytes.slice()) ? 0n : errRet(EOVERFLOW);
  };
  return { 126: printf, 127: write };
}
