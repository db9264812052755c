// The fd table and reference counting on their own: lowest-free fd reuse from
// 3, kinds, and objects freed with their last reference.
import { describe, expect, it } from "vitest";
import { Errno } from "../internal/errno.js";
import { FdTable, FIRST_FD, KernelObject } from "./fd-table.js";

class Obj extends KernelObject {
  readonly kind = "map" as const;
  frees = 0;
  protected free(): void {
    this.frees++;
  }
}

describe("FdTable", () => {
  it("hands out fds from 3 and reuses the lowest free one", () => {
    const t = new FdTable();
    const fds = [0, 1, 2, 3].map(() => t.install(new Obj()));
    expect(fds).toEqual([3, 4, 5, 6]);
    expect(FIRST_FD).toBe(3);
    expect(t.close(4)).toBe(0);
    expect(t.close(5)).toBe(0);
    expect(t.install(new Obj())).toBe(4);
    expect(t.install(new Obj())).toBe(5);
    expect(t.install(new Obj())).toBe(7);
    expect(t.openFds()).toEqual([3, 4, 5, 6, 7]);
  });

  it("close of an unknown fd is -EBADF; a wrong kind is -EINVAL", () => {
    const t = new FdTable();
    expect(t.close(3)).toBe(-Errno.EBADF);
    expect(t.close(0)).toBe(-Errno.EBADF);
    expect(t.close(-1)).toBe(-Errno.EBADF);
    const fd = t.install(new Obj());
    expect(t.getKind(fd, "prog")).toBe(-Errno.EINVAL);
    expect(t.getKind(fd + 1, "map")).toBe(-Errno.EBADF);
    expect(t.getKind(fd, "map")).toBeInstanceOf(Obj);
    expect(t.close(fd)).toBe(0);
    expect(t.close(fd)).toBe(-Errno.EBADF);
  });

  it("frees an object when its last reference goes, once", () => {
    const t = new FdTable();
    const o = new Obj();
    const a = t.install(o);
    const b = t.install(o);
    o.hold(); // another object's reference
    expect(o.refCount).toBe(3);
    t.close(a);
    t.close(b);
    expect(o.frees).toBe(0);
    o.put();
    expect(o.frees).toBe(1);
    expect(o.freed).toBe(true);
    o.put();
    expect(o.frees).toBe(1);
  });

  it("closeAll closes everything", () => {
    const t = new FdTable();
    const objs = [new Obj(), new Obj(), new Obj()];
    objs.forEach((o) => t.install(o));
    t.closeAll();
    expect(t.size).toBe(0);
    expect(objs.map((o) => o.frees)).toEqual([1, 1, 1]);
    expect(t.install(new Obj())).toBe(3);
  });
});
