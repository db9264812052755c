// Plugs the trampoline into the syscall layer: attach types fentry, fexit,
// fmod_ret (one target) and fentry.multi / fexit.multi (a batch of targets
// by name, BTF id or glob, one cookie each), plus the get_func_* helpers.
import type { FunctionTable, KernelFunction } from "../kernel-model/functions.js";
import { isDataLoc, type TracepointTable } from "../kernel-model/tracepoints.js";
import { RegionKind } from "../vm/memory.js";
import type { Btf } from "../btf/btf.js";
import type { HelperImpl } from "../vm/helpers/abi.js";
import type { AddressSpace } from "../vm/memory.js";
import { DYNAMIC_CAST_ID } from "../vm/helpers/protos.js";
import { dynamicCastHelper, snprintfBtfHelper, TRAMPOLINE_HELPERS } from "./helpers.js";
import { KprobeManager } from "./kprobe.js";
import { RunGuard } from "./run-guard.js";
import { ctxRunner, TrampolineManager, type TracingKind, type TracingProgram } from "./trampoline.js";

/** Where a link attaches (meaning depends on the attach type); the syscall layer's link_create takes it as is. */
export interface AttachTarget {
  /** Target function or tracepoint name. */
  name?: string;
  /** BTF id of the target (attach_btf_id). */
  btfId?: number;
  /** Value bpf_get_attach_cookie returns. */
  cookie?: bigint;
  /** Several targets at once (multi-attach). */
  names?: string[];
  /** One cookie per entry of `names` (a glob's matches share its cookie), as kprobe_multi's cookies array. */
  cookies?: bigint[];
}

/** A loaded program as an attach handler gets it. */
export interface AttachProgram extends TracingProgram {
  /** Its program type ("tracing", "kprobe", "tracepoint", ...). */
  readonly type: string;
  /** The context size in bytes its verified loads need. */
  readonly ctxSize: number;
}

/** Undoes an attachment; called once, when the link is detached or freed. */
export type DetachFn = () => void;

/** A failure with its detail (becomes the syscall layer's lastError). */
export interface AttachFailure {
  errno: number;
  message: string;
}

/**
 * Attaches `prog` to `target` for one attach type: returns a detach
 * function, a negative errno, or a negative errno with a message.
 */
export type AttachHandler = (prog: AttachProgram, target: AttachTarget, attachType: string) => DetachFn | number | AttachFailure;

/**
 * What the trampoline plugs into: the syscall layer's address space, its
 * helper table and its attach types. Defined here, below the syscall
 * layer, which implements it (src/syscall/bpf.ts).
 */
export interface AttachHost {
  readonly mem: AddressSpace;
  registerHelpers(impls: Readonly<Record<number, HelperImpl>>): void;
  registerAttachHandler(attachType: string, handler: AttachHandler): void;
}

/** Shell-style glob (`*`, `?`, `{a,b}`) to a RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "{") {
      const end = glob.indexOf("}", i);
      if (end < 0) re += "\\{";
      else {
        re += `(?:${glob.slice(i + 1, end).split(",").map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The functions a target names, and the cookie of each (from `cookies`, else `cookie`, else none). */
function resolveTargets(functions: FunctionTable, t: AttachTarget): { fns: KernelFunction[]; cookies: bigint[] | undefined } | string {
  const out: KernelFunction[] = [];
  const names = t.names ?? (t.name !== undefined ? [t.name] : []);
  if (t.cookies !== undefined && (t.names === undefined || t.cookies.length !== t.names.length)) return `${t.cookies.length} cookies for ${names.length} names`;
  const perName: number[] = [];
  for (const name of names) {
    perName.push(out.length);
    if (/[*?{]/.test(name)) {
      const re = globToRegExp(name);
      const hits = functions.all().filter((f) => re.test(f.name) && f.btfId !== undefined);
      if (!hits.length) return `no function matches '${name}'`;
      // One target per name: static duplicates share a BTF FUNC (the kernel attaches by BTF id).
      const seen = new Set<string>();
      for (const f of hits) if (!seen.has(f.name)) (seen.add(f.name), out.push(f));
    } else {
      const f = functions.named(name)[0];
      if (!f) return `no function '${name}'`;
      out.push(f);
    }
  }
  if (t.btfId !== undefined) {
    const f = functions.all().find((x) => x.btfId === t.btfId);
    if (!f) return `no function with BTF id ${t.btfId}`;
    out.push(f);
  }
  if (!out.length) return "no target given";
  let cookies: bigint[] | undefined;
  if (t.cookies) {
    cookies = [];
    for (let i = 0; i < names.length; i++) {
      const end = perName[i + 1] ?? (t.btfId !== undefined ? out.length - 1 : out.length);
      for (let j = perName[i]!; j < end; j++) cookies.push(t.cookies[i]!);
    }
    if (t.btfId !== undefined) cookies.push(t.cookie ?? 0n);
  } else if (t.cookie !== undefined) cookies = out.map(() => t.cookie!);
  return { fns: out, cookies };
}

const KINDS: Record<string, TracingKind> = { fentry: "fentry", fexit: "fexit", fmod_ret: "fmod_ret", "fentry.multi": "fentry", "fexit.multi": "fexit" };

/** Registers the tracing attach types and helpers on `bpf`; returns the manager (for stats). */
export function installTracingAttach(bpf: AttachHost, functions: FunctionTable, kernelBtf: Btf, vmlinuxBtfId: number, tracepoints?: TracepointTable): TrampolineManager {
  const guard = new RunGuard();
  const mgr = new TrampolineManager(functions, bpf.mem, guard);
  bpf.registerHelpers({ ...TRAMPOLINE_HELPERS, 149: snprintfBtfHelper(kernelBtf), [DYNAMIC_CAST_ID]: dynamicCastHelper(kernelBtf, vmlinuxBtfId) });
  for (const [type, kind] of Object.entries(KINDS)) {
    bpf.registerAttachHandler(type, (prog, target) => {
      if (prog.type !== "tracing") return { errno: -22, message: `attach type ${type} needs a tracing program, not ${prog.type}` };
      const resolved = resolveTargets(functions, target);
      if (typeof resolved === "string") return { errno: resolved.includes("cookies") ? -22 : -2, message: resolved };
      const targets = resolved.fns;
      if (!type.endsWith(".multi") && targets.length !== 1) return { errno: -22, message: `${type} attaches to one function; use ${type}.multi for ${targets.length}` };
      return mgr.attach(prog, kind, targets, resolved.cookies);
    });
  }
  if (tracepoints) installTracepointAttach(bpf, tracepoints, guard);
  const kprobes = new KprobeManager(functions, bpf.mem, guard);
  for (const type of ["kprobe", "kretprobe", "kprobe.multi", "kretprobe.multi"]) {
    bpf.registerAttachHandler(type, (prog, target) => {
      if (prog.type !== "kprobe") return { errno: -22, message: `attach type ${type} needs a kprobe program, not ${prog.type}` };
      const resolved = resolveTargets(functions, target);
      if (typeof resolved === "string") return { errno: resolved.includes("cookies") ? -22 : -2, message: resolved };
      const targets = resolved.fns;
      if (!type.endsWith(".multi") && targets.length !== 1) return { errno: -22, message: `${type} attaches to one function; use ${type}.multi for ${targets.length}` };
      return kprobes.attach(prog, type.startsWith("kretprobe") ? "kretprobe" : "kprobe", targets);
    });
  }
  return mgr;
}

/** Bytes a tracepoint record's region has past the fixed part when the event has __data_loc fields. */
const DATA_LOC_ROOM = 256;

/**
 * tracepoint (ctx = the event record, "category:name") and raw_tp (ctx =
 * the TP_PROTO arguments as u64, "name") links; several programs per event.
 */
function installTracepointAttach(bpf: AttachHost, tracepoints: TracepointTable, guard: RunGuard): void {
  const find = (name: string) => {
    const [cat, ev] = name.includes(":") ? name.split(":", 2) : [undefined, name];
    return tracepoints.all().find((t) => t.name === ev && (cat === undefined || t.category === cat));
  };
  bpf.registerAttachHandler("tracepoint", (prog, target) => {
    if (prog.type !== "tracepoint") return { errno: -22, message: `attach type tracepoint needs a tracepoint program, not ${prog.type}` };
    const tp = target.name ? find(target.name) : undefined;
    if (!tp) return { errno: -2, message: `no tracepoint '${target.name ?? ""}'` };
    if (prog.ctxSize > tp.size) return { errno: -13, message: `program reads ${prog.ctxSize} bytes of context, ${tp.category}:${tp.name} records have ${tp.size}` };
    // The verifier allows direct loads of the fixed part only (ctxSize above);
    // the region holds the whole record, so __data_loc data after the fixed
    // part can be read with bpf_probe_read_kernel(_str). Records with such
    // data vary in length: the region has room for a tail and is remapped
    // larger when a record does not fit; bytes past the record are zeroed.
    const label = `${tp.category}:${tp.name} record`;
    const tail = tp.fields.some(isDataLoc) ? DATA_LOC_ROOM : 0;
    let ctx = bpf.mem.map(RegionKind.CTX, new Uint8Array(tp.size + tail), { writable: false, label });
    let used = tp.size;
    const runner = ctxRunner(prog);
    const off = tracepoints.attach(tp, (hit) => {
      // The recursion guard, inline (this runs per event): a nested event is skipped.
      if (guard.depth > 0) return;
      guard.depth++;
      try {
        const rec = hit.record;
        if (rec.length > ctx.size) {
          bpf.mem.unmap(ctx);
          ctx = bpf.mem.map(RegionKind.CTX, new Uint8Array(Math.ceil(rec.length / 8) * 8), { writable: false, label });
        }
        ctx.bytes.set(rec);
        if (used > rec.length) ctx.bytes.fill(0, rec.length, used);
        used = rec.length;
        runner.runCtx(ctx);
      } finally {
        guard.depth--;
      }
    });
    return () => {
      off();
      bpf.mem.unmap(ctx);
    };
  });
  bpf.registerAttachHandler("raw_tp", (prog, target) => {
    // bpf_raw_tp_link_attach: BPF_PROG_TYPE_RAW_TRACEPOINT, or a tracing (tp_btf) program.
    if (prog.type !== "raw_tracepoint" && prog.type !== "tracing") return { errno: -22, message: `attach type raw_tp needs a raw_tracepoint or tracing program, not ${prog.type}` };
    const tp = target.name ? find(target.name) : undefined;
    if (!tp) return { errno: -2, message: `no raw tracepoint '${target.name ?? ""}'` };
    if (prog.ctxSize > tp.proto.length * 8) return { errno: -13, message: `program reads ${prog.ctxSize / 8} arguments, ${tp.name} has ${tp.proto.length}` };
    const bytes = new Uint8Array(Math.max(8, tp.proto.length * 8));
    const ctx = bpf.mem.map(RegionKind.CTX, bytes, { writable: false, label: `raw_tp ${tp.name} args` });
    // u64 slots (little-endian host: the kernel's byte order); a store wraps a negative argument to its u64.
    const slots = new BigUint64Array(bytes.buffer);
    const runner = ctxRunner(prog);
    const off = tracepoints.attach(tp, (hit) => {
      if (guard.depth > 0) return;
      guard.depth++;
      try {
        const args = hit.args;
        for (let i = 0; i < args.length && i < slots.length; i++) slots[i] = args[i]!;
        runner.runCtx(ctx);
      } finally {
        guard.depth--;
      }
    });
    return () => {
      off();
      bpf.mem.unmap(ctx);
    };
  });
}
