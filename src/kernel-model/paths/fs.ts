// Files through the VFS, the page cache and ext4/tmpfs/proc, as Linux 6.12
// takes them, and the fs workload's file sessions. The syscalls' kernel
// side (defineSyscall): openat (do_sys_open -> do_sys_openat2 -> getname,
// get_unused_fd_flags, do_filp_open -> path_openat -> alloc_empty_file,
// link_path_walk, open_last_lookups (lookup_fast, or lookup_open -> d_alloc
// -> ext4_create/shmem_create -> new_inode -> alloc_inode, d_instantiate)
// -> do_open -> may_open, vfs_open -> do_dentry_open -> ext4_file_open;
// fd_install), read/pread64 (vfs_read -> ext4_file_read_iter ->
// generic_file_read_iter -> filemap_read -> filemap_get_pages, readahead on
// a miss -> ext4_readahead -> bios; copy_page_to_iter, folio_mark_accessed,
// touch_atime), write/pwrite64 (vfs_write -> ext4_file_write_iter ->
// ext4_buffered_write_iter -> generic_perform_write -> ext4_da_write_begin
// -> __filemap_get_folio, copy_page_from_iter_atomic, ext4_da_write_end ->
// block_write_end -> __folio_mark_dirty, __mark_inode_dirty,
// balance_dirty_pages_ratelimited), lseek, fsync/fdatasync (vfs_fsync ->
// ext4_sync_file -> file_write_and_wait_range -> ext4_writepages -> bios,
// folio_wait_writeback; a journal commit or blkdev_issue_flush),
// newfstatat (vfs_fstatat -> vfs_statx -> filename_lookup, vfs_getattr ->
// ext4_getattr -> generic_fillattr, cp_new_stat), unlinkat (do_unlinkat ->
// vfs_unlink -> ext4_unlink, d_delete, dput -> iput -> evict; AT_REMOVEDIR:
// do_rmdir), mkdirat, renameat2 (do_renameat2 -> vfs_rename -> ext4_rename2,
// d_move), close (close_fd -> filp_close -> fput -> __fput ->
// ext4_release_file, dput); the flusher (wb_workfn -> wb_writeback ->
// writeback_sb_inodes -> __writeback_single_inode -> do_writepages,
// write_inode). vfs.ts holds the tree, the inodes and the page cache.
// O_TRUNC of an existing file goes handle_truncate -> do_truncate ->
// notify_change -> ext4_setattr -> truncate_pagecache. Not modelled: file
// contents (copies move no bytes), reading a cached-out block before a
// partial write into it, and directory reads.
import type { Kernel } from "../kernel.js";
import type { TracepointDef } from "../tracepoints.js";
import type { Task } from "../tasks.js";
import { clearFd, filesOf, installFd } from "./process.js";
import { BOOT_WALL_SECONDS, FILES, PG_active, PG_dirty, PG_locked, PG_lru, PG_readahead, PG_referenced, PG_uptodate, PG_writeback, S_IFDIR, S_IFREG, Vfs, type FsNode } from "./vfs.js";
import { alloc } from "./fields.js";
import type { World } from "./world.js";
import { defineSyscall, strncpyFromUser, syscall, userString as userStr } from "./syscalls.js";
import { closeSocketFile } from "./socket.js";
import { REQ_FUA, REQ_META, REQ_OP_READ, REQ_OP_WRITE, REQ_PREFLUSH, REQ_RAHEAD, REQ_SYNC, waitForIo } from "./block.js";
import { pathFunctions } from "./bind.js";

const U64 = (v: bigint) => BigInt.asUintN(64, v);
const err = (n: number) => U64(BigInt(-n));
/** IS_ERR(): a u64 holding -4095..-1. */
const isErr = (v: bigint) => BigInt.asIntN(64, v) < 0n && BigInt.asIntN(64, v) >= -4095n;
const ENOENT = 2;
const EBADF = 9;
const ENOMEM = 12;
const EACCES = 13;
const EFAULT = 14;
const EEXIST = 17;
const ENOTDIR = 20;
const EISDIR = 21;
const EINVAL = 22;
const ENOTEMPTY = 39;
export const AT_FDCWD = U64(-100n);
export const AT_REMOVEDIR = 0x200n;
export const O_RDONLY = 0n;
export const O_WRONLY = 1n;
export const O_RDWR = 2n;
export const O_CREAT = 0o100n;
export const O_EXCL = 0o200n;
export const O_TRUNC = 0o1000n;
export const O_APPEND = 0o2000n;
const O_LARGEFILE = 0o100000n;
const O_CLOEXEC = 0o2000000n;
const FMODE_READ = 0x1n;
const FMODE_WRITE = 0x2n;
const FMODE_LSEEK = 0x4n;
const FMODE_PREAD = 0x8n;
const FMODE_PWRITE = 0x10n;
const FMODE_CAN_READ = 0x20000n;
const FMODE_CAN_WRITE = 0x40000n;
/** i_state bits. */
const I_DIRTY_SYNC = 1n;
const I_DIRTY_DATASYNC = 2n;
const I_DIRTY_PAGES = 4n;
const I_DIRTY_INODE = I_DIRTY_SYNC | I_DIRTY_DATASYNC;
const I_FREEING = 1n << 5n;
const I_SYNC = 1n << 7n;
const LLONG_MAX = (1n << 63n) - 1n;
/** iattr ia_valid bits. */
const ATTR_SIZE = 1n << 3n;
const ATTR_MTIME = 1n << 5n;
const ATTR_CTIME = 1n << 6n;
const ATTR_FILE = 1n << 13n;
const ATTR_OPEN = 1n << 15n;
/** kiocb ki_flags: IOCB_APPEND (RWF_APPEND). */
const IOCB_APPEND = 0x10n;
const WB_SYNC_NONE = 0n;
const WB_SYNC_ALL = 1n;
const WB_REASON_BACKGROUND = 0n;
const WB_REASON_PERIODIC = 3n;
/** FGP_LOCK | FGP_WRITE | FGP_CREAT | FGP_STABLE. */
const FGP_WRITEBEGIN = 0x8en;
const GFP_KERNEL = 0xcc0n;
const GFP_NOFS = 0xc40n;
const STATX_BASIC_STATS = 0x7ffn;
const PAGE = 4096;
/** Dirty pages at which balance_dirty_pages_ratelimited wakes the flusher (the background threshold). */
const DIRTY_BACKGROUND_PAGES = 48;
/** Pages per bio ext4 builds (BIO_MAX_VECS is 256; small here so sequential bios merge in the plug). */
const BIO_PAGES = 8;
/** The journal's blocks on vda (ext4's jbd2 log, in the middle of vda1). */
const JOURNAL_SECTOR = 2048n + 4194304n;
/** LOOKUP_FOLLOW | LOOKUP_RCU for path walks. */
const LOOKUP_FOLLOW = 0x1n;
const LOOKUP_RCU = 0x40n;
const MAY_READ = 4n;
const MAY_WRITE = 2n;
/** The bdi of vda: its writeback events' name (bdi_dev_name). */
const BDI_NAME = "253:0";

/** The values of an event nothing is attached to (fire only counts it). */
const NONE: Record<string, bigint> = {};
const encoder = new TextEncoder();

/** The 8 bytes of a loff_t or pointer slot, read or written whole. */
const slot = new Uint8Array(8);
const slotView = new DataView(slot.buffer);

/** An open file: the node it is of. */
interface OpenState {
  node: FsNode;
}

/** What the fs paths keep per kernel. */
interface FsState {
  w: World;
  vfs: Vfs;
  /** struct file -> what it is open on. */
  files: Map<bigint, OpenState>;
  /** struct filename -> the path getname copied. */
  names: Map<bigint, string>;
  /** Bios in flight -> the folios they carry. */
  bioFolios: Map<bigint, bigint[]>;
  /** Dirty pages of every file (the writeback threshold's count). */
  dirtyTotal: number;
  /** balance_dirty_pages_ratelimited asked the flusher to run. */
  flusherWanted: boolean;
  /** A temp file's number. */
  tmpSeq: number;
  /** The path a walk in progress resolves (set by the syscall before its walk). */
  walk: { path: string; node: FsNode | undefined; mode: number };
  /** The node an ext4/shmem create made. */
  created: FsNode | undefined;
  /** The bio ext4_bio_write_folio is filling (io->io_bio). */
  ioBio: bigint;
  ioNode: FsNode | undefined;
  /** Scratch "stack" objects (Linux passes pointers into its stack frames). */
  s: Record<string, bigint>;
  wb: bigint;
  kworker: Task | undefined;
}

const states = new WeakMap<Kernel, FsState>();

export function installFsPaths(k: Kernel, w: World): void {
  const { set, call } = pathFunctions(k);
  const rng = k.rng;
  const vfs = w.vfs;
  const pc = vfs.pageCache;
  const rd = (a: bigint, t: string, f: string) => k.memory.readField(a, t, f);
  // Every field the fs paths write is in the headers (fs.h, types.h): written directly, without setField's has-field check.
  const wr = (a: bigint, t: string, f: string, v: bigint) => k.memory.writeField(a, t, f, v);
  const addrOf = (name: string) => k.functions.named(name)[0]?.address ?? 0n;
  /** Tracepoints by category and name, looked up once; an event's values are computed only when something is attached to it. */
  const tps = new Map<string, TracepointDef>();
  const fire = (cat: string, name: string, values: () => Record<string, bigint | string>, args: bigint[]) => {
    const key = `${cat}:${name}`;
    let tp = tps.get(key);
    if (tp === undefined) tps.set(key, (tp = k.tracepoints.get(cat, name)!));
    k.fire(tp, k.tracepoints.enabled(tp) ? values() : NONE, args);
  };
  const s: Record<string, bigint> = {};
  for (const t of ["open_how", "open_flags", "nameidata", "kiocb", "iov_iter", "kstat", "path", "qstr", "renamedata", "writeback_control", "readahead_control", "folio_batch", "wb_writeback_work", "work_struct", "blk_plug"]) s[t] = alloc(k, t);
  s.path2 = alloc(k, "path");
  s.iattr = alloc(k, "iattr");
  s.nameidata2 = alloc(k, "nameidata");
  // Pointer slots (struct folio **foliop, void **fsdata, loff_t *pos, struct inode **delegated_inode) and the opaque ext4 writeback state.
  for (const t of ["foliop", "fsdata", "pos", "delegated", "lastType"]) s[t] = k.memory.kmalloc(8, true);
  s.io = k.memory.kmalloc(64, true);
  // The buffer_head of the block being written (struct buffer_head is opaque here).
  s.bh = k.memory.kmalloc(104, true);
  s.mpd = k.memory.kmalloc(128, true);
  const wb = alloc(k, "bdi_writeback");
  const st: FsState = { w, vfs, files: new Map(), names: new Map(), bioFolios: new Map(), dirtyTotal: 0, flusherWanted: false, tmpSeq: 0, walk: { path: "", node: undefined, mode: 0 }, created: undefined, ioBio: 0n, ioNode: undefined, s, wb, kworker: undefined };
  states.set(k, st);

  const nodeOfFile = (file: bigint) => st.files.get(file)?.node;
  const nodeOfMapping = (mapping: bigint) => vfs.byMapping.get(mapping);
  const I_DATA = BigInt(k.memory.field("inode", "i_data").byteOffset);
  const nodeOfInode = (inode: bigint) => vfs.byMapping.get(inode + I_DATA);
  const fsType = (n: FsNode) => n.mount.spec.fstype;
  const wallNow = () => BOOT_WALL_SECONDS + k.clock.boot() / 1_000_000_000n;
  const fdKey = (fd: bigint) => Number(fd) + k.current().tgid * 1000;
  const fileOf = (fd: bigint) => w.files.get(fdKey(BigInt.asUintN(32, fd)));
  const sizeOf = (n: FsNode) => mem.loadU64(n.inode + I_SIZE) ?? rd(n.inode, "inode", "i_size");
  // The hottest fields (folio flags, index and mapping; inode state, number and size: unsigned 8-byte words) read and written at their offsets.
  const offOf = (t: string, f: string) => BigInt(k.memory.field(t, f).byteOffset);
  const FOLIO_FLAGS = offOf("folio", "flags");
  const FOLIO_INDEX = offOf("folio", "index");
  const FOLIO_MAPPING = offOf("folio", "mapping");
  const I_STATE = offOf("inode", "i_state");
  const I_INO = offOf("inode", "i_ino");
  const I_SIZE = offOf("inode", "i_size");
  const mem = k.memory.kernel;
  const folioFlags = (folio: bigint) => mem.loadU64(folio + FOLIO_FLAGS) ?? rd(folio, "folio", "flags");
  const setFolioFlags = (folio: bigint, set: bigint, clear = 0n) => {
    const v = (folioFlags(folio) | set) & ~clear;
    if (!mem.storeU64(folio + FOLIO_FLAGS, v)) wr(folio, "folio", "flags", v);
  };
  const folioIndex = (folio: bigint) => mem.loadU64(folio + FOLIO_INDEX) ?? rd(folio, "folio", "index");
  const folioMapping = (folio: bigint) => mem.loadU64(folio + FOLIO_MAPPING) ?? rd(folio, "folio", "mapping");
  const inodeState = (inode: bigint) => mem.loadU64(inode + I_STATE) ?? rd(inode, "inode", "i_state");
  const inodeIno = (inode: bigint) => mem.loadU64(inode + I_INO) ?? rd(inode, "inode", "i_ino");
  /** Copies `s` into a kmalloc'ed NUL-terminated kernel string. */
  const kstr = (str: string) => {
    const b = encoder.encode(str + "\0");
    const a = k.memory.kmalloc(b.length, false);
    k.memory.writeKernel(a, b);
    return a;
  };

  // ---------------------------------------------------------------- names and descriptors
  set("getname", ([user]) => {
    const path = strncpyFromUser(k, k.current().tgid, user!);
    if (typeof path === "number") return BigInt.asUintN(64, BigInt(path));
    if (path === "") return err(ENOENT);
    const name = alloc(k, "filename");
    st.names.set(name, path);
    wr(name, "filename", "name", kstr(path));
    wr(name, "filename", "uptr", user!);
    wr(name, "filename", "refcnt.counter", 1n);
    return name;
  });
  set("putname", ([name]) => {
    if (isErr(name!) || name === 0n) return 0n;
    st.names.delete(name!);
    k.memory.free(rd(name!, "filename", "name"));
    k.memory.free(name!);
    return 0n;
  });
  set("get_unused_fd_flags", ([flags]) => call("alloc_fd", 0n, 1024n, flags!));
  // The lowest free descriptor (0-2 are the standard files).
  set("alloc_fd", ([start]) => {
    const tgid = k.current().tgid;
    let fd = Math.max(3, Number(start!));
    while (w.files.has(tgid * 1000 + fd)) fd++;
    return BigInt(fd);
  });
  set("fd_install", ([fd, file]) => {
    const n = nodeOfFile(file!);
    w.files.set(fdKey(fd!), { fd: Number(fd), file: file!, path: n?.path ?? vfs.pathOf(rd(file!, "file", "f_path.dentry")) });
    installFd(k, filesOf(k, k.current()), Number(fd), file!);
    return 0n;
  });

  // ---------------------------------------------------------------- open
  set("do_sys_open", ([dfd, filename, flags, mode]) => {
    // build_open_how(): the open_how do_sys_openat2 takes.
    wr(s.open_how!, "open_how", "flags", flags! & 0xffffffffn);
    wr(s.open_how!, "open_how", "mode", flags! & O_CREAT ? mode! & 0o7777n : 0n);
    wr(s.open_how!, "open_how", "resolve", 0n);
    return call("do_sys_openat2", dfd!, filename!, s.open_how!);
  });
  set("do_sys_openat2", ([dfd, filename, how]) => {
    const op = s.open_flags!;
    const e = call("build_open_flags", how!, op);
    if (e !== 0n) return e;
    const name = call("getname", filename!);
    if (isErr(name)) return name;
    const fd = call("get_unused_fd_flags", rd(how!, "open_how", "flags"));
    const file = call("do_filp_open", dfd!, name, op);
    if (!isErr(file)) call("fd_install", fd, file);
    call("putname", name);
    if (isErr(file)) return file;
    return fd;
  });
  set("build_open_flags", ([how, op]) => {
    const flags = rd(how!, "open_how", "flags");
    if (flags & ~0o37777777n) return err(EINVAL);
    const acc = flags & 3n;
    if (acc === 3n) return err(EINVAL);
    wr(op!, "open_flags", "open_flag", (flags | O_LARGEFILE) & ~O_CLOEXEC);
    wr(op!, "open_flags", "mode", flags & O_CREAT ? (rd(how!, "open_how", "mode") & 0o7777n) | BigInt(S_IFREG) : 0n);
    wr(op!, "open_flags", "acc_mode", acc === 0n ? MAY_READ : acc === 1n ? MAY_WRITE : MAY_READ | MAY_WRITE);
    wr(op!, "open_flags", "intent", flags & O_CREAT ? 0x200n : 0x100n); // LOOKUP_CREATE / LOOKUP_OPEN
    wr(op!, "open_flags", "lookup_flags", LOOKUP_FOLLOW);
    return 0n;
  });
  set("do_filp_open", ([dfd, name, op]) => {
    const path = st.names.get(name!) ?? "";
    const nd = s.nameidata!;
    wr(nd, "nameidata", "name", name!);
    wr(nd, "nameidata", "pathname", rd(name!, "filename", "name"));
    wr(nd, "nameidata", "dfd", BigInt.asUintN(32, dfd!));
    st.walk = { path, node: undefined, mode: Number(rd(op!, "open_flags", "mode")) };
    st.created = undefined;
    return call("path_openat", nd, op!, LOOKUP_RCU);
  });
  set("path_openat", ([nd, op]) => {
    const openFlag = rd(op!, "open_flags", "open_flag");
    const file = call("alloc_empty_file", openFlag, 0n);
    let e = call("link_path_walk", rd(nd!, "nameidata", "pathname"), nd!);
    if (e === 0n) e = call("open_last_lookups", nd!, file, op!);
    if (e === 0n) e = call("do_open", rd(nd!, "nameidata", "inode"), file);
    if (e !== 0n) {
      // fput of a file never opened: it just goes back to the filp cache.
      k.memory.free(file);
      return e;
    }
    return file;
  });
  set("alloc_empty_file", ([flags]) => {
    const file = alloc(k, "file");
    wr(file, "file", "f_flags", flags!);
    wr(file, "file", "f_count.counter", 1n);
    return file;
  });
  // The walk to the last component's directory: one dcache lookup per directory on the way (ENOENT/ENOTDIR if one is missing).
  set("link_path_walk", ([, nd]) => {
    const path = st.walk.path;
    if (!path.startsWith("/")) return err(ENOENT);
    const parent = Vfs.parentOf(path);
    const made = vfs.nodes.get(parent);
    if (made && !made.dir) return err(ENOTDIR);
    const depth = parent === "/" ? 0 : parent.split("/").length - 1;
    for (let i = 0; i < depth; i++) call("lookup_fast", nd!);
    // A directory exists if it is a mount point, a made one, or holds one of the files (the image's tree).
    if (!made && !dirExists(parent)) return err(ENOENT);
    const dir = vfs.directory(parent);
    wr(nd!, "nameidata", "path.mnt", vfs.mountOf(path).mnt);
    wr(nd!, "nameidata", "path.dentry", dir);
    wr(nd!, "nameidata", "inode", rd(dir, "dentry", "d_inode"));
    wr(nd!, "nameidata", "last.len", BigInt(Buffer.byteLength(Vfs.nameOf(path))));
    wr(nd!, "nameidata", "depth", BigInt(depth));
    return 0n;
  });
  const dirExists = (dir: string) => dir === "/" || vfs.mounts.some((m) => m.spec.at === dir) || FILES.some((f) => f.path.startsWith(dir + "/")) || vfs.nodes.get(dir)?.dir === true;
  set("lookup_fast", ([nd]) => rd(nd!, "nameidata", "path.dentry"));
  set("open_last_lookups", ([nd, file, op]) => {
    const flags = rd(op!, "open_flags", "open_flag");
    let node = vfs.node(st.walk.path, rng);
    if (flags & O_CREAT) {
      if (node && flags & O_EXCL) return err(EEXIST);
      if (!node) {
        const dentry = call("lookup_open", nd!, file!, op!, 1n);
        if (isErr(dentry)) return dentry;
        node = st.created;
      } else call("lookup_fast", nd!);
    } else {
      call("lookup_fast", nd!);
      if (!node) return err(ENOENT);
    }
    if (!node) return err(ENOENT);
    if (node.dir && flags & 3n) return err(EISDIR);
    st.walk.node = node;
    wr(nd!, "nameidata", "inode", node.inode);
    wr(nd!, "nameidata", "path.dentry", node.dentry);
    return 0n;
  });
  set("lookup_open", ([nd]) => {
    const path = st.walk.path;
    const parent = rd(nd!, "nameidata", "path.dentry");
    const q = s.qstr!;
    wr(q, "qstr", "len", BigInt(Buffer.byteLength(Vfs.nameOf(path))));
    const dentry = call("d_alloc", parent, q);
    const dir = rd(parent, "dentry", "d_inode");
    const mode = BigInt(st.walk.mode || S_IFREG | 0o644);
    // may_o_create: write permission on the directory and the LSM hook.
    const denied = call("may_o_create", 0n, nd! + BigInt(k.memory.field("nameidata", "path").byteOffset), dentry, mode);
    if (denied !== 0n) {
      call("dput", dentry);
      return denied;
    }
    const e = vfs.mountOf(path).spec.fstype === "ext4" ? call("ext4_create", 0n, dir, dentry, mode, 0n) : call("shmem_create", 0n, dir, dentry, mode, 0n);
    if (e !== 0n) {
      call("dput", dentry);
      return e;
    }
    return dentry;
  });
  set("may_o_create", ([idmap, dir, dentry, mode]) => {
    const inode = rd(rd(dir!, "path", "dentry"), "dentry", "d_inode");
    const e = call("inode_permission", idmap!, inode, MAY_WRITE | 1n); // MAY_WRITE | MAY_EXEC
    return e !== 0n ? e : call("security_inode_create", inode, dentry!, mode!);
  });
  set("security_inode_create", () => 0n);
  set("d_alloc", ([parent]) => {
    const path = st.walk.path;
    const d = vfs.dentry(vfs.mountOf(path), Vfs.nameOf(path), parent!, 0n);
    wr(d, "dentry", "d_lockref.count", 0n);
    return d;
  });
  /** A new inode for the create in progress: mode, number, owner, times now. */
  const createInode = (dir: bigint, dentry: bigint, mode: bigint) => {
    const path = st.walk.path;
    const m = vfs.mountOf(path);
    const ino = vfs.allocIno(m);
    st.walk.mode = Number(mode);
    const inode = call("new_inode", rd(dir, "inode", "i_sb"));
    if (inode === 0n) return err(ENOMEM);
    wr(inode, "inode", "i_ino", BigInt(ino));
    const t = k.current();
    wr(inode, "inode", "i_uid.val", BigInt(t.uid));
    wr(inode, "inode", "i_gid.val", BigInt(t.gid));
    call("d_instantiate", dentry, inode);
    const node = vfs.add(path, m, dentry, inode, Number(mode), ino);
    st.created = node;
    // The new directory entry and the inode are metadata of the running transaction.
    call("__mark_inode_dirty", inode, I_DIRTY_SYNC | I_DIRTY_DATASYNC);
    return 0n;
  };
  set("ext4_create", ([, dir, dentry, mode]) => createInode(dir!, dentry!, mode!));
  set("shmem_create", ([idmap, dir, dentry, mode]) => call("shmem_mknod", idmap!, dir!, dentry!, mode! | BigInt(S_IFREG), 0n));
  set("shmem_mknod", ([, dir, dentry, mode]) => createInode(dir!, dentry!, mode!));
  set("new_inode", ([sb]) => call("alloc_inode", sb!));
  set("alloc_inode", ([sb]) => {
    const m = vfs.mountOf(st.walk.path);
    const inode = m.spec.fstype === "ext4" ? call("ext4_alloc_inode", sb!) : vfs.inode(m, st.walk.mode, 0, 0, 0, 0);
    if (inode !== 0n) call("inode_init_always", sb!, inode);
    return inode;
  });
  set("ext4_alloc_inode", () => vfs.inode(vfs.mountOf(st.walk.path), st.walk.mode, 0, 0, 0, 0));
  set("inode_init_always", ([, inode]) => {
    const now = wallNow();
    for (const f of ["i_atime", "i_mtime", "__i_ctime"]) wr(inode!, "inode", `${f}.tv_sec`, now);
    wr(inode!, "inode", "i_generation", BigInt(rng.u32()));
    wr(inode!, "inode", "i_blocks", 0n);
    return 0n;
  });
  set("d_instantiate", ([dentry, inode]) => (wr(dentry!, "dentry", "d_inode", inode!), 0n));
  set("do_open", ([, file]) => {
    const node = st.walk.node!;
    const op = s.open_flags!;
    const e = call("may_open", 0n, s.nameidata! + BigInt(k.memory.field("nameidata", "path").byteOffset), rd(op, "open_flags", "acc_mode"), rd(op, "open_flags", "open_flag"));
    if (e !== 0n) return e;
    wr(s.path!, "path", "mnt", node.mount.mnt);
    wr(s.path!, "path", "dentry", node.dentry);
    const opened = call("vfs_open", s.path!, file!);
    if (opened !== 0n) return opened;
    // O_TRUNC of an existing regular file opened for writing: its data goes (a new file is empty already).
    const flags = rd(op, "open_flags", "open_flag");
    if (flags & O_TRUNC && flags & 3n && !node.dir && st.created !== node && sizeOf(node) > 0n) return call("handle_truncate", 0n, file!);
    return 0n;
  });
  set("handle_truncate", ([idmap, file]) => call("do_truncate", idmap!, rd(file!, "file", "f_path.dentry"), 0n, ATTR_MTIME | ATTR_CTIME | ATTR_OPEN, file!));
  set("do_truncate", ([idmap, dentry, start, timeAttrs, file]) => {
    if (BigInt.asIntN(64, start!) < 0n) return err(EINVAL);
    const a = s.iattr!;
    wr(a, "iattr", "ia_valid", ATTR_SIZE | timeAttrs! | (file! !== 0n ? ATTR_FILE : 0n));
    wr(a, "iattr", "ia_size", start!);
    wr(a, "iattr", "ia_file", file!);
    return call("notify_change", idmap!, dentry!, a, 0n);
  });
  set("notify_change", ([idmap, dentry, attr]) => {
    const inode = rd(dentry!, "dentry", "d_inode");
    const node = nodeOfInode(inode)!;
    const now = wallNow();
    if (rd(attr!, "iattr", "ia_valid") & ATTR_MTIME) wr(attr!, "iattr", "ia_mtime.tv_sec", now);
    if (rd(attr!, "iattr", "ia_valid") & ATTR_CTIME) wr(attr!, "iattr", "ia_ctime.tv_sec", now);
    if (fsType(node) === "ext4") return call("ext4_setattr", idmap!, dentry!, attr!);
    // shmem_setattr: the size and times, the pages past the end dropped.
    setSize(node, attr!);
    return 0n;
  });
  /** A setattr's size and times: the pages past the new end leave the page cache. */
  const setSize = (node: FsNode, attr: bigint) => {
    const valid = rd(attr, "iattr", "ia_valid");
    if (valid & ATTR_MTIME) wr(node.inode, "inode", "i_mtime.tv_sec", rd(attr, "iattr", "ia_mtime.tv_sec"));
    if (valid & ATTR_CTIME) wr(node.inode, "inode", "__i_ctime.tv_sec", rd(attr, "iattr", "ia_ctime.tv_sec"));
    if (!(valid & ATTR_SIZE)) return;
    const size = rd(attr, "iattr", "ia_size");
    wr(node.inode, "inode", "i_size", size);
    wr(node.inode, "inode", "i_blocks", ((size + 4095n) / 4096n) * 8n);
    call("truncate_pagecache", node.inode, size);
  };
  set("ext4_setattr", ([, dentry, attr]) => {
    const node = nodeOfInode(rd(dentry!, "dentry", "d_inode"))!;
    setSize(node, attr!);
    // The new size and times are metadata of the running transaction.
    call("__mark_inode_dirty", node.inode, I_DIRTY_SYNC | I_DIRTY_DATASYNC);
    return 0n;
  });
  set("truncate_pagecache", ([inode, newsize]) => {
    const node = nodeOfInode(inode!)!;
    return call("truncate_inode_pages_range", node.mapping, (newsize! + 4095n) & ~4095n, U64(-1n));
  });
  set("may_open", ([idmap, , acc]) => call("inode_permission", idmap!, st.walk.node!.inode, acc!));
  // Owner, group, other permission bits for the current task's uid/gid (root may do anything).
  set("inode_permission", ([, inode, mask]) => {
    const t = k.current();
    if (t.uid === 0) return 0n;
    const mode = rd(inode!, "inode", "i_mode");
    const bits = BigInt(t.uid) === rd(inode!, "inode", "i_uid.val") ? (mode >> 6n) & 7n : BigInt(t.gid) === rd(inode!, "inode", "i_gid.val") ? (mode >> 3n) & 7n : mode & 7n;
    return (bits & mask!) === mask! ? 0n : err(EACCES);
  });
  set("vfs_open", ([, file]) => call("do_dentry_open", file!, addrOf("ext4_file_open")));
  set("do_dentry_open", ([file]) => {
    const node = st.walk.node!;
    const flags = rd(file!, "file", "f_flags");
    const acc = flags & 3n;
    let fmode = FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
    if (acc !== 1n) fmode |= FMODE_READ | FMODE_CAN_READ;
    if (acc !== 0n) fmode |= FMODE_WRITE | FMODE_CAN_WRITE;
    vfs.openFile(node, file!, flags, fmode);
    st.files.set(file!, { node });
    wr(node.dentry, "dentry", "d_lockref.count", rd(node.dentry, "dentry", "d_lockref.count") + 1n);
    const denied = call("security_file_open", file!);
    if (denied !== 0n) return denied;
    if (fsType(node) === "ext4") return call("ext4_file_open", node.inode, file!);
    return 0n;
  });
  set("ext4_file_open", () => 0n);
  set("security_file_open", () => 0n);

  // ---------------------------------------------------------------- close and the end of files, dentries and inodes
  set("close_fd", ([fd]) => {
    const f = fileOf(fd!);
    if (!f) return err(EBADF);
    w.files.delete(fdKey(fd!));
    clearFd(k, filesOf(k, k.current()), f.fd);
    return call("filp_close", f.file, filesOf(k, k.current()));
  });
  set("filp_close", ([file, id]) => {
    const ret = call("filp_flush", file!, id!);
    call("fput", file!);
    return ret;
  });
  set("filp_flush", () => 0n);
  set("fput", ([file]) => {
    const c = rd(file!, "file", "f_count.counter") - 1n;
    wr(file!, "file", "f_count.counter", c);
    // The last reference: __fput runs (task work, before the return to user space).
    if (c <= 0n) call("__fput", file!);
    return 0n;
  });
  set("__fput", ([file]) => {
    // A socket's file: its f_op->release is sock_close (socket.ts), which releases the socket.
    closeSocketFile(k, file!);
    const node = nodeOfFile(file!);
    const dentry = rd(file!, "file", "f_path.dentry");
    if (node && fsType(node) === "ext4" && !node.dir) call("ext4_release_file", node.inode, file!);
    st.files.delete(file!);
    k.memory.free(file!);
    if (node) node.opens--;
    if (dentry !== 0n) call("dput", dentry);
    return 0n;
  });
  set("ext4_release_file", () => 0n);
  // A dentry's last reference: kept in the dcache while its file exists; an unlinked one dies, its inode put.
  set("dput", ([dentry]) => {
    if (dentry === 0n) return 0n;
    const c = rd(dentry!, "dentry", "d_lockref.count") - 1n;
    wr(dentry!, "dentry", "d_lockref.count", c < 0n ? 0n : c);
    if (c > 0n) return 0n;
    const inode = rd(dentry!, "dentry", "d_inode");
    const node = inode !== 0n ? nodeOfInode(inode) : undefined;
    if (inode !== 0n && node && !node.unlinked) return 0n;
    k.memory.free(dentry!);
    if (inode !== 0n) call("iput", inode);
    return 0n;
  });
  set("iput", ([inode]) => {
    const c = rd(inode!, "inode", "i_count.counter") - 1n;
    wr(inode!, "inode", "i_count.counter", c < 0n ? 0n : c);
    if (c <= 0n) call("evict", inode!);
    return 0n;
  });
  set("evict", ([inode]) => {
    const node = nodeOfInode(inode!);
    wr(inode!, "inode", "i_state", inodeState(inode!) | I_FREEING);
    if (node && fsType(node) === "ext4") call("ext4_evict_inode", inode!);
    else call("truncate_inode_pages_final", node?.mapping ?? 0n);
    if (node) vfs.forget(node);
    call("destroy_inode", inode!);
    return 0n;
  });
  set("ext4_evict_inode", ([inode]) => {
    const node = nodeOfInode(inode!);
    call("truncate_inode_pages_final", node?.mapping ?? 0n);
    call("ext4_free_inode", 0n, inode!);
    return 0n;
  });
  set("ext4_free_inode", () => 0n);
  set("destroy_inode", ([inode]) => {
    const node = nodeOfInode(inode!);
    if (node === undefined || fsType(node) === "ext4") call("ext4_free_in_core_inode", inode!);
    else k.memory.free(inode!);
    return 0n;
  });
  set("ext4_free_in_core_inode", ([inode]) => (k.memory.free(inode!), 0n));
  set("truncate_inode_pages_final", ([mapping]) => (call("truncate_inode_pages_range", mapping!, 0n, U64(-1n)), 0n));
  set("truncate_inode_pages_range", ([mapping, lstart]) => {
    const node = nodeOfMapping(mapping!);
    if (!node) return 0n;
    const first = Number(lstart! >> 12n);
    for (const [index, folio] of [...node.pages]) {
      if (index < first) continue;
      if (folioFlags(folio) & PG_writeback) call("folio_wait_writeback", folio);
      call("filemap_remove_folio", folio);
    }
    return 0n;
  });
  set("filemap_remove_folio", ([folio]) => (call("__filemap_remove_folio", folio!, 0n), 0n));
  set("__filemap_remove_folio", ([folio]) => {
    const mapping = folioMapping(folio!);
    const node = nodeOfMapping(mapping);
    fire("filemap", "mm_filemap_delete_from_page_cache", () => filemapValues(folio!, node), [folio!]);
    if (node) {
      const index = Number(folioIndex(folio!));
      node.pages.delete(index);
      if (node.dirty.delete(index)) st.dirtyTotal--;
      wr(mapping, "address_space", "nrpages", BigInt(node.pages.size));
    }
    wr(folio!, "folio", "mapping", 0n);
    wr(folio!, "folio", "flags", 0n);
    wr(folio!, "folio", "_refcount.counter", 0n);
    pc.give(folio!);
    return 0n;
  });
  const filemapValues = (folio: bigint, node: FsNode | undefined) => ({
    pfn: BigInt(pc.pfnOf(folio)),
    i_ino: node ? BigInt(node.ino) : 0n,
    index: folioIndex(folio),
    s_dev: node ? node.mount.spec.dev : 0n,
    order: 0n,
  });
  set("d_delete", ([dentry]) => {
    // The only user is the caller: the inode goes now and the dentry turns negative; otherwise it just leaves the hash.
    if (rd(dentry!, "dentry", "d_lockref.count") <= 1n) {
      const inode = rd(dentry!, "dentry", "d_inode");
      wr(dentry!, "dentry", "d_inode", 0n);
      if (inode !== 0n) call("iput", inode);
    }
    return 0n;
  });

  // ---------------------------------------------------------------- path lookups for stat, unlink, mkdir, rename
  set("filename_lookup", ([dfd, name, flags, path]) => {
    const nd = s.nameidata!;
    wr(nd, "nameidata", "name", name!);
    wr(nd, "nameidata", "dfd", BigInt.asUintN(32, dfd!));
    st.walk = { path: st.names.get(name!) ?? "", node: undefined, mode: 0 };
    return call("path_lookupat", nd, flags! | LOOKUP_RCU, path!);
  });
  set("path_lookupat", ([nd, , path]) => {
    const e = call("link_path_walk", rd(rd(nd!, "nameidata", "name"), "filename", "name"), nd!);
    if (e !== 0n) return e;
    call("lookup_fast", nd!);
    const node = vfs.node(st.walk.path, rng);
    if (!node) return err(ENOENT);
    st.walk.node = node;
    wr(path!, "path", "mnt", node.mount.mnt);
    wr(path!, "path", "dentry", node.dentry);
    wr(node.dentry, "dentry", "d_lockref.count", rd(node.dentry, "dentry", "d_lockref.count") + 1n);
    return 0n;
  });
  set("path_put", ([path]) => (call("dput", rd(path!, "path", "dentry")), 0n));
  set("filename_parentat", ([dfd, name, , parent, last]) => {
    const nd = s.nameidata2!;
    wr(nd, "nameidata", "name", name!);
    wr(nd, "nameidata", "dfd", BigInt.asUintN(32, dfd!));
    const e = call("link_path_walk", rd(name!, "filename", "name"), nd);
    if (e !== 0n) return e;
    wr(parent!, "path", "mnt", rd(nd, "nameidata", "path.mnt"));
    wr(parent!, "path", "dentry", rd(nd, "nameidata", "path.dentry"));
    wr(last!, "qstr", "len", rd(nd, "nameidata", "last.len"));
    return 0n;
  });
  // The dentry of the last component under `base` (a new negative one with LOOKUP_CREATE and nothing there), with a reference.
  set("lookup_one_qstr_excl", ([q, base, flags]) => {
    const node = vfs.node(st.walk.path, rng);
    if (node) {
      wr(node.dentry, "dentry", "d_lockref.count", rd(node.dentry, "dentry", "d_lockref.count") + 1n);
      st.walk.node = node;
      return node.dentry;
    }
    if (!(flags! & 0x200n)) return err(ENOENT);
    const d = call("d_alloc", base!, q!);
    wr(d, "dentry", "d_lockref.count", 1n);
    return d;
  });
  set("filename_create", ([dfd, name, path]) => {
    const e = call("filename_parentat", dfd!, name!, 0n, path!, s.qstr!, s.lastType!);
    if (e !== 0n) return e;
    if (vfs.node(st.walk.path, rng)) return err(EEXIST);
    return call("lookup_one_qstr_excl", s.qstr!, rd(path!, "path", "dentry"), 0x200n | 0x400n);
  });
  set("done_path_create", ([, dentry]) => (call("dput", dentry!), 0n));

  // ---------------------------------------------------------------- unlink, rmdir, mkdir, rename
  set("do_unlinkat", ([dfd, name]) => {
    if (isErr(name!)) return name!;
    st.walk = { path: st.names.get(name!) ?? "", node: undefined, mode: 0 };
    let e = call("filename_parentat", dfd!, name!, 0n, s.path!, s.qstr!, s.lastType!);
    if (e === 0n) {
      const dentry = call("lookup_one_qstr_excl", s.qstr!, rd(s.path!, "path", "dentry"), 0n);
      if (isErr(dentry)) e = dentry;
      else if (st.walk.node?.dir) {
        e = err(EISDIR);
        call("dput", dentry);
      } else {
        e = call("vfs_unlink", 0n, rd(rd(s.path!, "path", "dentry"), "dentry", "d_inode"), dentry, s.delegated!);
        call("dput", dentry);
      }
    }
    call("putname", name!);
    return e;
  });
  set("vfs_unlink", ([, dir, dentry]) => {
    const node = st.walk.node!;
    const e = fsType(node) === "ext4" ? call("ext4_unlink", dir!, dentry!) : call("shmem_unlink", dir!, dentry!);
    if (e === 0n) call("d_delete", dentry!);
    return e;
  });
  const unlinkNode = (node: FsNode) => {
    wr(node.inode, "inode", "__i_nlink", 0n);
    wr(node.inode, "inode", "__i_ctime.tv_sec", wallNow());
    vfs.remove(node);
    return 0n;
  };
  set("ext4_unlink", () => unlinkNode(st.walk.node!));
  set("shmem_unlink", () => unlinkNode(st.walk.node!));
  set("do_rmdir", ([dfd, name]) => {
    if (isErr(name!)) return name!;
    st.walk = { path: st.names.get(name!) ?? "", node: undefined, mode: 0 };
    let e = call("filename_parentat", dfd!, name!, 0n, s.path!, s.qstr!, s.lastType!);
    if (e === 0n) {
      const dentry = call("lookup_one_qstr_excl", s.qstr!, rd(s.path!, "path", "dentry"), 0n);
      if (isErr(dentry)) e = dentry;
      else {
        e = st.walk.node?.dir ? call("vfs_rmdir", 0n, rd(rd(s.path!, "path", "dentry"), "dentry", "d_inode"), dentry) : err(ENOTDIR);
        call("dput", dentry);
      }
    }
    call("putname", name!);
    return e;
  });
  set("vfs_rmdir", ([, dir, dentry]) => {
    const e = call("ext4_rmdir", dir!, dentry!);
    if (e === 0n) call("d_delete", dentry!);
    return e;
  });
  set("ext4_rmdir", () => {
    const node = st.walk.node!;
    for (const p of vfs.nodes.keys()) if (p.startsWith(node.path + "/")) return err(ENOTEMPTY);
    return unlinkNode(node);
  });
  set("do_mkdirat", ([dfd, name, mode]) => {
    if (isErr(name!)) return name!;
    st.walk = { path: st.names.get(name!) ?? "", node: undefined, mode: Number(mode! & 0o7777n) | S_IFDIR };
    const dentry = call("filename_create", dfd!, name!, s.path!, 0x10000n);
    let e = dentry;
    if (!isErr(dentry)) {
      e = call("vfs_mkdir", 0n, rd(rd(s.path!, "path", "dentry"), "dentry", "d_inode"), dentry, mode!);
      call("done_path_create", s.path!, dentry);
    }
    call("putname", name!);
    return e;
  });
  set("vfs_mkdir", ([idmap, dir, dentry, mode]) => call("ext4_mkdir", idmap!, dir!, dentry!, (mode! & 0o7777n) | BigInt(S_IFDIR)));
  set("ext4_mkdir", ([, dir, dentry, mode]) => {
    const e = createInode(dir!, dentry!, mode!);
    if (e === 0n) {
      const node = st.created!;
      wr(node.inode, "inode", "__i_nlink", 2n);
      wr(node.inode, "inode", "i_size", 4096n);
      wr(node.inode, "inode", "i_blocks", 8n);
    }
    return e;
  });
  set("do_renameat2", ([olddfd, from, newdfd, to, flags]) => {
    if (isErr(from!)) return from!;
    if (isErr(to!)) {
      call("putname", from!);
      return to!;
    }
    const fromPath = st.names.get(from!) ?? "";
    const toPath = st.names.get(to!) ?? "";
    let e = 0n;
    st.walk = { path: fromPath, node: undefined, mode: 0 };
    e = call("filename_parentat", olddfd!, from!, 0n, s.path!, s.qstr!, s.lastType!);
    st.walk = { path: toPath, node: undefined, mode: 0 };
    if (e === 0n) e = call("filename_parentat", newdfd!, to!, 0n, s.path2!, s.qstr!, s.lastType!);
    if (e === 0n) {
      const p1 = rd(s.path!, "path", "dentry");
      const p2 = rd(s.path2!, "path", "dentry");
      call("lock_rename", p1, p2);
      st.walk = { path: fromPath, node: undefined, mode: 0 };
      const oldDentry = call("lookup_one_qstr_excl", s.qstr!, p1, 0n);
      const oldNode = st.walk.node;
      if (isErr(oldDentry)) e = oldDentry;
      else {
        st.walk = { path: toPath, node: undefined, mode: 0 };
        const newDentry = call("lookup_one_qstr_excl", s.qstr!, p2, 0x200n);
        const target = st.walk.node;
        const rdata = s.renamedata!;
        wr(rdata, "renamedata", "old_dir", rd(p1, "dentry", "d_inode"));
        wr(rdata, "renamedata", "old_dentry", oldDentry);
        wr(rdata, "renamedata", "new_dir", rd(p2, "dentry", "d_inode"));
        wr(rdata, "renamedata", "new_dentry", newDentry);
        wr(rdata, "renamedata", "delegated_inode", s.delegated!);
        wr(rdata, "renamedata", "flags", flags!);
        renameCtx = { from: oldNode!, to: toPath, target };
        e = call("vfs_rename", rdata);
        renameCtx = undefined;
        call("dput", newDentry);
        call("dput", oldDentry);
      }
      call("unlock_rename", p1, p2);
    }
    call("putname", from!);
    call("putname", to!);
    return e;
  });
  let renameCtx: { from: FsNode; to: string; target: FsNode | undefined } | undefined;
  set("lock_rename", () => 0n);
  set("unlock_rename", () => 0n);
  set("vfs_rename", ([rdata]) => {
    const r = rdata!;
    const e = call("ext4_rename2", 0n, rd(r, "renamedata", "old_dir"), rd(r, "renamedata", "old_dentry"), rd(r, "renamedata", "new_dir"), rd(r, "renamedata", "new_dentry"), rd(r, "renamedata", "flags"));
    if (e === 0n) call("d_move", rd(r, "renamedata", "old_dentry"), rd(r, "renamedata", "new_dentry"));
    return e;
  });
  // RENAME_NOREPLACE (1) fails on an existing target; otherwise the target's inode loses its last link.
  set("ext4_rename2", ([, , , , , flags]) => {
    const c = renameCtx!;
    if (c.target && flags! & 1n) return err(EEXIST);
    if (c.target === c.from) return 0n;
    if (c.target) unlinkNode(c.target);
    wr(c.from.inode, "inode", "__i_ctime.tv_sec", wallNow());
    return 0n;
  });
  // The moved dentry takes the target's name and place; the target dentry (if it had an inode) loses it.
  set("d_move", ([dentry, target]) => {
    const c = renameCtx!;
    if (c.target && c.target !== c.from) call("d_delete", target!);
    vfs.move(c.from, c.to);
    wr(dentry!, "dentry", "d_parent", rd(target!, "dentry", "d_parent"));
    return 0n;
  });

  // ---------------------------------------------------------------- stat
  set("vfs_fstatat", ([dfd, filename, stat, flags]) => {
    const name = call("getname", filename!);
    if (isErr(name)) return name;
    const e = call("vfs_statx", dfd!, name, flags!, stat!, STATX_BASIC_STATS);
    call("putname", name);
    return e;
  });
  set("vfs_statx", ([dfd, name, flags, stat, mask]) => {
    const e = call("filename_lookup", dfd!, name!, flags! & 0x100n ? 0n : LOOKUP_FOLLOW, s.path2!, 0n);
    if (e !== 0n) return e;
    const r = call("vfs_getattr", s.path2!, stat!, mask!, flags!);
    call("path_put", s.path2!);
    return r;
  });
  set("vfs_getattr", ([path, stat, mask, flags]) => call("vfs_getattr_nosec", path!, stat!, mask!, flags!));
  set("vfs_getattr_nosec", ([path, stat, mask, flags]) => {
    const node = st.walk.node!;
    wr(stat!, "kstat", "result_mask", STATX_BASIC_STATS);
    if (fsType(node) === "ext4") return node.dir ? call("ext4_getattr", 0n, path!, stat!, mask!, flags!) : call("ext4_file_getattr", 0n, path!, stat!, mask!, flags!);
    call("generic_fillattr", 0n, mask!, node.inode, stat!);
    return 0n;
  });
  set("ext4_file_getattr", ([idmap, path, stat, mask, flags]) => call("ext4_getattr", idmap!, path!, stat!, mask!, flags!));
  set("ext4_getattr", ([idmap, path, stat, mask]) => {
    const inode = rd(rd(path!, "path", "dentry"), "dentry", "d_inode");
    // ext4 reports the creation time (i_crtime) too.
    wr(stat!, "kstat", "result_mask", STATX_BASIC_STATS | 0x800n);
    wr(stat!, "kstat", "btime.tv_sec", rd(inode, "inode", "__i_ctime.tv_sec"));
    call("generic_fillattr", idmap!, mask!, inode, stat!);
    return 0n;
  });
  set("generic_fillattr", ([, , inode, stat]) => {
    const i = inode!;
    const sb = rd(i, "inode", "i_sb");
    wr(stat!, "kstat", "dev", rd(sb, "super_block", "s_dev"));
    wr(stat!, "kstat", "ino", inodeIno(i));
    wr(stat!, "kstat", "mode", rd(i, "inode", "i_mode"));
    wr(stat!, "kstat", "nlink", rd(i, "inode", "__i_nlink"));
    wr(stat!, "kstat", "uid.val", rd(i, "inode", "i_uid.val"));
    wr(stat!, "kstat", "gid.val", rd(i, "inode", "i_gid.val"));
    wr(stat!, "kstat", "rdev", rd(i, "inode", "i_rdev"));
    wr(stat!, "kstat", "size", rd(i, "inode", "i_size"));
    wr(stat!, "kstat", "atime.tv_sec", rd(i, "inode", "i_atime.tv_sec"));
    wr(stat!, "kstat", "mtime.tv_sec", rd(i, "inode", "i_mtime.tv_sec"));
    wr(stat!, "kstat", "ctime.tv_sec", rd(i, "inode", "__i_ctime.tv_sec"));
    wr(stat!, "kstat", "blksize", 4096n);
    wr(stat!, "kstat", "blocks", rd(i, "inode", "i_blocks"));
    return 0n;
  });
  /** struct stat (x86_64) field offsets, for cp_new_stat's copy to user space. */
  const STAT_FIELDS: [string, string][] = [
    ["st_dev", "dev"],
    ["st_ino", "ino"],
    ["st_nlink", "nlink"],
    ["st_mode", "mode"],
    ["st_uid", "uid.val"],
    ["st_gid", "gid.val"],
    ["st_rdev", "rdev"],
    ["st_size", "size"],
    ["st_blksize", "blksize"],
    ["st_blocks", "blocks"],
    ["st_atime", "atime.tv_sec"],
    ["st_mtime", "mtime.tv_sec"],
    ["st_ctime", "ctime.tv_sec"],
  ];
  const statSize = Number(k.memory.field("stat", "__unused").byteOffset) + 24;
  set("cp_new_stat", ([stat, statbuf]) => {
    const buf = new Uint8Array(statSize);
    const view = new DataView(buf.buffer);
    for (const [to, from] of STAT_FIELDS) {
      const loc = k.memory.field("stat", to);
      const v = rd(stat!, "kstat", from);
      if (loc.size === 8) view.setBigUint64(loc.byteOffset, U64(v), true);
      else view.setUint32(loc.byteOffset, Number(v & 0xffffffffn), true);
    }
    const user = k.memory.userSpace(k.current().tgid);
    return user.write(statbuf!, buf) === 0 ? 0n : err(EFAULT);
  });

  // ---------------------------------------------------------------- read
  const kiocbFor = (file: bigint, pos: bigint) => {
    const io = s.kiocb!;
    wr(io, "kiocb", "ki_filp", file);
    wr(io, "kiocb", "ki_pos", pos);
    wr(io, "kiocb", "ki_flags", rd(file, "file", "f_flags") & O_APPEND ? IOCB_APPEND : 0n);
    return io;
  };
  const iterFor = (buf: bigint, count: bigint, source: boolean) => {
    const it = s.iov_iter!;
    wr(it, "iov_iter", "iter_type", 0n); // ITER_UBUF
    wr(it, "iov_iter", "data_source", source ? 1n : 0n);
    wr(it, "iov_iter", "ubuf", buf);
    wr(it, "iov_iter", "count", count);
    wr(it, "iov_iter", "iov_offset", 0n);
    return it;
  };
  set("ksys_read", ([fd, buf, count]) => {
    const f = fileOf(fd!);
    if (!f) return err(EBADF);
    const posp = s.pos!;
    writeU64(posp, rd(f.file, "file", "f_pos"));
    const ret = call("vfs_read", f.file, buf!, count!, posp);
    if (BigInt.asIntN(64, ret) >= 0n) wr(f.file, "file", "f_pos", readU64(posp));
    return ret;
  });
  set("ksys_pread64", ([fd, buf, count, pos]) => {
    const f = fileOf(fd!);
    if (!f) return err(EBADF);
    if (BigInt.asIntN(64, pos!) < 0n) return err(EINVAL);
    writeU64(s.pos!, pos!);
    return call("vfs_read", f.file, buf!, count!, s.pos!);
  });
  const writeU64 = (a: bigint, v: bigint) => {
    if (k.memory.kernel.storeU64(a, U64(v))) return;
    slotView.setBigUint64(0, U64(v), true);
    k.memory.writeKernel(a, slot);
  };
  const readU64 = (a: bigint) => {
    const v = k.memory.kernel.loadU64(a);
    if (v !== undefined) return v;
    k.memory.readKernel(slot, a);
    return slotView.getBigUint64(0, true);
  };
  set("vfs_read", ([file, buf, count, posp]) => {
    const mode = rd(file!, "file", "f_mode");
    if (!(mode & FMODE_READ)) return err(EBADF);
    if (!(mode & FMODE_CAN_READ)) return err(EINVAL);
    const e = call("rw_verify_area", 0n, file!, posp!, count!);
    if (e !== 0n) return e;
    const node = nodeOfFile(file!);
    if (!node) return err(EINVAL);
    if (node.dir) return err(EISDIR);
    // procfs files have ->read (seq_read), the others ->read_iter (new_sync_read builds the kiocb and iov_iter).
    if (node.mount.spec.fstype === "proc") return call("seq_read", file!, buf!, count!, posp!);
    const io = kiocbFor(file!, readU64(posp!));
    const it = iterFor(buf!, count!, false);
    const ret = node.mount.spec.fstype === "ext4" ? call("ext4_file_read_iter", io, it) : call("shmem_file_read_iter", io, it);
    writeU64(posp!, rd(io, "kiocb", "ki_pos"));
    return ret;
  });
  set("seq_read", ([file, buf, count, posp]) => {
    const io = kiocbFor(file!, readU64(posp!));
    const ret = call("seq_read_iter", io, iterFor(buf!, count!, false));
    writeU64(posp!, rd(io, "kiocb", "ki_pos"));
    return ret;
  });
  set("rw_verify_area", ([, , posp, count]) => {
    const pos = BigInt.asIntN(64, readU64(posp!));
    if (pos < 0n || BigInt.asIntN(64, count!) < 0n) return err(EINVAL);
    return 0n;
  });
  set("ext4_file_read_iter", ([io, it]) => call("generic_file_read_iter", io!, it!));
  set("generic_file_read_iter", ([io, it]) => (rd(it!, "iov_iter", "count") === 0n ? 0n : call("filemap_read", io!, it!, 0n)));
  set("filemap_read", ([io, it, already]) => {
    const file = rd(io!, "kiocb", "ki_filp");
    const node = nodeOfFile(file)!;
    let pos = rd(io!, "kiocb", "ki_pos");
    const size = sizeOf(node);
    if (pos >= size) return already!;
    const end = pos + rd(it!, "iov_iter", "count") < size ? pos + rd(it!, "iov_iter", "count") : size;
    const start = pos;
    while (pos < end) {
      const e = call("filemap_get_pages", io!, end - pos, s.folio_batch!, 0n);
      if (e !== 0n) {
        if (pos === start) return e;
        break;
      }
      const nr = Number(rd(s.folio_batch!, "folio_batch", "nr"));
      if (nr === 0) break;
      for (let i = 0; i < nr && pos < end; i++) {
        const folio = rd(s.folio_batch!, "folio_batch", `folios[${i}]`);
        const offset = pos & 4095n;
        const bytes = 4096n - offset < end - pos ? 4096n - offset : end - pos;
        const copied = call("copy_page_to_iter", folio, offset, bytes, it!);
        call("folio_mark_accessed", folio);
        pos += copied;
      }
      wr(io!, "kiocb", "ki_pos", pos);
    }
    wr(io!, "kiocb", "ki_pos", pos);
    call("touch_atime", file + BigInt(k.memory.field("file", "f_path").byteOffset));
    return already! + pos - start;
  });
  set("copy_page_to_iter", ([, , bytes, it]) => {
    wr(it!, "iov_iter", "count", rd(it!, "iov_iter", "count") - bytes!);
    wr(it!, "iov_iter", "iov_offset", rd(it!, "iov_iter", "iov_offset") + bytes!);
    return bytes!;
  });
  set("folio_mark_accessed", ([folio]) => {
    const f = folioFlags(folio!);
    // Second access of a referenced folio: it becomes active.
    setFolioFlags(folio!, f & PG_referenced ? PG_active : PG_referenced, f & PG_referenced ? PG_referenced : 0n);
    const node = nodeOfMapping(folioMapping(folio!));
    if (node) pc.touch(folio!, node);
    return 0n;
  });
  set("mark_page_accessed", ([page]) => call("folio_mark_accessed", page!));
  set("touch_atime", ([path]) => {
    const inode = rd(rd(path!, "path", "dentry"), "dentry", "d_inode");
    if (call("atime_needs_update", path!, inode) !== 0n) {
      wr(inode, "inode", "i_atime.tv_sec", wallNow());
      call("__mark_inode_dirty", inode, I_DIRTY_SYNC);
    }
    return 0n;
  });
  // relatime: only when the access time is older than the modification time or a day old.
  set("atime_needs_update", ([, inode]) => {
    const atime = rd(inode!, "inode", "i_atime.tv_sec");
    return atime < rd(inode!, "inode", "i_mtime.tv_sec") || wallNow() - atime >= 86400n ? 1n : 0n;
  });
  set("filemap_get_pages", ([io, count, fbatch]) => {
    const file = rd(io!, "kiocb", "ki_filp");
    const node = nodeOfFile(file)!;
    const pos = rd(io!, "kiocb", "ki_pos");
    const index = pos >> 12n;
    const last = (pos + count! - 1n) >> 12n;
    call("filemap_get_read_batch", node.mapping, index, last + 1n, fbatch!);
    if (rd(fbatch!, "folio_batch", "nr") === 0n) {
      const ra = raFor(file, node, index);
      call("page_cache_sync_ra", ra, last + 1n - index);
      call("filemap_get_read_batch", node.mapping, index, last + 1n, fbatch!);
      if (rd(fbatch!, "folio_batch", "nr") === 0n) return err(ENOMEM);
    }
    const nr = Number(rd(fbatch!, "folio_batch", "nr"));
    const lastFolio = rd(fbatch!, "folio_batch", `folios[${nr - 1}]`);
    if (folioFlags(lastFolio) & PG_readahead) {
      setFolioFlags(lastFolio, 0n, PG_readahead);
      // The next window starts where the cached run after the mark ends.
      let next = Number(folioIndex(lastFolio)) + 1;
      while (node.pages.has(next)) next++;
      call("page_cache_async_ra", raFor(file, node, BigInt(next)), lastFolio, last + 1n - index);
    }
    // A folio being read: sleep until its read completes (folio_wait_locked).
    for (let i = 0; i < nr; i++) {
      const f = rd(fbatch!, "folio_batch", `folios[${i}]`);
      if (!(folioFlags(f) & PG_uptodate)) waitForIo(k, w, () => (folioFlags(f) & PG_uptodate) !== 0n);
    }
    return 0n;
  });
  const raFor = (file: bigint, node: FsNode, index: bigint) => {
    const ra = s.readahead_control!;
    wr(ra, "readahead_control", "file", file);
    wr(ra, "readahead_control", "mapping", node.mapping);
    wr(ra, "readahead_control", "ra", file + BigInt(k.memory.field("file", "f_ra").byteOffset));
    wr(ra, "readahead_control", "_index", index);
    wr(ra, "readahead_control", "_nr_pages", 0n);
    return ra;
  };
  // The folios in the page cache from `index` on, contiguous, up to `max` (exclusive) or 31.
  set("filemap_get_read_batch", ([mapping, index, max, fbatch]) => {
    const node = nodeOfMapping(mapping!)!;
    let nr = 0;
    for (let i = Number(index!); i < Number(max!) && nr < 31; i++) {
      const f = node.pages.get(i);
      if (f === undefined) break;
      wr(fbatch!, "folio_batch", `folios[${nr}]`, f);
      nr++;
      // The batch ends at a folio still being read or at the readahead mark (filemap_get_pages starts the next window there).
      if (!(folioFlags(f) & PG_uptodate) || folioFlags(f) & PG_readahead) break;
    }
    wr(fbatch!, "folio_batch", "nr", BigInt(nr));
    wr(fbatch!, "folio_batch", "i", 0n);
    return 0n;
  });
  // The initial window: four times the request, at least 4 and at most ra_pages (32) pages; the last quarter is read ahead asynchronously.
  set("page_cache_sync_ra", ([ra, req]) => {
    const want = Number(req!);
    const nr = Math.min(32, Math.max(4, 4 * want));
    call("page_cache_ra_unbounded", ra!, BigInt(nr), BigInt(Math.max(0, nr - want)));
    return 0n;
  });
  set("page_cache_async_ra", ([ra, , req]) => {
    const nr = Math.min(32, Math.max(8, 2 * Number(req!)));
    call("page_cache_ra_unbounded", ra!, BigInt(nr), BigInt(nr));
    return 0n;
  });
  set("page_cache_ra_unbounded", ([ra, nrToRead, lookahead]) => {
    const node = nodeOfMapping(rd(ra!, "readahead_control", "mapping"))!;
    const index = Number(rd(ra!, "readahead_control", "_index"));
    const endIndex = Math.ceil(Number(sizeOf(node)) / PAGE);
    const nr = Math.min(Number(nrToRead!), endIndex - index);
    const mark = index + nr - Number(lookahead!);
    const added: bigint[] = [];
    for (let i = index; i < index + nr; i++) {
      if (node.pages.has(i)) break;
      const folio = call("filemap_alloc_folio_noprof", GFP_KERNEL, 0n);
      if (folio === 0n) break;
      if (call("filemap_add_folio", node.mapping, folio, BigInt(i), GFP_KERNEL) !== 0n) break;
      if (i === mark && Number(lookahead!) > 0) setFolioFlags(folio, PG_readahead);
      added.push(folio);
    }
    wr(ra!, "readahead_control", "_nr_pages", BigInt(added.length));
    if (added.length > 0) {
      raFolios = added;
      call("read_pages", ra!);
      raFolios = [];
    }
    return 0n;
  });
  let raFolios: bigint[] = [];
  set("read_pages", ([ra]) => {
    const plug = s.blk_plug!;
    call("blk_start_plug", plug);
    const node = nodeOfMapping(rd(ra!, "readahead_control", "mapping"))!;
    if (fsType(node) === "ext4") call("ext4_readahead", ra!);
    else for (const f of raFolios) call("folio_end_read", f, 1n);
    call("blk_finish_plug", plug);
    return 0n;
  });
  set("ext4_readahead", ([ra]) => {
    const node = nodeOfMapping(rd(ra!, "readahead_control", "mapping"))!;
    return call("ext4_mpage_readpages", node.inode, ra!, 0n);
  });
  // Bios of up to BIO_PAGES contiguous folios (readahead beyond the request is REQ_RAHEAD), ending in mpage_end_io.
  set("ext4_mpage_readpages", ([inode]) => {
    const node = nodeOfInode(inode!)!;
    const endIo = addrOf("mpage_end_io");
    let bio = 0n;
    let next = -1;
    for (const f of raFolios) {
      const index = Number(folioIndex(f));
      const async = (folioFlags(f) & PG_readahead) !== 0n;
      if (bio === 0n || index !== next || Number(rd(bio, "bio", "bi_vcnt")) >= BIO_PAGES) {
        if (bio !== 0n) call("submit_bio", bio);
        bio = call("bio_alloc_bioset", w.part0, BigInt(BIO_PAGES), REQ_OP_READ | (async ? REQ_RAHEAD : 0n), GFP_KERNEL, 0n);
        wr(bio, "bio", "bi_iter.bi_sector", node.sector + BigInt(index) * 8n);
        wr(bio, "bio", "bi_end_io", endIo);
        st.bioFolios.set(bio, []);
      }
      call("bio_add_folio", bio, f, 4096n, 0n);
      st.bioFolios.get(bio)!.push(f);
      next = index + 1;
    }
    if (bio !== 0n) call("submit_bio", bio);
    return 0n;
  });
  set("mpage_end_io", ([bio]) => {
    const ok = rd(bio!, "bio", "bi_status") === 0n ? 1n : 0n;
    for (const f of st.bioFolios.get(bio!) ?? []) call("folio_end_read", f, ok);
    st.bioFolios.delete(bio!);
    call("bio_put", bio!);
    return 0n;
  });
  set("folio_end_read", ([folio, ok]) => (setFolioFlags(folio!, ok ? PG_uptodate : 0n, PG_locked), 0n));
  // A folio from the page cache's memory; with none free, the least recently used clean one is reclaimed.
  set("filemap_alloc_folio_noprof", () => {
    let folio = pc.take();
    if (folio === undefined) {
      for (const [f] of pc.lru) {
        if (folioFlags(f) & (PG_dirty | PG_writeback | PG_locked)) continue;
        call("__filemap_remove_folio", f, 0n);
        break;
      }
      folio = pc.take();
    }
    if (folio === undefined) return 0n;
    wr(folio, "folio", "flags", 0n);
    wr(folio, "folio", "_refcount.counter", 1n);
    return folio;
  });
  set("filemap_add_folio", ([mapping, folio, index, gfp]) => {
    const e = call("__filemap_add_folio", mapping!, folio!, index!, gfp!, 0n);
    if (e !== 0n) return e;
    setFolioFlags(folio!, PG_lru);
    return 0n;
  });
  set("__filemap_add_folio", ([mapping, folio, index]) => {
    const node = nodeOfMapping(mapping!);
    if (!node) return err(EINVAL);
    setFolioFlags(folio!, PG_locked);
    wr(folio!, "folio", "mapping", mapping!);
    wr(folio!, "folio", "index", index!);
    wr(folio!, "folio", "_refcount.counter", 2n);
    node.pages.set(Number(index!), folio!);
    pc.touch(folio!, node);
    wr(mapping!, "address_space", "nrpages", BigInt(node.pages.size));
    fire("filemap", "mm_filemap_add_to_page_cache", () => filemapValues(folio!, node), [folio!]);
    return 0n;
  });
  set("shmem_file_read_iter", ([io, it]) => {
    const file = rd(io!, "kiocb", "ki_filp");
    const node = nodeOfFile(file)!;
    let pos = rd(io!, "kiocb", "ki_pos");
    const size = sizeOf(node);
    const start = pos;
    let left = rd(it!, "iov_iter", "count");
    while (left > 0n && pos < size) {
      const offset = pos & 4095n;
      let bytes = 4096n - offset;
      if (bytes > left) bytes = left;
      if (bytes > size - pos) bytes = size - pos;
      // A hole reads as zeros (ZERO_PAGE) without entering the page cache.
      const folio = node.pages.get(Number(pos >> 12n));
      if (folio !== undefined && offset === 0n) call("mark_page_accessed", folio);
      call("copy_page_to_iter", folio ?? 0n, offset, bytes, it!);
      pos += bytes;
      left -= bytes;
    }
    wr(io!, "kiocb", "ki_pos", pos);
    call("touch_atime", file + BigInt(k.memory.field("file", "f_path").byteOffset));
    return pos - start;
  });
  // /proc/<pid>/stat: one line made by the show function, read from the position on.
  set("seq_read_iter", ([io, it]) => {
    const pos = rd(io!, "kiocb", "ki_pos");
    call("proc_single_show", 0n, 0n);
    const t = k.current();
    const line = BigInt(`${t.pid} (${t.comm}) R 1 ${t.tgid} ${t.tgid} 0 -1 4194560`.length + 120);
    if (pos >= line) return 0n;
    const n = line - pos < rd(it!, "iov_iter", "count") ? line - pos : rd(it!, "iov_iter", "count");
    call("copy_page_to_iter", 0n, 0n, n, it!);
    wr(io!, "kiocb", "ki_pos", pos + n);
    return n;
  });
  set("proc_single_show", () => 0n);

  // ---------------------------------------------------------------- write
  set("ksys_write", ([fd, buf, count]) => {
    const f = fileOf(fd!);
    if (!f) return err(EBADF);
    writeU64(s.pos!, rd(f.file, "file", "f_pos"));
    const ret = call("vfs_write", f.file, buf!, count!, s.pos!);
    if (BigInt.asIntN(64, ret) >= 0n) wr(f.file, "file", "f_pos", readU64(s.pos!));
    return ret;
  });
  set("ksys_pwrite64", ([fd, buf, count, pos]) => {
    const f = fileOf(fd!);
    if (!f) return err(EBADF);
    if (BigInt.asIntN(64, pos!) < 0n) return err(EINVAL);
    writeU64(s.pos!, pos!);
    return call("vfs_write", f.file, buf!, count!, s.pos!);
  });
  set("vfs_write", ([file, buf, count, posp]) => {
    const mode = rd(file!, "file", "f_mode");
    if (!(mode & FMODE_WRITE)) return err(EBADF);
    if (!(mode & FMODE_CAN_WRITE)) return err(EINVAL);
    const e = call("rw_verify_area", 1n, file!, posp!, count!);
    if (e !== 0n) return e;
    const node = nodeOfFile(file!);
    if (!node || node.mount.spec.fstype === "proc") return err(EINVAL);
    const io = kiocbFor(file!, readU64(posp!));
    const it = iterFor(buf!, count!, true);
    const ret = fsType(node) === "ext4" ? call("ext4_file_write_iter", io, it) : call("shmem_file_write_iter", io, it);
    writeU64(posp!, rd(io, "kiocb", "ki_pos"));
    return ret;
  });
  set("ext4_file_write_iter", ([io, it]) => call("ext4_buffered_write_iter", io!, it!));
  const bufferedWrite = (io: bigint, it: bigint) => {
    const n = call("generic_write_checks", io, it);
    if (BigInt.asIntN(64, n) <= 0n) return n;
    const file = rd(io, "kiocb", "ki_filp");
    const e = call("file_modified", file);
    if (e !== 0n) return e;
    const written = call("generic_perform_write", io, it);
    if (BigInt.asIntN(64, written) > 0n) wr(io, "kiocb", "ki_pos", rd(io, "kiocb", "ki_pos") + written);
    return written;
  };
  set("ext4_buffered_write_iter", ([io, it]) => bufferedWrite(io!, it!));
  set("shmem_file_write_iter", ([io, it]) => bufferedWrite(io!, it!));
  // O_APPEND writes go at the end; the count is what the file may still take (s_maxbytes).
  set("generic_write_checks", ([io, it]) => {
    const node = nodeOfFile(rd(io!, "kiocb", "ki_filp"))!;
    if (rd(io!, "kiocb", "ki_flags") & IOCB_APPEND) wr(io!, "kiocb", "ki_pos", sizeOf(node));
    return rd(it!, "iov_iter", "count");
  });
  // The modification time changes (at most once a second, as the coarse clock ticks): the inode is dirty.
  set("file_modified", ([file]) => {
    const node = nodeOfFile(file!)!;
    const now = wallNow();
    if (rd(node.inode, "inode", "i_mtime.tv_sec") !== now) {
      wr(node.inode, "inode", "i_mtime.tv_sec", now);
      wr(node.inode, "inode", "__i_ctime.tv_sec", now);
      call("__mark_inode_dirty", node.inode, I_DIRTY_SYNC);
    }
    return 0n;
  });
  set("generic_perform_write", ([io, it]) => {
    const file = rd(io!, "kiocb", "ki_filp");
    const node = nodeOfFile(file)!;
    const ext4 = fsType(node) === "ext4";
    let pos = rd(io!, "kiocb", "ki_pos");
    let left = rd(it!, "iov_iter", "count");
    let written = 0n;
    while (left > 0n) {
      const offset = pos & 4095n;
      const bytes = 4096n - offset < left ? 4096n - offset : left;
      const e = ext4 ? call("ext4_da_write_begin", file, node.mapping, pos, bytes, s.foliop!, s.fsdata!) : call("shmem_write_begin", file, node.mapping, pos, bytes, s.foliop!, s.fsdata!);
      if (e !== 0n) return written > 0n ? written : e;
      const folio = readU64(s.foliop!);
      const copied = call("copy_page_from_iter_atomic", folio, offset, bytes, it!);
      if (ext4) call("ext4_da_write_end", file, node.mapping, pos, bytes, copied, folio, 0n);
      else call("shmem_write_end", file, node.mapping, pos, bytes, copied, folio, 0n);
      pos += copied;
      written += copied;
      left -= copied;
      call("balance_dirty_pages_ratelimited", node.mapping);
    }
    return written;
  });
  const writeBegin = ([, mapping, pos, , foliop]: readonly bigint[]) => {
    const folio = call("__filemap_get_folio", mapping!, pos! >> 12n, FGP_WRITEBEGIN, GFP_NOFS);
    if (isErr(folio)) return folio;
    writeU64(foliop!, folio);
    return 0n;
  };
  set("ext4_da_write_begin", (a) => writeBegin(a));
  set("shmem_write_begin", (a) => writeBegin(a));
  // The cached folio at `index`, or (FGP_CREAT) a new one added to the page cache: a fresh block reads as zeros, so it is up to date.
  set("__filemap_get_folio", ([mapping, index, fgp, gfp]) => {
    const node = nodeOfMapping(mapping!)!;
    let folio = node.pages.get(Number(index!));
    if (folio !== undefined) {
      pc.touch(folio, node);
      if (folioFlags(folio) & PG_writeback) call("folio_wait_writeback", folio);
      if (fgp! & 0x2n) setFolioFlags(folio, PG_locked);
      return folio;
    }
    if (!(fgp! & 0x4n)) return err(ENOENT);
    folio = call("filemap_alloc_folio_noprof", gfp!, 0n);
    if (folio === 0n) return err(ENOMEM);
    call("filemap_add_folio", mapping!, folio, index!, gfp!);
    setFolioFlags(folio, PG_uptodate);
    return folio;
  });
  set("copy_page_from_iter_atomic", ([, , bytes, it]) => {
    wr(it!, "iov_iter", "count", rd(it!, "iov_iter", "count") - bytes!);
    wr(it!, "iov_iter", "iov_offset", rd(it!, "iov_iter", "iov_offset") + bytes!);
    return bytes!;
  });
  /** A write of `copied` bytes at `pos` ended: the size grows past the old end, the blocks with it. */
  // The blocks written past the old end are allocated (8 sectors each); a hole skipped by the write has none.
  const extend = (node: FsNode, pos: bigint, copied: bigint) => {
    const end = pos + copied;
    const old = sizeOf(node);
    if (end <= old) return false;
    const oldPages = (old + 4095n) / 4096n;
    const first = pos / 4096n > oldPages ? pos / 4096n : oldPages;
    const last = (end + 4095n) / 4096n;
    wr(node.inode, "inode", "i_size", end);
    if (last > first) wr(node.inode, "inode", "i_blocks", rd(node.inode, "inode", "i_blocks") + (last - first) * 8n);
    return true;
  };
  set("ext4_da_write_end", ([file, mapping, pos, len, copied, folio, fsdata]) => {
    const node = nodeOfMapping(mapping!)!;
    if (pos! + copied! > sizeOf(node)) return call("ext4_da_do_write_end", mapping!, pos!, len!, copied!, folio!);
    call("block_write_end", file!, mapping!, pos!, len!, copied!, folio!, fsdata!);
    setFolioFlags(folio!, 0n, PG_locked);
    return copied!;
  });
  set("ext4_da_do_write_end", ([mapping, pos, len, copied, folio]) => {
    const node = nodeOfMapping(mapping!)!;
    call("block_write_end", 0n, mapping!, pos!, len!, copied!, folio!, 0n);
    setFolioFlags(folio!, 0n, PG_locked);
    // i_size_write, then ext4_mark_inode_dirty: the new size is metadata for the journal.
    if (extend(node, pos!, copied!)) call("__mark_inode_dirty", node.inode, I_DIRTY_SYNC | I_DIRTY_DATASYNC);
    return copied!;
  });
  // block_commit_write -> mark_buffer_dirty of the folio's buffer (one 4 KiB block per page).
  set("block_write_end", ([, mapping, , , , folio]) => {
    bhFolio = folio!;
    bhMapping = mapping!;
    call("mark_buffer_dirty", s.bh!);
    return 0n;
  });
  let bhFolio = 0n;
  let bhMapping = 0n;
  // A clean folio's buffer: the folio and then the inode's pages become dirty (an already dirty folio changes nothing).
  set("mark_buffer_dirty", () => {
    if (folioFlags(bhFolio) & PG_dirty) return 0n;
    setFolioFlags(bhFolio, PG_dirty);
    call("__folio_mark_dirty", bhFolio, bhMapping, 0n);
    call("__mark_inode_dirty", rd(bhMapping, "address_space", "host"), I_DIRTY_PAGES);
    return 0n;
  });
  set("shmem_write_end", ([, mapping, pos, , copied, folio]) => {
    const node = nodeOfMapping(mapping!)!;
    call("folio_mark_dirty", folio!);
    setFolioFlags(folio!, PG_uptodate, PG_locked);
    extend(node, pos!, copied!);
    return copied!;
  });
  // tmpfs pages have no writeback (noop_dirty_folio): just the flag.
  set("folio_mark_dirty", ([folio]) => {
    if (folioFlags(folio!) & PG_dirty) return 0n;
    setFolioFlags(folio!, PG_dirty);
    return 1n;
  });
  set("__folio_mark_dirty", ([folio, mapping]) => {
    call("folio_account_dirtied", folio!, mapping!);
    return 0n;
  });
  set("folio_account_dirtied", ([folio, mapping]) => {
    const node = nodeOfMapping(mapping!)!;
    fire("writeback", "writeback_dirty_folio", () => ({ name: BDI_NAME, ino: BigInt(node.ino), index: folioIndex(folio!) }), [folio!, mapping!]);
    if (!node.dirty.has(Number(folioIndex(folio!)))) {
      node.dirty.add(Number(folioIndex(folio!)));
      st.dirtyTotal++;
    }
    return 0n;
  });
  set("__mark_inode_dirty", ([inode, flags]) => {
    const i = inode!;
    const state = inodeState(i);
    const dirtyValues = () => ({ name: BDI_NAME, ino: inodeIno(i), state: inodeState(i), flags: flags! });
    fire("writeback", "writeback_mark_inode_dirty", () => dirtyValues(), [i, flags!]);
    if (flags! & I_DIRTY_INODE) {
      fire("writeback", "writeback_dirty_inode_start", () => dirtyValues(), [i, flags!]);
      const node = nodeOfInode(i);
      if (node && fsType(node) === "ext4") call("ext4_dirty_inode", i, flags! & I_DIRTY_INODE);
      fire("writeback", "writeback_dirty_inode", () => dirtyValues(), [i, flags!]);
    }
    if ((state & flags!) !== flags!) {
      wr(i, "inode", "i_state", state | flags!);
      if (!(state & (I_DIRTY_INODE | I_DIRTY_PAGES))) wr(i, "inode", "dirtied_when", k.jiffies());
    }
    return 0n;
  });
  set("ext4_dirty_inode", () => 0n);
  set("balance_dirty_pages_ratelimited", () => {
    if (st.dirtyTotal >= DIRTY_BACKGROUND_PAGES && !st.flusherWanted) call("wb_start_background_writeback", wb);
    return 0n;
  });
  set("wb_start_background_writeback", () => {
    st.flusherWanted = true;
    return 0n;
  });

  // ---------------------------------------------------------------- lseek
  set("ksys_lseek", ([fd, offset, whence]) => {
    const f = fileOf(fd!);
    if (!f) return err(EBADF);
    return call("vfs_llseek", f.file, offset!, whence!);
  });
  set("vfs_llseek", ([file, offset, whence]) => {
    const node = nodeOfFile(file!);
    if (!(rd(file!, "file", "f_mode") & FMODE_LSEEK) || !node) return err(29); // ESPIPE
    if (fsType(node) === "ext4") return call("ext4_llseek", file!, offset!, whence!);
    return call("generic_file_llseek_size", file!, offset!, whence!, rd(node.mount.sb, "super_block", "s_maxbytes"), sizeOf(node));
  });
  set("ext4_llseek", ([file, offset, whence]) => {
    const node = nodeOfFile(file!)!;
    return call("generic_file_llseek_size", file!, offset!, whence!, rd(node.mount.sb, "super_block", "s_maxbytes"), sizeOf(node));
  });
  set("generic_file_llseek_size", ([file, offset, whence, maxsize, eof]) => {
    const off = BigInt.asIntN(64, offset!);
    const w32 = Number(whence! & 0xffffffffn);
    let pos: bigint;
    if (w32 === 0) pos = off;
    else if (w32 === 1) pos = BigInt.asIntN(64, rd(file!, "file", "f_pos")) + off;
    else if (w32 === 2) pos = eof! + off;
    else return err(EINVAL);
    if (pos < 0n || pos > maxsize!) return err(EINVAL);
    wr(file!, "file", "f_pos", pos);
    return pos;
  });

  // ---------------------------------------------------------------- fsync and writeback
  set("vfs_fsync", ([file, datasync]) => call("vfs_fsync_range", file!, 0n, LLONG_MAX, datasync!));
  set("vfs_fsync_range", ([file, start, end, datasync]) => {
    const node = nodeOfFile(file!);
    if (!node) return err(EINVAL);
    if (fsType(node) === "ext4") return call("ext4_sync_file", file!, start!, end!, datasync!);
    return call("noop_fsync", file!, start!, end!, datasync!);
  });
  set("noop_fsync", () => 0n);
  set("ext4_sync_file", ([file, start, end, datasync]) => {
    const node = nodeOfFile(file!)!;
    const e = call("file_write_and_wait_range", file!, start!, end!);
    if (e !== 0n) return e;
    const state = inodeState(node.inode);
    // Metadata to commit: any inode change for fsync, only a size (I_DIRTY_DATASYNC) one for fdatasync.
    const commit = datasync! ? (state & I_DIRTY_DATASYNC) !== 0n : (state & I_DIRTY_INODE) !== 0n;
    if (commit) {
      // jbd2 commits the transaction: descriptor, the inode's block, commit block; flush before, FUA after.
      const bio = call("bio_alloc_bioset", w.part0, 3n, REQ_OP_WRITE | REQ_SYNC | REQ_META | REQ_PREFLUSH | REQ_FUA, GFP_NOFS, 0n);
      wr(bio, "bio", "bi_iter.bi_sector", JOURNAL_SECTOR + BigInt(rng.int(0, 32767)) * 8n);
      wr(bio, "bio", "bi_iter.bi_size", 3n * 4096n);
      wr(bio, "bio", "bi_vcnt", 3n);
      call("submit_bio_wait", bio);
      call("bio_put", bio);
      wr(node.inode, "inode", "i_state", state & ~I_DIRTY_INODE);
    } else call("blkdev_issue_flush", w.part0);
    return 0n;
  });
  set("file_write_and_wait_range", ([file, lstart, lend]) => {
    const node = nodeOfFile(file!)!;
    if (node.pages.size > 0) {
      call("__filemap_fdatawrite_range", node.mapping, lstart!, lend!, WB_SYNC_ALL);
      call("__filemap_fdatawait_range", node.mapping, lstart!, lend!);
    }
    return call("file_check_and_advance_wb_err", file!);
  });
  set("__filemap_fdatawrite_range", ([mapping, start, end, mode]) => {
    const wbc = s.writeback_control!;
    wr(wbc, "writeback_control", "sync_mode", mode!);
    wr(wbc, "writeback_control", "nr_to_write", LLONG_MAX);
    wr(wbc, "writeback_control", "range_start", start!);
    wr(wbc, "writeback_control", "range_end", end!);
    return call("filemap_fdatawrite_wbc", mapping!, wbc);
  });
  set("filemap_fdatawrite_wbc", ([mapping, wbc]) => {
    const node = nodeOfMapping(mapping!);
    if (!node || node.dirty.size === 0) return 0n;
    return call("do_writepages", mapping!, wbc!);
  });
  set("do_writepages", ([mapping, wbc]) => {
    const node = nodeOfMapping(mapping!);
    if (!node || fsType(node) !== "ext4") return 0n;
    return call("ext4_writepages", mapping!, wbc!);
  });
  /** ext4_do_writepages' inputs (struct mpage_da_data is opaque here). */
  let mpd: { node: FsNode; wbc: bigint } | undefined;
  set("ext4_writepages", ([mapping, wbc]) => {
    mpd = { node: nodeOfMapping(mapping!)!, wbc: wbc! };
    const e = call("ext4_do_writepages", s.mpd!);
    mpd = undefined;
    return e;
  });
  set("ext4_do_writepages", ([m]) => {
    const { node, wbc } = mpd!;
    const plug = s.blk_plug!;
    call("blk_start_plug", plug);
    call("mpage_prepare_extent_to_map", m!);
    const folios = preparedFolios;
    preparedFolios = [];
    call("ext4_io_submit_init", s.io!, wbc);
    st.ioNode = node;
    for (const f of folios) call("ext4_bio_write_folio", s.io!, f, 4096n);
    call("ext4_io_submit", s.io!);
    st.ioNode = undefined;
    call("blk_finish_plug", plug);
    wr(wbc, "writeback_control", "nr_to_write", rd(wbc, "writeback_control", "nr_to_write") - BigInt(folios.length));
    return 0n;
  });
  let preparedFolios: bigint[] = [];
  // The dirty folios in index order (up to nr_to_write), each put under writeback.
  set("mpage_prepare_extent_to_map", () => {
    const { node, wbc } = mpd!;
    const max = Number(BigInt.asIntN(64, rd(wbc, "writeback_control", "nr_to_write")));
    const indexes = [...node.dirty].sort((a, b) => a - b).slice(0, Math.max(0, max));
    preparedFolios = [];
    for (const i of indexes) {
      const f = node.pages.get(i);
      if (f === undefined) continue;
      call("__folio_start_writeback", f, 0n);
      preparedFolios.push(f);
    }
    return BigInt(preparedFolios.length);
  });
  set("__folio_start_writeback", ([folio]) => {
    const node = nodeOfMapping(folioMapping(folio!))!;
    const i = Number(folioIndex(folio!));
    setFolioFlags(folio!, PG_writeback, PG_dirty);
    if (node.dirty.delete(i)) st.dirtyTotal--;
    node.writeback.add(i);
    if (node.dirty.size === 0) wr(node.inode, "inode", "i_state", inodeState(node.inode) & ~I_DIRTY_PAGES);
    return 0n;
  });
  set("ext4_io_submit_init", ([io]) => {
    st.ioBio = 0n;
    k.memory.writeKernel(io!, new Uint8Array(16));
    return 0n;
  });
  // Contiguous folios share a bio of up to BIO_PAGES; a gap or a full bio submits it and starts another.
  set("ext4_bio_write_folio", ([io, folio, len]) => {
    const node = st.ioNode!;
    const index = Number(folioIndex(folio!));
    const sector = node.sector + BigInt(index) * 8n;
    let bio = st.ioBio;
    if (bio !== 0n) {
      const end = rd(bio, "bio", "bi_iter.bi_sector") + rd(bio, "bio", "bi_iter.bi_size") / 512n;
      if (end !== sector || rd(bio, "bio", "bi_vcnt") >= BigInt(BIO_PAGES)) {
        call("ext4_io_submit", io!);
        bio = 0n;
      }
    }
    if (bio === 0n) {
      const sync = rd(mpd!.wbc, "writeback_control", "sync_mode") === WB_SYNC_ALL;
      bio = call("bio_alloc_bioset", w.part0, BigInt(BIO_PAGES), REQ_OP_WRITE | (sync ? REQ_SYNC : 0n), GFP_NOFS, 0n);
      wr(bio, "bio", "bi_iter.bi_sector", sector);
      wr(bio, "bio", "bi_end_io", addrOf("ext4_end_bio"));
      st.bioFolios.set(bio, []);
      st.ioBio = bio;
    }
    call("bio_add_folio", bio, folio!, len!, 0n);
    st.bioFolios.get(bio)!.push(folio!);
    return 0n;
  });
  set("ext4_io_submit", () => {
    const bio = st.ioBio;
    if (bio !== 0n) {
      st.ioBio = 0n;
      call("submit_bio", bio);
    }
    return 0n;
  });
  set("ext4_end_bio", ([bio]) => {
    for (const f of st.bioFolios.get(bio!) ?? []) call("folio_end_writeback", f);
    st.bioFolios.delete(bio!);
    call("bio_put", bio!);
    return 0n;
  });
  set("folio_end_writeback", ([folio]) => {
    setFolioFlags(folio!, 0n, PG_writeback);
    const node = nodeOfMapping(folioMapping(folio!));
    node?.writeback.delete(Number(folioIndex(folio!)));
    return 0n;
  });
  set("__filemap_fdatawait_range", ([mapping, start, end]) => {
    const node = nodeOfMapping(mapping!)!;
    const first = Number(start! >> 12n);
    const last = end! >= LLONG_MAX ? Infinity : Number(end! >> 12n);
    for (const i of [...node.writeback].sort((a, b) => a - b)) {
      if (i < first || i > last) continue;
      // Still under writeback (waiting for one folio's bio may have completed the others).
      const f = node.pages.get(i);
      if (f !== undefined && node.writeback.has(i)) call("folio_wait_writeback", f);
    }
    return 0n;
  });
  set("folio_wait_writeback", ([folio]) => {
    const mapping = folioMapping(folio!);
    const node = nodeOfMapping(mapping);
    while (folioFlags(folio!) & PG_writeback) {
      fire("writeback", "folio_wait_writeback", () => ({ name: BDI_NAME, ino: node ? BigInt(node.ino) : 0n, index: folioIndex(folio!) }), [folio!, mapping]);
      waitForIo(k, w, () => (folioFlags(folio!) & PG_writeback) === 0n);
      if (folioFlags(folio!) & PG_writeback) break;
    }
    return 0n;
  });
  set("file_check_and_advance_wb_err", ([file]) => {
    const node = nodeOfFile(file!)!;
    const old = rd(file!, "file", "f_wb_err");
    const now = rd(node.mapping, "address_space", "wb_err");
    fire("filemap", "file_check_and_advance_wb_err", () => ({ file: file!, i_ino: BigInt(node.ino), s_dev: node.mount.spec.dev, old, new: now }), [file!, old]);
    wr(file!, "file", "f_wb_err", now);
    return 0n;
  });

  // The flusher (a kworker running the bdi's writeback work).
  set("wb_workfn", () => {
    const wrote = call("wb_do_writeback", wb);
    fire("writeback", "writeback_pages_written", () => ({ pages: wrote }), [wrote]);
    return 0n;
  });
  set("wb_do_writeback", ([b]) => {
    const work = s.wb_writeback_work!;
    const background = st.flusherWanted;
    wr(work, "wb_writeback_work", "nr_pages", BigInt(st.dirtyTotal));
    wr(work, "wb_writeback_work", "sb", vfs.root.sb);
    wr(work, "wb_writeback_work", "sync_mode", WB_SYNC_NONE);
    wr(work, "wb_writeback_work", "for_background", background ? 1n : 0n);
    wr(work, "wb_writeback_work", "for_kupdate", background ? 0n : 1n);
    wr(work, "wb_writeback_work", "range_cyclic", 1n);
    wr(work, "wb_writeback_work", "reason", background ? WB_REASON_BACKGROUND : WB_REASON_PERIODIC);
    st.flusherWanted = false;
    return call("wb_writeback", b!, work);
  });
  const workValues = (work: bigint) => ({
    name: BDI_NAME,
    nr_pages: rd(work, "wb_writeback_work", "nr_pages"),
    sb_dev: vfs.root.spec.dev,
    sync_mode: rd(work, "wb_writeback_work", "sync_mode"),
    for_kupdate: rd(work, "wb_writeback_work", "for_kupdate"),
    range_cyclic: rd(work, "wb_writeback_work", "range_cyclic"),
    for_background: rd(work, "wb_writeback_work", "for_background"),
    reason: rd(work, "wb_writeback_work", "reason"),
    cgroup_ino: 1n,
  });
  set("wb_writeback", ([b, work]) => {
    fire("writeback", "writeback_start", () => workValues(work!), [b!, work!]);
    const wrote = call("writeback_sb_inodes", vfs.root.sb, b!, work!);
    fire("writeback", "writeback_written", () => workValues(work!), [b!, work!]);
    return wrote;
  });
  set("writeback_sb_inodes", ([, , work]) => {
    const wbc = s.writeback_control!;
    let wrote = 0n;
    for (const node of [...vfs.byMapping.values()]) {
      if (fsType(node) !== "ext4") continue;
      const state = inodeState(node.inode);
      if (node.dirty.size === 0 && !(state & I_DIRTY_INODE)) continue;
      wr(wbc, "writeback_control", "sync_mode", rd(work!, "wb_writeback_work", "sync_mode"));
      wr(wbc, "writeback_control", "nr_to_write", 1024n);
      wr(wbc, "writeback_control", "range_start", 0n);
      wr(wbc, "writeback_control", "range_end", LLONG_MAX);
      wr(wbc, "writeback_control", "inode", node.inode);
      wr(node.inode, "inode", "i_state", state | I_SYNC);
      call("__writeback_single_inode", node.inode, wbc);
      wr(node.inode, "inode", "i_state", inodeState(node.inode) & ~I_SYNC);
      wrote += 1024n - rd(wbc, "writeback_control", "nr_to_write");
    }
    return wrote;
  });
  const singleValues = (inode: bigint, wbc: bigint, nr: bigint) => ({
    name: BDI_NAME,
    ino: inodeIno(inode),
    state: inodeState(inode),
    dirtied_when: rd(inode, "inode", "dirtied_when"),
    writeback_index: rd(rd(inode, "inode", "i_mapping"), "address_space", "writeback_index"),
    nr_to_write: nr,
    wrote: nr - rd(wbc, "writeback_control", "nr_to_write"),
    cgroup_ino: 1n,
  });
  set("__writeback_single_inode", ([inode, wbc]) => {
    const nr = rd(wbc!, "writeback_control", "nr_to_write");
    fire("writeback", "writeback_single_inode_start", () => singleValues(inode!, wbc!, nr), [inode!, wbc!, nr]);
    const ret = call("do_writepages", rd(inode!, "inode", "i_mapping"), wbc!);
    const dirty = inodeState(inode!) & I_DIRTY_INODE;
    if (dirty) {
      wr(inode!, "inode", "i_state", inodeState(inode!) & ~I_DIRTY_INODE);
      call("write_inode", inode!, wbc!);
    }
    fire("writeback", "writeback_single_inode", () => singleValues(inode!, wbc!, nr), [inode!, wbc!, nr]);
    return ret;
  });
  set("write_inode", ([inode, wbc]) => {
    const v = () => ({ name: BDI_NAME, ino: inodeIno(inode!), sync_mode: rd(wbc!, "writeback_control", "sync_mode"), cgroup_ino: 1n });
    fire("writeback", "writeback_write_inode_start", () => v(), [inode!, wbc!]);
    const ret = call("ext4_write_inode", inode!, wbc!);
    fire("writeback", "writeback_write_inode", () => v(), [inode!, wbc!]);
    return ret;
  });
  // With a journal the inode is already in the running transaction: nothing to write here unless WB_SYNC_ALL.
  set("ext4_write_inode", () => 0n);

  // ---------------------------------------------------------------- the syscalls
  const int = (v: bigint) => BigInt.asIntN(32, v);
  const fdArg = (v: bigint) => BigInt.asUintN(32, v);
  defineSyscall(k, "openat", ([dfd, filename, flags, mode]) => call("do_sys_open", U64(int(dfd!)), filename!, BigInt.asUintN(32, flags!), mode! & 0xffffn));
  defineSyscall(k, "read", ([fd, buf, count]) => call("ksys_read", fdArg(fd!), buf!, count!));
  defineSyscall(k, "write", ([fd, buf, count]) => call("ksys_write", fdArg(fd!), buf!, count!));
  defineSyscall(k, "pread64", ([fd, buf, count, pos]) => call("ksys_pread64", fdArg(fd!), buf!, count!, pos!));
  defineSyscall(k, "pwrite64", ([fd, buf, count, pos]) => call("ksys_pwrite64", fdArg(fd!), buf!, count!, pos!));
  defineSyscall(k, "lseek", ([fd, offset, whence]) => call("ksys_lseek", fdArg(fd!), offset!, BigInt.asUintN(32, whence!)));
  defineSyscall(k, "close", ([fd]) => call("close_fd", fdArg(fd!)));
  const fsync = (fd: bigint, datasync: bigint) => {
    const f = fileOf(fdArg(fd));
    return f ? call("vfs_fsync", f.file, datasync) : err(EBADF);
  };
  defineSyscall(k, "fsync", ([fd]) => fsync(fd!, 0n));
  defineSyscall(k, "fdatasync", ([fd]) => fsync(fd!, 1n));
  defineSyscall(k, "newfstatat", ([dfd, filename, statbuf, flag]) => {
    const e = call("vfs_fstatat", U64(int(dfd!)), filename!, s.kstat!, BigInt.asUintN(32, flag!));
    if (e !== 0n) return e;
    return call("cp_new_stat", s.kstat!, statbuf!);
  });
  defineSyscall(k, "unlinkat", ([dfd, pathname, flag]) => {
    const f = BigInt.asUintN(32, flag!);
    if (f & ~AT_REMOVEDIR) return err(EINVAL);
    const name = call("getname", pathname!);
    return f & AT_REMOVEDIR ? call("do_rmdir", U64(int(dfd!)), name) : call("do_unlinkat", U64(int(dfd!)), name);
  });
  defineSyscall(k, "mkdirat", ([dfd, pathname, mode]) => call("do_mkdirat", U64(int(dfd!)), call("getname", pathname!), mode! & 0xffffn));
  defineSyscall(k, "renameat2", ([olddfd, oldname, newdfd, newname, flags]) => {
    const from = call("getname", oldname!);
    const to = call("getname", newname!);
    return call("do_renameat2", U64(int(olddfd!)), from, U64(int(newdfd!)), to, BigInt.asUintN(32, flags!));
  });
}

/** The fs paths' state for `k` (installed by installFsPaths). */
function fsState(k: Kernel): FsState {
  const st = states.get(k);
  if (!st) throw new Error("fs paths not installed");
  return st;
}

/** Dirty page cache pages waiting for writeback (what the flusher's threshold counts). */
export function dirtyPages(k: Kernel): number {
  return fsState(k).dirtyTotal;
}

/**
 * The flusher: the bdi's writeback work runs on the CPU's kworker
 * (wb_workfn), which is the CPU's current task for the time it takes (the
 * task it interrupted is put back after).
 */
export function runFlusher(k: Kernel): void {
  const st = fsState(k);
  const want = `kworker/${k.cpu}:1`;
  if (st.kworker?.comm !== want || st.kworker.exited) st.kworker = k.tasks.all().find((t) => t.kthread && t.comm === want) ?? k.tasks.all().find((t) => t.kthread && t.comm.startsWith("kworker/"));
  const c = k.tasks.cpus[k.cpu]!;
  const kw = st.kworker;
  const prev = c.current;
  const prevCpu = kw?.cpu;
  if (kw) c.current = kw;
  try {
    k.callByName("wb_workfn", [st.s.work_struct!]);
  } finally {
    c.current = prev;
    if (kw && prevCpu !== undefined) kw.cpu = prevCpu;
  }
}

const FS_READ_PATHS = FILES.map((f) => f.path);
const DRAFT = "/home/user/draft.txt";
const DRAFT_SWP = "/home/user/.draft.txt.swp";
const APP_LOG = "/var/log/app.log";
const BUILD_DIR = "/home/user/build";
const DOWNLOAD_PART = "/home/user/archive.tar.part";
const DOWNLOAD = "/home/user/archive.tar";

/**
 * One file session of the current task (the fs workload's step): reading a
 * file of the image (stat, open, sequential reads, a seek or a pread,
 * close), appending to a log, an editor's save (write a swap file, fsync,
 * rename it over the file), a temp file on tmpfs (create, write, seek, read
 * back from the page cache, unlink), a build directory (mkdir, create,
 * pwrite, fdatasync, unlink, rmdir), a download (a large write left to the
 * flusher, renamed into place), or a stat/open of a missing file.
 * Then the flusher if the dirty threshold was crossed (or now and then),
 * and the task waits for what its I/O left in flight.
 */
export function fileSession(k: Kernel): void {
  const st = fsState(k);
  const rng = k.rng;
  const sys = (name: string, ...args: bigint[]) => syscall(k, name, args);
  const user = k.memory.userSpace(k.current().tgid);
  const withBuf = (n: number, f: (buf: bigint) => void) => {
    const buf = user.heapAlloc(n);
    try {
      f(buf);
    } finally {
      user.heapFree(buf);
    }
  };
  const r = rng.float();
  if (r < 0.4) {
    const path = rng.pick(FS_READ_PATHS);
    if (rng.chance(0.4)) withBuf(144, (sb) => sys("newfstatat", AT_FDCWD, userStr(k, path), sb, 0n));
    const fd = sys("openat", AT_FDCWD, userStr(k, path), O_RDONLY, 0n);
    if (isErr(fd)) return finish(k, st);
    const size = FILES.find((f) => f.path === path)!.size;
    for (let i = rng.int(1, 4); i > 0; i--) {
      const count = rng.pick([512, 4096, 16384]);
      if (rng.chance(0.2) && size > 0) sys("lseek", fd, BigInt(rng.int(0, Math.floor(size / 4096)) * 4096), 0n);
      if (rng.chance(0.15) && size > 0) withBuf(count, (buf) => sys("pread64", fd, buf, BigInt(count), BigInt(rng.int(0, size))));
      else withBuf(count, (buf) => sys("read", fd, buf, BigInt(count)));
    }
    sys("close", fd);
  } else if (r < 0.55) {
    const fd = sys("openat", AT_FDCWD, userStr(k, APP_LOG), O_WRONLY | O_APPEND | O_CREAT, 0o640n);
    if (isErr(fd)) return finish(k, st);
    for (let i = rng.int(1, 3); i > 0; i--) {
      const n = rng.int(60, 300);
      withBuf(n, (buf) => sys("write", fd, buf, BigInt(n)));
    }
    sys("close", fd);
  } else if (r < 0.7 && st.vfs.nodes.has(DRAFT) && rng.chance(0.3)) {
    // Saving in place (a shell's `>`): the file is truncated and rewritten.
    const fd = sys("openat", AT_FDCWD, userStr(k, DRAFT), O_WRONLY | O_TRUNC, 0n);
    if (isErr(fd)) return finish(k, st);
    const n = rng.int(200, 8192);
    withBuf(n, (buf) => sys("write", fd, buf, BigInt(n)));
    sys("fsync", fd);
    sys("close", fd);
  } else if (r < 0.7) {
    const fd = sys("openat", AT_FDCWD, userStr(k, DRAFT_SWP), O_WRONLY | O_CREAT | O_TRUNC, 0o644n);
    if (isErr(fd)) return finish(k, st);
    for (let i = rng.int(1, 3); i > 0; i--) {
      const n = rng.int(200, 8192);
      withBuf(n, (buf) => sys("write", fd, buf, BigInt(n)));
    }
    sys("fsync", fd);
    sys("close", fd);
    sys("renameat2", AT_FDCWD, userStr(k, DRAFT_SWP), AT_FDCWD, userStr(k, DRAFT), 0n);
    if (rng.chance(0.5)) withBuf(144, (sb) => sys("newfstatat", AT_FDCWD, userStr(k, DRAFT), sb, 0n));
  } else if (r < 0.85) {
    const path = `/tmp/tmp.${(st.tmpSeq++ % 100000).toString().padStart(5, "0")}`;
    const fd = sys("openat", AT_FDCWD, userStr(k, path), O_RDWR | O_CREAT | O_EXCL, 0o600n);
    if (isErr(fd)) return finish(k, st);
    const n = rng.int(100, 12000);
    withBuf(n, (buf) => {
      sys("write", fd, buf, BigInt(n));
      sys("lseek", fd, 0n, 0n);
      sys("read", fd, buf, BigInt(n));
    });
    // Some programs fsync even on tmpfs (noop_fsync).
    if (rng.chance(0.3)) sys("fsync", fd);
    sys("close", fd);
    sys("unlinkat", AT_FDCWD, userStr(k, path), 0n);
  } else if (r < 0.9) {
    sys("mkdirat", AT_FDCWD, userStr(k, BUILD_DIR), 0o755n);
    const obj = `${BUILD_DIR}/main.o`;
    const fd = sys("openat", AT_FDCWD, userStr(k, obj), O_WRONLY | O_CREAT | O_TRUNC, 0o644n);
    if (!isErr(fd)) {
      withBuf(4096, (buf) => {
        sys("pwrite64", fd, buf, 4096n, 0n);
        sys("pwrite64", fd, buf, 4096n, BigInt(rng.int(1, 6) * 4096));
      });
      sys("fdatasync", fd);
      // Patching the object in place: no size change, so fdatasync has no metadata to commit (a cache flush only).
      withBuf(512, (buf) => sys("pwrite64", fd, buf, 512n, BigInt(rng.int(0, 7) * 512)));
      sys("fdatasync", fd);
      sys("close", fd);
      sys("unlinkat", AT_FDCWD, userStr(k, obj), 0n);
    }
    sys("unlinkat", AT_FDCWD, userStr(k, BUILD_DIR), AT_REMOVEDIR);
  } else if (r < 0.93) {
    // A download: 192-256 KiB written in 16 KiB chunks without fsync (past the dirty threshold: the flusher is woken), then renamed into place.
    const fd = sys("openat", AT_FDCWD, userStr(k, DOWNLOAD_PART), O_WRONLY | O_CREAT | O_TRUNC, 0o644n);
    if (isErr(fd)) return finish(k, st);
    withBuf(16384, (buf) => {
      for (let i = rng.int(12, 16); i > 0; i--) sys("write", fd, buf, 16384n);
    });
    sys("close", fd);
    sys("renameat2", AT_FDCWD, userStr(k, DOWNLOAD_PART), AT_FDCWD, userStr(k, DOWNLOAD), 0n);
  } else if (r < 0.96) {
    // Read back the last save (a page cache hit unless reclaimed).
    const fd = sys("openat", AT_FDCWD, userStr(k, DRAFT), O_RDONLY, 0n);
    if (!isErr(fd)) {
      withBuf(8192, (buf) => sys("read", fd, buf, 8192n));
      sys("close", fd);
    }
  } else {
    const missing = rng.pick(["/etc/nonexistent.conf", "/home/user/.config/app.toml", "/tmp/.lock"]);
    withBuf(144, (sb) => sys("newfstatat", AT_FDCWD, userStr(k, missing), sb, 0n));
    sys("openat", AT_FDCWD, userStr(k, missing), O_RDONLY, 0n);
  }
  finish(k, st);
}

/** The end of a session: the flusher if it was woken (or, now and then, for expired inodes), then the task waits for its I/O. */
function finish(k: Kernel, st: FsState): void {
  if (st.flusherWanted || (st.dirtyTotal > 0 && k.rng.chance(0.05))) runFlusher(k);
  waitForIo(k, st.w, () => st.bioFolios.size === 0);
}
