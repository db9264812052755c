// Per-Btf memo of type queries the value formatters repeat for every value:
// the resolved type, size, alignment and libbpf's `(type)` spelling of an id.
// Dropped when types are added (typeCount changes). Failures are not cached:
// a query that throws throws again on the next call, as the uncached one does.
import type { Btf } from "../btf.js";
import { alignOf, resolveSize, skipModsAndTypedefs } from "../layout.js";
import type { AnyType, TypeId } from "../types.js";

/** Memo slots indexed by type id (ids are small dense integers); other ids are not memoized. */
export class IdMemo<T> {
  private readonly slots: (T | undefined)[];
  constructor(private readonly count: number) {
    this.slots = new Array<T | undefined>(count);
  }
  get(id: TypeId): T | undefined {
    return this.slots[id];
  }
  set(id: TypeId, v: T): void {
    if (Number.isInteger(id) && id >= 0 && id < this.count) this.slots[id] = v;
  }
}

export class TypeCache {
  readonly typeCount: number;
  private readonly resolvedMap: IdMemo<AnyType>;
  private readonly sizeMap: IdMemo<number>;
  private readonly alignMap: IdMemo<number>;
  /** Free-form per-formatter memos, keyed by name. */
  private readonly memos = new Map<string, IdMemo<unknown>>();

  constructor(readonly btf: Btf) {
    this.typeCount = btf.typeCount;
    this.resolvedMap = new IdMemo(this.typeCount);
    this.sizeMap = new IdMemo(this.typeCount);
    this.alignMap = new IdMemo(this.typeCount);
  }

  /** btf.typeById(skipModsAndTypedefs(btf, id)). */
  resolved(id: TypeId): AnyType {
    let t = this.resolvedMap.get(id);
    if (t === undefined) {
      t = this.btf.typeById(skipModsAndTypedefs(this.btf, id));
      this.resolvedMap.set(id, t);
    }
    return t;
  }

  /** resolveSize(btf, id). */
  size(id: TypeId): number {
    let s = this.sizeMap.get(id);
    if (s === undefined) {
      s = resolveSize(this.btf, id);
      this.sizeMap.set(id, s);
    }
    return s;
  }

  /** alignOf(btf, id), or 0 when it throws. */
  align(id: TypeId): number {
    let a = this.alignMap.get(id);
    if (a === undefined) {
      try {
        a = alignOf(this.btf, id);
      } catch {
        a = 0;
      }
      this.alignMap.set(id, a);
    }
    return a;
  }

  /** A named memo of this cache (same lifetime). */
  memo<T>(name: string): IdMemo<T> {
    let m = this.memos.get(name);
    if (m === undefined) {
      m = new IdMemo<unknown>(this.typeCount);
      this.memos.set(name, m);
    }
    return m as IdMemo<T>;
  }
}

const caches = new WeakMap<Btf, TypeCache>();

/** The TypeCache of `btf` (a fresh one once types were added). */
export function typeCache(btf: Btf): TypeCache {
  let c = caches.get(btf);
  if (c === undefined || c.typeCount !== btf.typeCount) {
    c = new TypeCache(btf);
    caches.set(btf, c);
  }
  return c;
}
