// Array helpers for input-sized lists. A spread (`push(...list)`,
// `Math.max(...list)`) passes every element as a call argument and
// overflows the stack past ~100k elements: a glob over a real vmlinux
// names ~56k functions. These loop instead.

/** Appends every element of `items` to `dst` (dst.push(...items) without the argument limit); returns dst. */
export function appendAll<T>(dst: T[], items: Iterable<T>): T[] {
  for (const x of items) dst.push(x);
  return dst;
}
