// Running an object without its user-space part (`btfsnoop run`): what a
// libbpf tool's user space does between open and attach that the object
// alone does not say, decided by rule instead of by the tool's code.
//
// 1. Map sizes left to user space. Tools declare some maps without a size
//    and set it with bpf_map__set_value_size/bpf_map__set_max_entries before
//    load (libbpf-tools' stack maps: value_size = perf_max_stack_depth * 8,
//    max_entries = stack_storage_size; per-pid maps: max_entries = pid_max).
//    A size of 0 would make BPF_MAP_CREATE fail with -EINVAL, so:
//      stack_trace value_size 0   -> PERF_EVENT_MAX_STACK (127) u64 ips = 1016
//      stack_trace max_entries 0  -> 1024 (the tools' default stack storage)
//      other maps' max_entries 0  -> 10240 (the tools' usual MAX_ENTRIES)
//    Ring buffers and perf event arrays keep 0 (libbpf sizes a perf event
//    array by the CPUs; a ring buffer of 0 bytes is the object's error).
// 2. Alternative programs. Tools carry several programs for one event and
//    switch all but one off with bpf_program__set_autoload(false) depending
//    on what the kernel has (fentry if the function can be traced, else
//    kprobe; tp_btf, else raw_tp, else the tracepoint) before load, so the
//    others are never verified (a raw_tp twin may call a helper raw_tp
//    programs lack). `run` does the same: of the programs whose target
//    exists, on the same target and phase only the one a tool would pick is
//    loaded: fentry over kprobe, fexit over kretprobe, tp_btf over raw_tp
//    over tracepoint. The others are reported with the program they yield
//    to; programs whose target is missing load (or are skipped) as before.
import { BtfKind } from "../btf/kinds.js";
import type { MapSpec, ObjectSpec } from "./spec.js";
import { isSectionProblem, sectionDef, syscallSymbol, type SectionDef } from "./attach.js";
import type { LoadKernel } from "./load.js";

/** PERF_EVENT_MAX_STACK (kernel.perf_event_max_stack's default). */
export const DEFAULT_STACK_DEPTH = 127;
/** libbpf-tools' default stack_storage_size. */
export const DEFAULT_STACK_ENTRIES = 1024;
/** The MAX_ENTRIES most libbpf-tools maps are declared or sized with. */
export const DEFAULT_MAX_ENTRIES = 10240;

const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
const BPF_MAP_TYPE_STACK_TRACE = 7;
const BPF_MAP_TYPE_RINGBUF = 27;

/** One size `run` set in place of the tool's user space. */
export interface SizeChoice {
  map: string;
  field: "value_size" | "max_entries";
  value: number;
}

/** The sizes a map declared without them gets (none for maps whose sizes are all given). */
export function standaloneSizes(m: MapSpec): SizeChoice[] {
  if (m.origin === "data" || m.type === BPF_MAP_TYPE_RINGBUF || m.type === BPF_MAP_TYPE_PERF_EVENT_ARRAY) return [];
  const out: SizeChoice[] = [];
  if (m.type === BPF_MAP_TYPE_STACK_TRACE) {
    if (m.valueSize === 0) out.push({ map: m.name, field: "value_size", value: DEFAULT_STACK_DEPTH * 8 });
    if (m.maxEntries === 0) out.push({ map: m.name, field: "max_entries", value: DEFAULT_STACK_ENTRIES });
    return out;
  }
  if (m.maxEntries === 0) out.push({ map: m.name, field: "max_entries", value: DEFAULT_MAX_ENTRIES });
  return out;
}

/** Every size choice for an object's maps. */
export function standaloneMapSizes(spec: ObjectSpec): SizeChoice[] {
  return spec.maps.flatMap(standaloneSizes);
}

/** A loaded program as the alternative rule sees it. */
export interface AttachCandidate {
  name: string;
  def: SectionDef;
}

/** Which event and phase a section attaches to, and its rank among alternatives (lower wins). */
function slotOf(def: SectionDef): { key: string; rank: number } | undefined {
  if (!def.target) return undefined;
  switch (def.kind) {
    case "fentry":
      return { key: `entry:${def.target}`, rank: 0 };
    case "kprobe":
      return { key: `entry:${def.target}`, rank: 1 };
    case "fexit":
      return { key: `exit:${def.target}`, rank: 0 };
    case "kretprobe":
      return { key: `exit:${def.target}`, rank: 1 };
    case "tp_btf":
      return { key: `tp:${def.target}`, rank: 0 };
    case "raw_tp":
    case "raw_tracepoint":
      return { key: `tp:${def.target}`, rank: 1 };
    case "tracepoint":
    case "tp":
      return { key: `tp:${def.target.slice(def.target.indexOf("/") + 1)}`, rank: 2 };
    default:
      return undefined;
  }
}

/**
 * Of `candidates` (programs whose target exists, in object order), the ones
 * a tool would have switched off: name -> the program it yields to. Ties
 * (two programs of one kind on one target) keep both: that is no
 * alternative but two handlers.
 */
export function alternativesToSkip(candidates: readonly AttachCandidate[]): Map<string, string> {
  const best = new Map<string, { name: string; rank: number }>();
  for (const c of candidates) {
    const s = slotOf(c.def);
    if (!s) continue;
    const b = best.get(s.key);
    if (!b || s.rank < b.rank) best.set(s.key, { name: c.name, rank: s.rank });
  }
  const skip = new Map<string, string>();
  for (const c of candidates) {
    const s = slotOf(c.def);
    if (!s) continue;
    const b = best.get(s.key)!;
    if (s.rank > b.rank) skip.set(c.name, b.name);
  }
  return skip;
}

/** Whether the kernel has what a section attaches to (a function in BTF or kallsyms, a tracepoint). */
export function targetExists(def: SectionDef, k: Pick<LoadKernel, "btf" | "tracepoints" | "kallsyms">): boolean {
  const t = def.target;
  if (!t) return false;
  switch (def.kind) {
    case "fentry":
    case "fexit":
    case "fmod_ret":
      return k.btf.findByNameKind(t, BtfKind.FUNC) !== undefined;
    case "tp_btf":
    case "raw_tp":
    case "raw_tracepoint":
      return k.tracepoints.some((tp) => tp.name === t);
    case "tracepoint":
    case "tp": {
      const [cat, name] = t.split("/");
      return k.tracepoints.some((tp) => tp.category === cat && tp.name === name);
    }
    case "kprobe":
    case "kretprobe":
      return k.kallsyms.has(t);
    case "ksyscall":
    case "kretsyscall":
      return k.kallsyms.has(syscallSymbol(t));
    default:
      return false;
  }
}

/** The reason a program that yields to `winner` gives. */
export const alternativeReason = (winner: string): string => `alternative of '${winner}' (same event; a tool switches it off with bpf_program__set_autoload)`;

/**
 * The programs of `spec` a tool would switch off before load: of the
 * autoloaded programs whose target exists, the alternatives' losers, each
 * with its reason.
 */
export function alternativesBeforeLoad(spec: ObjectSpec, k: Pick<LoadKernel, "btf" | "tracepoints" | "kallsyms">): Map<string, string> {
  const candidates: AttachCandidate[] = [];
  for (const p of spec.programs) {
    if (!p.autoload) continue;
    const def = sectionDef(p.secName);
    if (isSectionProblem(def) || !targetExists(def, k)) continue;
    candidates.push({ name: p.name, def });
  }
  const out = new Map<string, string>();
  for (const [name, winner] of alternativesToSkip(candidates)) out.set(name, alternativeReason(winner));
  return out;
}
