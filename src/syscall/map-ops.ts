// Helpers that enter kernel functions, as in Linux: bpf_map_update_elem on
// a hash or array map runs the map's map_ops->map_update_elem
// (htab_map_update_elem, array_map_update_elem), a traceable kernel
// function. A program attached to that function whose own helper call
// reaches it again is the kernel's classic recursion case; the trampoline
// counts it as a recursion miss instead of re-entering.
import type { KernelFunction } from "../kernel-model/functions.js";
import type { Kernel } from "../kernel-model/kernel.js";
import type { HelperImpl } from "../vm/helpers/abi.js";
import { vmHelperTable } from "../vm/helpers/table.js";
import { BpfMap } from "../vm/maps/map.js";
import type { Bpf } from "./bpf.js";

const MAP_UPDATE_ELEM = 2;
/** map type -> the map_ops function its update goes through. */
const UPDATE_OPS: Readonly<Record<number, string>> = { 1: "htab_map_update_elem", 2: "array_map_update_elem" };

/** Routes bpf_map_update_elem on hash and array maps through their kernel functions. */
export function installMapOps(bpf: Bpf, kernel: Kernel): void {
  const inner = vmHelperTable().impl(MAP_UPDATE_ELEM)!;
  const ops = new Map<number, KernelFunction>();
  for (const [type, name] of Object.entries(UPDATE_OPS)) {
    const fn = kernel.functions.named(name)[0];
    if (!fn) continue;
    ops.set(Number(type), fn);
    // The body runs the helper's own update; calls from elsewhere (none in the model) return -EINVAL.
    fn.impl = () => (body ? body() : -22n);
  }
  let body: (() => bigint) | undefined;
  const update: HelperImpl = (rt, map, key, value, flags, r5) => {
    const m = rt.mapAt(map);
    const fn = m instanceof BpfMap ? ops.get(m.type) : undefined;
    if (!fn) return inner(rt, map, key, value, flags, r5);
    const outer = body;
    body = () => inner(rt, map, key, value, flags, r5);
    try {
      return kernel.call(fn, [map, key, value, flags]);
    } finally {
      body = outer;
    }
  };
  bpf.registerHelpers({ [MAP_UPDATE_ELEM]: update });
}
