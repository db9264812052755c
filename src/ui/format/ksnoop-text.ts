// The ksnoop text output: the header and one event exactly as ksnoop's
// trace_handler() prints them (iovisor/bcc libbpf-tools/ksnoop.c, non-verbose):
//
//   printf("%16lld %4d %8u %s(\n", time, cpu, pid, func);
//   per value: ",\n" between values; "%34s %s = " name; "*(0x%llx)" for
//   pointers; "\n"; then the "Cannot show" comment or the libbpf typed dump
//   (indent_str " ", indent_level 36) and "%36s... /* N bytes of M */" on -E2BIG;
//   printf("\n%31s);\n\n");
//
// PID is the thread id, as ksnoop prints. Values whose shown type is void
// (`void *`, dataTypeId 0) are skipped, as ksnoop does. A record with no
// value captured (no arguments and a void return, as `schedule`; or every
// read failed) is not printed at all (ksnoopShows): ksnoop's BPF program
// sends a record only when it captured some bytes (output_trace skips an
// empty buffer), so `ksnoop schedule` prints its header and nothing else.
// Extensions (ksnoop has no equivalent):
// * `string` values (char * captured as a string) print as a C string literal
//   on the line after the pointer, indented 36 spaces: `"hello\n"` escapes
//   `"`, `\`, \n, \t, \r and other bytes outside ASCII 0x20..0x7e as `\ooo`
//   octal of their UTF-8 encoding.
// * `text` values (kernel bpf_snprintf_btf rendering) print each line
//   prefixed by 36 spaces, without the kernel's trailing newline.
import type { Btf } from "../../btf/btf.js";
import { formatLibbpf, LIBBPF_1_1_2_QUIRKS } from "../../btf/format/value-libbpf.js";
import { BtfKind } from "../../btf/kinds.js";
import type { TypeId } from "../../btf/types.js";
import type { TraceEvent, TraceValue } from "../../tracer/event.js";

const E2BIG = 7;

export interface KsnoopTextOptions {
  /** Reproduce libbpf 1.1.2's typed-dump quirks (what a real ksnoop build prints). */
  libbpfQuirks?: boolean;
}

const pad = (s: string | number | bigint, width: number): string => String(s).padStart(width, " ");
const SPACES: string[] = [];
const spaces = (n: number): string => (SPACES[n] ??= " ".repeat(n));
/** The libbpf dump options ksnoop uses (indent_str " ", indent_level 36), without and with the 1.1.2 quirks. */
const DUMP_OPTS = { indentStr: " ", indentLevel: 36 } as const;
const DUMP_OPTS_QUIRKS = { ...DUMP_OPTS, ...LIBBPF_1_1_2_QUIRKS } as const;

/** `printf("%16s %4s %8s %s\n", "TIME", "CPU", "PID", "FUNCTION/ARGS")`. */
export function formatKsnoopHeader(): string {
  return `${pad("TIME", 16)} ${pad("CPU", 4)} ${pad("PID", 8)} FUNCTION/ARGS\n`;
}

/** Whether ksnoop would print this record: some value (not void) was captured, i.e. read without error. */
export function ksnoopShows(ev: TraceEvent): boolean {
  return ev.values.some((v) => v.dataTypeId !== 0 && v.error === undefined);
}

/** One event as trace_handler() prints it (ends with the blank line after `);`). */
export function formatKsnoopEvent(btf: Btf, ev: TraceEvent, opts: KsnoopTextOptions = {}): string {
  const time = BigInt.asIntN(64, ev.timeNs);
  let out = `${pad(time, 16)} ${pad(ev.cpu | 0, 4)} ${pad(ev.tid >>> 0, 8)} ${ev.func}(\n`;
  let shown = 0;
  for (const v of ev.values) {
    if (v.dataTypeId === 0) continue;
    if (shown > 0) out += ",\n";
    out += `${spaces(34)} ${v.name} = `;
    if (v.ptr !== undefined) out += `*(0x${BigInt.asUintN(64, v.ptr).toString(16)})`;
    out += "\n";
    out += valueBody(btf, v, opts);
    shown++;
  }
  return out + `\n${spaces(31)});\n\n`;
}

function valueBody(btf: Btf, v: TraceValue, opts: KsnoopTextOptions): string {
  if (v.error !== undefined) {
    const type = typeIdToStr(btf, v.dataTypeId) + (v.ptr !== undefined ? " *" : "");
    return `${spaces(36)} /* Cannot show '${v.name}' as '${type}'; invalid/userspace ptr? */\n`;
  }
  if (v.string !== undefined) return spaces(36) + cStringLiteral(v.string);
  if (v.data === undefined && v.text !== undefined) {
    return v.text
      .replace(/\n$/, "")
      .split("\n")
      .map((line) => spaces(36) + line)
      .join("\n");
  }
  const data = v.data ?? new Uint8Array(0);
  const r = formatLibbpf(btf, v.dataTypeId, data, opts.libbpfQuirks ? DUMP_OPTS_QUIRKS : DUMP_OPTS);
  let out = r.text;
  if (r.status === -E2BIG) out += `${spaces(36)}... /* ${data.length} bytes of ${v.fullSize} */`;
  return out;
}

/**
 * ksnoop's type_id_to_str(): `prefix name suffix ptr` — `"char "`, `"struct sk_buff "`,
 * `"int[]"`, `"char * "` (for a pointer-to-pointer's pointee). Anonymous
 * types and void pointees (where ksnoop would loop forever) end the walk.
 */
export function typeIdToStr(btf: Btf, id: TypeId): string {
  let name = "";
  let prefix = "";
  let suffix = " ";
  let ptr = "";
  if (id === 0) name = "void";
  for (let guard = 0; guard < 64 && name === ""; guard++) {
    if (!btf.hasId(id)) {
      name = "?";
      break;
    }
    if (id === 0) {
      name = "void";
      break;
    }
    const t = btf.typeById(id);
    switch (t.kind) {
      case BtfKind.CONST:
      case BtfKind.VOLATILE:
      case BtfKind.RESTRICT:
        id = t.type;
        continue;
      case BtfKind.PTR:
        ptr = "* ";
        id = t.type;
        continue;
      case BtfKind.ARRAY:
        suffix = "[]";
        id = t.type;
        continue;
      case BtfKind.STRUCT:
        prefix = "struct ";
        break;
      case BtfKind.UNION:
        prefix = "union ";
        break;
      case BtfKind.ENUM:
        prefix = "enum ";
        break;
      default:
        break;
    }
    name = t.name;
    if (name === "") break; // ksnoop spins here; we print the prefix alone
  }
  return prefix + name + suffix + ptr;
}

/** A C string literal of `s` (UTF-8 bytes; see the module comment for the escapes). */
export function cStringLiteral(s: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(s)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += "\\\\";
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x09) out += "\\t";
    else if (byte === 0x0d) out += "\\r";
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += "\\" + byte.toString(8).padStart(3, "0");
  }
  return out + '"';
}
