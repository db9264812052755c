// bpf_trace_printk / bpf_snprintf formatting: the kernel's bprintf subset
// (%d %i %u %x %X with l/ll modifiers, %c, %s reading kernel memory, %p/%px
// /%pK as hex, %%). Bad formats give -EINVAL, as bpf_bprintf_prepare does.
import { readKernelMemory, type HelperRuntime } from "./abi.js";

const EINVAL = 22;
/** Longest string %s copies (the kernel's MAX_BPRINTF_BUF / per-arg limit is similar). */
const MAX_STR = 512;

function readStr(rt: HelperRuntime, addr: bigint): string {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  for (let i = 0; i < MAX_STR; i++) {
    if (readKernelMemory(rt, one, addr + BigInt(i)) < 0) return bytes.length ? Buffer.from(bytes).toString("latin1") : "(efault)";
    if (one[0] === 0) break;
    bytes.push(one[0]!);
  }
  return Buffer.from(bytes).toString("latin1");
}

/** Formats `fmt` with up to `args.length` arguments; returns the text or a positive errno. */
export function formatPrintk(rt: HelperRuntime, fmt: Uint8Array, args: readonly bigint[]): string | number {
  const f = Buffer.from(fmt).toString("latin1");
  let out = "";
  let argi = 0;
  for (let i = 0; i < f.length; i++) {
    const c = f[i]!;
    if (c !== "%") {
      const code = c.charCodeAt(0);
      if (code < 0x20 && c !== "\n" && c !== "\t" && c !== "\r") return EINVAL;
      out += c;
      continue;
    }
    i++;
    if (f[i] === "%") {
      out += "%";
      continue;
    }
    if (argi >= args.length) return EINVAL;
    let len = 32;
    if (f[i] === "l") {
      len = 64;
      i++;
      if (f[i] === "l") i++;
    } else if (f[i] === "h") {
      len = 16;
      i++;
      if (f[i] === "h") {
        len = 8;
        i++;
      }
    }
    const a = args[argi++]!;
    const conv = f[i];
    switch (conv) {
      case "d":
      case "i":
        out += BigInt.asIntN(len, a).toString();
        break;
      case "u":
        out += BigInt.asUintN(len, a).toString();
        break;
      case "x":
        out += BigInt.asUintN(len, a).toString(16);
        break;
      case "X":
        out += BigInt.asUintN(len, a).toString(16).toUpperCase();
        break;
      case "c":
        if (len !== 32) return EINVAL;
        out += String.fromCharCode(Number(a & 0xffn));
        break;
      case "s":
        if (len !== 32) return EINVAL;
        out += readStr(rt, a);
        break;
      case "p": {
        if (len !== 32) return EINVAL;
        const next = f[i + 1];
        if (next === "x" || next === "K" || next === "s") i++;
        out += "0x" + BigInt.asUintN(64, a).toString(16).padStart(16, "0");
        break;
      }
      default:
        return EINVAL;
    }
  }
  return out;
}
