// The file system tree the fs paths open files in: mounts (a vfsmount and a
// super_block each: ext4 on vda1 at /, proc at /proc, tmpfs at /tmp), each
// with its root dentry "/" (its own d_parent, as Linux's roots are), the
// directories under them (dentries with d_parent chains, inodes S_IFDIR),
// and, per open, a file whose f_path is {mnt, dentry} of a named leaf dentry
// (d_name.name pointing at its inline d_iname, len and hash set) and whose
// inode has the file's mode, size, number, owner and super_block.
// Mount roots and directories live for the whole run (the dcache keeps
// them); they come from kmalloc caches, so the dentry and inode_cache slabs
// hold only what an open made and close frees (filp_close -> dput -> iput).
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
const BOOT_WALL_SECONDS = 1796083200n;

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

/** O_RDWR | O_LARGEFILE (f_flags of an open for reading and writing). */
const O_RDWR_LARGEFILE = 0o2n | 0o100000n;
/** FMODE_READ | FMODE_WRITE | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_CAN_READ | FMODE_CAN_WRITE. */
const FMODE_RDWR = 0x1n | 0x2n | 0x4n | 0x8n | 0x10n | 0x20000n | 0x40000n;

export interface Mount {
  spec: MountSpec;
  /** The struct mount (0 if the headers have none) and its embedded vfsmount (what f_path.mnt points at). */
  mount: bigint;
  mnt: bigint;
  sb: bigint;
  root: bigint;
}

/** What an open made: the file, its dentry and inode (freed by filp_close -> dput -> iput). */
export interface OpenedFile {
  file: bigint;
  dentry: bigint;
  inode: bigint;
  spec: FileSpec;
  mount: Mount;
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

  constructor(private readonly k: Kernel) {
    this.mounts = [];
    MOUNTS.forEach((spec, i) => this.mounts.push(this.mount(spec, i, this.mounts[0])));
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

  /** An inode on `m`'s file system. */
  private inode(m: Mount, mode: number, size: number, ino: number, uid: number, gid: number, boot = false): bigint {
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
    return inode;
  }

  /** A dentry named `name` under `parent` (itself for a root), for `inode`; the name is stored inline (d_iname) as Linux does for short names. */
  private dentry(m: Mount, name: string, parent: bigint, inode: bigint, boot = false): bigint {
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
  private directory(dir: string, on?: Mount): bigint {
    const key = on ? `${on.spec.at}\0${dir}` : dir;
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

  /**
   * Opens `spec`'s file (as do_filp_open does once the path walk found it): a
   * new file, dentry and inode; the file's f_path is the mount and the
   * dentry, under the dentries of its directories. The model makes the
   * inode anew at each open: its generation number (random, as ext4 gives
   * a new inode) and its access time (up to 30 days before boot) are drawn
   * from `rng` each time.
   */
  open(spec: FileSpec, rng: Rng): OpenedFile {
    const k = this.k;
    const slash = spec.path.lastIndexOf("/");
    const parent = this.directory(slash <= 0 ? "/" : spec.path.slice(0, slash));
    const mount = this.mountOf(spec.path);
    const inode = this.inode(mount, spec.mode, spec.size, spec.ino, spec.uid, spec.gid);
    setField(k, inode, "inode", "i_generation", BigInt(rng.u32()));
    const atime = BOOT_WALL_SECONDS - BigInt(rng.int(0, 30 * 86400));
    setField(k, inode, "inode", "i_atime.tv_sec", atime);
    setField(k, inode, "inode", "i_mtime.tv_sec", atime);
    setField(k, inode, "inode", "__i_ctime.tv_sec", atime);
    const dentry = this.dentry(mount, spec.path.slice(slash + 1), parent, inode);
    const file = alloc(k, "file");
    setField(k, file, "file", "f_path.mnt", mount.mnt);
    setField(k, file, "file", "f_path.dentry", dentry);
    setField(k, file, "file", "f_inode", inode);
    setField(k, file, "file", "f_flags", O_RDWR_LARGEFILE);
    setField(k, file, "file", "f_mode", FMODE_RDWR);
    setField(k, file, "file", "f_count.counter", 1n);
    return { file, dentry, inode, spec, mount };
  }
}
