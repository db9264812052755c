// The file system tree and its in-memory state: mounts (a vfsmount and a
// super_block each: ext4 on vda1 at /, proc at /proc, tmpfs at /tmp), each
// with its root dentry "/" (its own d_parent, as Linux's roots are), the
// directories under them (dentries with d_parent chains, inodes S_IFDIR),
// the files that exist (FsNode: a named dentry whose d_name.name points at
// its inline d_iname, an inode with mode, size, blocks, times, owner,
// super_block and its address_space i_data, the folios of its page cache
// with their dirty and writeback state), and the page cache's memory: a
// fixed memmap of struct folio (pfn = its index), handed out and reclaimed
// least recently used first.
// Mount roots and boot directories live for the whole run (kmalloc'ed);
// files' dentries and inodes come from the dentry and inode_cache slabs
// when a file is first looked up or created and go back when it is
// unlinked (or renamed over) and its last user is gone; a struct file lives
// from open to the last fput.
import { BtfKind } from "../../btf/kinds.js";
import { sizeOf } from "../../btf/layout.js";
import type { Kernel } from "../kernel.js";
import type { Rng } from "../rng.js";
import { alloc, setField, setString } from "./fields.js";

/** File type bits of i_mode. */
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;

/** A file the workloads open: where, its permissions, size and inode number on its file system. */
export interface FileSpec {
  path: string;
  mode: number;
  size: number;
  ino: number;
  uid: number;
  gid: number;
}

/** The files the fs workload opens (any other path does not exist: opening it fails with ENOENT). */
export const FILES: readonly FileSpec[] = [
  { path: "/etc/passwd", mode: S_IFREG | 0o644, size: 1873, ino: 1311017, uid: 0, gid: 0 },
  { path: "/var/log/syslog", mode: S_IFREG | 0o640, size: 524288, ino: 2097443, uid: 104, gid: 4 },
  { path: "/tmp/data.bin", mode: S_IFREG | 0o600, size: 65536, ino: 37, uid: 1000, gid: 1000 },
  { path: "/usr/lib/libc.so.6", mode: S_IFREG | 0o755, size: 2125328, ino: 3932261, uid: 0, gid: 0 },
  { path: "/proc/self/stat", mode: S_IFREG | 0o444, size: 0, ino: 4026532, uid: 0, gid: 0 },
  { path: "/home/user/notes.txt", mode: S_IFREG | 0o664, size: 912, ino: 2621470, uid: 1000, gid: 1000 },
];

/** The wall clock at boot (2026-12-01 00:00:00 UTC): the epoch of the inodes' times. */
export const BOOT_WALL_SECONDS = 1796083200n;

interface MountSpec {
  /** Where it is mounted. */
  at: string;
  fstype: string;
  /** s_id: the device name, or the file system's name for virtual ones. */
  id: string;
  /** What /proc/mounts shows as the source (mnt_devname). */
  devname: string;
  magic: bigint;
  /** s_dev: MKDEV(major, minor) as the kernel encodes dev_t (major << 20 | minor). */
  dev: bigint;
  /** Inode number of its root directory. */
  rootIno: number;
}

const MOUNTS: readonly MountSpec[] = [
  { at: "/", fstype: "ext4", id: "vda1", devname: "/dev/vda1", magic: 0xef53n, dev: (253n << 20n) | 1n, rootIno: 2 },
  { at: "/proc", fstype: "proc", id: "proc", devname: "proc", magic: 0x9fa0n, dev: 22n, rootIno: 1 },
  { at: "/tmp", fstype: "tmpfs", id: "tmpfs", devname: "tmpfs", magic: 0x01021994n, dev: 25n, rootIno: 1 },
];
/** The first mount's mnt_id (ids count up from there in mount order). */
const FIRST_MNT_ID = 21;

/** Where vda1 starts on vda (sectors). */
export const VDA1_START_SECT = 2048n;

export interface Mount {
  spec: MountSpec;
  /** The struct mount (0 if the headers have none) and its embedded vfsmount (what f_path.mnt points at). */
  mount: bigint;
  mnt: bigint;
  sb: bigint;
  root: bigint;
}

/** A file or directory that exists (or was unlinked and is still open). */
export interface FsNode {
  path: string;
  mount: Mount;
  dentry: bigint;
  inode: bigint;
  /** &inode->i_data: the file's page cache (f_mapping, folio->mapping). */
  mapping: bigint;
  mode: number;
  ino: number;
  dir: boolean;
  /** Folios in its page cache by page index; those dirty and those under writeback. */
  pages: Map<number, bigint>;
  dirty: Set<number>;
  writeback: Set<number>;
  /** Open files referring to it (struct file f_path.dentry). */
  opens: number;
  /** Removed from the tree (unlinked or renamed over): evicted when its last file is closed. */
  unlinked: boolean;
  /** Where its blocks are on vda (ext4 only): page i is at sector + 8 * i. */
  sector: bigint;
  /** The page index at which a sequential read starts the next readahead (PG_readahead), -1 none. */
  raMark: number;
}

/** Page flags (enum pageflags, Linux 6.12). */
export const PG_locked = 1n << 0n;
export const PG_writeback = 1n << 1n;
export const PG_referenced = 1n << 2n;
export const PG_uptodate = 1n << 3n;
export const PG_dirty = 1n << 4n;
export const PG_lru = 1n << 5n;
export const PG_active = 1n << 8n;
export const PG_readahead = 1n << 18n;
/** Folios of memory the page cache may use (1 MiB): reclaim starts when they are all in use. */
export const PAGE_CACHE_PAGES = 256;
/** The memmap's first pfn. */
const PFN_BASE = 0x12000;

/**
 * The page cache's memory: PAGE_CACHE_PAGES struct folios made at boot
 * (the memmap), free ones on a list, used ones in LRU order (a Map keeps
 * insertion order: an access moves a folio to the end).
 */
export class PageCache {
  private readonly free: bigint[] = [];
  private readonly pfns = new Map<bigint, number>();
  /** Used folios, least recently used first, with the node they belong to. */
  readonly lru = new Map<bigint, FsNode>();

  constructor(k: Kernel) {
    for (let i = 0; i < PAGE_CACHE_PAGES; i++) {
      const f = alloc(k, "folio");
      this.pfns.set(f, PFN_BASE + i);
      this.free.push(f);
    }
    this.free.reverse();
  }

  pfnOf(folio: bigint): number {
    return this.pfns.get(folio) ?? 0;
  }

  /** A free folio, undefined if none. */
  take(): bigint | undefined {
    return this.free.pop();
  }

  give(folio: bigint): void {
    this.lru.delete(folio);
    this.free.push(folio);
  }

  get freeCount(): number {
    return this.free.length;
  }

  touch(folio: bigint, node: FsNode): void {
    this.lru.delete(folio);
    this.lru.set(folio, node);
  }
}

/** A 32-bit FNV-1a of a name: the model's d_name.hash (Linux salts its own hash per boot). */
function nameHash(name: string): bigint {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return BigInt(h);
}

export class Vfs {
  readonly mounts: Mount[];
  /** Directory dentries by absolute path (mount roots included). */
  private readonly dirs = new Map<string, bigint>();
  private nextDirIno = 100;
  /** The files and made directories that exist, by path. */
  readonly nodes = new Map<string, FsNode>();
  /** Every node with a live inode (in the tree or unlinked and still open), by its address_space. */
  readonly byMapping = new Map<bigint, FsNode>();
  readonly pageCache: PageCache;
  /** The next inode number a created file gets on each file system (by s_id). */
  private readonly nextIno = new Map<string, number>([
    ["vda1", 2883600],
    ["tmpfs", 40],
    ["proc", 4026600],
  ]);

  constructor(private readonly k: Kernel) {
    this.mounts = [];
    MOUNTS.forEach((spec, i) => this.mounts.push(this.mount(spec, i, this.mounts[0])));
    this.pageCache = new PageCache(k);
  }

  /** The root mount (ext4 on vda1) and its root dentry: what fs_struct's root and pwd point at. */
  get root(): Mount {
    return this.mounts[0]!;
  }

  /** The spec of the file at `path`, undefined if there is none. */
  lookup(path: string): FileSpec | undefined {
    return FILES.find((f) => f.path === path);
  }

  /** A zeroed boot-time object of `type` (kmalloc'ed; see the top comment). */
  private bootObject(type: string): bigint {
    const id = this.k.btf.findByNameKind(type, BtfKind.STRUCT);
    if (id === undefined) return 0n;
    return this.k.memory.kmalloc(sizeOf(this.k.btf, id), true);
  }

  /** A NUL-terminated kernel string (kmalloc'ed, kept for the run). */
  private string(s: string): bigint {
    const bytes = new TextEncoder().encode(s + "\0");
    const a = this.k.memory.kmalloc(bytes.length, true);
    this.k.memory.writeKernel(a, bytes);
    return a;
  }

  private mount(spec: MountSpec, index: number, parent: Mount | undefined): Mount {
    const k = this.k;
    const sb = this.bootObject("super_block");
    // The vfsmount is embedded in a struct mount (real_mount() is container_of), when the headers have it.
    const mount = this.bootObject("mount");
    const mnt = mount !== 0n ? mount + BigInt(k.memory.objects.field("mount", "mnt").byteOffset) : this.bootObject("vfsmount");
    setField(k, sb, "super_block", "s_dev", spec.dev);
    setField(k, sb, "super_block", "s_blocksize_bits", 12n);
    setField(k, sb, "super_block", "s_blocksize", 4096n);
    setField(k, sb, "super_block", "s_maxbytes", spec.fstype === "ext4" ? 0xfffffffffffn : 0x7fffffffffffffffn);
    setField(k, sb, "super_block", "s_magic", spec.magic);
    setField(k, sb, "super_block", "s_count", 1n);
    setField(k, sb, "super_block", "s_active.counter", 1n);
    setString(k, sb, "super_block", "s_id", spec.id);
    const fst = k.btf.findByNameKind("file_system_type", BtfKind.STRUCT);
    if (fst !== undefined && sb !== 0n) {
      const type = this.bootObject("file_system_type");
      setField(k, type, "file_system_type", "name", this.string(spec.fstype));
      setField(k, sb, "super_block", "s_type", type);
    }
    const m: Mount = { spec, mount, mnt, sb, root: 0n };
    m.root = this.dentry(m, "/", 0n, this.inode(m, S_IFDIR | 0o755, 4096, spec.rootIno, 0, 0, true), true);
    setField(k, sb, "super_block", "s_root", m.root);
    setField(k, mnt, "vfsmount", "mnt_root", m.root);
    setField(k, mnt, "vfsmount", "mnt_sb", sb);
    if (mount !== 0n) {
      // Mounted on a directory of the parent mount's file system (the root mount: on its own root, its own parent).
      const mountpoint = parent ? this.directory(spec.at, parent) : m.root;
      setField(k, mount, "mount", "mnt_parent", parent ? parent.mount : mount);
      setField(k, mount, "mount", "mnt_mountpoint", mountpoint);
      setField(k, mount, "mount", "mnt_id", BigInt(FIRST_MNT_ID + index));
      setField(k, mount, "mount", "mnt_devname", this.string(spec.devname));
    }
    this.dirs.set(spec.at, m.root);
    return m;
  }

  /** An inode on `m`'s file system (its i_mapping is its own i_data, whose host it is). */
  inode(m: Mount, mode: number, size: number, ino: number, uid: number, gid: number, boot = false): bigint {
    const k = this.k;
    const inode = boot ? this.bootObject("inode") : alloc(k, "inode");
    setField(k, inode, "inode", "i_mode", BigInt(mode));
    setField(k, inode, "inode", "i_uid.val", BigInt(uid));
    setField(k, inode, "inode", "i_gid.val", BigInt(gid));
    setField(k, inode, "inode", "i_sb", m.sb);
    setField(k, inode, "inode", "i_ino", BigInt(ino));
    setField(k, inode, "inode", "__i_nlink", (mode & S_IFDIR) !== 0 ? 2n : 1n);
    setField(k, inode, "inode", "i_size", BigInt(size));
    setField(k, inode, "inode", "i_blkbits", 12n);
    setField(k, inode, "inode", "i_blocks", BigInt(Math.ceil(size / 4096) * 8));
    setField(k, inode, "inode", "i_count.counter", 1n);
    const id = k.btf.findByNameKind("inode", BtfKind.STRUCT);
    if (id !== undefined && inode !== 0n && k.memory.objects.field(id, "i_data")) {
      const mapping = inode + BigInt(k.memory.objects.field(id, "i_data").byteOffset);
      setField(k, inode, "inode", "i_mapping", mapping);
      setField(k, inode, "inode", "i_data.host", inode);
      setField(k, inode, "inode", "i_data.gfp_mask", 0x100cc2n); // GFP_HIGHUSER_MOVABLE
    }
    return inode;
  }

  /** A dentry named `name` under `parent` (itself for a root), for `inode`; the name is stored inline (d_iname) as Linux does for short names. */
  dentry(m: Mount, name: string, parent: bigint, inode: bigint, boot = false): bigint {
    const k = this.k;
    const d = boot ? this.bootObject("dentry") : alloc(k, "dentry");
    setString(k, d, "dentry", "d_iname", name);
    const id = k.btf.findByNameKind("dentry", BtfKind.STRUCT);
    if (id !== undefined) {
      const iname = d + BigInt(k.memory.objects.field(id, "d_iname").byteOffset);
      setField(k, d, "dentry", "d_name.name", iname);
    }
    setField(k, d, "dentry", "d_name.len", BigInt(Buffer.byteLength(name)));
    setField(k, d, "dentry", "d_name.hash", nameHash(name));
    setField(k, d, "dentry", "d_parent", parent === 0n ? d : parent);
    setField(k, d, "dentry", "d_inode", inode);
    setField(k, d, "dentry", "d_sb", m.sb);
    setField(k, d, "dentry", "d_lockref.count", 1n);
    return d;
  }

  /** The mount `path` is on (the longest mount point that prefixes it). */
  mountOf(path: string): Mount {
    let best = this.root;
    for (const m of this.mounts) if ((path === m.spec.at || path.startsWith(m.spec.at === "/" ? "/" : m.spec.at + "/")) && m.spec.at.length > best.spec.at.length) best = m;
    return best;
  }

  /**
   * The dentry of directory `dir` (made with its parents on first use; they
   * stay). With `on`, the directory of that mount's own file system (a
   * mount point, hidden by what is mounted on it); otherwise the one a path
   * walk reaches (a mount's root for a mount point).
   */
  directory(dir: string, on?: Mount): bigint {
    const key = on ? `${on.spec.at}\0${dir}` : dir;
    const made = on ? undefined : this.nodes.get(dir);
    if (made?.dir) return made.dentry;
    const found = this.dirs.get(key) ?? (on && dir === on.spec.at ? on.root : undefined);
    if (found !== undefined) return found;
    const slash = dir.lastIndexOf("/");
    const parent = this.directory(slash <= 0 ? "/" : dir.slice(0, slash), on);
    const m = on ?? this.mountOf(dir);
    const d = this.dentry(m, dir.slice(slash + 1), parent, this.inode(m, S_IFDIR | 0o755, 4096, this.nextDirIno++, 0, 0, true), true);
    this.dirs.set(key, d);
    return d;
  }

  /** The absolute path of `dentry` (as d_path prints it): names up the d_parent chain to its file system's root, under the mount point. */
  pathOf(dentry: bigint): string {
    const k = this.k;
    const names: string[] = [];
    let d = dentry;
    for (let i = 0; i < 64; i++) {
      const parent = k.memory.readField(d, "dentry", "d_parent");
      if (parent === d || parent === 0n) break;
      names.unshift(k.memory.readString(d, "dentry", "d_iname"));
      d = parent;
    }
    const sb = k.memory.readField(d, "dentry", "d_sb");
    const at = this.mounts.find((m) => m.sb === sb)?.spec.at ?? "/";
    return (at === "/" ? "" : at) + "/" + names.join("/");
  }

  /** The directory part of a path ("/" for a top-level name). */
  static parentOf(path: string): string {
    const slash = path.lastIndexOf("/");
    return slash <= 0 ? "/" : path.slice(0, slash);
  }

  static nameOf(path: string): string {
    return path.slice(path.lastIndexOf("/") + 1);
  }

  /** A new inode number on `m`'s file system. */
  allocIno(m: Mount): number {
    const n = this.nextIno.get(m.spec.id) ?? 1000;
    this.nextIno.set(m.spec.id, n + 1);
    return n;
  }

  /**
   * The node at `path`, if it exists: a made one, or one of FILES met for
   * the first time (its dentry and inode made now, under the dentries of its
   * directories, its times up to 30 days before boot and its generation
   * drawn from `rng`).
   */
  node(path: string, rng: Rng): FsNode | undefined {
    const n = this.nodes.get(path);
    if (n) return n;
    const spec = this.lookup(path);
    if (!spec) return undefined;
    const k = this.k;
    const mount = this.mountOf(spec.path);
    const inode = this.inode(mount, spec.mode, spec.size, spec.ino, spec.uid, spec.gid);
    setField(k, inode, "inode", "i_generation", BigInt(rng.u32()));
    const atime = BOOT_WALL_SECONDS - BigInt(rng.int(0, 30 * 86400));
    setField(k, inode, "inode", "i_atime.tv_sec", atime);
    setField(k, inode, "inode", "i_mtime.tv_sec", atime);
    setField(k, inode, "inode", "__i_ctime.tv_sec", atime);
    const dentry = this.dentry(mount, Vfs.nameOf(spec.path), this.directory(Vfs.parentOf(spec.path)), inode);
    // In the dcache, unused until something opens it.
    setField(k, dentry, "dentry", "d_lockref.count", 0n);
    return this.add(spec.path, mount, dentry, inode, spec.mode, spec.ino);
  }

  /** Registers a node made by a create (its dentry instantiated with its inode). */
  add(path: string, mount: Mount, dentry: bigint, inode: bigint, mode: number, ino: number): FsNode {
    const id = this.k.btf.findByNameKind("inode", BtfKind.STRUCT)!;
    const node: FsNode = {
      path,
      mount,
      dentry,
      inode,
      mapping: inode + BigInt(this.k.memory.objects.field(id, "i_data").byteOffset),
      mode,
      ino,
      dir: (mode & S_IFDIR) !== 0,
      pages: new Map(),
      dirty: new Set(),
      writeback: new Set(),
      opens: 0,
      unlinked: false,
      sector: VDA1_START_SECT + BigInt(ino % 4093) * 2048n,
      raMark: -1,
    };
    this.nodes.set(path, node);
    this.byMapping.set(node.mapping, node);
    return node;
  }

  /** The node's inode is gone (evicted): forget it. */
  forget(node: FsNode): void {
    this.byMapping.delete(node.mapping);
    if (this.nodes.get(node.path) === node) this.nodes.delete(node.path);
  }

  /** Takes `node` out of the tree (unlink, rmdir, or the target of a rename). */
  remove(node: FsNode): void {
    if (this.nodes.get(node.path) === node) this.nodes.delete(node.path);
    node.unlinked = true;
  }

  /** Moves `node` to `to` (rename): its dentry takes the new name. */
  move(node: FsNode, to: string): void {
    if (this.nodes.get(node.path) === node) this.nodes.delete(node.path);
    node.path = to;
    this.nodes.set(to, node);
    const name = Vfs.nameOf(to);
    setString(this.k, node.dentry, "dentry", "d_iname", name);
    setField(this.k, node.dentry, "dentry", "d_name.len", BigInt(Buffer.byteLength(name)));
    setField(this.k, node.dentry, "dentry", "d_name.hash", nameHash(name));
    setField(this.k, node.dentry, "dentry", "d_parent", this.directory(Vfs.parentOf(to)));
  }

  /** A struct file for an open of `node` with open flags `flags` and FMODE bits `fmode`. */
  openFile(node: FsNode, file: bigint, flags: bigint, fmode: bigint): void {
    const k = this.k;
    setField(k, file, "file", "f_path.mnt", node.mount.mnt);
    setField(k, file, "file", "f_path.dentry", node.dentry);
    setField(k, file, "file", "f_inode", node.inode);
    setField(k, file, "file", "f_mapping", node.mapping);
    setField(k, file, "file", "f_flags", flags);
    setField(k, file, "file", "f_mode", fmode);
    setField(k, file, "file", "f_count.counter", 1n);
    setField(k, file, "file", "f_ra.ra_pages", 32n);
    node.opens++;
  }
}
