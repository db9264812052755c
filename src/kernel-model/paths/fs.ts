// File I/O: openat (do_sys_openat2 -> getname -> do_filp_open -> vfs_open,
// fd_install), write/read through ksys_* -> vfs_*, close (close_fd ->
// filp_close -> dput -> iput), and the fs workload's file sessions.
import type { Kernel } from "../kernel.js";
import { clearFd, filesOf, installFd } from "./process.js";
import { FILES } from "./vfs.js";
import { alloc, setField } from "./fields.js";
import type { World } from "./world.js";
import { defineSyscall, syscall, userString as userStringArg } from "./syscalls.js";

const err = (n: number) => BigInt.asUintN(64, BigInt(-n));
/** IS_ERR(): a u64 return holding -4095..-1. */
const isErr = (v: bigint) => BigInt.asIntN(64, v) < 0n && BigInt.asIntN(64, v) >= -4095n;
const ENOENT = 2;
const EAGAIN = 11;
const EBADF = 9;
/** The paths the fs workload opens: the files of vfs.ts. */
const PATHS = FILES.map((f) => f.path);
/** PATH_MAX: the longest path getname copies from user space. */
const PATH_MAX = 4096;

const decoder = new TextDecoder();
/**
 * strncpy_from_user: the NUL-terminated string at `addr` in `tgid`'s memory
 * (up to PATH_MAX bytes), read in chunks of 64 bytes, halved while a chunk
 * would run into unmapped memory (user mappings end at the byte).
 */
function userString(k: Kernel, tgid: number, addr: bigint): string {
  const out = new Uint8Array(PATH_MAX);
  let n = 0;
  let size = 64;
  while (n < PATH_MAX) {
    const chunk = out.subarray(n, Math.min(PATH_MAX, n + size));
    if (k.memory.readUser(tgid, chunk, addr + BigInt(n)) !== 0) {
      chunk.fill(0);
      if (size === 1) break;
      size >>= 1;
      continue;
    }
    const nul = chunk.indexOf(0);
    if (nul >= 0) return decoder.decode(out.subarray(0, n + nul));
    n += chunk.length;
  }
  return decoder.decode(out.subarray(0, n));
}

export function installFsPaths(k: Kernel, w: World): void {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  const call = (name: string, ...args: bigint[]) => k.callByName(name, args);
  const rng = k.rng;
  set("do_sys_openat2", ([dfd, filename]) => {
    const name = call("getname", filename!);
    const file = call("do_filp_open", dfd!, name, 0n);
    call("putname", name);
    if (isErr(file)) return file;
    // The lowest free descriptor (0-2 are the standard files), as alloc_fd() picks.
    const tgid = k.current().tgid;
    let fd = 3;
    while (w.files.has(tgid * 1000 + fd)) fd++;
    call("fd_install", BigInt(fd), file);
    return BigInt(fd);
  });
  /** The path of each file do_filp_open opened, until fd_install gives it a descriptor. */
  const openedPaths = new Map<bigint, string>();
  /** The path each struct filename holds (getname copied it from user space; putname forgets it). */
  const names = new Map<bigint, string>();
  set("getname", ([user]) => {
    const name = alloc(k, "filename");
    const path = userString(k, k.current().tgid, user!);
    names.set(name, path);
    setField(k, name, "filename", "uptr", user!);
    setField(k, name, "filename", "refcnt.counter", 1n);
    return name;
  });
  set("putname", ([name]) => {
    names.delete(name!);
    k.memory.free(name!);
    return 0n;
  });
  set("do_filp_open", ([, name]) => {
    // A transient failure now and then (the file was just removed), and always for a path that does not exist.
    const spec = w.vfs.lookup(names.get(name!) ?? "");
    if (rng.chance(0.05) || !spec) return err(ENOENT);
    const { file } = w.vfs.open(spec, rng);
    openedPaths.set(file, spec.path);
    call("vfs_open", file + BigInt(k.memory.objects.field("file", "f_path").byteOffset), file);
    return file;
  });
  set("vfs_open", () => 0n);
  set("fd_install", ([fd, file]) => {
    const path = openedPaths.get(file!) ?? w.vfs.pathOf(k.memory.readField(file!, "file", "f_path.dentry"));
    openedPaths.delete(file!);
    w.files.set(Number(fd) + k.current().tgid * 1000, { fd: Number(fd), file: file!, path });
    installFd(k, filesOf(k, k.current()), Number(fd), file!);
    return 0n;
  });
  const fileOf = (fd: bigint) => w.files.get(Number(fd) + k.current().tgid * 1000);
  set("ksys_write", ([fd, buf, count]) => {
    const f = fileOf(fd!);
    return f ? call("vfs_write", f.file, buf!, count!, 0n) : err(EBADF);
  });
  set("ksys_read", ([fd, buf, count]) => {
    const f = fileOf(fd!);
    return f ? call("vfs_read", f.file, buf!, count!, 0n) : err(EBADF);
  });
  // The syscalls' kernel side (do_sys_open builds the open_how do_sys_openat2 takes; here none).
  defineSyscall(k, "openat", ([dfd, filename]) => call("do_sys_openat2", dfd!, filename!, 0n));
  defineSyscall(k, "write", ([fd, buf, count]) => call("ksys_write", fd!, buf!, count!));
  set("vfs_write", ([, , count]) => (rng.chance(0.02) ? err(EAGAIN) : count!));
  set("vfs_read", ([, , count]) => (rng.chance(0.02) ? err(EAGAIN) : BigInt(rng.int(0, Number(count!)))));
  set("close_fd", ([fd]) => {
    const f = fileOf(fd!);
    if (!f) return err(EBADF);
    w.files.delete(Number(fd) + k.current().tgid * 1000);
    clearFd(k, filesOf(k, k.current()), f.fd);
    return call("filp_close", f.file, 0n);
  });
  // The last reference goes with the descriptor (the model shares no file,
  // dentry or inode): the file is released, its dentry put and, with the
  // dentry's last reference, its inode (__fput -> dput -> iput).
  set("filp_close", ([file]) => {
    const dentry = k.memory.readField(file!, "file", "f_path.dentry");
    k.memory.free(file!);
    if (dentry !== 0n) call("dput", dentry);
    return 0n;
  });
  set("dput", ([dentry]) => {
    const inode = k.memory.readField(dentry!, "dentry", "d_inode");
    k.memory.free(dentry!);
    if (inode !== 0n) call("iput", inode);
    return 0n;
  });
  set("iput", ([inode]) => (k.memory.free(inode!), 0n));
}

/**
 * One file session of the current task: open, some writes and reads (with
 * their syscall tracepoints), close; the task frees its path and buffers.
 */
export function fileSession(k: Kernel): void {
  const user = k.memory.userSpace(k.current().tgid);
  const path = k.rng.pick(PATHS);
  const fd = syscall(k, "openat", [BigInt.asUintN(64, -100n), userStringArg(k, path), 0n, 0n]);
  if (isErr(fd)) return;
  for (let i = k.rng.int(1, 4); i > 0; i--) {
    const count = BigInt(k.rng.int(1, 4096));
    const buf = user.heapAlloc(Number(count));
    syscall(k, "write", [fd, buf, count]);
    k.callByName("ksys_read", [fd, buf, count]);
    user.heapFree(buf);
  }
  k.callByName("close_fd", [fd]);
}
