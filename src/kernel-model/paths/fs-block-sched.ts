// File I/O (openat -> do_sys_openat2 -> do_filp_open; write/read through
// ksys_* -> vfs_*; close), memory mappings (do_mmap, vma_merge, do_munmap), block I/O (submit_bio -> blk_mq_submit_bio ->
// blk_mq_start_request with block_rq_issue, completion through
// blk_mq_end_request with block_rq_complete) and scheduling (schedule ->
// __schedule with sched_switch, migrations with sched_migrate_task).
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import { clearFd, filesOf, installFd, MMAP_BASE, TASK_SIZE } from "./process.js";
import { FILES } from "./vfs.js";
import { alloc, setField, setString } from "./fields.js";
import { VDA_DEV, type World } from "./world.js";

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
 * Each task's saved user registers (the pt_regs at the top of its kernel
 * stack), made on its first syscall: one per task, as in Linux. The model's
 * tasks are spawned at boot and never exit, so these are bounded; if tasks
 * ever exit, their pt_regs must be freed with them.
 */
const savedRegs = new WeakMap<Kernel, Map<number, bigint>>();

/**
 * Fills the current task's pt_regs as the syscall entry does (the number in
 * orig_ax, ax = -ENOSYS until it returns, arguments in di, si, dx, r10, r8,
 * r9) and returns its address: the `regs` of raw_tp sys_enter/sys_exit.
 */
function syscallRegs(k: Kernel, nr: bigint, args: readonly bigint[]): bigint {
  let byTask = savedRegs.get(k);
  if (!byTask) savedRegs.set(k, (byTask = new Map()));
  const pid = k.current().pid;
  let regs = byTask.get(pid);
  if (regs === undefined) byTask.set(pid, (regs = k.memory.alloc("pt_regs")));
  k.memory.writeField(regs, "pt_regs", "orig_ax", nr);
  k.memory.writeField(regs, "pt_regs", "ax", BigInt.asUintN(64, -38n));
  (["di", "si", "dx", "r10", "r8", "r9"] as const).forEach((r, i) => k.memory.writeField(regs!, "pt_regs", r, BigInt.asUintN(64, args[i] ?? 0n)));
  return regs;
}

/**
 * One file session of the current task: open, some writes and reads (with
 * their syscall tracepoints), close; the task frees its path and buffers.
 */
export function fileSession(k: Kernel): void {
  const tp = (n: string) => k.tracepoints.get("syscalls", n)!;
  const user = k.memory.userSpace(k.current().tgid);
  const path = k.rng.pick(PATHS);
  const filename = user.allocString(path);
  const openRegs = syscallRegs(k, 257n, [BigInt.asUintN(64, -100n), filename, 0n, 0n]);
  k.fire(tp("sys_enter_openat"), { __syscall_nr: 257n, dfd: BigInt.asUintN(64, -100n), filename, flags: 0n, mode: 0n }, [openRegs, 257n]);
  const fd = k.callByName("do_sys_openat2", [BigInt.asUintN(64, -100n), filename, 0n]);
  user.heapFree(filename);
  if (isErr(fd)) return;
  for (let i = k.rng.int(1, 4); i > 0; i--) {
    const count = BigInt(k.rng.int(1, 4096));
    const buf = user.heapAlloc(Number(count));
    const regs = syscallRegs(k, 1n, [fd, buf, count]);
    k.fire(tp("sys_enter_write"), { __syscall_nr: 1n, fd, buf, count }, [regs, 1n]);
    const ret = k.callByName("ksys_write", [fd, buf, count]);
    k.memory.writeField(regs, "pt_regs", "ax", ret);
    k.fire(tp("sys_exit_write"), { __syscall_nr: 1n, ret }, [regs, ret]);
    k.callByName("ksys_read", [fd, buf, count]);
    user.heapFree(buf);
  }
  k.callByName("close_fd", [fd]);
}

const REQ_OP_READ = 0n;
const REQ_OP_WRITE = 1n;
const MQ_RQ_IN_FLIGHT = 1n;

export function installBlockPaths(k: Kernel, w: World): void {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  const call = (name: string, ...args: bigint[]) => k.callByName(name, args);
  const tp = (n: string) => k.tracepoints.get("block", n)!;
  set("submit_bio", ([bio]) => call("blk_mq_submit_bio", bio!));
  set("blk_mq_submit_bio", ([bio]) => {
    const rq = alloc(k, "request");
    const bytes = BigInt(k.rng.pick([4096, 8192, 16384, 65536]));
    const sector = BigInt(k.rng.int(0, 1 << 24)) * 8n;
    setField(k, rq, "request", "q", w.queue);
    setField(k, rq, "request", "part", w.part0);
    setField(k, rq, "request", "__data_len", bytes);
    setField(k, rq, "request", "__sector", sector);
    setField(k, rq, "request", "bio", bio!);
    setField(k, rq, "request", "biotail", bio!);
    setField(k, rq, "request", "tag", BigInt(w.inflight.length));
    setField(k, rq, "request", "start_time_ns", k.clock.now());
    setField(k, bio!, "bio", "bi_bdev", w.part0);
    setField(k, bio!, "bio", "bi_iter.bi_sector", sector);
    setField(k, bio!, "bio", "bi_iter.bi_size", bytes);
    call("blk_mq_start_request", rq);
    w.inflight.push({ rq, issuedNs: k.clock.now(), bytes: Number(bytes), sector });
    return 0n;
  });
  // cmd (__data_loc char[]): the SCSI command for passthrough requests, empty for filesystem I/O.
  set("blk_mq_start_request", ([rq]) => {
    const f = w.inflight.find((x) => x.rq === rq);
    const bytes = BigInt(f?.bytes ?? Number(k.memory.readField(rq!, "request", "__data_len")));
    const sector = k.memory.readField(rq!, "request", "__sector");
    const write = k.rng.chance(0.6);
    // cmd_flags' low byte is the operation (REQ_OP_READ 0, REQ_OP_WRITE 1); a started request is in flight.
    setField(k, rq!, "request", "cmd_flags", write ? REQ_OP_WRITE : REQ_OP_READ);
    setField(k, rq!, "request", "io_start_time_ns", k.clock.now());
    setField(k, rq!, "request", "state", MQ_RQ_IN_FLIGHT);
    k.fire(tp("block_rq_issue"), { dev: VDA_DEV, sector, nr_sector: bytes / 512n, bytes, rwbs: write ? "W" : "R", comm: k.current().comm, cmd: "" }, [rq!]);
    return 0n;
  });
  set("blk_mq_end_request", ([rq, error]) => {
    const sector = k.memory.readField(rq!, "request", "__sector");
    const bytes = k.memory.readField(rq!, "request", "__data_len");
    const write = (k.memory.readField(rq!, "request", "cmd_flags") & 0xffn) === REQ_OP_WRITE;
    k.fire(tp("block_rq_complete"), { dev: VDA_DEV, sector, nr_sector: bytes / 512n, error: error!, rwbs: write ? "W" : "R", cmd: "" }, [rq!, error!, bytes]);
    call("__blk_mq_end_request", rq!, error!);
    return 0n;
  });
  set("__blk_mq_end_request", ([rq]) => {
    const bio = k.memory.readField(rq!, "request", "bio");
    if (bio) call("bio_endio", bio);
    k.memory.free(rq!);
    return 0n;
  });
  set("bio_endio", ([bio]) => (k.memory.free(bio!), 0n));
}

/** Submits a bio, and completes requests whose simulated latency has passed. */
export function blockStep(k: Kernel, w: World): void {
  const bio = alloc(k, "bio");
  k.callByName("submit_bio", [bio]);
  const now = k.clock.now();
  for (const r of [...w.inflight]) {
    // Latency grows with size: ~50 µs + 20 µs per 4 KiB, deterministic jitter from the PRNG at issue time.
    if (now - r.issuedNs >= 50_000n + BigInt(r.bytes / 4096) * 20_000n) {
      w.inflight.splice(w.inflight.indexOf(r), 1);
      k.callByName("blk_mq_end_request", [r.rq, 0n]);
    }
  }
}

export function installSchedPaths(k: Kernel): void {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  set("schedule", () => k.callByName("__schedule", [0n]));
  set("__schedule", () => {
    const cpu = k.tasks.cpus[k.cpu]!;
    const runnable = k.tasks.all().filter((t) => t.cpu === k.cpu || k.rng.chance(0.1));
    const next: Task = runnable.length ? k.rng.pick(runnable) : cpu.current;
    const prev = cpu.current;
    if (next === prev) return 0n;
    k.fire(
      k.tracepoints.get("sched", "sched_switch")!,
      { prev_comm: prev.comm, prev_pid: BigInt(prev.pid), prev_prio: 120n, prev_state: k.rng.chance(0.5) ? 1n : 0n, next_comm: next.comm, next_pid: BigInt(next.pid), next_prio: 120n },
      [0n, prev.taskAddress, next.taskAddress, 0n],
    );
    k.tasks.switchTo(k.cpu, next);
    k.callByName("finish_task_switch", [prev.taskAddress]);
    return 0n;
  });
  set("finish_task_switch", () => 0n);
  set("set_task_cpu", ([p, newCpu]) => {
    const t = k.tasks.all().find((x) => x.taskAddress === p);
    if (!t) return 0n;
    k.fire(k.tracepoints.get("sched", "sched_migrate_task")!, { comm: t.comm, pid: BigInt(t.pid), prio: 120n, orig_cpu: BigInt(t.cpu), dest_cpu: newCpu! }, [p!, newCpu!]);
    t.cpu = Number(newCpu);
    return 0n;
  });
}

/**
 * Memory mappings: do_mmap creates a vm_area_struct in the task's mm (or
 * extends a neighbour through vma_merge), do_munmap removes one. Each process
 * gets an mm_struct on first use. A mapping goes in the lowest gap above
 * mmap_base that fits it, so address space freed by munmap is reused.
 */
export interface MmState {
  /** Start of the current process's oldest mapping, if it has any. */
  oldest(tgid: number): bigint | undefined;
  /** Number of mappings of a process. */
  count(tgid: number): number;
  /** A process's mm_struct (made on first use). */
  mm(tgid: number): bigint;
}

export function installMmPaths(k: Kernel): MmState {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  /** Each process's mappings, oldest first. */
  const vmas = new Map<number, { vma: bigint; start: bigint; end: bigint }[]>();
  const mms = new Map<number, bigint>();
  // A process's mm is the one fork gave it (process.ts); a kernel thread that maps memory gets one on first use.
  const mmOf = (tgid: number): bigint => {
    let mm = mms.get(tgid);
    if (mm === undefined) {
      const leader = k.tasks.get(tgid);
      mm = leader && leader.taskAddress !== 0n ? k.memory.readField(leader.taskAddress, "task_struct", "mm") : 0n;
      if (mm === 0n) {
        mm = alloc(k, "mm_struct");
        setField(k, mm, "mm_struct", "mmap_base", MMAP_BASE);
        setField(k, mm, "mm_struct", "task_size", TASK_SIZE);
        for (const t of k.tasks.all()) if (t.tgid === tgid) setField(k, t.taskAddress, "task_struct", "mm", mm);
      }
      mms.set(tgid, mm);
    }
    return mm;
  };
  set("do_mmap", ([file, , len]) => {
    const tgid = k.current().tgid;
    const mm = mmOf(tgid);
    const list = vmas.get(tgid) ?? [];
    const size = ((len! + 0xfffn) / 0x1000n) * 0x1000n;
    // The lowest gap that fits, and the mapping just below it (a merge candidate).
    let start = MMAP_BASE;
    for (const v of [...list].sort((x, y) => (x.start < y.start ? -1 : 1))) {
      if (v.start - start >= size) break;
      if (v.end > start) start = v.end;
    }
    const prev = list.find((v) => v.end === start);
    // Anonymous mappings next to the previous one may merge into it.
    const merged = file === 0n && prev ? k.callByName("vma_merge", [mm, prev.vma, start, start + size, 0n, 0n, 0n, 0n, 0n, 0n, 0n]) : 0n;
    if (merged !== 0n && prev) {
      prev.end = start + size;
      setField(k, prev.vma, "vm_area_struct", "vm_end", prev.end);
      return start;
    }
    if (k.rng.chance(0.01)) return BigInt.asUintN(64, -12n); // -ENOMEM
    const vma = alloc(k, "vm_area_struct");
    setField(k, vma, "vm_area_struct", "vm_start", start);
    setField(k, vma, "vm_area_struct", "vm_end", start + size);
    setField(k, vma, "vm_area_struct", "vm_mm", mm);
    list.push({ vma, start, end: start + size });
    vmas.set(tgid, list);
    setField(k, mm, "mm_struct", "map_count", BigInt(list.length));
    return start;
  });
  set("vma_merge", ([, prev]) => (k.rng.chance(0.4) ? prev! : 0n));
  set("do_munmap", ([mm, start]) => {
    const tgid = k.current().tgid;
    const list = vmas.get(tgid) ?? [];
    const i = list.findIndex((v) => v.start === start);
    if (i < 0) return BigInt.asUintN(64, -22n); // -EINVAL
    k.memory.free(list[i]!.vma);
    list.splice(i, 1);
    if (mm !== 0n) setField(k, mm!, "mm_struct", "map_count", BigInt(list.length));
    return 0n;
  });
  return {
    oldest: (tgid) => vmas.get(tgid)?.[0]?.start,
    count: (tgid) => vmas.get(tgid)?.length ?? 0,
    mm: mmOf,
  };
}

/** Mappings a process keeps at most before it unmaps its oldest (a long-running program does not map forever). */
export const MAX_MAPPINGS = 16;

/** The current task maps some memory and sometimes (always past MAX_MAPPINGS) unmaps its oldest mapping. */
export function mmStep(k: Kernel, mm: MmState): void {
  k.callByName("do_mmap", [k.rng.chance(0.3) ? 1n : 0n, 0n, BigInt(k.rng.int(1, 64) * 4096), 3n, 0x22n, 0n, 0n, 0n, 0n]);
  const tgid = k.current().tgid;
  const oldest = mm.oldest(tgid);
  if ((k.rng.chance(0.3) || mm.count(tgid) > MAX_MAPPINGS) && oldest !== undefined) {
    k.callByName("do_munmap", [mm.mm(tgid), oldest, 4096n, 0n]);
  }
}

/**
 * BPF objects: __sys_bpf dispatches BPF_MAP_CREATE to map_create (a struct
 * bpf_map in memory with its attributes and id) and BPF_PROG_LOAD to
 * bpf_prog_load (a struct bpf_prog); bpf_map_put/bpf_prog_put free them.
 */
export function installBpfPaths(k: Kernel): (fd: bigint) => bigint | undefined {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  let nextId = 1n;
  const fds = new Map<bigint, bigint>();
  const BPF_MAP_CREATE = 0n;
  const BPF_PROG_LOAD = 5n;
  set("__sys_bpf", ([cmd, attr]) => {
    if (cmd === BPF_MAP_CREATE) return k.callByName("map_create", [attr!]);
    if (cmd === BPF_PROG_LOAD) return k.callByName("bpf_prog_load", [attr!, 0n, 0n]);
    return BigInt.asUintN(64, -22n);
  });
  set("map_create", () => {
    if (k.rng.chance(0.02)) return BigInt.asUintN(64, -12n); // -ENOMEM
    const map = alloc(k, "bpf_map");
    setField(k, map, "bpf_map", "map_type", BigInt(k.rng.pick([1, 2, 27])));
    setField(k, map, "bpf_map", "key_size", 4n);
    setField(k, map, "bpf_map", "value_size", 8n);
    setField(k, map, "bpf_map", "max_entries", 1024n);
    setField(k, map, "bpf_map", "id", nextId);
    setString(k, map, "bpf_map", "name", `map_${nextId}`);
    nextId++;
    const fd = BigInt(3 + fds.size);
    fds.set(fd, map);
    return fd;
  });
  set("bpf_prog_load", () => {
    if (k.rng.chance(0.05)) return BigInt.asUintN(64, -13n); // -EACCES: rejected by the verifier
    const prog = alloc(k, "bpf_prog");
    setField(k, prog, "bpf_prog", "len", BigInt(k.rng.int(2, 4096)));
    const fd = BigInt(3 + fds.size);
    fds.set(fd, prog);
    return fd;
  });
  const put = ([obj]: readonly bigint[]) => {
    for (const [fd, a] of fds) if (a === obj) fds.delete(fd);
    k.memory.free(obj!);
    return 0n;
  };
  set("bpf_map_put", put);
  set("bpf_prog_put", put);
  return (fd) => fds.get(fd);
}

/** A task creates a map or loads a program through bpf(2), then releases it. */
export function bpfStep(k: Kernel, objectOfFd: (fd: bigint) => bigint | undefined): void {
  const user = k.memory.userSpace(k.current().tgid);
  const attr = user.heapAlloc(128);
  const cmd = k.rng.chance(0.5) ? 0n : 5n;
  const fd = k.callByName("__sys_bpf", [cmd, attr, 128n]);
  user.heapFree(attr);
  if (BigInt.asIntN(64, fd) < 0n) return;
  // The object is released when its fd is closed (modelled right away).
  const obj = objectOfFd(fd);
  if (obj !== undefined) k.callByName(cmd === 0n ? "bpf_map_put" : "bpf_prog_put", [obj]);
}
