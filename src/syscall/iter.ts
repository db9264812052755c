// BPF iterators (kernel/bpf/bpf_iter.c): the `iter` attach type and what
// BPF_ITER_CREATE + read(2) do. A link of an iterator program to its target
// (bpf_link_create with attach type "iter") is a dumper; iterCreate(link)
// opens one walk over the target's objects as an fd (objects.ts IterObject
// holds the reader below), and bpf.read(fd, n) is read(2) on it. Each chunk
// the reader makes runs the program for the next objects in order with the
// context `struct bpf_iter__<target>`
// (meta first: the seq_file, the session id and seq_num, which counts the
// objects shown), collects what bpf_seq_printf / bpf_seq_write wrote, and at
// the end runs the program once more with a NULL object (the epilogue) —
// as bpf_seq_read does through the target's seq_ops.
//
// The objects come from IterSources (the kernel model supplies them in
// boot.ts; namespace filtering is the source's job) and, for bpf_map and
// bpf_prog, from this syscall layer's own maps and programs, laid out as
// `struct bpf_map` / `struct bpf_prog` (+ `bpf_prog_aux`) in VM memory.
//
// Differences from Linux, kept small: a program's return value 1 ends the
// walk (the kernel returns -EAGAIN to read(2)); the seq_file buffer is
// 8 pages per object (bpf_seq_read's size) and an object whose output does
// not fit fails the read with -E2BIG instead of being retried.
import type { Btf } from "../btf/btf.js";
import { BtfKind } from "../btf/kinds.js";
import { resolveMemberPath } from "../btf/members.js";
import { Errno } from "../internal/errno.js";
import { seqHelpers, type SeqSink } from "../vm/helpers/seq.js";
import { RegionKind, regionAddress, type Region } from "../vm/memory.js";
import { ITER_CTX, ITER_META_SIZE, isIterTarget, SEQ_FILE_FIELDS, type IterTargetName } from "../vm/verifier/iter-prog-types.js";
import type { Bpf } from "./bpf.js";
import type { AttachFailure, BpfProg, IterReader } from "./types.js";

/** The kernel objects the model-backed targets walk (already filtered to the current namespaces). */
export interface IterSources {
  /** task_struct addresses of the current pid namespace's tasks, in pid order. */
  tasks(): bigint[];
  /** Every open file of every process: the task_struct, the fd and the struct file, by pid then fd. */
  taskFiles(): { task: bigint; fd: number; file: bigint }[];
  /** netlink_sock addresses of the current net namespace, in hash-table order. */
  netlink(): bigint[];
  /** fib6_info addresses of the current net namespace's routes, in FIB walk order. */
  ipv6Routes(): bigint[];
}

/** PAGE_SIZE << 3: bpf_seq_read's buffer. */
export const SEQ_BUF_SIZE = 8 * 4096;
/** Instruction budget per program run. */
const RUN_BUDGET = 1_000_000;

/** One row of the context after meta: the values of its fields (pointers and u32s). */
type CtxRow = readonly bigint[];

class Seq implements SeqSink {
  private chunks: Uint8Array[] = [];
  private used = 0;
  overflowed = false;

  write(bytes: Uint8Array): boolean {
    if (this.overflowed || this.used + bytes.length > SEQ_BUF_SIZE) {
      this.overflowed = true;
      return false;
    }
    this.chunks.push(bytes);
    this.used += bytes.length;
    return true;
  }

  take(): string {
    const s = Buffer.concat(this.chunks).toString("latin1");
    this.chunks = [];
    this.used = 0;
    this.overflowed = false;
    return s;
  }
}

/** Writes `value` at the member `path` of struct `type` into `bytes` (absent members are skipped). */
function putField(btf: Btf, bytes: Uint8Array, type: string, path: string, value: bigint | string, size?: number): void {
  const id = btf.findByNameKind(type, BtfKind.STRUCT);
  if (id === undefined) return;
  let loc: { bitsOffset: number };
  try {
    loc = resolveMemberPath(btf, id, path);
  } catch {
    return;
  }
  const off = loc.bitsOffset / 8;
  if (typeof value === "string") {
    const s = Buffer.from(value, "latin1").subarray(0, (size ?? 16) - 1);
    bytes.set(s, off);
    return;
  }
  const n = size ?? 8;
  for (let i = 0; i < n; i++) bytes[off + i] = Number((BigInt.asUintN(64, value) >> BigInt(8 * i)) & 0xffn);
}

function structSize(btf: Btf, name: string): number {
  const id = btf.findByNameKind(name, BtfKind.STRUCT);
  if (id === undefined) return 0;
  const t = btf.typeById(id);
  return "size" in t ? (t as { size: number }).size : 0;
}

/** Map types by number, for prog type names of the bpf_prog iterator. */
const PROG_TYPE_NUMBERS: Readonly<Record<string, number>> = { socket_filter: 1, kprobe: 2, tracepoint: 5, perf_event: 7, raw_tracepoint: 17, tracing: 26, iter: 26, conformance: 0 };

let sessionIds = 0;

/** Registers the `iter` attach type, BPF_ITER_CREATE and the seq helpers on `bpf`. */
export function installIter(bpf: Bpf, sources: IterSources, btf: Btf): void {
  const sinks = new Map<bigint, Seq>();
  bpf.registerHelpers(seqHelpers((addr) => sinks.get(addr)));

  bpf.registerAttachHandler("iter", (prog, target): AttachFailure | (() => void) => {
    const want = (prog as { verifierType?: { target?: string } }).verifierType?.target;
    if (prog.type !== "iter" || want === undefined) return { errno: -Errno.EINVAL, message: `prog ${prog.id} '${prog.name}' is not an iterator program` };
    if (target.name !== undefined && target.name !== want) {
      return { errno: -Errno.EINVAL, message: `prog ${prog.id} '${prog.name}' iterates ${want}, not ${target.name}` };
    }
    return () => {};
  });

  const mem = bpf.mem;
  bpf.registerIterOpener((prog: BpfProg, target: string): IterReader | AttachFailure => {
    if (!isIterTarget(target)) return { errno: -Errno.EINVAL, message: `unknown iterator target '${target}'` };
    const regions: Region[] = [];
    const mapRo = (bytes: Uint8Array, label: string): bigint => {
      const r = mem.map(RegionKind.MEM, bytes, { writable: false, label });
      regions.push(r);
      return regionAddress(r);
    };
    const rows = objectRows(target);
    const seqFile = mapRo(new Uint8Array(SEQ_FILE_FIELDS.length * 8), `seq_file of iter prog ${prog.id}`);
    const metaBytes = new Uint8Array(ITER_META_SIZE);
    const metaView = new DataView(metaBytes.buffer);
    metaView.setBigUint64(0, seqFile, true);
    metaView.setBigUint64(8, BigInt(++sessionIds), true);
    const metaRegion = mem.map(RegionKind.MEM, metaBytes, { writable: false, label: `bpf_iter_meta of iter prog ${prog.id}` });
    regions.push(metaRegion);
    const seq = new Seq();
    sinks.set(seqFile, seq);
    const def = ITER_CTX[target];
    let next = 0;
    let done = false;
    let seqNum = 0n;

    const close = (): void => {
      sinks.delete(seqFile);
      for (const r of regions.splice(0)) mem.unmap(r);
    };
    /** Runs the program on one row (undefined: the epilogue); returns r0 or a negative errno. */
    const show = (row: CtxRow | undefined): number => {
      const ctx = new Uint8Array(def.size);
      const v = new DataView(ctx.buffer);
      v.setBigUint64(0, regionAddress(metaRegion), true);
      def.fields.forEach((f, i) => {
        const val = row?.[i] ?? 0n;
        if (f.type === "u32") v.setUint32(f.offset, Number(val & 0xffffffffn), true);
        else v.setBigUint64(f.offset, val, true);
      });
      metaView.setBigUint64(16, seqNum, true);
      const region = mem.map(RegionKind.CTX, ctx, { writable: false, label: `ctx of iter prog ${prog.id}` });
      try {
        const r = prog.run({ ctx: region, budget: RUN_BUDGET });
        if (r.fault) return -Errno.EFAULT;
        if (seq.overflowed) return -Errno.E2BIG;
        return Number(r.r0 & 0xffffffffn);
      } finally {
        mem.unmap(region);
      }
    };

    const read = (): string | number => {
      if (done) return "";
      let out = "";
      while (!done && out.length < 4096) {
        const row = rows[next];
        const r = show(row);
        if (r < 0) {
          done = true;
          close();
          seq.take();
          return r;
        }
        out += seq.take();
        if (row === undefined || r === 1) {
          done = true;
          close();
          break;
        }
        next++;
        seqNum++;
      }
      return out;
    };
    return {
      read,
      readAll: () => {
        let all = "";
        for (;;) {
          const c = read();
          if (typeof c === "number") return c;
          if (c === "") return all;
          all += c;
        }
      },
    };

    function objectRows(t: IterTargetName): CtxRow[] {
      switch (t) {
        case "task":
          return sources.tasks().map((a) => [a]);
        case "task/file":
          return sources.taskFiles().map((f) => [f.task, BigInt(f.fd), f.file]);
        case "netlink":
          return sources.netlink().map((a) => [a]);
        case "ipv6_route":
          return sources.ipv6Routes().map((a) => [a]);
        case "bpf_map":
          return bpf.iterObjects().maps.map((m) => {
            const b = new Uint8Array(structSize(btf, "bpf_map"));
            putField(btf, b, "bpf_map", "map_type", BigInt(m.type), 4);
            putField(btf, b, "bpf_map", "key_size", BigInt(m.keySize), 4);
            putField(btf, b, "bpf_map", "value_size", BigInt(m.valueSize), 4);
            putField(btf, b, "bpf_map", "max_entries", BigInt(m.maxEntries), 4);
            putField(btf, b, "bpf_map", "map_flags", BigInt(m.flags), 4);
            putField(btf, b, "bpf_map", "id", BigInt(m.id), 4);
            putField(btf, b, "bpf_map", "name", m.name, 16);
            putField(btf, b, "bpf_map", "refcnt", BigInt(m.refcnt));
            putField(btf, b, "bpf_map", "usercnt", BigInt(m.usercnt));
            return [mapRo(b, `struct bpf_map of map ${m.id}`)];
          });
        case "bpf_prog":
          return bpf.iterObjects().progs.map((p) => {
            const aux = new Uint8Array(structSize(btf, "bpf_prog_aux"));
            putField(btf, aux, "bpf_prog_aux", "refcnt", BigInt(p.refcnt));
            putField(btf, aux, "bpf_prog_aux", "id", BigInt(p.id), 4);
            putField(btf, aux, "bpf_prog_aux", "used_map_cnt", BigInt(p.mapIds.length), 4);
            putField(btf, aux, "bpf_prog_aux", "name", p.name, 16);
            const auxAddr = mapRo(aux, `struct bpf_prog_aux of prog ${p.id}`);
            const b = new Uint8Array(structSize(btf, "bpf_prog"));
            putField(btf, b, "bpf_prog", "type", BigInt(PROG_TYPE_NUMBERS[p.type] ?? 0), 4);
            putField(btf, b, "bpf_prog", "len", BigInt(p.insnCnt), 4);
            putField(btf, b, "bpf_prog", "aux", auxAddr);
            return [mapRo(b, `struct bpf_prog of prog ${p.id}`)];
          });
      }
    }
  });
}
