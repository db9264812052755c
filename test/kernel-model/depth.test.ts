// Issue #18 "Depth": the synthetic kernel's objects are linked and filled as
// Linux's are, so pointer chains a BPF program follows read real values.
// Every expectation comes from the model's own state (its task table, the
// paths the workload copied from user space, vfs.ts's file table, the
// world's disk), read back through kernel memory by field name.
import { describe, expect, it } from "vitest";
import { FILES } from "../../src/kernel-model/paths/vfs.js";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import type { Task } from "../../src/kernel-model/tasks.js";
import { runCli } from "../helpers/cli.js";

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const PF_KTHREAD = 0x00200000n;

/** A NUL-terminated string at a kernel address. */
function kstr(k: SyntheticKernel, addr: bigint): string {
  const bytes: number[] = [];
  const b = new Uint8Array(1);
  for (let i = 0n; i < 256n; i++) {
    expect(k.memory.readKernel(b, addr + i)).toBe(0);
    if (b[0] === 0) break;
    bytes.push(b[0]!);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function userStr(k: SyntheticKernel, tgid: number, addr: bigint): string {
  const bytes: number[] = [];
  const b = new Uint8Array(1);
  for (let i = 0n; i < 4096n; i++) {
    expect(k.memory.readUser(tgid, b, addr + i)).toBe(0);
    if (b[0] === 0) break;
    bytes.push(b[0]!);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The u64 at a kernel address (what a program's probe read of a long sees). */
function u64(k: SyntheticKernel, addr: bigint): bigint {
  const b = new Uint8Array(8);
  expect(k.memory.readKernel(b, addr)).toBe(0);
  return new DataView(b.buffer).getBigUint64(0, true);
}

const rf = (k: SyntheticKernel, addr: bigint, type: string, path: string) => k.memory.readField(addr, type, path);

/** The dentry's name read as a program does: d_name.name is a pointer, d_name.len its length. */
function dname(k: SyntheticKernel, dentry: bigint): string {
  const name = kstr(k, rf(k, dentry, "dentry", "d_name.name"));
  expect(rf(k, dentry, "dentry", "d_name.len")).toBe(BigInt(new TextEncoder().encode(name).length));
  return name;
}

/** Names up the d_parent chain to the root dentry (its own parent, named "/"). */
function chain(k: SyntheticKernel, dentry: bigint): string[] {
  const names: string[] = [];
  let d = dentry;
  for (let i = 0; i < 32; i++) {
    const parent = rf(k, d, "dentry", "d_parent");
    if (parent === d) {
      expect(dname(k, d)).toBe("/");
      return names;
    }
    names.unshift(dname(k, d));
    d = parent;
  }
  throw new Error("d_parent chain does not end at a root");
}

describe("tasks: parents, thread groups, mm, files, fs, pid", () => {
  it("real_parent and parent point at the forking task's task_struct (init_task for pid 1); children lists hold exactly the children", () => {
    const k = new SyntheticKernel({ seed: 3 });
    const tasks = k.tasks.all();
    const parentOf = (t: Task) => (t.parent === 0 ? k.tasks.idle[0]! : k.tasks.get(t.parent)!);
    for (const t of tasks) {
      const p = parentOf(t);
      expect(rf(k, t.taskAddress, "task_struct", "real_parent")).toBe(p.taskAddress);
      expect(rf(k, t.taskAddress, "task_struct", "parent")).toBe(p.taskAddress);
      const rp = rf(k, t.taskAddress, "task_struct", "real_parent");
      expect(k.memory.readString(rp, "task_struct", "comm")).toBe(p.comm);
      expect(rf(k, rp, "task_struct", "pid")).toBe(BigInt(p.pid));
      expect(rf(k, t.taskAddress, "task_struct", "group_leader")).toBe(k.tasks.get(t.tgid)!.taskAddress);
    }
    // init_task is its own parent.
    const init = k.tasks.idle[0]!.taskAddress;
    expect(rf(k, init, "task_struct", "real_parent")).toBe(init);
    // Walk each task's children list (list_head children, entries are the children's sibling members).
    const siblingOff = BigInt(k.memory.objects.field("task_struct", "sibling").byteOffset);
    const childrenOff = BigInt(k.memory.objects.field("task_struct", "children").byteOffset);
    for (const p of [k.tasks.idle[0]!, ...tasks]) {
      const head = p.taskAddress + childrenOff;
      const seen: number[] = [];
      for (let e = rf(k, head, "list_head", "next"); e !== head; e = rf(k, e, "list_head", "next")) seen.push(Number(rf(k, e - siblingOff, "task_struct", "pid")));
      expect(seen).toEqual(tasks.filter((t) => parentOf(t) === p).map((t) => t.pid));
    }
  });

  it("a fork sets the parent to the forking task; a thread shares its leader's mm, files and fs and counts in mm_users", () => {
    const k = new SyntheticKernel({ seed: 3 });
    const forker = k.tasks.all().find((t) => t.comm === "bash")!;
    const child = k.spawn("make", forker.pid);
    expect(rf(k, rf(k, child.taskAddress, "task_struct", "real_parent"), "task_struct", "pid")).toBe(BigInt(forker.pid));
    // The child went on the tail of the forker's children list.
    const head = forker.taskAddress + BigInt(k.memory.objects.field("task_struct", "children").byteOffset);
    const last = rf(k, head, "list_head", "prev");
    expect(last - BigInt(k.memory.objects.field("task_struct", "sibling").byteOffset)).toBe(child.taskAddress);
    const mm = rf(k, child.taskAddress, "task_struct", "mm");
    expect(mm).not.toBe(rf(k, forker.taskAddress, "task_struct", "mm"));
    expect(rf(k, mm, "mm_struct", "owner")).toBe(child.taskAddress);
    expect(rf(k, mm, "mm_struct", "mm_users.counter")).toBe(1n);
    const thread = k.spawn("make-worker", forker.pid, { tgid: child.pid });
    for (const f of ["mm", "files", "fs"]) expect(rf(k, thread.taskAddress, "task_struct", f)).toBe(rf(k, child.taskAddress, "task_struct", f));
    expect(rf(k, mm, "mm_struct", "mm_users.counter")).toBe(2n);
    expect(rf(k, thread.taskAddress, "task_struct", "group_leader")).toBe(child.taskAddress);
    expect(rf(k, thread.taskAddress, "task_struct", "exit_signal")).toBe(-1n);
    expect(rf(k, child.taskAddress, "task_struct", "exit_signal")).toBe(17n);
  });

  it("processes have an mm of their own, kernel threads and idle tasks none (and PF_KTHREAD)", () => {
    const k = new SyntheticKernel({ seed: 3 });
    const mms = new Set<bigint>();
    for (const t of k.tasks.all()) {
      const mm = rf(k, t.taskAddress, "task_struct", "mm");
      const flags = rf(k, t.taskAddress, "task_struct", "flags");
      if (t.kthread) {
        expect([mm, flags & PF_KTHREAD]).toEqual([0n, PF_KTHREAD]);
      } else {
        expect(mm).not.toBe(0n);
        expect(flags & PF_KTHREAD).toBe(0n);
        expect(rf(k, mm, "mm_struct", "owner")).toBe(t.taskAddress);
        expect(rf(k, t.taskAddress, "task_struct", "active_mm")).toBe(mm);
        mms.add(mm);
      }
    }
    expect(mms.size).toBe(k.tasks.all().filter((t) => !t.kthread).length);
    expect(k.tasks.all().some((t) => t.kthread)).toBe(true);
    for (const idle of k.tasks.idle) expect(rf(k, idle.taskAddress, "task_struct", "mm")).toBe(0n);
  });

  it("thread_pid holds the task's number in the init pid namespace; fs root and pwd are the root mount's \"/\"", () => {
    const k = new SyntheticKernel({ seed: 3 });
    const numbers = BigInt(k.memory.objects.field("pid", "numbers").byteOffset);
    const nsproxy = rf(k, k.tasks.all()[0]!.taskAddress, "task_struct", "nsproxy");
    const pidNs = rf(k, nsproxy, "nsproxy", "pid_ns_for_children");
    expect(rf(k, nsproxy, "nsproxy", "net_ns")).toBe(k.world.net);
    expect(rf(k, pidNs, "pid_namespace", "child_reaper")).toBe(k.tasks.get(1)!.taskAddress);
    for (const t of k.tasks.all()) {
      const pid = rf(k, t.taskAddress, "task_struct", "thread_pid");
      expect(rf(k, pid, "pid", "level")).toBe(0n);
      expect(rf(k, pid + numbers, "upid", "nr")).toBe(BigInt(t.pid));
      expect(rf(k, pid + numbers, "upid", "ns")).toBe(pidNs);
      expect(rf(k, t.taskAddress, "task_struct", "nsproxy")).toBe(nsproxy);
      const fs = rf(k, t.taskAddress, "task_struct", "fs");
      for (const p of ["root", "pwd"]) {
        const dentry = rf(k, fs, "fs_struct", `${p}.dentry`);
        expect(chain(k, dentry)).toEqual([]);
        expect(rf(k, fs, "fs_struct", `${p}.mnt`)).toBe(k.world.vfs.root.mnt);
        expect(Number(rf(k, rf(k, dentry, "dentry", "d_inode"), "inode", "i_mode")) & S_IFMT).toBe(S_IFDIR);
      }
    }
  });
});

describe("files: what vfs_read's file points at", () => {
  /** Runs the fs workload, checking every vfs_read's file against the path its open copied from user space. */
  function readsChecked(seed: number) {
    const k = new SyntheticKernel({ seed });
    /** The path of each open descriptor, by tgid * 1000 + fd, as the task passed it to openat. */
    const opened = new Map<number, string>();
    let checked = 0;
    const seenMounts = new Set<string>();
    k.functions.onCall = (c, ret) => {
      const t = k.current();
      if (c.fn.name === "do_sys_openat2" && BigInt.asIntN(64, ret) >= 0n) opened.set(t.tgid * 1000 + Number(ret), userStr(k, t.tgid, c.args[1]!));
      if (c.fn.name === "close_fd") opened.delete(t.tgid * 1000 + Number(c.args[0]!));
      if (c.fn.name !== "vfs_read") return;
      const file = c.args[0]!;
      const entry = [...k.world.files.values()].find((f) => f.file === file)!;
      const path = opened.get(t.tgid * 1000 + entry.fd)!;
      const spec = FILES.find((f) => f.path === path)!;
      const dentry = rf(k, file, "file", "f_path.dentry");
      const inode = rf(k, file, "file", "f_inode");
      // The name and the d_parent chain, under the mount point of the file's mount.
      const mount = k.world.vfs.mountOf(path);
      const names = chain(k, dentry);
      expect((mount.spec.at === "/" ? "" : mount.spec.at) + "/" + names.join("/")).toBe(path);
      expect(dname(k, dentry)).toBe(path.split("/").pop());
      expect(rf(k, dentry, "dentry", "d_inode")).toBe(inode);
      // A file the workload created (temp files, saves): not one of the image's files.
      if (!spec) return;
      // The inode as vfs.ts's table describes the file.
      expect(Number(rf(k, inode, "inode", "i_mode"))).toBe(spec.mode);
      expect(rf(k, inode, "inode", "i_size")).toBe(BigInt(spec.size));
      expect(rf(k, inode, "inode", "i_ino")).toBe(BigInt(spec.ino));
      expect(rf(k, inode, "inode", "i_uid.val")).toBe(BigInt(spec.uid));
      // Its super_block and mount: the mount's s_id, the same super_block through the dentry and the vfsmount.
      const sb = rf(k, inode, "inode", "i_sb");
      expect(k.memory.readString(sb, "super_block", "s_id")).toBe(mount.spec.id);
      expect(rf(k, dentry, "dentry", "d_sb")).toBe(sb);
      const mnt = rf(k, file, "file", "f_path.mnt");
      expect(mnt).toBe(mount.mnt);
      expect(rf(k, mnt, "vfsmount", "mnt_sb")).toBe(sb);
      seenMounts.add(mount.spec.id);
      // The task's descriptor table holds the file at its fd, with the fd's bit set.
      const files = rf(k, t.taskAddress, "task_struct", "files");
      const fdt = rf(k, files, "files_struct", "fdt");
      const slot = rf(k, fdt, "fdtable", "fd") + BigInt(8 * entry.fd);
      expect(u64(k, slot)).toBe(file);
      const bits = u64(k, rf(k, fdt, "fdtable", "open_fds"));
      expect((bits >> BigInt(entry.fd)) & 1n).toBe(1n);
      checked++;
    };
    k.run("fs", { count: 300 });
    return { k, checked, seenMounts };
  }

  it("the dentry's name and d_parent chain spell the path the task opened; the inode and super_block are that file's", () => {
    const { checked, seenMounts } = readsChecked(5);
    expect(checked).toBeGreaterThan(100);
    // Files on every mount were read: ext4 (vda1), proc and tmpfs.
    expect([...seenMounts].sort()).toEqual(["proc", "tmpfs", "vda1"]);
  });

  it("after a close the descriptor's slot is empty and its open_fds bit clear", () => {
    const { k } = readsChecked(6);
    for (const t of k.tasks.all()) {
      const files = rf(k, t.taskAddress, "task_struct", "files");
      const open = [...k.world.files.entries()].filter(([key]) => Math.floor(key / 1000) === t.tgid).map(([, f]) => f.fd);
      let expected = 0n;
      for (const fd of open) expected |= 1n << BigInt(fd);
      expect(rf(k, files, "files_struct", "open_fds_init[0]")).toBe(expected);
      for (let fd = 3; fd < 8; fd++) if (!open.includes(fd)) expect(rf(k, files, "files_struct", `fd_array[${fd}]`)).toBe(0n);
    }
  });
});

describe("block requests and sockets", () => {
  it("a request's q is the disk's queue, q->disk the gendisk, part its whole-disk block_device; sector and length match the bio", () => {
    const k = new SyntheticKernel({ seed: 8 });
    let checked = 0;
    const name = k.memory.readString(k.world.disk, "gendisk", "disk_name");
    k.functions.onCall = (c) => {
      if (c.fn.name !== "blk_mq_start_request") return;
      const rq = c.args[0]!;
      const q = rf(k, rq, "request", "q");
      expect(q).toBe(k.world.queue);
      expect(rf(k, rf(k, q, "request_queue", "disk"), "gendisk", "queue")).toBe(q);
      expect(k.memory.readString(rf(k, q, "request_queue", "disk"), "gendisk", "disk_name")).toBe(name);
      const part = rf(k, rq, "request", "part");
      expect(rf(k, part, "block_device", "bd_disk")).toBe(k.world.disk);
      const inflight = k.world.inflight.find((r) => r.rq === rq);
      const bio = rf(k, rq, "request", "bio");
      expect(rf(k, bio, "bio", "bi_iter.bi_sector")).toBe(rf(k, rq, "request", "__sector"));
      expect(rf(k, bio, "bio", "bi_iter.bi_size")).toBe(rf(k, rq, "request", "__data_len"));
      expect(rf(k, bio, "bio", "bi_bdev")).toBe(part);
      expect(inflight).toBeUndefined(); // pushed after the request starts
      checked++;
    };
    k.run("block", { count: 50 });
    expect(checked).toBe(50);
    expect(name).toBe("vda");
  });

  it("block_rq_complete's rwbs is the operation the request was issued with", () => {
    const k = new SyntheticKernel({ seed: 8 });
    const issued = new Map<bigint, string>();
    const pairs: [string, string][] = [];
    /** The rwbs char[] of a record, up to its NUL. */
    const rwbs = (hit: { tp: { fields: readonly { name: string; offset: number; size: number }[] }; record: Uint8Array }) => {
      const f = hit.tp.fields.find((x) => x.name === "rwbs")!;
      const b = hit.record.subarray(f.offset, f.offset + f.size);
      return new TextDecoder().decode(b.subarray(0, b.indexOf(0)));
    };
    k.tracepoints.attach(k.tracepoints.get("block", "block_rq_issue")!, (hit) => void issued.set(hit.args[0]!, rwbs(hit)));
    k.tracepoints.attach(k.tracepoints.get("block", "block_rq_complete")!, (hit) => void pairs.push([issued.get(hit.args[0]!)!, rwbs(hit)]));
    k.run("block", { count: 200 });
    expect(pairs.length).toBeGreaterThan(50);
    expect(pairs.every(([a, b]) => a === b)).toBe(true);
    expect(new Set(pairs.map(([a]) => a))).toEqual(new Set(["R", "W"]));
  });

  it("connected sockets are TCP_ESTABLISHED with the socket's type", () => {
    const k = new SyntheticKernel({ seed: 1 });
    for (const s of k.world.socks) {
      expect(rf(k, s.sk, "sock", "__sk_common.skc_state")).toBe(1n);
      const type = s.protocol === "tcp" ? 1n : 2n;
      expect(rf(k, s.sk, "sock", "sk_type")).toBe(type);
      expect(rf(k, s.sock, "socket", "type")).toBe(type);
      expect(rf(k, rf(k, s.sock, "socket", "sk"), "sock", "sk_socket")).toBe(s.sock);
    }
  });
});

describe("through the tracer", () => {
  it("vfs_read(file->f_inode->i_mode, file->f_path.dentry->d_name.name, ...->d_parent->d_name.name) reads each file's mode, name and directory", async () => {
    const r = await runCli("vfs_read(file->f_inode->i_mode, file->f_path.dentry->d_name.name, file->f_path.dentry->d_parent->d_name.name)", "--workload", "fs", "-c", "12", "--seed", "4", "--json");
    expect(r.code).toBe(0);
    const records = r.out.trim().split("\n").map((l) => JSON.parse(l) as { values: { value: number | string }[] });
    expect(records).toHaveLength(12);
    const mountPoints = new SyntheticKernel({ seed: 4 }).world.vfs.mounts.map((m) => m.spec.at);
    for (const rec of records) {
      const [mode, name, dir] = rec.values.map((v) => v.value);
      // Files the workload made (tmpfs temp files, an editor's saves) are not in the image's table.
      if (/^tmp\.\d+$|^draft\.txt$/.test(String(name))) continue;
      // The file vfs.ts's table has under that directory (a mount's root "/": right under its mount point) and name, with that mode.
      const spec = FILES.find((f) => (dir === "/" ? mountPoints.some((at) => f.path === `${at}/${name}`) : f.path.endsWith(`/${dir}/${name}`)));
      expect(spec, `${dir}/${name}`).toBeDefined();
      expect(mode).toBe(spec!.mode);
    }
  });

  it("set_task_cpu(p->real_parent->pid, p->pid, p->real_parent->comm) names each task's parent", async () => {
    const r = await runCli("set_task_cpu(p->real_parent->pid, p->pid, p->real_parent->comm)", "--workload", "sched", "-c", "6", "--seed", "2", "--json");
    expect(r.code).toBe(0);
    const k = new SyntheticKernel({ seed: 2 });
    const records = r.out.trim().split("\n").map((l) => JSON.parse(l) as { values: { value: unknown }[] });
    expect(records).toHaveLength(6);
    for (const rec of records) {
      const [ppid, pid, pcomm] = rec.values.map((v) => v.value);
      const t = k.tasks.get(Number(pid))!;
      expect(ppid).toBe(t.parent);
      expect(pcomm).toBe(t.parent === 0 ? k.tasks.idle[0]!.comm : k.tasks.get(t.parent)!.comm);
    }
  });
});

describe("iterator-only objects", () => {
  it("each process's standard files (fd 0-2) are /dev/null character devices in its descriptor table", async () => {
    const { LazyIterObjects } = await import("../../src/kernel-model/iter-objects.js");
    const k = new SyntheticKernel({ seed: 2 });
    const iter = new LazyIterObjects(k);
    const std = iter.files().filter((f) => f.fd < 3);
    expect(std).toHaveLength(3 * k.tasks.all().filter((t) => t.pid === t.tgid).length);
    for (const f of std) {
      const t = k.tasks.get(f.pid)!;
      const files = rf(k, t.taskAddress, "task_struct", "files");
      expect(rf(k, files, "files_struct", `fd_array[${f.fd}]`)).toBe(f.file);
      expect((rf(k, files, "files_struct", "open_fds_init[0]") >> BigInt(f.fd)) & 1n).toBe(1n);
      const inode = rf(k, f.file, "file", "f_inode");
      expect(Number(rf(k, inode, "inode", "i_mode")) & S_IFMT).toBe(0o020000);
      expect(rf(k, inode, "inode", "i_rdev")).toBe((1n << 20n) | 3n);
      expect(dname(k, rf(k, f.file, "file", "f_path.dentry"))).toBe(f.name);
    }
  });
});
