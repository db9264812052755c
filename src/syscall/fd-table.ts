// The process's fd table and the reference counting of kernel objects. An
// fd points to one object (map, prog, btf, link); fds start at 3 (after
// stdin/stdout/stderr) and the lowest free fd is reused, as POSIX open(2).
// Objects are counted: every fd holds a reference, and so do other objects
// (a program holds its maps, a link its program). When the last reference
// goes the object's free() runs (maps are unmapped, programs unloaded,
// links detached).
import { Errno } from "../internal/errno.js";
import type { ObjectKind } from "./types.js";

/** The first fd a process gets (0, 1, 2 are stdio). */
export const FIRST_FD = 3;

/** A reference-counted kernel object. Subclasses say how they are freed. */
export abstract class KernelObject {
  abstract readonly kind: ObjectKind;
  private refs = 0;
  private freedFlag = false;

  get refCount(): number {
    return this.refs;
  }

  get freed(): boolean {
    return this.freedFlag;
  }

  /** Takes a reference (bpf_map_inc, bpf_prog_inc). */
  hold(): this {
    this.refs++;
    return this;
  }

  /** Drops a reference; frees the object when it was the last. */
  put(): void {
    if (this.freedFlag || this.refs <= 0) return;
    if (--this.refs === 0) {
      this.freedFlag = true;
      this.free();
    }
  }

  /** Releases what the object owns (called once). */
  protected abstract free(): void;
}

export class FdTable {
  private readonly fds: (KernelObject | undefined)[] = [];

  /** Installs `obj` at the lowest free fd, taking a reference. */
  install(obj: KernelObject): number {
    let i = 0;
    while (i < this.fds.length && this.fds[i] !== undefined) i++;
    this.fds[i] = obj.hold();
    return i + FIRST_FD;
  }

  /** The object behind `fd`, if any. */
  get(fd: number): KernelObject | undefined {
    if (!Number.isInteger(fd) || fd < FIRST_FD) return undefined;
    return this.fds[fd - FIRST_FD];
  }

  /** The object behind `fd` if it is of `kind`: -EBADF if no such fd, -EINVAL if another kind. */
  getKind<T extends KernelObject>(fd: number, kind: ObjectKind): T | number {
    const obj = this.get(fd);
    if (!obj) return -Errno.EBADF;
    if (obj.kind !== kind) return -Errno.EINVAL;
    return obj as T;
  }

  /** close(2): frees the fd and drops its reference; 0 or -EBADF. */
  close(fd: number): number {
    const obj = this.get(fd);
    if (!obj) return -Errno.EBADF;
    this.fds[fd - FIRST_FD] = undefined;
    while (this.fds.length && this.fds[this.fds.length - 1] === undefined) this.fds.pop();
    obj.put();
    return 0;
  }

  /** Closes every fd, highest first (process exit). */
  closeAll(): void {
    for (let i = this.fds.length - 1; i >= 0; i--) if (this.fds[i]) this.close(i + FIRST_FD);
  }

  /** Open fds, ascending. */
  openFds(): number[] {
    const out: number[] = [];
    this.fds.forEach((o, i) => o && out.push(i + FIRST_FD));
    return out;
  }

  get size(): number {
    return this.fds.filter((o) => o !== undefined).length;
  }
}
