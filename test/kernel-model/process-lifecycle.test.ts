// Processes of the synthetic kernel: bash forks a child (clone ->
// kernel_clone -> copy_process -> wake_up_new_task), the child execs
// (execve -> ... -> __set_task_comm) and exits (exit_group -> do_exit),
// bash reaps it (wait4 -> do_wait -> release_task) and takes its SIGCHLD;
// every object the child had is freed. Driven through the process paths on
// fresh kernels, and once through the tracer.
import { describe, expect, it } from "vitest";
import type { Kernel } from "../../src/kernel-model/kernel.js";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import type { Task } from "../../src/kernel-model/tasks.js";
import type { TracepointHit } from "../../src/kernel-model/tracepoints.js";
import { forkAndWait, lifecycleCounts, processStep, userExec, userSleep, userSyscall } from "../../src/kernel-model/paths/process.js";
import { runNow } from "../../src/kernel-model/paths/sched.js";
import { touchMemory } from "../../src/kernel-model/paths/oom.js";
import { killWhileAsleep } from "../../src/kernel-model/paths/signal.js";
import { syscall } from "../../src/kernel-model/paths/syscalls.js";
import { readFileSync } from "node:fs";
import { BpfObject } from "../../src/loader/object.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import { runCli } from "../helpers/cli.js";

const LIFECYCLE = ["task_newtask", "sched_process_fork", "sched_wakeup_new", "sched_process_wait", "task_rename", "sched_process_exec", "sched_process_exit", "signal_generate", "sched_process_free", "signal_deliver"];

/** A kernel with bash (pid 7) running on its CPU, and every lifecycle event recorded as name + decoded fields. */
function boot(seed = 5) {
  const k = new SyntheticKernel({ seed });
  // The boot tasks: systemd 1, kthreadd 2, sshd 3, curl 4, nginx 5, postgres 6, kworker/0:1 7, bash 8, iperf3 9.
  const bash = k.tasks.get(8)!;
  expect(bash.comm).toBe("bash");
  runNow(k, bash);
  const events: { name: string; v: Record<string, bigint | string>; hit: TracepointHit }[] = [];
  for (const tp of k.tracepoints.all()) {
    if (!LIFECYCLE.includes(tp.name) && tp.category !== "oom") continue;
    k.tracepoints.attach(tp, (hit) => {
      const v: Record<string, bigint | string> = {};
      const dv = new DataView(hit.record.buffer, hit.record.byteOffset);
      for (const f of tp.fields) {
        if (f.decl.startsWith("char ")) v[f.name] = Buffer.from(hit.record.subarray(f.offset, f.offset + f.size)).toString("latin1").replace(/\0.*$/s, "");
        else if (f.decl.startsWith("__data_loc")) {
          const loc = dv.getUint32(f.offset, true);
          v[f.name] = Buffer.from(hit.record.subarray(loc & 0xffff, (loc & 0xffff) + (loc >>> 16) - 1)).toString("utf8");
        } else if (f.size === 8) v[f.name] = f.signed ? dv.getBigInt64(f.offset, true) : dv.getBigUint64(f.offset, true);
        else if (f.size === 4) v[f.name] = BigInt(f.signed ? dv.getInt32(f.offset, true) : dv.getUint32(f.offset, true));
        else if (f.size === 2) v[f.name] = BigInt(f.signed ? dv.getInt16(f.offset, true) : dv.getUint16(f.offset, true));
      }
      events.push({ name: tp.name, v, hit });
    });
  }
  return { k, bash, events };
}

const rf = (k: Kernel, addr: bigint, type: string, path: string) => k.memory.readField(addr, type, path);
/** A NUL-terminated kernel string, read a byte at a time (as probe_read_kernel_str stops at the NUL, never past the object). */
function kstr(k: Kernel, addr: bigint): string {
  const out: number[] = [];
  const b = new Uint8Array(1);
  for (let i = 0n; i < 256n && k.memory.readKernel(b, addr + i) === 0 && b[0] !== 0; i++) out.push(b[0]!);
  return Buffer.from(out).toString("utf8");
}

describe("fork, exec, exit, wait", () => {
  it("bash runs ls: the events in order, with the child's pid, comms, filename and bash's SIGCHLD", () => {
    const { k, bash, events } = boot();
    const status = forkAndWait(k, bash, (kk, t) => void userExec(kk, t, "/usr/bin/ls", ["ls", "-l"]));
    expect(status).toBe(0);
    expect(events.map((e) => e.name)).toEqual(LIFECYCLE);
    const by = (name: string) => events.find((e) => e.name === name)!.v;
    expect(by("task_newtask")).toEqual({ pid: 10n, comm: "bash", clone_flags: 0n, oom_score_adj: 0n });
    expect(by("sched_process_fork")).toEqual({ parent_comm: "bash", parent_pid: 8n, child_comm: "bash", child_pid: 10n });
    expect(by("sched_process_wait")).toEqual({ comm: "bash", pid: 8n, prio: 120n });
    expect(by("task_rename")).toEqual({ pid: 10n, oldcomm: "bash", newcomm: "ls", oom_score_adj: 0n });
    expect(by("sched_process_exec")).toEqual({ filename: "/usr/bin/ls", pid: 10n, old_pid: 10n });
    expect(by("sched_process_exit")).toEqual({ comm: "ls", pid: 10n, prio: 120n });
    // SIGCHLD (17) to bash, a group signal, CLD_EXITED, delivered (result 0); bash's handler takes it.
    expect(by("signal_generate")).toEqual({ sig: 17n, errno: 0n, code: 1n, comm: "bash", pid: 8n, group: 1n, result: 0n });
    expect(by("sched_process_free")).toEqual({ comm: "ls", pid: 10n, prio: 120n });
    expect(by("signal_deliver")).toEqual({ sig: 17n, errno: 0n, code: 1n, sa_handler: 0x401000n + 17n * 0x40n, sa_flags: 0x14000000n });
    // Who ran each: the fork, wait and SIGCHLD delivery in bash; the exec and exit in the child.
    expect(events.map((e) => e.hit.pid)).toEqual([8, 8, 8, 8, 10, 10, 10, 10, 8, 8]);
    expect(k.tasks.get(10)).toBeUndefined();
    expect(lifecycleCounts(k)).toEqual({ forks: 1, reaped: 1 });
  });

  it("the wait status: exit codes, a missing command (127), a signal's number", () => {
    const { k, bash } = boot();
    expect(forkAndWait(k, bash, (kk, t) => void userSyscall(kk, t, "exit_group", [3n]))).toBe(3 << 8);
    expect(
      forkAndWait(k, bash, (kk, t) => {
        expect(userExec(kk, t, "/usr/bin/sl", ["sl"])).toBe(BigInt.asUintN(64, -2n)); // -ENOENT
        userSyscall(kk, t, "exit_group", [127n]);
      }),
    ).toBe(127 << 8);
    // sleep 10, stopped by systemd's SIGTERM: nanosleep is interrupted (-EINTR) and the default action ends it.
    let slept = 0n;
    expect(
      forkAndWait(k, bash, (kk, t) => {
        userExec(kk, t, "/usr/bin/sleep", ["sleep", "10"]);
        killWhileAsleep(kk, t, 15);
        slept = userSleep(kk, t, 10_000_000);
      }),
    ).toBe(15);
    expect(slept).toBe(BigInt.asUintN(64, -4n));
    expect(lifecycleCounts(k)).toEqual({ forks: 3, reaped: 3 });
  });

  it("what a child is given: its own cred, mm, files, fs, signal and sighand; bash's cgroup; its pid in thread_pid and signal->pids", () => {
    const { k, bash } = boot();
    const seen: Record<string, bigint | string> = {};
    forkAndWait(k, bash, (kk, t) => {
      const ts = t.taskAddress;
      const f = (p: string) => rf(kk, ts, "task_struct", p);
      for (const p of ["cred", "mm", "files", "fs", "signal", "sighand"]) seen[`${p} differs from bash's`] = f(p) !== rf(kk, bash.taskAddress, "task_struct", p) && f(p) !== 0n ? "yes" : "no";
      seen.real_cred = f("real_cred") === f("cred") ? "same" : "other";
      seen.uid = rf(kk, f("cred"), "cred", "uid.val");
      seen.parent = rf(kk, f("real_parent"), "task_struct", "pid");
      seen.cgroup = kstr(kk, rf(kk, rf(kk, rf(kk, f("cgroups"), "css_set", "dfl_cgrp"), "cgroup", "kn"), "kernfs_node", "name"));
      seen.level = rf(kk, rf(kk, f("cgroups"), "css_set", "dfl_cgrp"), "cgroup", "level");
      const pid = f("thread_pid");
      seen.pidnr = rf(kk, pid + BigInt(kk.memory.objects.field("pid", "numbers").byteOffset), "upid", "nr");
      seen.tgidPid = rf(kk, f("signal"), "signal_struct", "pids[1]") === pid ? "own" : "other";
      seen.session = rf(kk, f("signal"), "signal_struct", "pids[3]") === rf(kk, rf(kk, bash.taskAddress, "task_struct", "signal"), "signal_struct", "pids[3]") ? "bash's" : "other";
      seen.nr_threads = rf(kk, f("signal"), "signal_struct", "nr_threads");
      seen.nofile = rf(kk, f("signal"), "signal_struct", "rlim[7].rlim_cur");
      seen.mm_users = rf(kk, f("mm"), "mm_struct", "mm_users.counter");
      seen.owner = rf(kk, f("mm"), "mm_struct", "owner") === ts ? "child" : "other";
      seen.cfs_rq_cpu = rf(kk, rf(kk, rf(kk, ts, "task_struct", "se.cfs_rq"), "cfs_rq", "rq"), "rq", "cpu");
      seen.cpu = BigInt(t.cpu);
    });
    expect(seen).toEqual({
      "cred differs from bash's": "yes",
      "mm differs from bash's": "yes",
      "files differs from bash's": "yes",
      "fs differs from bash's": "yes",
      "signal differs from bash's": "yes",
      "sighand differs from bash's": "yes",
      real_cred: "same",
      uid: 0n,
      parent: 8n,
      cgroup: "session-1.scope",
      level: 3n,
      pidnr: 10n,
      tgidPid: "own",
      session: "bash's",
      nr_threads: 1n,
      nofile: 1024n,
      mm_users: 1n,
      owner: "child",
      cfs_rq_cpu: seen.cpu,
      cpu: seen.cpu,
    });
  });

  it("sh forks cat: a grandchild of bash, parented to sh, reaped by sh before sh exits", () => {
    const { k, bash, events } = boot();
    forkAndWait(k, bash, (kk, sh) => {
      userExec(kk, sh, "/bin/sh", ["sh", "-c", "cat"]);
      expect(forkAndWait(kk, sh, (k3, cat) => void userExec(k3, cat, "/usr/bin/cat", ["cat"]))).toBe(0);
    });
    const forks = events.filter((e) => e.name === "sched_process_fork").map((e) => [e.v.parent_comm, e.v.parent_pid, e.v.child_pid]);
    expect(forks).toEqual([
      ["bash", 8n, 10n],
      ["sh", 10n, 11n],
    ]);
    expect(events.filter((e) => e.name === "sched_process_exit").map((e) => [e.v.comm, e.v.pid])).toEqual([
      ["cat", 11n],
      ["sh", 10n],
    ]);
    expect(events.filter((e) => e.name === "sched_process_free").map((e) => e.v.pid)).toEqual([11n, 10n]);
  });

  it("the OOM killer picks the process that touched more memory than the machine has", () => {
    const { k, bash, events } = boot();
    const status = forkAndWait(k, bash, (kk, t) => {
      userExec(kk, t, "/usr/bin/python3", ["python3", "hog.py"]);
      touchMemory(kk, t);
    });
    expect(status).toBe(9); // SIGKILL
    const oom = events.filter((e) => ["mark_victim", "wake_reaper", "start_task_reaping", "finish_task_reaping"].includes(e.name));
    expect(oom.map((e) => [e.name, e.v.pid])).toEqual([
      ["mark_victim", 10n],
      ["wake_reaper", 10n],
      ["start_task_reaping", 10n],
      ["finish_task_reaping", 10n],
    ]);
    // Four 1 GiB steps: the fourth reaches the machine's 4 GiB (1 Mi pages = 4194304 KiB anon, 2048 pages of page tables = 8192 KiB);
    // the mm's total_vm is python3's text, data and stack plus those pages.
    const v = oom[0]!.v;
    expect([v.comm, v.anon_rss, v.file_rss, v.uid, v.oom_score_adj, v.pgtables]).toEqual(["python3", 4194304n, 0n, 0n, 0n, 8192n]);
    expect(v.total_vm).toBe((0x2b0000n + 0x4000n + (132n << 10n)) / 4096n + 1048576n);
    expect(k.groundTruth("out_of_memory")).toBe(1);
    expect(k.groundTruth("signal:signal_generate")).toBe(2); // SIGKILL to python3, SIGCHLD to bash
  });
});

describe("task lists", () => {
  it("init_task.tasks links every process (for_each_process); a child is on it while it lives, gone after it is reaped", () => {
    const { k, bash } = boot();
    const init = k.tasks.idle[0]!.taskAddress;
    const off = BigInt(k.memory.objects.field("task_struct", "tasks").byteOffset);
    const walk = () => {
      const pids: bigint[] = [];
      for (let at = rf(k, init + off, "list_head", "next"); at !== init + off && pids.length < 100; at = rf(k, at, "list_head", "next")) pids.push(rf(k, at - off, "task_struct", "pid"));
      return pids;
    };
    expect(walk()).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
    let inside: bigint[] = [];
    forkAndWait(k, bash, (kk, t) => {
      inside = walk();
      // its thread group's list holds just itself
      const sig = rf(kk, t.taskAddress, "task_struct", "signal");
      const head = sig + BigInt(kk.memory.objects.field("signal_struct", "thread_head").byteOffset);
      expect(rf(kk, head, "list_head", "next")).toBe(t.taskAddress + BigInt(kk.memory.objects.field("task_struct", "thread_node").byteOffset));
    });
    expect(inside).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n]);
    expect(walk()).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
  });
});

describe("objects are freed", () => {
  it("a job leaves the slab as it found it: task_struct, mm, files, fs, cred, pid, signal, sighand, sigqueue, bprm", () => {
    const { k, bash } = boot();
    // Linux's cache names: task_struct, mm_struct, files_cache, fs_cache, cred_jar, signal_cache, sighand_cache, sigqueue.
    const caches = ["task_struct", "mm_struct", "files_cache", "fs_cache", "cred_jar", "signal_cache", "sighand_cache", "sigqueue"];
    const active = () => caches.map((c) => k.memory.slab.cache(c)?.stats.active ?? 0);
    let during: number[] = [];
    const job = (kk: Kernel, t: Task) => {
      userExec(kk, t, "/usr/bin/cat", ["cat"]);
      during = active();
      userSleep(kk, t, 40_000);
    };
    forkAndWait(k, bash, job); // bash's first syscalls allocate its saved registers
    const before = k.memory.usage();
    const live = active();
    forkAndWait(k, bash, job);
    // While cat ran: one more of each (its exec replaced the mm fork copied); no signal queued.
    expect(during).toEqual(live.map((n, i) => n + (i < 7 ? 1 : 0)));
    expect(active()).toEqual(live);
    expect(k.memory.usage().liveObjects).toBe(before.liveObjects);
    expect(k.memory.usage().userMappedBytes).toBe(before.userMappedBytes);
    expect(k.memory.hasUserSpace(11)).toBe(false);
  });

  it("10,000 sched-workload process steps: every task forked is reaped, the task table and live objects stay where they were", () => {
    const k = new SyntheticKernel({ seed: 9 });
    for (let i = 0; i < 200; i++) processStep(k);
    const early = { objects: k.memory.usage().liveObjects, tasks: k.tasks.size, user: k.memory.usage().userMappedBytes };
    for (let i = 0; i < 10_000; i++) processStep(k);
    const late = { objects: k.memory.usage().liveObjects, tasks: k.tasks.size, user: k.memory.usage().userMappedBytes };
    expect(late).toEqual(early);
    const { forks, reaped } = lifecycleCounts(k);
    expect(forks).toBe(reaped);
    expect(forks).toBeGreaterThan(10_200);
    // pids advanced past every fork
    expect(Math.max(...k.tasks.all().map((t) => t.pid))).toBe(9);
  }, 120_000);
});

describe("through the tracer", () => {
  it("task:task_rename and raw_tp:sched_process_exec show the comm change and the binary a BPF program reads from bprm", async () => {
    const rename = await runCli("tracepoint:task:task_rename(pid, oldcomm, newcomm)", "--workload", "sched", "-c", "4", "--seed", "3", "--json");
    const exec = await runCli("raw_tp:sched_process_exec(p->pid, p->comm, old_pid, bprm->filename)", "--workload", "sched", "-c", "4", "--seed", "3", "--json");
    expect([rename.code, exec.code]).toEqual([0, 0]);
    const vals = (out: string) => out.trim().split("\n").map((l) => (JSON.parse(l) as { values: { value: unknown }[] }).values.map((v) => v.value));
    const renames = vals(rename.out);
    const execs = vals(exec.out);
    // The same seed replays the same jobs: each exec renames its task to the binary's basename.
    const k = new SyntheticKernel({ seed: 3 });
    const expected: unknown[][] = [];
    k.tracepoints.attach(k.tracepoints.get("sched", "sched_process_exec")!, (h) => {
      const t = k.tasks.get(h.pid)!;
      if (expected.length < 4) expected.push([t.pid, t.comm, t.pid]);
    });
    k.run("sched", { count: 200 });
    const paths: Record<string, string> = { cat: "/usr/bin/cat", ls: "/usr/bin/ls", sh: "/bin/sh", sleep: "/usr/bin/sleep", chrt: "/usr/bin/chrt", make: "/usr/bin/make", python3: "/usr/bin/python3" };
    expect(execs).toEqual(expected.map(([pid, comm, old]) => [pid, comm, old, paths[comm as string]]));
    for (const [pid, oldcomm, newcomm] of renames) {
      const e = execs.find((x) => x[0] === pid);
      if (e) expect(newcomm).toBe(e[1]);
      expect(["bash", "sh", "chrt"]).toContain(oldcomm);
    }
    expect(renames.map((r) => r[2])).toEqual(expected.map((e) => e[1]));
  });

  it("wake_up_new_task(p): the child's parent, cgroup name, uid and run queue as a BPF program reads them", async () => {
    const r = await runCli("wake_up_new_task(p->pid, p->real_parent->pid, p->cgroups->dfl_cgrp->kn->name, p->cred->uid.val, p->se.cfs_rq->rq->cpu, p->thread_info.cpu)", "--workload", "sched", "-c", "5", "--seed", "3", "--json");
    expect(r.code).toBe(0);
    const recs = r.out.trim().split("\n").map((l) => (JSON.parse(l) as { pid: number; values: { value: unknown }[] }));
    expect(recs).toHaveLength(5);
    for (const rec of recs) {
      const [pid, ppid, cg, uid, rqCpu, cpu] = rec.values.map((v) => v.value);
      expect(ppid).toBe(rec.pid); // the forking task calls wake_up_new_task
      expect([cg, uid]).toEqual(["session-1.scope", 0]);
      expect(rqCpu).toBe(cpu);
      expect(pid).toBeGreaterThan(9);
    }
  });
});

describe("wait4 and kill errors", () => {
  it("wait4 without children: -ECHILD; bad options: -EINVAL; a pid that is not a child: -ECHILD", () => {
    const { k } = boot();
    const sshd = k.tasks.get(3)!;
    runNow(k, sshd);
    expect(syscall(k, "wait4", [BigInt.asUintN(64, -1n), 0n, 0n, 0n])).toBe(BigInt.asUintN(64, -10n));
    expect(syscall(k, "wait4", [BigInt.asUintN(64, -1n), 0n, 0x100n, 0n])).toBe(BigInt.asUintN(64, -22n));
    expect(syscall(k, "wait4", [8n, 0n, 1n, 0n])).toBe(BigInt.asUintN(64, -10n));
    // the event fires for a wait that finds nothing, as do_wait's first line
    expect(k.groundTruth("sched:sched_process_wait")).toBe(2);
  });

  it("clone with CLONE_THREAD but not CLONE_SIGHAND: -EINVAL, nothing forked", () => {
    const { k, bash } = boot();
    expect(userSyscall(k, bash, "clone", [0x10000n | 17n, 0n, 0n, 0n, 0n])).toBe(BigInt.asUintN(64, -22n));
    expect(lifecycleCounts(k)).toEqual({ forks: 0, reaped: 0 });
    expect(k.groundTruth("copy_process")).toBe(0);
  });
});

describe("a libbpf-tools-style program (test/fixtures/process-tools: procsnoop, tp_btf exec/exit/fork)", () => {
  it("sees every fork, exec and exit, and reads each exec'd task's comm, parent, uid, cgroup, and at exit its status, runtime and run queue", () => {
    const booted = bootSyntheticKernel({ seed: 6, nrCpus: 2 });
    const m = machineOf(booted);
    const obj = BpfObject.open(readFileSync("test/fixtures/process-tools/obj/procsnoop.bpf.o"), "procsnoop.bpf.o").load(m).attach();
    expect(obj.status().map((s) => [s.name, s.loaded, s.attached])).toEqual([
      ["on_fork", true, true],
      ["on_exec", true, true],
      ["on_exit", true, true],
    ]);
    // The pids that exec'd (chrt execs make: one pid, two execs, one entry).
    const execPids = new Set<number>();
    booted.kernel.tracepoints.attach(booted.kernel.tracepoints.get("sched", "sched_process_exec")!, (h) => void execPids.add(h.pid));
    const tps = ["sched:sched_process_exec", "sched:sched_process_exit", "sched:sched_process_fork"];
    const before = tps.map((t) => m.callCount(t, "tracepoint"));
    m.run("sched", 400);
    const fired = tps.map((t, i) => BigInt(m.callCount(t, "tracepoint") - before[i]!));
    const counts = obj.entries("counts").map((e) => BigInt(e.valueData as number | string));
    expect(counts).toEqual(fired);
    expect(fired[1]).toBeGreaterThan(20n);
    const procs = obj.entries("procs").map((e) => e.valueData as { ppid: number; uid: number; exit_code: number; had_cfs_rq: number; runtime: number | string; comm: string; cgroup: string });
    expect(procs.length).toBe(execPids.size);
    // Parents: bash (8), or an sh that forked cat.
    const shells = new Set([8]);
    for (const p of procs) {
      expect(["ls", "cat", "sh", "sleep", "chrt", "make", "python3"]).toContain(p.comm);
      expect([p.uid, p.cgroup, p.had_cfs_rq]).toEqual([0, "session-1.scope", 1]);
      // Charged when it slept (ls, sleep; sh waiting for cat) or at the ticks of its memory loop (python3); cat and make may exit before any charge.
      if (["ls", "sh", "sleep", "python3"].includes(p.comm)) expect(BigInt(p.runtime), JSON.stringify(p)).toBeGreaterThan(0n);
      // ls/cat exit 0, make 2, sh 0; sleep dies of SIGTERM (15), python3 of the OOM killer's SIGKILL (9)
      expect([0, 2 << 8, 15, 9]).toContain(p.exit_code);
      if (p.comm === "sleep") expect(p.exit_code).toBe(15);
      if (p.comm === "python3") expect(p.exit_code).toBe(9);
      if (p.comm === "make") expect(p.exit_code).toBe(2 << 8);
      if (p.comm !== "cat") expect(shells.has(p.ppid)).toBe(true);
    }
    obj.close();
  });
});
