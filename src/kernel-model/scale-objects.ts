// Scale mode's argument objects: what the pointer arguments of a kernel built
// from any BTF point to. A struct/union pointer gets a zero-filled object of
// its BTF type from the model's slab (kmalloc, or the type's own cache for
// the types the kernel gives one and for objects over 8 KiB), with its
// pointer members one level down set to zero-filled objects of their
// pointee types; task_struct pointers are the model's real tasks; char
// pointers point to NUL-terminated strings (and so do the return values of
// functions returning such pointers). Objects are pooled per type
// (at most POOL_PER_TYPE), recycled now and then (freed and allocated
// again, as the slab reuses them), and all pools together hold at most
// MAX_POOLED_BYTES, the oldest freed first, so memory stays bounded however
// long random calls run. Deterministic for a seed.
import type { Btf } from "../btf/btf.js";
import { BtfKind } from "../btf/kinds.js";
import { sizeOf, skipModsAndTypedefs } from "../btf/layout.js";
import type { TypeId } from "../btf/types.js";
import type { Kernel } from "./kernel.js";
import { KMALLOC_SIZES, KNOWN_CACHES, leBytes } from "./memory/index.js";
import type { Rng } from "./rng.js";
import type { Task } from "./tasks.js";

/** Objects kept per pointee type. */
export const POOL_PER_TYPE = 2;
/** Bytes (objects plus the objects their members point to) all pools hold at most. */
export const MAX_POOLED_BYTES = 8 * 1024 * 1024;
/** Objects larger than this are not made (their pointers stay small integers, as before). */
export const MAX_OBJECT_SIZE = 64 * 1024;
/** One use in RECYCLE_EVERY (on average) frees the object used and allocates it again. */
const RECYCLE_EVERY = 4096;
/** Uses of the task list before it is looked up again. */
const TASKS_REFRESH = 4096;
const KMALLOC_MAX = KMALLOC_SIZES[KMALLOC_SIZES.length - 1]!;

/** Strings char * arguments point to (file names, device and task names, symbols). */
export const SCALE_STRINGS = ["eth0", "lo", "/etc/passwd", "/proc/self/stat", "/var/log/syslog", "sda1", "kworker/0:1", "ext4", "tcp", "ip_local_out"] as const;

/** How one argument is made. */
export type ArgPlan =
  | { kind: "scalar" }
  | { kind: "object"; type: TypeId }
  | { kind: "task" }
  | { kind: "string" }
  | { kind: "pointer" };

/** A pooled object and what it owns (the objects its pointer members point to). */
interface Pooled {
  addr: bigint;
  type: TypeId;
  children: bigint[];
  bytes: number;
}

/** A pointer member to fill: its byte offset in the object and what it points to. */
interface MemberFill {
  offset: number;
  target: { kind: "object"; type: TypeId } | { kind: "task" } | { kind: "string" };
}

/** The scale kernel's argument objects (one per Kernel). */
export class ScaleObjects {
  private readonly btf: Btf;
  private readonly rng: Rng;
  private readonly pools = new Map<TypeId, Pooled[]>();
  /** Live pooled objects, oldest first (for the byte cap; a Set keeps insertion order and deletes in O(1)). */
  private readonly order = new Set<Pooled>();
  private pooledBytes = 0;
  private readonly plans = new Map<TypeId, ArgPlan[]>();
  private readonly fills = new Map<TypeId, MemberFill[]>();
  private strings: bigint[] | undefined;
  private readonly taskStruct: TypeId | undefined;
  private readonly charTypes = new Map<TypeId, boolean>();
  private tasks: Task[] | undefined;
  private taskUses = 0;

  constructor(private readonly kernel: Kernel) {
    this.btf = kernel.btf;
    this.rng = kernel.rng;
    this.taskStruct = this.btf.findByNameKind("task_struct", BtfKind.STRUCT);
  }

  /** Objects currently pooled (all types) and the bytes they hold, children included. */
  usage(): { objects: number; bytes: number; types: number } {
    return { objects: this.order.size, bytes: this.pooledBytes, types: this.pools.size };
  }

  /** What a function returning `typeId` returns: an object, task or string for such pointers, else undefined. */
  returnPlan(typeId: TypeId): ArgPlan | undefined {
    if (typeId === 0) return undefined;
    const plan = this.classify(typeId);
    return plan.kind === "scalar" || plan.kind === "pointer" ? undefined : plan;
  }

  /** How each parameter of the FUNC_PROTO `protoId` is made (cached). */
  planFor(protoId: TypeId): ArgPlan[] {
    const cached = this.plans.get(protoId);
    if (cached) return cached;
    const proto = this.btf.typeById(protoId);
    const plan = proto.kind === BtfKind.FUNC_PROTO ? proto.params.map((p) => this.classify(p.type)) : [];
    this.plans.set(protoId, plan);
    return plan;
  }

  /** A value for one argument: an object, task, string, or a small integer. */
  value(plan: ArgPlan): bigint {
    switch (plan.kind) {
      case "object":
        return this.object(plan.type);
      case "task":
        return this.task();
      case "string":
        return this.string();
      case "pointer":
      case "scalar":
        return BigInt(this.rng.int(0, 4096));
    }
  }

  /** A pooled, zero-filled object of `type` (a struct or union id) with its pointer members filled. */
  object(type: TypeId): bigint {
    let pool = this.pools.get(type);
    if (!pool) this.pools.set(type, (pool = []));
    // A new object while the pool has room and the byte budget allows (an empty pool always gets one).
    if (pool.length === 0 || (pool.length < POOL_PER_TYPE && this.pooledBytes < MAX_POOLED_BYTES)) return this.make(type, pool).addr;
    const i = this.rng.u32() % pool.length;
    if (this.rng.u32() % RECYCLE_EVERY === 0) {
      this.release(pool[i]!);
      return this.make(type, pool).addr;
    }
    return pool[i]!.addr;
  }

  /** A live task's task_struct (the current CPU's idle task included), or 0 without task_struct in the BTF. */
  task(): bigint {
    const tasks = this.liveTasks();
    const i = this.rng.u32() % (tasks.length + 1);
    return i < tasks.length ? tasks[i]!.taskAddress : this.kernel.tasks.idle[this.kernel.cpu]!.taskAddress;
  }

  /** The live tasks in pid order, looked up again every TASKS_REFRESH uses (tasks.all() filters and sorts the table). */
  liveTasks(): readonly Task[] {
    if (!this.tasks || ++this.taskUses >= TASKS_REFRESH) {
      this.tasks = this.kernel.tasks.all();
      this.taskUses = 0;
    }
    return this.tasks;
  }

  /** One of SCALE_STRINGS, NUL-terminated in kmalloc memory (made once, never freed). */
  string(): bigint {
    if (!this.strings) {
      const enc = new TextEncoder();
      this.strings = SCALE_STRINGS.map((s) => {
        const bytes = enc.encode(s + "\0");
        const addr = this.kernel.memory.kmalloc(bytes.length, true);
        this.kernel.memory.writeKernel(addr, bytes);
        return addr;
      });
    }
    return this.strings[this.rng.u32() % this.strings.length]!;
  }

  private classify(typeId: TypeId): ArgPlan {
    const t = this.btf.typeById(skipModsAndTypedefs(this.btf, typeId));
    if (t.kind !== BtfKind.PTR) return { kind: "scalar" };
    return this.pointee(t.type) ?? { kind: "pointer" };
  }

  /** What a pointer to `target` is made to point to, if anything. */
  private pointee(target: TypeId): MemberFill["target"] | undefined {
    if (this.isUserTagged(target)) return undefined; // __user: an address in the process, not a kernel object
    const id = skipModsAndTypedefs(this.btf, target);
    if (id === 0) return undefined; // void *
    const t = this.btf.typeById(id);
    if (t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) {
      if (id === this.taskStruct) return { kind: "task" };
      const size = sizeOf(this.btf, id);
      return size > 0 && size <= MAX_OBJECT_SIZE ? { kind: "object", type: id } : undefined;
    }
    if (this.isChar(id)) return { kind: "string" };
    // Pointers to scalars, pointers and arrays (u32 *, loff_t *, struct sk_buff **): a zero-filled object of that size.
    if (t.kind === BtfKind.INT || t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64 || t.kind === BtfKind.PTR || t.kind === BtfKind.FLOAT || t.kind === BtfKind.ARRAY) {
      const size = sizeOf(this.btf, id);
      return size > 0 && size <= MAX_OBJECT_SIZE ? { kind: "object", type: id } : undefined;
    }
    return undefined;
  }

  /** Whether a pointee type carries the "user" type tag (`char __user *`), before any typedef. */
  private isUserTagged(id: TypeId): boolean {
    for (let depth = 0; depth < 8 && id !== 0; depth++) {
      const t = this.btf.typeById(id);
      if (t.kind === BtfKind.TYPE_TAG) {
        if (t.name === "user") return true;
      } else if (t.kind !== BtfKind.CONST && t.kind !== BtfKind.VOLATILE && t.kind !== BtfKind.RESTRICT) return false;
      id = t.type;
    }
    return false;
  }

  private isChar(id: TypeId): boolean {
    let yes = this.charTypes.get(id);
    if (yes === undefined) {
      const t = this.btf.typeById(id);
      yes = t.kind === BtfKind.INT && t.size === 1;
      this.charTypes.set(id, yes);
    }
    return yes;
  }

  /** The pointer members of `type` (through anonymous structs and unions; the first pointer at an offset wins). */
  private fillsOf(type: TypeId): MemberFill[] {
    const cached = this.fills.get(type);
    if (cached) return cached;
    const out: MemberFill[] = [];
    const taken = new Set<number>();
    const walk = (id: TypeId, baseBits: number) => {
      const t = this.btf.typeById(id);
      if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) return;
      for (const m of t.members) {
        if (m.bitfieldSize) continue;
        const bits = baseBits + m.bitsOffset;
        const mid = skipModsAndTypedefs(this.btf, m.type);
        const mt = this.btf.typeById(mid);
        if (m.name === "" && (mt.kind === BtfKind.STRUCT || mt.kind === BtfKind.UNION)) {
          walk(mid, bits);
          continue;
        }
        if (mt.kind !== BtfKind.PTR || bits % 64 !== 0 || taken.has(bits)) continue;
        taken.add(bits); // a union's other pointer members alias this one
        const target = this.pointee(mt.type);
        if (target) out.push({ offset: bits / 8, target });
      }
    };
    walk(type, 0);
    this.fills.set(type, out);
    return out;
  }

  private make(type: TypeId, pool: Pooled[]): Pooled {
    const addr = this.alloc(type);
    const p: Pooled = { addr, type, children: [], bytes: sizeOf(this.btf, type) };
    for (const f of this.fillsOf(type)) {
      let v: bigint;
      if (f.target.kind === "object") {
        v = this.alloc(f.target.type);
        p.children.push(v);
        p.bytes += sizeOf(this.btf, f.target.type);
      } else v = f.target.kind === "task" ? this.task() : this.string();
      this.kernel.memory.writeKernel(addr + BigInt(f.offset), leBytes(v, 8));
    }
    pool.push(p);
    this.order.add(p);
    this.pooledBytes += p.bytes;
    while (this.pooledBytes > MAX_POOLED_BYTES && this.order.size > 1) this.release(this.order.values().next().value!);
    return p;
  }

  /** A zero-filled object of `type`: from its own cache for the kernel's named caches and big objects, else kmalloc. */
  private alloc(type: TypeId): bigint {
    const size = sizeOf(this.btf, type);
    const name = this.btf.nameOf(type);
    const own = size > KMALLOC_MAX || (name !== "" && Object.hasOwn(KNOWN_CACHES, name));
    return own ? this.kernel.memory.alloc(type) : this.kernel.memory.kmalloc(size, true);
  }

  /** Frees a pooled object and the objects its members point to. */
  private release(p: Pooled): void {
    for (const c of p.children) this.kernel.memory.free(c);
    this.kernel.memory.free(p.addr);
    const pool = this.pools.get(p.type)!;
    pool.splice(pool.indexOf(p), 1);
    this.order.delete(p);
    this.pooledBytes -= p.bytes;
  }
}
