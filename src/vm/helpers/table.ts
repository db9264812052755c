// The helper table a program runs against: helper id -> implementation,
// with the prototypes from protos.ts. Kernel-side layers add their helpers
// (maps, attach-point helpers like get_func_arg, snprintf_btf) by registering.
import type { HelperImpl, HelperProto } from "./abi.js";
import { MAP_HELPERS } from "../maps/helpers.js";
import { CORE_HELPERS } from "./core.js";
import { helperProto } from "./protos.js";
import { SKB_HELPERS } from "./skb.js";

export class HelperTable {
  private readonly impls = new Map<number, HelperImpl>();

  constructor(...sets: Readonly<Record<number, HelperImpl>>[]) {
    for (const set of sets) for (const [id, impl] of Object.entries(set)) this.register(Number(id), impl);
  }

  /** Adds or replaces the implementation of helper `id`. */
  register(id: number, impl: HelperImpl): this {
    this.impls.set(id, impl);
    return this;
  }

  /** The implementation of helper `id`, if this table has one. */
  impl(id: number): HelperImpl | undefined {
    return this.impls.get(id);
  }

  /** The prototype of helper `id`, if known. */
  proto(id: number): HelperProto | undefined {
    return helperProto(id);
  }

  /** Ids with an implementation, ascending. */
  ids(): number[] {
    return [...this.impls.keys()].sort((a, b) => a - b);
  }
}

/** A table with the helpers that need only a KernelEnv. */
export function coreHelperTable(): HelperTable {
  return new HelperTable(CORE_HELPERS);
}

/** Core helpers plus the map, ring buffer, perf output and stack id helpers, and the socket-filter helpers. */
export function vmHelperTable(): HelperTable {
  return new HelperTable(CORE_HELPERS, MAP_HELPERS, SKB_HELPERS);
}
