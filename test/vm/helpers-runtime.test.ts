// Helpers with a prototype run as the kernel's do: get_stack and
// get_task_stack against the synthetic kernel's call stacks, the NUMA node,
// cgroup id and jiffies of the kernel model, send_signal(_thread) recorded
// on the current task, and queue/stack maps with push/pop/peek. Every helper
// id with a prototype has an implementation in the table the booted kernel
// runs programs with.
import { describe, expect, it } from "vitest";
import { ROOT_CGROUP_ID } from "../../src/kernel-model/kernel.js";
import { bootSyntheticKernel } from "../../src/syscall/boot.js";
import { BPF_F_USER_BUILD_ID } from "../../src/vm/helpers/core.js";
import { HELPER_PROTOS, HelperId } from "../../src/vm/helpers/protos.js";
import type { HelperTable } from "../../src/vm/helpers/table.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { HELPER_TAIL_CALL } from "../../src/vm/limits.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { BPF_EXIST, BPF_F_USER_STACK, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, E } from "../../src/vm/maps/types.js";

type Booted = ReturnType<typeof bootSyntheticKernel>;
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const u64 = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return b;
};
const readU64s = (b: Uint8Array) => Array.from({ length: b.length / 8 }, (_, i) => new DataView(b.buffer, b.byteOffset).getBigUint64(i * 8, true));
const s64 = (v: bigint) => BigInt.asIntN(64, v);

function load(bpf: Booted["bpf"], progType: string, b: ProgramBuilder, jit = true): number {
  const r = bpf.progLoad({ progType, insns: encodeProgram(b.link()), license: "GPL", name: "t", nargs: 6, jit });
  if (typeof r === "number") throw new Error(`progLoad ${r}: ${bpf.lastError}`);
  return r.fd;
}
function testRun(bpf: Booted["bpf"], fd: number): bigint {
  const r = bpf.progTestRun(fd, { ctxIn: new Uint8Array(48) });
  if (typeof r === "number") throw new Error(`progTestRun ${r}: ${bpf.lastError}`);
  return r.r0;
}
function arrayMap(bpf: Booted["bpf"], valueSize: number): number {
  const fd = bpf.mapCreate({ type: 2, keySize: 4, valueSize, maxEntries: 1, name: "out" });
  if (fd < 0) throw new Error(`mapCreate ${fd}: ${bpf.lastError}`);
  return fd;
}
function mapValue(bpf: Booted["bpf"], fd: number): Uint8Array {
  const v = bpf.mapLookupElem(fd, u32(0));
  if (typeof v === "number") throw new Error(`lookup ${v}`);
  return v;
}

/** r7 = &value of array map `fd` at key 0 (r6 keeps ctx); exits 0 when the lookup fails. */
function withValue(fd: number): ProgramBuilder {
  return new ProgramBuilder()
    .mov64(6, 1)
    .st(Size.W, 10, -4, 0)
    .ldMapFd(1, fd)
    .mov64(2, 10)
    .add64Imm(2, -4)
    .call(HelperId.map_lookup_elem!)
    .jmpImm(JmpOp.JNE, 0, 0, "have")
    .mov64Imm(0, 0)
    .exit()
    .label("have")
    .mov64(7, 0);
}

/** value = { s64 r0; u8 buf[size] } from get_stack(ctx, buf, size, flags), or get_task_stack(current task). */
function stackProg(fd: number, size: number, flags: number, task: boolean): ProgramBuilder {
  const b = withValue(fd);
  if (task) b.call(HelperId.get_current_task_btf!).mov64(1, 0);
  else b.mov64(1, 6);
  return b
    .mov64(2, 7)
    .add64Imm(2, 8)
    .mov64Imm(3, size)
    .mov64Imm(4, flags)
    .call(task ? HelperId.get_task_stack! : HelperId.get_stack!)
    .stx(Size.DW, 7, 0, 0)
    .mov64Imm(0, 0)
    .exit();
}

describe("bpf_get_stack / bpf_get_task_stack", () => {
  for (const [task, skip] of [[false, 0], [false, 2], [true, 0], [true, 1]] as const) {
    it(`${task ? "get_task_stack(current)" : "get_stack"} from a kprobe on tcp_sendmsg, skip ${skip}: the kernel model's call stack at that point`, () => {
      const { bpf, kernel } = bootSyntheticKernel({ seed: 21 });
      const size = 8 * 8;
      const out = arrayMap(bpf, 8 + size);
      const fd = load(bpf, "kprobe", stackProg(out, size, skip, task));
      expect(bpf.linkCreate(fd, "kprobe", { name: "tcp_sendmsg" })).toBeGreaterThan(0);
      const fn = kernel.functions.named("tcp_sendmsg")[0]!;
      let last: bigint[] | undefined;
      kernel.functions.attach(fn, { entry: () => void (last = kernel.functions.kernelStack()) });
      kernel.run("net", { count: 400 });
      expect(last).toBeDefined();
      expect(last!.length).toBeGreaterThan(skip);
      expect(last![0]).toBe(fn.address);
      const v = mapValue(bpf, out);
      const frames = last!.slice(skip, skip + size / 8);
      expect(s64(readU64s(v.subarray(0, 8))[0]!)).toBe(BigInt(frames.length * 8));
      expect(readU64s(v.subarray(8))).toEqual([...frames, ...new Array<bigint>(size / 8 - frames.length).fill(0n)]);
    });
  }

  const errors: [string, number, number, number][] = [
    ["unknown flags", 64, 1 << 12, E.EINVAL],
    ["BPF_F_USER_BUILD_ID without BPF_F_USER_STACK", 64, BPF_F_USER_BUILD_ID, E.EINVAL],
    ["a size that is not a multiple of 8", 60, 0, E.EINVAL],
    ["a user stack (not modelled)", 64, BPF_F_USER_STACK, E.EFAULT],
    ["user build ids: a size that is not a multiple of 32", 48, BPF_F_USER_STACK | BPF_F_USER_BUILD_ID, E.EINVAL],
    ["more frames skipped than there are", 64, 5, E.EFAULT],
  ];
  for (const [name, size, flags, errno] of errors) {
    for (const jit of [true, false]) {
      it(`get_stack: ${name} is ${errno} and the buffer is zeroed (${jit ? "JIT" : "interpreter"})`, () => {
        const { bpf } = bootSyntheticKernel({ seed: 2 });
        const out = arrayMap(bpf, 8 + 64);
        expect(bpf.mapUpdateElem(out, u32(0), new Uint8Array(72).fill(0xa5))).toBe(0);
        // BPF_PROG_TEST_RUN: no function call in progress, so the kernel stack is empty.
        testRun(bpf, load(bpf, "raw_tracepoint", stackProg(out, size, flags, false), jit));
        const v = mapValue(bpf, out);
        expect(s64(readU64s(v.subarray(0, 8))[0]!)).toBe(BigInt(errno));
        expect([...v.subarray(8, 8 + size)].every((x) => x === 0)).toBe(true);
        expect([...v.subarray(8 + size)].every((x) => x === 0xa5)).toBe(true);
      });
    }
  }

  it("the kernel model gives get_task_stack no stack for an exited task or a non-task address, an empty one for a task not running", () => {
    const { kernel } = bootSyntheticKernel({ seed: 4 });
    const env = kernel.env();
    kernel.run("sched", { count: 50 });
    const cur = kernel.current();
    const other = kernel.tasks.all().find((t) => t !== cur && t.taskAddress !== 0n)!;
    expect(env.taskKernelStack!(other.taskAddress)).toEqual([]);
    expect(env.taskKernelStack!(0x1234n)).toBeUndefined();
    expect(env.taskKernelStack!(cur.taskAddress)).toEqual(kernel.functions.kernelStack());
  });
});

describe("get_numa_node_id, get_current_cgroup_id, jiffies64", () => {
  for (const jit of [true, false]) {
    it(`answer the kernel model's node 0, root cgroup and jiffies (${jit ? "JIT" : "interpreter"})`, () => {
      const { bpf, kernel } = bootSyntheticKernel({ seed: 6 });
      kernel.run("sched", { count: 100 });
      const call = (id: number) => testRun(bpf, load(bpf, "raw_tracepoint", new ProgramBuilder().call(id).exit(), jit));
      expect(call(HelperId.get_numa_node_id!)).toBe(0n);
      expect(call(HelperId.get_current_cgroup_id!)).toBe(ROOT_CGROUP_ID);
      const j = call(HelperId.jiffies64!);
      expect(j).toBe(kernel.jiffies());
      expect(j).toBeGreaterThan(0n);
    });
  }
});

describe("bpf_send_signal / bpf_send_signal_thread", () => {
  const sender = (bpf: Booted["bpf"], id: number, sig: number) => load(bpf, "raw_tracepoint", new ProgramBuilder().mov64Imm(1, sig).call(id).exit());

  it("records the signal on the current task (the process, or the thread only)", () => {
    const { bpf, kernel } = bootSyntheticKernel({ seed: 8 });
    kernel.run("sched", { count: 100 });
    const task = kernel.tasks.all().find((t) => t.tgid > 1)!;
    kernel.cpu = 0;
    kernel.tasks.switchTo(0, task);
    expect(testRun(bpf, sender(bpf, HelperId.send_signal!, 10))).toBe(0n);
    expect(testRun(bpf, sender(bpf, HelperId.send_signal_thread!, 12))).toBe(0n);
    // Signal 0 checks only: nothing is sent.
    expect(testRun(bpf, sender(bpf, HelperId.send_signal!, 0))).toBe(0n);
    expect(kernel.signalsSent.map(({ pid, tgid, sig, thread }) => ({ pid, tgid, sig, thread }))).toEqual([
      { pid: task.pid, tgid: task.tgid, sig: 10, thread: false },
      { pid: task.pid, tgid: task.tgid, sig: 12, thread: true },
    ]);
    expect(s64(testRun(bpf, sender(bpf, HelperId.send_signal!, 65)))).toBe(BigInt(E.EINVAL));
    expect(kernel.signalsSent.length).toBe(2);
  });

  it("-EPERM from a kernel thread (an idle task, pid 0) and for init", () => {
    const { bpf, kernel } = bootSyntheticKernel({ seed: 8 });
    kernel.cpu = 0;
    kernel.tasks.switchTo(0, kernel.tasks.idle[0]!);
    expect(s64(testRun(bpf, sender(bpf, HelperId.send_signal!, 9)))).toBe(BigInt(E.EPERM));
    expect(s64(testRun(bpf, sender(bpf, HelperId.send_signal_thread!, 65)))).toBe(BigInt(E.EPERM));
    const init = kernel.tasks.get(1);
    if (init) {
      kernel.tasks.switchTo(0, init);
      expect(s64(testRun(bpf, sender(bpf, HelperId.send_signal!, 9)))).toBe(BigInt(E.EPERM));
    }
    expect(kernel.signalsSent).toEqual([]);
  });
});

describe("queue and stack maps (push/pop/peek)", () => {
  it("map creation: no key, a value, known flags", () => {
    const { bpf } = bootSyntheticKernel({ seed: 1 });
    const mk = (keySize: number, valueSize: number, maxEntries: number, flags = 0) => bpf.mapCreate({ type: BPF_MAP_TYPE_QUEUE, keySize, valueSize, maxEntries, flags, name: "q" });
    expect(mk(4, 8, 4)).toBe(E.EINVAL);
    expect(mk(0, 0, 4)).toBe(E.EINVAL);
    expect(mk(0, 8, 0)).toBe(E.EINVAL);
    expect(mk(0, 8, 4, 1 << 0 /* BPF_F_NO_PREALLOC */)).toBe(E.EINVAL);
    expect(mk(0, 8, 4)).toBeGreaterThan(0);
  });

  /**
   * Pushes 1..n (flags), then pops/peeks: value = { s64 results[k]; u64 got[k] }. ops: "push:v:flags", "pop", "peek".
   */
  function run(type: number, maxEntries: number, ops: string[], jit: boolean) {
    const { bpf } = bootSyntheticKernel({ seed: 1 });
    const q = bpf.mapCreate({ type, keySize: 0, valueSize: 8, maxEntries, name: "qs" });
    expect(q).toBeGreaterThan(0);
    const out = arrayMap(bpf, 16 * ops.length);
    const b = withValue(out);
    ops.forEach((op, k) => {
      const [kind, v, flags] = op.split(":");
      if (kind === "push") {
        b.st(Size.DW, 10, -16, Number(v)).ldMapFd(1, q).mov64(2, 10).add64Imm(2, -16).mov64Imm(3, Number(flags)).call(HelperId.map_push_elem!);
      } else {
        b.st(Size.DW, 10, -16, 0x5a5a).ldMapFd(1, q).mov64(2, 10).add64Imm(2, -16).call(kind === "pop" ? HelperId.map_pop_elem! : HelperId.map_peek_elem!);
        b.ldx(Size.DW, 1, 10, -16).stx(Size.DW, 7, 16 * k + 8, 1);
      }
      b.stx(Size.DW, 7, 16 * k, 0);
    });
    b.mov64Imm(0, 0).exit();
    testRun(bpf, load(bpf, "raw_tracepoint", b, jit));
    const words = readU64s(mapValue(bpf, out));
    return { results: ops.map((_, k) => s64(words[2 * k]!)), got: ops.map((op, k) => (op.startsWith("push") ? undefined : words[2 * k + 1]!)), bpf, q };
  }

  for (const jit of [true, false]) {
    it(`a queue is FIFO, full is -E2BIG, BPF_EXIST drops the oldest, empty is -ENOENT with a zeroed value (${jit ? "JIT" : "interpreter"})`, () => {
      const r = run(BPF_MAP_TYPE_QUEUE, 2, ["push:1:0", "push:2:0", "push:3:0", "push:3:" + BPF_EXIST, "push:4:1", "peek", "pop", "pop", "pop"], jit);
      expect(r.results).toEqual([0n, 0n, BigInt(E.E2BIG), 0n, BigInt(E.EINVAL), 0n, 0n, 0n, BigInt(E.ENOENT)]);
      expect(r.got.slice(5)).toEqual([2n, 2n, 3n, 0n]);
    });

    it(`a stack is LIFO (${jit ? "JIT" : "interpreter"})`, () => {
      const r = run(BPF_MAP_TYPE_STACK, 3, ["push:1:0", "push:2:0", "push:3:0", "peek", "pop", "pop", "push:7:0", "pop", "pop", "pop"], jit);
      expect(r.results).toEqual([0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, BigInt(E.ENOENT)]);
      expect(r.got.filter((x) => x !== undefined)).toEqual([3n, 3n, 2n, 7n, 1n, 0n]);
    });
  }

  it("user space: lookup peeks, update pushes, lookup-and-delete pops, delete is -EINVAL", () => {
    const { bpf } = bootSyntheticKernel({ seed: 1 });
    const q = bpf.mapCreate({ type: BPF_MAP_TYPE_STACK, keySize: 0, valueSize: 8, maxEntries: 2, name: "st" });
    const none = new Uint8Array(0);
    expect(bpf.mapLookupElem(q, none)).toBe(E.ENOENT);
    expect(bpf.mapUpdateElem(q, none, u64(5n))).toBe(0);
    expect(bpf.mapUpdateElem(q, none, u64(6n))).toBe(0);
    expect(bpf.mapUpdateElem(q, none, u64(7n))).toBe(E.E2BIG);
    expect(bpf.mapLookupElem(q, none)).toEqual(u64(6n));
    expect(bpf.mapLookupAndDeleteElem(q, none)).toEqual(u64(6n));
    expect(bpf.mapLookupAndDeleteElem(q, none)).toEqual(u64(5n));
    expect(bpf.mapLookupAndDeleteElem(q, none)).toBe(E.ENOENT);
    expect(bpf.mapDeleteElem(q, none)).toBe(E.EINVAL);
  });
});

describe("bpf_snprintf", () => {
  for (const jit of [true, false]) {
    it(`formats u64 arguments into a buffer, truncated with a NUL, returning the whole length plus one (${jit ? "JIT" : "interpreter"})`, () => {
      const { bpf } = bootSyntheticKernel({ seed: 1 });
      const fmtText = "a=%d b=%lx";
      const fmtMap = arrayMap(bpf, 32);
      const fmt = new Uint8Array(32);
      fmt.set(Buffer.from(fmtText + "\0", "latin1"));
      expect(bpf.mapUpdateElem(fmtMap, u32(0), fmt)).toBe(0);
      const out = arrayMap(bpf, 16);
      const b = withValue(out)
        .st(Size.W, 10, -4, 0)
        .ldMapFd(1, fmtMap)
        .mov64(2, 10)
        .add64Imm(2, -4)
        .call(HelperId.map_lookup_elem!)
        .jmpImm(JmpOp.JEQ, 0, 0, "out")
        .mov64(3, 0)
        .st(Size.DW, 10, -24, 42)
        .st(Size.DW, 10, -16, 0xbeef)
        .mov64(1, 7)
        .mov64Imm(2, 8)
        .mov64(4, 10)
        .add64Imm(4, -24)
        .mov64Imm(5, 16)
        .call(HelperId.snprintf!)
        .stx(Size.DW, 7, 8, 0)
        .label("out")
        .mov64Imm(0, 0)
        .exit();
      testRun(bpf, load(bpf, "raw_tracepoint", b, jit));
      const v = mapValue(bpf, out);
      const text = "a=42 b=beef";
      expect(readU64s(v.subarray(8))[0]).toBe(BigInt(text.length + 1));
      expect(Buffer.from(v.subarray(0, 8)).toString("latin1")).toBe(text.slice(0, 7) + "\0");
    });
  }
});

describe("helper implementations", () => {
  it("every helper id with a prototype has an implementation in the table the booted kernel runs programs with", () => {
    const { bpf } = bootSyntheticKernel({ seed: 1 });
    const table = bpf["helpers"] as HelperTable;
    // bpf_tail_call is no function: the interpreter and the JIT jump to the target program themselves.
    const missing = HELPER_PROTOS.filter((p) => p.id !== HELPER_TAIL_CALL && table.impl(p.id) === undefined).map((p) => `bpf_${p.name}#${p.id}`);
    expect(missing).toEqual([]);
  });
});
