// The synthetic kernel's memory stays bounded however long a workload runs:
// every object a call path allocates is freed (files, dentries and inodes
// on close, skbs, requests, bios, BPF objects), user buffers are freed and
// their heap reused, and each process keeps at most MAX_MAPPINGS mappings.
// Issue #15: the fs workload grew by ~22,000 slab objects and ~100 MB of page
// buffers per simulated second.
import { describe, expect, it } from "vitest";
import { MAX_MAPPINGS } from "../../src/kernel-model/paths/mm.js";
import { SyntheticKernel, WORKLOADS } from "../../src/kernel-model/synthetic.js";

/** 250 steps per simulated second: 30 s is 7,500 steps, about 3 s of CPU for the slowest workloads (fs, sched, mixed). */
const RATE = 250;

function snapshot(k: SyntheticKernel) {
  const u = k.memory.usage();
  const vmas = k.memory.slab.cache("vm_area_struct")?.stats.active ?? 0;
  return { objects: u.liveObjects - vmas, vmas, bufferBytes: u.bufferBytes, userMappedBytes: u.userMappedBytes, openFiles: k.world.files.size, inflight: k.world.inflight.length };
}

describe("synthetic kernel memory over long runs", () => {
  // Warmed up for 10 s (caches, the page cache and the dcache fill, timers and kworkers settle), then 20 s more.
  it.each(WORKLOADS)("%s: live objects and page buffers are the same after 10 s and 30 s simulated", (w) => {
    const k = new SyntheticKernel({ seed: 11 });
    k.run(w, { durationNs: 10_000_000_000n, rate: RATE });
    const early = snapshot(k);
    k.run(w, { durationNs: 20_000_000_000n, rate: RATE });
    const late = snapshot(k);
    // Objects other than mappings: the same number, give or take what is in flight at that instant
    // (requests, queued skbs, kmalloc'd buffers of a syscall or a work item).
    expect(Math.abs(late.objects - early.objects)).toBeLessThanOrEqual(8);
    // Mappings fill up to their per-process cap and stay there.
    expect(late.vmas).toBeLessThanOrEqual(k.tasks.all().length * MAX_MAPPINGS);
    // The pages behind them: at most a few more slab pages (the mappings' cache filling up).
    expect(late.bufferBytes).toBeLessThanOrEqual(early.bufferBytes + 64 * 1024);
    // Every user buffer is freed when its syscall is done, every file closed.
    expect([late.userMappedBytes, late.openFiles]).toEqual([0, 0]);
    expect(late.inflight).toBeLessThanOrEqual(2);
  });

  it("a closed file's struct file is freed (filp_close -> fput -> __fput -> dput); its dentry and inode stay cached while the file exists and go with its unlink (iput -> evict)", () => {
    const k = new SyntheticKernel({ seed: 4 });
    const calls: string[] = [];
    k.functions.onCall = (c) => {
      if (["filp_close", "fput", "__fput", "dput", "iput", "evict"].includes(c.fn.name)) calls.push(c.fn.name);
    };
    const caches = ["filp", "dentry", "inode_cache"];
    k.run("fs", { count: 400 });
    // Callees return first: __fput's dput, __fput, fput, filp_close for each close.
    const first = calls.indexOf("filp_close");
    expect(calls.slice(first - 3, first + 1)).toEqual(["dput", "__fput", "fput", "filp_close"]);
    expect(calls.filter((n) => n === "__fput").length).toBe(calls.filter((n) => n === "filp_close").length);
    // Every file is closed; the dentry and inode caches hold the files that exist (the dcache and icache), nothing else.
    const files = k.world.vfs.nodes.size;
    expect(files).toBe(9);
    expect(caches.map((c) => k.memory.slab.cache(c)?.stats.active)).toEqual([0, files, files]);
    // Each inode freed was evicted.
    const inodes = k.memory.slab.cache("inode_cache")!.stats;
    expect(inodes.frees).toBe(calls.filter((n) => n === "evict").length);
    expect(inodes.frees).toBe(inodes.allocs - files);
  });

  it("a file opened after another was closed gets the lowest free descriptor (3)", () => {
    const k = new SyntheticKernel({ seed: 4 });
    const fds: bigint[] = [];
    k.functions.onCall = (c, ret) => {
      if (c.fn.name === "do_sys_openat2" && BigInt.asIntN(64, ret) >= 0n) fds.push(ret);
    };
    k.run("fs", { count: 300 });
    expect(fds.length).toBeGreaterThan(100);
    expect(new Set(fds)).toEqual(new Set([3n]));
  });
});
