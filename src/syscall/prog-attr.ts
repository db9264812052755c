// BPF_PROG_LOAD's attribute checks outside the verifier: the program type
// and its context from the attributes (conformance memory, tracing and
// raw tracepoint arguments, BTF-typed tracing targets, tracepoint records, iterator
// targets, socket filters' __sk_buff over the kernel's sk_buff layout),
// and bpf_func_info / bpf_line_info's structural rules (the verifier prints
// the source lines: insn-log.ts).
import type { Btf } from "../btf/btf.js";
import { iterBtf, iterProgType, isIterTarget, ITER_TARGETS } from "../vm/verifier/iter-prog-types.js";
import { conformanceProgType, kprobeProgType, perfEventProgType, rawTracepointProgType, socketFilterProgType, tracepointProgType, tracingProgType, type ProgType } from "../vm/verifier/prog-types.js";
import { skbLayoutFromBtf, type SkbLayout } from "../vm/verifier/sk-buff-ctx.js";
import { TRACING_ATTACH, tracingCtxFromProto, tracingCtxTypes, typedTracingProgType, type TracingAttach, type TracingCtxTypes } from "../vm/verifier/tracing-ctx.js";
import { syntheticKconfig } from "./kconfig.js";
import type { ProgLoadAttr, TracepointInfo } from "./types.js";

/** Most arguments a tracing program's context has (MAX_BPF_FUNC_ARGS). */
const MAX_FUNC_ARGS = 12;
/** Conformance memory is capped like a test run's data (a page of headroom kept simple). */
const MAX_MEM_SIZE = 1 << 20;

/** The sk_buff layout of each kernel BTF (socket filters' context conversion), computed once. */
const skbLayouts = new WeakMap<Btf, SkbLayout | string>();

/** The kernel's sk_buff layout from its BTF (SkbLayout), or why there is none. */
export function skbLayoutOf(btf: Btf): SkbLayout | string {
  let l = skbLayouts.get(btf);
  // MIN_NAPI_ID is NR_CPUS + 1: smaller napi_id values are sender CPUs.
  if (l === undefined) skbLayouts.set(btf, (l = skbLayoutFromBtf(btf, Number(syntheticKconfig().get("CONFIG_NR_CPUS") ?? "8192") + 1)));
  return l;
}

/** The BTF-typed context of a tracing program with an attach target (attachBtfId / attachTracepoint), undefined without one, or why not. */
function typedTracingContext(attr: ProgLoadAttr, btf: Btf, tracepoints: () => TracepointInfo[]): TracingCtxTypes | string | undefined {
  if (attr.attachBtfId === undefined && attr.attachTracepoint === undefined) return undefined;
  const attach = attr.expectedAttachType ?? (attr.attachTracepoint !== undefined ? "tp_btf" : "fentry");
  if (!(TRACING_ATTACH as readonly string[]).includes(attach)) return `invalid expected attach type '${attach}' for a BTF-attached tracing program (${TRACING_ATTACH.join(", ")})`;
  if (attr.attachBtfId !== undefined) return tracingCtxTypes(btf, attr.attachBtfId, attach as TracingAttach);
  if (attach !== "tp_btf") return `attachTracepoint is for tp_btf programs, not ${attach}`;
  const tp = tracepoints().find((t) => t.name === attr.attachTracepoint);
  if (!tp) return `no raw tracepoint '${attr.attachTracepoint}' in the kernel`;
  return tracingCtxFromProto(btf, tp.name, tp.proto.map((p) => p.type));
}

/** The verifier's program type and the context size for `attr`, or why the attributes are invalid (EINVAL). */
export function progTypeOf(attr: ProgLoadAttr, btf: Btf, tracepoints: () => TracepointInfo[]): { progType: ProgType; ctxSize: number } | string {
  switch (attr.progType) {
    case "conformance": {
      const memSize = attr.memSize ?? 0;
      if (!Number.isInteger(memSize) || memSize < 0 || memSize > MAX_MEM_SIZE) return `invalid memSize ${memSize}`;
      return { progType: conformanceProgType(memSize), ctxSize: memSize };
    }
    case "tracing": {
      const nargs = attr.nargs ?? 6;
      if (!Number.isInteger(nargs) || nargs < 0 || nargs > MAX_FUNC_ARGS) return `invalid nargs ${nargs} (0..${MAX_FUNC_ARGS})`;
      const typed = typedTracingContext(attr, btf, tracepoints);
      if (typeof typed === "string") return typed;
      const progType = typed ? typedTracingProgType(typed) : tracingProgType(nargs);
      return { progType, ctxSize: progType.ctxSize };
    }
    case "raw_tracepoint": {
      // BPF_PROG_TYPE_RAW_TRACEPOINT: the TP_PROTO arguments as u64 slots (12 unless told), raw_tp's helpers.
      const nargs = attr.nargs ?? MAX_FUNC_ARGS;
      if (!Number.isInteger(nargs) || nargs < 0 || nargs > MAX_FUNC_ARGS) return `invalid nargs ${nargs} (0..${MAX_FUNC_ARGS})`;
      if (attr.attachBtfId !== undefined || attr.attachTracepoint !== undefined) return "raw_tracepoint programs have no BTF attach target (tp_btf programs are tracing programs)";
      const progType = rawTracepointProgType(nargs);
      return { progType, ctxSize: progType.ctxSize };
    }
    case "kprobe": {
      const progType = kprobeProgType();
      return { progType, ctxSize: progType.ctxSize };
    }
    case "perf_event": {
      const progType = perfEventProgType();
      return { progType, ctxSize: progType.ctxSize };
    }
    case "tracepoint": {
      const size = attr.ctxSize ?? 0;
      if (!Number.isInteger(size) || size < 8 || size > 4096) return `invalid ctxSize ${size} for a tracepoint program (the event record's size, 8..4096)`;
      return { progType: tracepointProgType(size), ctxSize: size };
    }
    case "iter": {
      // BPF_PROG_TYPE_TRACING + BPF_TRACE_ITER: the target names the context struct (bpf_iter__<target>).
      const target = attr.iterTarget ?? "";
      if (!isIterTarget(target)) return `unknown iterator target '${target}' (have ${ITER_TARGETS.join(", ")})`;
      const progType = iterProgType(target, iterBtf(btf));
      return { progType, ctxSize: progType.ctxSize };
    }
    case "socket_filter": {
      // BPF_PROG_TYPE_SOCKET_FILTER: r1 is a struct sk_buff, accessed as __sk_buff and converted onto this kernel's layout.
      const layout = skbLayoutOf(btf);
      if (typeof layout === "string") return `socket filters need the kernel's struct sk_buff: ${layout}`;
      const progType = socketFilterProgType(layout);
      return { progType, ctxSize: progType.ctxSize };
    }
    default:
      return `unknown program type '${String(attr.progType)}'`;
  }
}

/** check_btf_func / check_btf_line's structural rules: the first func_info at 0, offsets ascending and inside the program. */
export function checkInfo(attr: ProgLoadAttr, slots: number): string | undefined {
  const fi = attr.funcInfo ?? [];
  for (let i = 0; i < fi.length; i++) {
    const off = fi[i]!.insnOff;
    if (i === 0 && off !== 0) return `nonzero insn_off ${off} for the first func info record`;
    if (i > 0 && off <= fi[i - 1]!.insnOff) return `same or smaller insn offset (${off}) than previous func info record (${fi[i - 1]!.insnOff})`;
    if (!Number.isInteger(off) || off >= slots) return `func_info[${i}].insn_off ${off} is past the program's ${slots} insns`;
  }
  const li = attr.lineInfo ?? [];
  for (let i = 0; i < li.length; i++) {
    const off = li[i]!.insnOff;
    if (!Number.isInteger(off) || off < 0 || off >= slots) return `Invalid line_info[${i}].insn_off:${off} (prev_offset:${i ? li[i - 1]!.insnOff : 0} prog->len:${slots})`;
    if (i > 0 && off < li[i - 1]!.insnOff) return `Invalid line_info[${i}].insn_off:${off} (prev_offset:${li[i - 1]!.insnOff} prog->len:${slots})`;
  }
  return undefined;
}
