// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c):
// no keys (key_size 0), max_entries values of value_size bytes in a ring of
// max_entries + 1 slots. push adds a value (-E2BIG when full, unless
// BPF_EXIST, which drops the oldest value to make room); a queue pops and
// peeks its oldest value, a stack its newest; both give -ENOENT (and a
// zeroed value) when empty. User space: lookup peeks, update pushes,
// lookup-and-delete pops; delete and get_next_key are -EINVAL. Programs use
// bpf_map_push_elem / bpf_map_pop_elem / bpf_map_peek_elem.
import { BpfMap, type MapInit } from "./map.js";
import { BPF_EXIST, BPF_MAP_TYPE_QUEUE, BPF_NOEXIST, E } from "./types.js";

export class QueueStackMap extends BpfMap {
  /** Slot i holds bytes [i * valueSize, (i + 1) * valueSize). */
  private readonly slots: Uint8Array;
  private readonly size: number;
  /** Next slot to write. */
  private head = 0;
  /** Oldest value's slot. */
  private tail = 0;

  constructor(init: MapInit) {
    super(init);
    this.size = init.maxEntries + 1;
    this.slots = new Uint8Array(this.size * init.valueSize);
  }

  private get isQueue(): boolean {
    return this.type === BPF_MAP_TYPE_QUEUE;
  }

  /** Values held. */
  get count(): number {
    return (this.head - this.tail + this.size) % this.size;
  }

  private slot(i: number): Uint8Array {
    return this.slots.subarray(i * this.valueSize, (i + 1) * this.valueSize);
  }

  /** queue_stack_map_push_elem: 0, -EINVAL (flags), -E2BIG (full without BPF_EXIST). */
  push(value: Uint8Array, flags: number | bigint): number {
    const f = BigInt(flags);
    if (f < 0n || (f & BigInt(BPF_NOEXIST)) !== 0n || f > BigInt(BPF_EXIST)) return E.EINVAL;
    if (this.count === this.maxEntries) {
      if (f !== BigInt(BPF_EXIST)) return E.E2BIG;
      this.tail = (this.tail + 1) % this.size; // drop the oldest
    }
    this.slot(this.head).set(value.subarray(0, this.valueSize));
    this.head = (this.head + 1) % this.size;
    return 0;
  }

  /** Copies the next value (queue: oldest, stack: newest) into `out`, removing it when `remove`; -ENOENT (out zeroed) when empty. */
  take(out: Uint8Array, remove: boolean): number {
    if (this.count === 0) {
      out.fill(0, 0, this.valueSize);
      return E.ENOENT;
    }
    const i = this.isQueue ? this.tail : (this.head - 1 + this.size) % this.size;
    out.set(this.slot(i));
    if (remove) {
      if (this.isQueue) this.tail = (this.tail + 1) % this.size;
      else this.head = i;
    }
    return 0;
  }

  private takeCopy(remove: boolean): Uint8Array | number {
    const out = new Uint8Array(this.valueSize);
    const err = this.take(out, remove);
    return err ? err : out;
  }

  protected override sysLookup(_key: Uint8Array): Uint8Array | number {
    return this.takeCopy(false);
  }

  protected override sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }

  protected override sysDelete(_key: Uint8Array): number {
    return E.EINVAL;
  }

  protected override sysGetNextKey(_key: Uint8Array | null): Uint8Array | number {
    return E.EINVAL;
  }

  protected override sysLookupAndDelete(_key: Uint8Array): Uint8Array | number {
    return this.takeCopy(true);
  }
}
