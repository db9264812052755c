// Files through the fs paths (paths/fs.ts, vfs.ts) on a fresh synthetic
// kernel, driven by syscalls as a task makes them: a create, write, fsync,
// close and unlink with its call sequence, the inode's size and blocks, the
// block I/O and the events it makes; a page cache miss (readahead from the
// disk) against a hit; stat into user memory; rename over a file, mkdir and
// rmdir, the errors; and BPF programs reading the paths the task passed.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { syscall, userString } from "../../src/kernel-model/paths/syscalls.js";
import { AT_FDCWD, AT_REMOVEDIR, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, dirtyPages, runFlusher } from "../../src/kernel-model/paths/fs.js";
import { waitForIo } from "../../src/kernel-model/paths/block.js";
import { PG_active, PG_dirty, PG_referenced, PG_uptodate, PG_writeback } from "../../src/kernel-model/paths/vfs.js";
import { bootSyntheticKernel } from "../../src/syscall/boot.js";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { runCli } from "../helpers/cli.js";

const I = (v: bigint) => BigInt.asIntN(64, v);

/** A fresh kernel whose CPU 0 runs systemd (uid 0), and helpers to make its syscalls. */
function fresh(seed = 7) {
  const k = new SyntheticKernel({ seed });
  k.cpu = 0;
  const sys = (name: string, ...args: bigint[]) => I(syscall(k, name, args));
  const user = k.memory.userSpace(k.current().tgid);
  /** Calls of the named functions, in call order (entry). */
  const trace = (names: string[]) => {
    const seq: string[] = [];
    const set = new Set(names);
    for (const fn of k.functions.all()) if (set.has(fn.name)) k.functions.attach(fn, { entry: (c) => void seq.push(c.fn.name) });
    return seq;
  };
  /** Events of these categories, in order, as "category:name". */
  const events = (categories: string[]) => {
    const seq: string[] = [];
    for (const tp of k.tracepoints.all()) if (categories.includes(tp.category)) k.tracepoints.attach(tp, () => void seq.push(`${tp.category}:${tp.name}`));
    return seq;
  };
  const rf = (a: bigint, t: string, f: string) => k.memory.readField(a, t, f);
  return { k, sys, user, trace, events, rf };
}

describe("a file created, written, fsynced, closed and unlinked", () => {
  it("openat(O_CREAT) walks, creates the ext4 inode and dentry and installs fd 3, in Linux's order", () => {
    const { k, sys, trace, rf } = fresh();
    const seq = trace(["do_sys_open", "do_sys_openat2", "build_open_flags", "getname", "get_unused_fd_flags", "alloc_fd", "do_filp_open", "path_openat", "alloc_empty_file", "link_path_walk", "lookup_fast", "open_last_lookups", "lookup_open", "d_alloc", "may_o_create", "security_inode_create", "ext4_create", "new_inode", "alloc_inode", "ext4_alloc_inode", "inode_init_always", "d_instantiate", "__mark_inode_dirty", "ext4_dirty_inode", "do_open", "may_open", "inode_permission", "vfs_open", "do_dentry_open", "security_file_open", "ext4_file_open", "putname", "fd_install"]);
    expect(sys("openat", AT_FDCWD, userString(k, "/home/user/report.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0o644n)).toBe(3n);
    expect(seq).toEqual(["do_sys_open", "do_sys_openat2", "build_open_flags", "getname", "get_unused_fd_flags", "alloc_fd", "do_filp_open", "path_openat", "alloc_empty_file", "link_path_walk", "lookup_fast", "lookup_fast", "open_last_lookups", "lookup_open", "d_alloc", "may_o_create", "inode_permission", "security_inode_create", "ext4_create", "new_inode", "alloc_inode", "ext4_alloc_inode", "inode_init_always", "d_instantiate", "__mark_inode_dirty", "ext4_dirty_inode", "do_open", "may_open", "inode_permission", "vfs_open", "do_dentry_open", "security_file_open", "ext4_file_open", "fd_install", "putname"]);
    const node = k.world.vfs.nodes.get("/home/user/report.txt")!;
    const file = k.world.files.get(k.current().tgid * 1000 + 3)!.file;
    // The file's path is the new dentry on the root mount, under /home/user; its inode a new empty regular file of the task's.
    expect([rf(file, "file", "f_path.dentry"), rf(file, "file", "f_path.mnt"), rf(file, "file", "f_inode"), rf(file, "file", "f_mapping")]).toEqual([node.dentry, k.world.vfs.root.mnt, node.inode, node.mapping]);
    expect(k.memory.readString(node.dentry, "dentry", "d_iname")).toBe("report.txt");
    expect(k.memory.readString(rf(node.dentry, "dentry", "d_parent"), "dentry", "d_iname")).toBe("user");
    expect([rf(node.inode, "inode", "i_mode"), rf(node.inode, "inode", "i_size"), rf(node.inode, "inode", "__i_nlink"), rf(node.inode, "inode", "i_uid.val")]).toEqual([0o100644n, 0n, 1n, 0n]);
    expect(rf(node.mapping, "address_space", "host")).toBe(node.inode);
    expect(rf(node.inode, "inode", "i_mapping")).toBe(node.mapping);
    // O_WRONLY: FMODE_WRITE | FMODE_CAN_WRITE and the seek/pread/pwrite bits, no read.
    expect(rf(file, "file", "f_mode")).toBe(0x2n | 0x4n | 0x8n | 0x10n | 0x40000n);
  });

  it("writes grow i_size and i_blocks and dirty the page cache; fsync writes the pages in one request, waits, and commits the journal", () => {
    const { k, sys, user, events, trace, rf } = fresh();
    const fd = sys("openat", AT_FDCWD, userString(k, "/home/user/report.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0o644n);
    const node = k.world.vfs.nodes.get("/home/user/report.txt")!;
    const buf = user.heapAlloc(10000);
    expect(sys("write", fd, buf, 6000n)).toBe(6000n);
    expect(sys("write", fd, buf, 4000n)).toBe(4000n);
    user.heapFree(buf);
    expect([rf(node.inode, "inode", "i_size"), rf(node.inode, "inode", "i_blocks")]).toEqual([10000n, 24n]);
    // Three pages, dirty and up to date, indexes 0-2; the inode has dirty pages and a new size to commit.
    expect([...node.pages.keys()]).toEqual([0, 1, 2]);
    for (const f of node.pages.values()) expect(rf(f, "folio", "flags") & (PG_dirty | PG_uptodate)).toBe(PG_dirty | PG_uptodate);
    expect([dirtyPages(k), rf(node.inode, "inode", "i_state") & 7n]).toEqual([3, 7n]);
    const ev = events(["block", "writeback", "filemap"]);
    const calls = trace(["vfs_fsync", "vfs_fsync_range", "ext4_sync_file", "file_write_and_wait_range", "__filemap_fdatawrite_range", "filemap_fdatawrite_wbc", "do_writepages", "ext4_writepages", "ext4_do_writepages", "mpage_prepare_extent_to_map", "ext4_bio_write_folio", "ext4_io_submit", "submit_bio", "__filemap_fdatawait_range", "folio_wait_writeback", "ext4_end_bio", "folio_end_writeback", "file_check_and_advance_wb_err", "submit_bio_wait", "blkdev_issue_flush"]);
    const before = k.clock.now();
    expect(sys("fsync", fd)).toBe(0n);
    expect(calls).toEqual([
      "vfs_fsync",
      "vfs_fsync_range",
      "ext4_sync_file",
      "file_write_and_wait_range",
      "__filemap_fdatawrite_range",
      "filemap_fdatawrite_wbc",
      "do_writepages",
      "ext4_writepages",
      "ext4_do_writepages",
      "mpage_prepare_extent_to_map",
      "ext4_bio_write_folio",
      "ext4_bio_write_folio",
      "ext4_bio_write_folio",
      "ext4_io_submit",
      "submit_bio",
      "__filemap_fdatawait_range",
      "folio_wait_writeback",
      "ext4_end_bio",
      "folio_end_writeback",
      "folio_end_writeback",
      "folio_end_writeback",
      "file_check_and_advance_wb_err",
      "submit_bio_wait",
      "submit_bio",
    ]);
    expect(ev).toEqual([
      "block:block_bio_queue",
      "block:block_getrq",
      "block:block_io_start",
      "block:block_plug",
      "block:block_unplug",
      "block:block_rq_insert",
      "block:block_rq_issue",
      "writeback:folio_wait_writeback",
      "block:block_rq_complete",
      "block:block_bio_complete",
      "block:block_io_done",
      "filemap:file_check_and_advance_wb_err",
      "block:block_bio_queue",
      "block:block_getrq",
      "block:block_io_start",
      "block:block_rq_insert",
      "block:block_rq_issue",
      "block:block_rq_complete",
      "block:block_bio_complete",
      "block:block_io_done",
    ]);
    // The task slept until the device finished: the clock moved by at least the two service times.
    expect(k.clock.now() - before).toBeGreaterThan(200_000n);
    for (const f of node.pages.values()) expect(rf(f, "folio", "flags") & (PG_dirty | PG_writeback)).toBe(0n);
    expect([dirtyPages(k), rf(node.inode, "inode", "i_state") & 7n, k.world.inflight.length]).toEqual([0, 0n, 0]);
  });

  it("O_APPEND writes go to the end of the file whatever the position (IOCB_APPEND); pwrite64 past the end leaves a hole: in i_size, not in i_blocks", () => {
    const { k, sys, user, rf } = fresh();
    const buf = user.heapAlloc(300);
    const a = sys("openat", AT_FDCWD, userString(k, "/var/log/app.log"), O_WRONLY | O_CREAT | 0o2000n, 0o640n);
    expect(sys("write", a, buf, 100n)).toBe(100n);
    const b = sys("openat", AT_FDCWD, userString(k, "/var/log/app.log"), O_WRONLY | 0o2000n, 0n);
    expect(sys("write", b, buf, 50n)).toBe(50n);
    expect(sys("write", a, buf, 25n)).toBe(25n);
    const node = k.world.vfs.nodes.get("/var/log/app.log")!;
    const pos = (fd: bigint) => rf(k.world.files.get(k.current().tgid * 1000 + Number(fd))!.file, "file", "f_pos");
    expect([rf(node.inode, "inode", "i_size"), pos(a), pos(b)]).toEqual([175n, 175n, 150n]);
    // On an O_APPEND descriptor pwrite appends too (a Linux quirk pwrite(2) documents).
    expect(sys("pwrite64", b, buf, 10n, 20000n)).toBe(10n);
    expect(rf(node.inode, "inode", "i_size")).toBe(185n);
    const c = sys("openat", AT_FDCWD, userString(k, "/var/log/app.log"), O_WRONLY, 0n);
    expect(sys("pwrite64", c, buf, 10n, 20000n)).toBe(10n);
    // Pages 1-3 are a hole: no blocks, no page cache.
    expect([rf(node.inode, "inode", "i_size"), rf(node.inode, "inode", "i_blocks"), [...node.pages.keys()]]).toEqual([20010n, 16n, [0, 4]]);
    user.heapFree(buf);
  });

  it("O_TRUNC of an existing file drops its data: handle_truncate -> do_truncate -> notify_change -> ext4_setattr -> truncate_pagecache", () => {
    const { k, sys, user, trace, events, rf } = fresh();
    const buf = user.heapAlloc(9000);
    const fd = sys("openat", AT_FDCWD, userString(k, "/home/user/out.log"), O_WRONLY | O_CREAT, 0o644n);
    expect(sys("write", fd, buf, 9000n)).toBe(9000n);
    sys("close", fd);
    const node = k.world.vfs.nodes.get("/home/user/out.log")!;
    const calls = trace(["handle_truncate", "do_truncate", "notify_change", "ext4_setattr", "truncate_pagecache", "truncate_inode_pages_range"]);
    const ev = events(["filemap"]);
    const again = sys("openat", AT_FDCWD, userString(k, "/home/user/out.log"), O_WRONLY | O_TRUNC, 0n);
    expect(calls).toEqual(["handle_truncate", "do_truncate", "notify_change", "ext4_setattr", "truncate_pagecache", "truncate_inode_pages_range"]);
    // Three dirty pages dropped (their data never reaches the disk), size and blocks 0.
    expect(ev).toEqual(Array(3).fill("filemap:mm_filemap_delete_from_page_cache"));
    expect([rf(node.inode, "inode", "i_size"), rf(node.inode, "inode", "i_blocks"), node.pages.size, dirtyPages(k)]).toEqual([0n, 0n, 0, 0]);
    expect(sys("write", again, buf, 100n)).toBe(100n);
    expect(rf(node.inode, "inode", "i_size")).toBe(100n);
    // A create with O_TRUNC makes an empty file: nothing to truncate.
    calls.length = 0;
    sys("openat", AT_FDCWD, userString(k, "/home/user/new.log"), O_WRONLY | O_CREAT | O_TRUNC, 0o644n);
    expect(calls).toEqual([]);
    user.heapFree(buf);
  });

  it("close keeps the dentry and inode cached; unlink evicts the inode, drops its pages from the page cache and frees both", () => {
    const { k, sys, user, events, trace, rf } = fresh();
    const fd = sys("openat", AT_FDCWD, userString(k, "/tmp/scratch"), O_RDWR | O_CREAT | O_EXCL, 0o600n);
    const buf = user.heapAlloc(9000);
    expect(sys("write", fd, buf, 9000n)).toBe(9000n);
    user.heapFree(buf);
    const node = k.world.vfs.nodes.get("/tmp/scratch")!;
    expect([node.mount.spec.fstype, rf(node.inode, "inode", "i_size"), node.pages.size]).toEqual(["tmpfs", 9000n, 3]);
    expect(sys("close", fd)).toBe(0n);
    expect([rf(node.dentry, "dentry", "d_lockref.count"), rf(node.inode, "inode", "i_count.counter"), k.world.files.size]).toEqual([0n, 1n, 0]);
    const ev = events(["filemap"]);
    const calls = trace(["do_unlinkat", "filename_parentat", "lookup_one_qstr_excl", "vfs_unlink", "shmem_unlink", "d_delete", "iput", "evict", "truncate_inode_pages_final", "destroy_inode", "dput", "putname"]);
    expect(sys("unlinkat", AT_FDCWD, userString(k, "/tmp/scratch"), 0n)).toBe(0n);
    expect(calls).toEqual(["do_unlinkat", "filename_parentat", "lookup_one_qstr_excl", "vfs_unlink", "shmem_unlink", "d_delete", "iput", "evict", "truncate_inode_pages_final", "destroy_inode", "dput", "putname"]);
    expect(ev).toEqual(Array(3).fill("filemap:mm_filemap_delete_from_page_cache"));
    expect(k.world.vfs.nodes.has("/tmp/scratch")).toBe(false);
    // Both objects are gone: reading them faults.
    expect(() => rf(node.inode, "inode", "i_size")).toThrow(/freed/);
    expect(() => rf(node.dentry, "dentry", "d_flags")).toThrow(/freed/);
    expect(sys("unlinkat", AT_FDCWD, userString(k, "/tmp/scratch"), 0n)).toBe(-2n);
  });
});

describe("writeback by the flusher", () => {
  it("a large write past the dirty threshold wakes the flusher; the kworker writes the inode's pages back (wb_workfn -> wb_writeback -> writeback_sb_inodes -> __writeback_single_inode)", () => {
    const { k, sys, user, trace, rf } = fresh();
    const fd = sys("openat", AT_FDCWD, userString(k, "/home/user/big.bin"), O_WRONLY | O_CREAT, 0o644n);
    const wake = trace(["wb_start_background_writeback"]);
    const buf = user.heapAlloc(16384);
    for (let i = 0; i < 16; i++) expect(sys("write", fd, buf, 16384n)).toBe(16384n);
    user.heapFree(buf);
    sys("close", fd);
    const node = k.world.vfs.nodes.get("/home/user/big.bin")!;
    // 64 dirty pages: the threshold (48) was crossed once.
    expect([dirtyPages(k), wake.length, rf(node.inode, "inode", "i_size")]).toEqual([64, 1, 262144n]);
    const seq: string[] = [];
    const comms = new Set<string>();
    for (const tp of k.tracepoints.all()) {
      if (tp.category !== "writeback") continue;
      k.tracepoints.attach(tp, (hit) => {
        seq.push(tp.name);
        comms.add(k.current().comm);
        if (tp.name === "writeback_pages_written") seq.push(String(new DataView(hit.record.buffer, hit.record.byteOffset).getBigInt64(8, true)));
      });
    }
    const requests = k.groundTruth("blk_mq_start_request");
    const merges = k.groundTruth("block:block_bio_backmerge");
    const task = k.current();
    runFlusher(k);
    expect(k.current()).toBe(task);
    expect(seq).toEqual(["writeback_start", "writeback_single_inode_start", "writeback_write_inode_start", "writeback_write_inode", "writeback_single_inode", "writeback_written", "writeback_pages_written", "64"]);
    expect([...comms]).toEqual(["kworker/0:1"]);
    // 8 bios of 8 pages, merged in the plug into 128 KiB requests: 2 requests.
    expect([k.groundTruth("blk_mq_start_request") - requests, k.groundTruth("block:block_bio_backmerge") - merges]).toEqual([2, 6]);
    expect(dirtyPages(k)).toBe(0);
    // The flusher does not wait: the pages are under writeback until the device completes them.
    expect(node.writeback.size).toBe(64);
    waitForIo(k, k.world, () => node.writeback.size === 0);
    expect(rf(node.inode, "inode", "i_state") & 7n).toBe(0n);
  });
});

describe("the page cache", () => {
  it("a read of an uncached file reads ahead from the disk and waits; the same read again is served from the page cache", () => {
    const { k, sys, user, trace, rf } = fresh();
    const fd = sys("openat", AT_FDCWD, userString(k, "/usr/lib/libc.so.6"), O_RDONLY, 0n);
    const node = k.world.vfs.nodes.get("/usr/lib/libc.so.6")!;
    const calls = trace(["page_cache_sync_ra", "page_cache_async_ra", "filemap_add_folio", "ext4_readahead", "submit_bio", "blk_mq_start_request", "mpage_end_io", "folio_end_read", "copy_page_to_iter", "folio_mark_accessed"]);
    const buf = user.heapAlloc(4096);
    expect(sys("read", fd, buf, 4096n)).toBe(4096n);
    // The initial window: 4 pages (4 x the 1-page request), one bio, one request, completed before read returns.
    expect(calls).toEqual(["page_cache_sync_ra", "filemap_add_folio", "filemap_add_folio", "filemap_add_folio", "filemap_add_folio", "ext4_readahead", "submit_bio", "blk_mq_start_request", "mpage_end_io", "folio_end_read", "folio_end_read", "folio_end_read", "folio_end_read", "copy_page_to_iter", "folio_mark_accessed"]);
    expect([...node.pages.keys()]).toEqual([0, 1, 2, 3]);
    const first = node.pages.get(0)!;
    expect(rf(first, "folio", "flags") & (PG_uptodate | PG_referenced | PG_active)).toBe(PG_uptodate | PG_referenced);
    calls.length = 0;
    expect(sys("lseek", fd, 0n, 0n)).toBe(0n);
    const t0 = k.clock.now();
    expect(sys("read", fd, buf, 4096n)).toBe(4096n);
    // A hit: no readahead, no I/O; a second access makes the folio active.
    expect(calls).toEqual(["copy_page_to_iter", "folio_mark_accessed"]);
    expect(k.clock.now() - t0).toBeLessThan(20_000n);
    expect(rf(first, "folio", "flags") & (PG_referenced | PG_active)).toBe(PG_active);
    // f_pos advanced past both reads' data (the second read started at 0 again).
    expect(rf(k.world.files.get(k.current().tgid * 1000 + Number(fd))!.file, "file", "f_pos")).toBe(4096n);
    user.heapFree(buf);
  });

  it("/proc/self/stat is read through ->read (seq_read -> seq_read_iter -> proc_single_show), not the page cache", () => {
    const { k, sys, user, trace } = fresh();
    const fd = sys("openat", AT_FDCWD, userString(k, "/proc/self/stat"), O_RDONLY, 0n);
    const calls = trace(["seq_read", "seq_read_iter", "proc_single_show", "filemap_read", "filemap_add_folio"]);
    const buf = user.heapAlloc(4096);
    // "1 (systemd) R 1 1 1 0 -1 4194560" (32 bytes) and the rest of the line (120): 152 bytes, then end of file.
    expect([sys("read", fd, buf, 4096n), sys("read", fd, buf, 4096n)]).toEqual([152n, 0n]);
    user.heapFree(buf);
    expect(calls).toEqual(["seq_read", "seq_read_iter", "proc_single_show", "seq_read", "seq_read_iter", "proc_single_show"]);
  });

  it("sequential reads reach the readahead mark and read the next window asynchronously", () => {
    const { k, sys, user, trace } = fresh();
    const fd = sys("openat", AT_FDCWD, userString(k, "/var/log/syslog"), O_RDONLY, 0n);
    const calls = trace(["page_cache_sync_ra", "page_cache_async_ra", "blk_mq_start_request"]);
    const buf = user.heapAlloc(16384);
    for (let i = 0; i < 4; i++) expect(sys("read", fd, buf, 16384n)).toBe(16384n);
    user.heapFree(buf);
        // The initial window (16 pages: 4 x 4, in two bios merged into one request), marked at page 4; the second read reaches the mark and reads pages 16-23 ahead.
    expect(calls).toEqual(["page_cache_sync_ra", "blk_mq_start_request", "page_cache_async_ra", "blk_mq_start_request"]);
    expect(k.world.vfs.nodes.get("/var/log/syslog")!.pages.size).toBe(24);
  });
});

describe("stat, rename, mkdir and the errors", () => {
  it("newfstatat fills the task's struct stat from the inode (ext4_file_getattr -> generic_fillattr, cp_new_stat)", () => {
    const { k, sys, user, trace } = fresh();
    const calls = trace(["vfs_fstatat", "getname", "vfs_statx", "filename_lookup", "path_lookupat", "vfs_getattr", "vfs_getattr_nosec", "ext4_file_getattr", "ext4_getattr", "generic_fillattr", "path_put", "putname", "cp_new_stat"]);
    const sb = user.heapAlloc(144);
    expect(sys("newfstatat", AT_FDCWD, userString(k, "/etc/passwd"), sb, 0n)).toBe(0n);
    expect(calls).toEqual(["vfs_fstatat", "getname", "vfs_statx", "filename_lookup", "path_lookupat", "vfs_getattr", "vfs_getattr_nosec", "ext4_file_getattr", "ext4_getattr", "generic_fillattr", "path_put", "putname", "cp_new_stat"]);
    const b = new Uint8Array(144);
    expect(k.memory.readUser(k.current().tgid, b, sb)).toBe(0);
    const v = new DataView(b.buffer);
    // st_dev (vda1: 253:1), st_ino, st_nlink, st_mode, st_uid, st_size, st_blksize, st_blocks
    expect([v.getBigUint64(0, true), v.getBigUint64(8, true), v.getBigUint64(16, true), v.getUint32(24, true), v.getUint32(28, true), v.getBigInt64(48, true), v.getBigInt64(56, true), v.getBigInt64(64, true)]).toEqual([(253n << 20n) | 1n, 1311017n, 1n, 0o100644, 0, 1873n, 4096n, 8n]);
    expect(sys("newfstatat", AT_FDCWD, userString(k, "/etc/shadow-"), sb, 0n)).toBe(-2n);
    expect(sys("newfstatat", AT_FDCWD, 0x10n, sb, 0n)).toBe(-14n);
    user.heapFree(sb);
  });

  it("renameat2 over an existing file moves the dentry (d_move) and evicts the replaced inode; RENAME_NOREPLACE refuses", () => {
    const { k, sys, trace } = fresh();
    for (const p of ["/home/user/a.txt", "/home/user/b.txt"]) sys("close", sys("openat", AT_FDCWD, userString(k, p), O_WRONLY | O_CREAT, 0o644n));
    const a = k.world.vfs.nodes.get("/home/user/a.txt")!;
    const b = k.world.vfs.nodes.get("/home/user/b.txt")!;
    expect(sys("renameat2", AT_FDCWD, userString(k, "/home/user/a.txt"), AT_FDCWD, userString(k, "/home/user/b.txt"), 1n)).toBe(-17n);
    const calls = trace(["do_renameat2", "lock_rename", "vfs_rename", "ext4_rename2", "d_move", "d_delete", "evict", "unlock_rename"]);
    expect(sys("renameat2", AT_FDCWD, userString(k, "/home/user/a.txt"), AT_FDCWD, userString(k, "/home/user/b.txt"), 0n)).toBe(0n);
    expect(calls).toEqual(["do_renameat2", "lock_rename", "vfs_rename", "ext4_rename2", "d_move", "d_delete", "evict", "unlock_rename"]);
    expect(k.world.vfs.nodes.get("/home/user/b.txt")).toBe(a);
    expect(k.world.vfs.nodes.has("/home/user/a.txt")).toBe(false);
    expect(k.memory.readString(a.dentry, "dentry", "d_iname")).toBe("b.txt");
    expect(() => k.memory.readField(b.inode, "inode", "i_ino")).toThrow(/freed/);
  });

  it("mkdirat makes an ext4 directory (nlink 2), files go in it; rmdir refuses while it holds one (ENOTEMPTY), then removes it", () => {
    const { k, sys, rf } = fresh();
    const dir = "/home/user/build";
    expect(sys("mkdirat", AT_FDCWD, userString(k, dir), 0o755n)).toBe(0n);
    expect(sys("mkdirat", AT_FDCWD, userString(k, dir), 0o755n)).toBe(-17n);
    const d = k.world.vfs.nodes.get(dir)!;
    expect([rf(d.inode, "inode", "i_mode"), rf(d.inode, "inode", "__i_nlink"), rf(d.inode, "inode", "i_size")]).toEqual([0o40755n, 2n, 4096n]);
    const fd = sys("openat", AT_FDCWD, userString(k, `${dir}/a.o`), O_WRONLY | O_CREAT, 0o644n);
    expect(fd).toBe(3n);
    expect(rf(k.world.vfs.nodes.get(`${dir}/a.o`)!.dentry, "dentry", "d_parent")).toBe(d.dentry);
    sys("close", fd);
    expect(sys("unlinkat", AT_FDCWD, userString(k, dir), AT_REMOVEDIR)).toBe(-39n);
    expect(sys("unlinkat", AT_FDCWD, userString(k, dir), 0n)).toBe(-21n);
    expect(sys("unlinkat", AT_FDCWD, userString(k, `${dir}/a.o`), 0n)).toBe(0n);
    expect(sys("unlinkat", AT_FDCWD, userString(k, dir), AT_REMOVEDIR)).toBe(0n);
    expect(k.world.vfs.nodes.has(dir)).toBe(false);
    // Its parent is gone, so a create under it fails.
    expect(sys("openat", AT_FDCWD, userString(k, `${dir}/b.o`), O_WRONLY | O_CREAT, 0o644n)).toBe(-2n);
  });

  it("errors: missing files, O_EXCL on an existing one, bad descriptors, a write to a read-only descriptor, bad lseek", () => {
    const { k, sys, user } = fresh();
    const buf = user.heapAlloc(16);
    expect(sys("openat", AT_FDCWD, userString(k, "/etc/nope"), O_RDONLY, 0n)).toBe(-2n);
    expect(sys("openat", AT_FDCWD, userString(k, "/etc/passwd"), O_RDWR | O_CREAT | O_EXCL, 0o644n)).toBe(-17n);
    expect(sys("openat", AT_FDCWD, userString(k, ""), O_RDONLY, 0n)).toBe(-2n);
    expect(sys("openat", AT_FDCWD, 0x10n, O_RDONLY, 0n)).toBe(-14n);
    expect(sys("read", 42n, buf, 16n)).toBe(-9n);
    expect(sys("close", 42n)).toBe(-9n);
    expect(sys("fsync", 42n)).toBe(-9n);
    const fd = sys("openat", AT_FDCWD, userString(k, "/etc/passwd"), O_RDONLY, 0n);
    expect(sys("write", fd, buf, 16n)).toBe(-9n);
    expect(sys("lseek", fd, -1n, 0n)).toBe(-22n);
    expect(sys("lseek", fd, 0n, 7n)).toBe(-22n);
    expect(sys("lseek", fd, -73n, 2n)).toBe(1800n);
    expect(sys("read", fd, buf, 16n)).toBe(16n);
    expect(sys("pread64", fd, buf, 16n, 1870n)).toBe(3n);
    expect(sys("pread64", fd, buf, 16n, 5000n)).toBe(0n);
    user.heapFree(buf);
  });
});

describe("BPF programs see the paths the task passed", () => {
  it("an fentry program on do_sys_openat2 reads the filename argument with bpf_probe_read_user_str", () => {
    const { kernel, bpf } = bootSyntheticKernel({ seed: 4, nrCpus: 2 });
    // value: the string (64 bytes) and what probe_read_user_str returned (8 bytes)
    const map = bpf.mapCreate({ type: 2, keySize: 4, valueSize: 72, maxEntries: 1, name: "fname" });
    const prog = new ProgramBuilder()
      .ldx(Size.DW, 6, 1, 8) // ctx[1]: const char __user *filename
      .st(Size.W, 10, -4, 0)
      .ldMapFd(1, map)
      .mov64(2, 10)
      .add64Imm(2, -4)
      .call(HelperId.map_lookup_elem!)
      .jmpImm(JmpOp.JEQ, 0, 0, "out")
      .mov64(7, 0)
      .mov64(1, 7)
      .mov64Imm(2, 64)
      .mov64(3, 6)
      .call(HelperId.probe_read_user_str!)
      .stx(Size.DW, 7, 64, 0)
      .label("out")
      .mov64Imm(0, 0)
      .exit();
    const r = bpf.progLoad({ progType: "tracing", insns: encodeProgram(prog.link()), license: "GPL", name: "openat2", nargs: 3 });
    if (typeof r === "number") throw new Error(`progLoad ${r}: ${bpf.lastError}`);
    expect(bpf.linkCreate(r.fd, "fentry", { name: "do_sys_openat2" })).toBeGreaterThan(0);
    kernel.cpu = 0;
    syscall(kernel, "openat", [AT_FDCWD, userString(kernel, "/tmp/tmp.12345"), O_RDWR | O_CREAT | O_EXCL, 0o600n]);
    const v = bpf.mapLookupElem(map, new Uint8Array(4));
    if (typeof v === "number") throw new Error(`lookup ${v}`);
    expect([Buffer.from(v.subarray(0, v.indexOf(0))).toString("utf8"), new DataView(v.buffer, v.byteOffset).getBigInt64(64, true)]).toEqual(["/tmp/tmp.12345", 15n]);
  });

  it.each(["tracepoint:writeback:writeback_dirty_folio", "raw_tp:mm_filemap_add_to_page_cache", "tracepoint:block:block_bio_queue"])("%s --check on the fs workload: every event delivered", async (spec) => {
    const r = await runCli(spec, "--check", "--workload", "fs", "-d", "30ms", "--seed", "3", "--format", "json");
    expect(r.code, r.err).toBe(0);
    const m = / {2}ok \S+: (\d+) calls -> (\d+) records expected, (\d+) accounted \((\d+) delivered, 0 filtered, 0 lost\)/.exec(r.err);
    expect(m, r.err).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect([m![2], m![3], m![4]]).toEqual([m![1], m![1], m![1]]);
  });

  it("btfsnoop trace 'do_unlinkat(name->name)' shows the temp files the fs workload removes (getname's kernel copy)", async () => {
    const r = await runCli("do_unlinkat(name->name)", "--workload", "fs", "-c", "4", "--seed", "3", "--json");
    expect(r.code).toBe(0);
    const names = r.out
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { values: { value: string }[] }).values[0]!.value);
    expect(names).toHaveLength(4);
    for (const n of names) expect(n).toMatch(/^\/tmp\/tmp\.\d{5}$|^\/home\/user\/build(\/main\.o)?$/);
  });
});
