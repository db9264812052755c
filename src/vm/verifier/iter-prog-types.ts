// BPF iterator programs (BPF_PROG_TYPE_TRACING with expected attach type
// BPF_TRACE_ITER): one program type per iterator target. The context is
// `struct bpf_iter__<target>`: `struct bpf_iter_meta *meta` first (the
// seq_file, session id and seq_num; never NULL), then the typed object
// pointer(s). Object pointers load as PTR_TO_BTF_ID_OR_NULL: the kernel runs
// the program once more with a NULL object after the last one (the
// epilogue), so a program must test the pointer before dereferencing it
// ("R1 invalid mem access 'ptr_or_null_'" otherwise, as in Linux).
//
// The synthetic kernel's headers do not declare the iterator context
// structs, so they live in a small split BTF on top of vmlinux (like a
// module's BTF): `struct seq_file`, `struct bpf_iter_meta` and one
// `struct bpf_iter__<target>` per target, built once per base BTF.
import type { Btf } from "../../btf/btf.js";
import { BtfBuilder } from "../../btf/builder.js";
import { BtfKind } from "../../btf/kinds.js";
import type { TypeId } from "../../btf/types.js";
import { tracingHelperProto, type ProgType } from "./prog-types.js";
import { scalarFromRange } from "./scalar.js";
import { NOT_INIT, scalarReg } from "./state.js";
import { RegType, type RegState } from "./types.js";

/** The iterator targets, in `bpftool iter` naming. */
export const ITER_TARGETS = ["task", "task/file", "bpf_map", "bpf_prog", "netlink", "ipv6_route"] as const;
export type IterTargetName = (typeof ITER_TARGETS)[number];

/** One context field after meta: a typed object pointer (may be NULL) or a u32. */
export interface IterCtxField {
  readonly name: string;
  /** Struct the pointer points to, or "u32" for a scalar. */
  readonly type: string;
  readonly offset: number;
}

interface TargetDef {
  readonly ctxStruct: string;
  readonly fields: readonly IterCtxField[];
  readonly size: number;
}

/** struct bpf_iter__<target> layouts (include/linux/bpf.h, kernel/bpf/*_iter.c). */
export const ITER_CTX: Readonly<Record<IterTargetName, TargetDef>> = {
  task: { ctxStruct: "bpf_iter__task", fields: [{ name: "task", type: "task_struct", offset: 8 }], size: 16 },
  "task/file": {
    ctxStruct: "bpf_iter__task_file",
    fields: [
      { name: "task", type: "task_struct", offset: 8 },
      { name: "fd", type: "u32", offset: 16 },
      { name: "file", type: "file", offset: 24 },
    ],
    size: 32,
  },
  bpf_map: { ctxStruct: "bpf_iter__bpf_map", fields: [{ name: "map", type: "bpf_map", offset: 8 }], size: 16 },
  bpf_prog: { ctxStruct: "bpf_iter__bpf_prog", fields: [{ name: "prog", type: "bpf_prog", offset: 8 }], size: 16 },
  netlink: { ctxStruct: "bpf_iter__netlink", fields: [{ name: "sk", type: "netlink_sock", offset: 8 }], size: 16 },
  ipv6_route: { ctxStruct: "bpf_iter__ipv6_route", fields: [{ name: "rt", type: "fib6_info", offset: 8 }], size: 16 },
};

export function isIterTarget(name: string): name is IterTargetName {
  return (ITER_TARGETS as readonly string[]).includes(name);
}

/** struct seq_file as this simulation lays it out (the fields of include/linux/seq_file.h the iterator uses). */
export const SEQ_FILE_FIELDS = ["buf", "size", "from", "count", "pad_until", "index", "read_pos"] as const;
/** struct bpf_iter_meta { struct seq_file *seq; u64 session_id; u64 seq_num; }. */
export const ITER_META_SIZE = 24;

const cache = new WeakMap<Btf, Btf>();

/** vmlinux plus the iterator types (split BTF); the verifier types iterator contexts with it. */
export function iterBtf(base: Btf): Btf {
  let b = cache.get(base);
  if (b) return b;
  const builder = new BtfBuilder(base);
  const u64 = builder.int("unsigned long long", 8);
  const u32 = builder.int("unsigned int", 4);
  const seqFile = builder.struct("seq_file", SEQ_FILE_FIELDS.length * 8);
  const charPtr = builder.ptr(builder.int("char", 1, 1));
  SEQ_FILE_FIELDS.forEach((f, i) => builder.field(seqFile, f, f === "buf" ? charPtr : u64, i * 64));
  const meta = builder.struct("bpf_iter_meta", ITER_META_SIZE);
  builder.field(meta, "seq", builder.ptr(seqFile), 0).field(meta, "session_id", u64, 64).field(meta, "seq_num", u64, 128);
  const metaPtr = builder.ptr(meta);
  for (const t of ITER_TARGETS) {
    const def = ITER_CTX[t];
    const s = builder.struct(def.ctxStruct, def.size);
    builder.field(s, "meta", metaPtr, 0);
    for (const f of def.fields) {
      if (f.type === "u32") {
        builder.field(s, f.name, u32, f.offset * 8);
        continue;
      }
      const target = base.findByNameKind(f.type, BtfKind.STRUCT);
      if (target === undefined) throw new Error(`iterator target ${t}: the kernel's BTF has no struct ${f.type}`);
      builder.field(s, f.name, builder.ptr(target), f.offset * 8);
    }
  }
  b = builder.finish();
  cache.set(base, b);
  return b;
}

/** The BTF id of a struct in the iterator BTF (or its base). */
export function iterStructId(btf: Btf, name: string): TypeId {
  const own = btf.idsOfKind(BtfKind.STRUCT).find((id) => btf.nameOf(id) === name);
  const id = own ?? btf.findByNameKind(name, BtfKind.STRUCT);
  if (id === undefined) throw new Error(`no struct ${name}`);
  return id;
}

/** The verifier's program type for an iterator over `target`, typed with `btf` (from iterBtf). */
export function iterProgType(target: IterTargetName, btf: Btf): ProgType & { readonly target: IterTargetName } {
  const def = ITER_CTX[target];
  const metaId = iterStructId(btf, "bpf_iter_meta");
  const typed = new Map<number, { btfId: number } | "u32">();
  for (const f of def.fields) typed.set(f.offset, f.type === "u32" ? "u32" : { btfId: iterStructId(btf, f.type) });
  const bad = (off: number, size: number): string => `invalid bpf_context access off=${off} size=${size}`;
  return {
    name: "iter",
    target,
    entryRegs: () => [{ type: RegType.PTR_TO_CTX, off: 0 }, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT],
    ctxSize: def.size,
    ctxAccess: (off, size, write) => {
      if (write || off < 0 || off + size > def.size) return bad(off, size);
      const field = off === 0 ? "ptr" : typed.get(off);
      if (field === undefined) return bad(off, size);
      if (field === "u32" ? size !== 4 : size !== 8) return bad(off, size);
      return undefined;
    },
    ctxLoad: (off, nextId): RegState | undefined => {
      if (off === 0) return { type: RegType.PTR_TO_BTF_ID, btfId: metaId, off: 0 };
      const field = typed.get(off);
      if (field === undefined || field === "u32") return field === "u32" ? scalarReg(scalarFromRange(0n, 0xffffffffn)) : undefined;
      return { type: RegType.PTR_TO_BTF_ID_OR_NULL, btfId: field.btfId, id: nextId(), off: 0, scalar: scalarFromRange(0n, 0n) };
    },
    helper: tracingHelperProto,
    // check_return_code for BPF_TRACE_ITER: 0 (continue) or 1 (stop).
    retRange: { min: 0n, max: 1n },
    pointerReturnOk: false,
    allowCallx: false,
  };
}
