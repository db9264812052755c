// How a path module binds itself to the kernel's functions: `set` gives every
// function of a name its implementation, `call` calls one by name through the
// function table (so fentry/fexit see it), the name looked up once per
// kernel and module instead of on every call.
import type { Kernel } from "../kernel.js";
import type { KernelFunction } from "../functions.js";

export interface PathFunctions {
  /** Implements every function named `name` (static duplicates too) with `impl` over its arguments. */
  set(name: string, impl: (args: readonly bigint[]) => bigint): void;
  /** Calls the (first) function named `name`; throws RangeError for a name the kernel lacks. */
  call(name: string, ...args: bigint[]): bigint;
}

export function pathFunctions(k: Kernel): PathFunctions {
  const fns = new Map<string, KernelFunction>();
  return {
    set(name, impl) {
      for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
    },
    call(name, ...args) {
      let fn = fns.get(name);
      if (fn === undefined) {
        fn = k.functions.named(name)[0];
        if (!fn) throw new RangeError(`no kernel function '${name}'`);
        fns.set(name, fn);
      }
      return k.call(fn, args);
    },
  };
}
