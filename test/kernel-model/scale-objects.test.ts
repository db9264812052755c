// Scale mode's argument objects on the real vmlinux 6.18 BTF (issue #18):
// struct pointers point to zero-filled objects of their type with pointer
// members one level down, task_struct pointers to the model's tasks, char
// pointers to strings, __user pointers stay user addresses; the same seed
// gives the same objects, and the pools stay bounded over long runs.
import { describe, expect, it } from "vitest";
import { sizeOf } from "../../src/btf/layout.js";
import { BtfKind } from "../../src/btf/kinds.js";
import type { CallFrame } from "../../src/kernel-model/functions.js";
import type { Kernel } from "../../src/kernel-model/kernel.js";
import { buildScaleKernel, runRandomCalls, SCALE_TASKS, scaleObjectsOf } from "../../src/kernel-model/scale.js";
import { MAX_POOLED_BYTES, SCALE_STRINGS } from "../../src/kernel-model/scale-objects.js";
import { vmlinuxBtf } from "../helpers/fixtures.js";

const btf = vmlinuxBtf();

/** Runs random calls of `name` only and returns the first `n` calls' frames, inspected while the call runs. */
function callsOf<T>(k: Kernel, name: string, n: number, inspect: (c: CallFrame) => T): T[] {
  const fn = k.functions.named(name)[0]!;
  const seen: T[] = [];
  const detach = k.functions.attach(fn, { entry: (c) => void (seen.length < n && seen.push(inspect(c))) });
  runRandomCalls(k, n, undefined, [fn]);
  detach();
  return seen;
}

function isZero(k: Kernel, addr: bigint, size: number): boolean {
  const b = new Uint8Array(size);
  return k.memory.readKernel(b, addr) === 0 && b.every((x) => x === 0);
}

describe("scale mode argument objects", () => {
  it("ip_send_skb(net, skb): skb is a zero-filled sk_buff from skbuff_head_cache whose sk points to a zero-filled struct sock", () => {
    const k = buildScaleKernel(btf, { seed: 3 });
    const sock = btf.findByNameKind("sock", BtfKind.STRUCT)!;
    const rows = callsOf(k, "ip_send_skb", 20, (c) => {
      const skb = c.args[1]!;
      const sk = k.memory.readField(skb, "sk_buff", "sk");
      return {
        cache: k.memory.slab.cacheOf(skb)?.name,
        len: k.memory.readField(skb, "sk_buff", "len"),
        skNonNull: sk !== 0n,
        skZero: isZero(k, sk, sizeOf(btf, sock)),
        skLive: k.memory.slab.cacheOf(sk)?.isLive(sk),
        netLive: k.memory.slab.cacheOf(c.args[0]!)?.isLive(c.args[0]!),
      };
    });
    expect(rows).toHaveLength(20);
    for (const r of rows) expect(r).toEqual({ cache: "skbuff_head_cache", len: 0n, skNonNull: true, skZero: true, skLive: true, netLive: true });
  });

  it("vfs_read(file, buf, count, pos): file->f_inode is a zero-filled inode (i_mode 0); count is a small integer", () => {
    const k = buildScaleKernel(btf, { seed: 4 });
    const rows = callsOf(k, "vfs_read", 10, (c) => {
      const inode = k.memory.readField(c.args[0]!, "file", "f_inode");
      return [k.memory.slab.cacheOf(c.args[0]!)?.name, k.memory.slab.cacheOf(inode)?.name, k.memory.readField(inode, "inode", "i_mode"), c.args[2]! <= 4096n];
    });
    for (const r of rows) expect(r).toEqual(["filp", "inode_cache", 0n, true]);
  });

  it("task_struct arguments are the model's tasks: pid and comm read through the pointer are the task's", () => {
    const k = buildScaleKernel(btf, { seed: 5 });
    const rows = callsOf(k, "wake_up_process", 40, (c) => {
      const p = c.args[0]!;
      const task = [...k.tasks.all(), ...k.tasks.idle].find((t) => t.taskAddress === p);
      return { known: task !== undefined, pid: k.memory.readField(p, "task_struct", "pid"), comm: k.memory.readString(p, "task_struct", "comm"), want: task && { pid: BigInt(task.pid), comm: task.comm } };
    });
    for (const r of rows) expect({ pid: r.pid, comm: r.comm }).toEqual(r.want);
    // Several different tasks, by pid, among SCALE_TASKS and the idle tasks.
    expect(new Set(rows.map((r) => r.pid)).size).toBeGreaterThan(3);
    expect(k.tasks.all().map((t) => t.comm)).toEqual(SCALE_TASKS.map((t) => t[0]));
  });

  it("the calling task is a real task: the current task_struct's pid and comm are the call's", () => {
    const k = buildScaleKernel(btf, { seed: 6 });
    const rows = callsOf(k, "vfs_read", 200, (c) => {
      const cur = k.current();
      return [c.pid, Number(k.memory.readField(cur.taskAddress, "task_struct", "pid")), k.memory.readString(cur.taskAddress, "task_struct", "comm") === cur.comm];
    });
    for (const [pid, read, commOk] of rows) expect([read, commOk]).toEqual([pid, true]);
    expect(new Set(rows.map((r) => r[0])).size).toBeGreaterThan(3); // CPUs switch between tasks
  });

  it("char * arguments point to NUL-terminated strings in kernel memory", () => {
    const k = buildScaleKernel(btf, { seed: 7 });
    const rows = callsOf(k, "kstrtoint", 30, (c) => {
      // Byte by byte up to the NUL, as probe_read_kernel_str: the string's kmalloc object ends there.
      let s = "";
      const b = new Uint8Array(1);
      for (let a = c.args[0]!; s.length < 32; a++) {
        expect(k.memory.readKernel(b, a)).toBe(0);
        if (b[0] === 0) break;
        s += String.fromCharCode(b[0]!);
      }
      return s;
    });
    for (const s of rows) expect(SCALE_STRINGS).toContain(s);
    expect(new Set(rows).size).toBeGreaterThan(3);
  });

  it("a pointer to a pointer (skb_cow_data's struct sk_buff **trailer) points to a zero-filled 8-byte object (a NULL struct sk_buff *)", () => {
    const k = buildScaleKernel(btf, { seed: 11 });
    const rows = callsOf(k, "skb_cow_data", 10, (c) => {
      const trailer = c.args[2]!;
      const b = new Uint8Array(8);
      return [k.memory.readKernel(b, trailer), b.every((x) => x === 0), k.memory.slab.cacheOf(trailer)?.name];
    });
    for (const r of rows) expect(r).toEqual([0, true, "kmalloc-8"]);
  });

  it("__alloc_skb returns an sk_buff from skbuff_head_cache (or NULL), whose sk points to a zero-filled struct sock", () => {
    const k = buildScaleKernel(btf, { seed: 12 });
    const fn = k.functions.named("__alloc_skb")[0]!;
    const rets: bigint[] = [];
    const detach = k.functions.attach(fn, { exit: (_c, ret) => void rets.push(ret) });
    runRandomCalls(k, 200, undefined, [fn]);
    detach();
    const nonNull = rets.filter((r) => r !== 0n);
    // NULL at ERROR_RATE (2%): a handful in 200.
    expect(nonNull.length).toBeGreaterThan(180);
    for (const skb of nonNull) {
      expect(k.memory.slab.cacheOf(skb)?.name).toBe("skbuff_head_cache");
      const sk = k.memory.readField(skb, "sk_buff", "sk");
      expect([sk !== 0n, k.memory.readField(sk, "sock", "sk_rcvbuf")]).toEqual([true, 0n]);
    }
  });

  it("the same seed gives the same addresses; another seed other ones", () => {
    const addrs = (seed: number) => callsOf(buildScaleKernel(btf, { seed }), "ip_send_skb", 30, (c) => c.args.join(","));
    expect(addrs(8)).toEqual(addrs(8));
    expect(addrs(8)).not.toEqual(addrs(9));
  });

  it("over many random calls the pools stay under their byte cap and the slab pages stop growing", () => {
    const k = buildScaleKernel(btf, { seed: 10 });
    runRandomCalls(k, 100_000);
    const early = k.memory.usage();
    runRandomCalls(k, 100_000);
    const late = k.memory.usage();
    const pools = scaleObjectsOf(k)!.usage();
    expect(pools.bytes).toBeLessThanOrEqual(MAX_POOLED_BYTES);
    expect(Math.abs(late.liveObjects - early.liveObjects)).toBeLessThan(early.liveObjects / 10);
    expect(late.bufferBytes).toBeLessThanOrEqual(early.bufferBytes + 2 * 1024 * 1024);
  }, 60_000);
});
