// The load and attach phases through the library object, on hand-built
// object specs and the booted synthetic kernel: maps first, global data
// written (with --set values, typed by BTF), .rodata frozen and read-only
// for programs, programs loaded with their SEC kind's type, kinds the kernel
// cannot serve reported, verifier rejections naming section/program/insn
// with nothing left behind, attach by section, and close().
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../src/btf/builder.js";
import { IntEncoding } from "../../src/btf/kinds.js";
import { sectionDef } from "../../src/loader/attach.js";
import { encodeSetValue } from "../../src/loader/load.js";
import { BpfObject } from "../../src/loader/object.js";
import type { FunctionSpec, MapSpec, ObjectSpec, ProgramSpec } from "../../src/loader/spec.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { AtomicOp, Size } from "../../src/vm/isa/opcodes.js";

const b = new BtfBuilder();
const u32 = b.int("unsigned int", 4);
const u64 = b.int("long long unsigned int", 8);
const bool = b.int("_Bool", 1, IntEncoding.BOOL);
const ch = b.int("char", 1, IntEncoding.SIGNED);
const int = b.int("int", 4, IntEncoding.SIGNED);
const name16 = b.array(ch, int, 16);
const mode = b.enum("mode", 4, [["MODE_OFF", 0], ["MODE_COUNT", 1], ["MODE_TRACE", 7]]);
const cu32 = b.const(b.volatile(u32));
const btf = b.finish();

function prog(name: string, secName: string, build: (p: ProgramBuilder) => void, relocations: FunctionSpec["relocations"] = [], autoload = true): ProgramSpec {
  const p = new ProgramBuilder();
  build(p);
  return { name, section: secName, secName, autoload, sectionOffset: 0, global: true, insns: p.link(), relocations, funcInfo: [], lineInfo: [], coreRelos: [] };
}

const dataMap = (section: string, size: number, vars: MapSpec["vars"], data?: Uint8Array): MapSpec => ({
  name: section,
  origin: "data",
  section,
  type: 2,
  keySize: 4,
  valueSize: size,
  maxEntries: 1,
  flags: 0,
  pinning: 0,
  vars,
  ...(data ? { data } : {}),
  ...(section.startsWith(".rodata") ? { readOnly: true } : {}),
});

/** kprobe/ip_send_skb: if (.rodata enabled) .bss hits += 1; counts[0] = 1 (hash). */
function counter(extra: ProgramSpec[] = []): ObjectSpec {
  const handle = prog(
    "handle",
    "kprobe/ip_send_skb",
    (p) =>
      p
        .lddw(1, 0) // .rodata + 0 (enabled)
        .ldx(Size.W, 1, 1, 0)
        .jmpImm(0x10, 1, 0, "out")
        .lddw(1, 0) // .bss + 0 (hits)
        .mov64Imm(2, 1)
        .atomic(Size.DW, AtomicOp.ADD, 1, 0, 2)
        .label("out")
        .mov64Imm(0, 0)
        .exit(),
    [
      { kind: "data", insn: 0, map: ".rodata", offset: 0 },
      { kind: "data", insn: 3, map: ".bss", offset: 0 },
    ],
  );
  return {
    name: "counter.bpf.o",
    license: "GPL",
    kernelVersion: 0,
    btf,
    programs: [handle, ...extra],
    subprograms: [],
    maps: [
      { name: "counts", origin: "btf", section: ".maps", type: 1, keySize: 4, valueSize: 8, maxEntries: 64, flags: 0, pinning: 0, keyTypeId: u32, valueTypeId: u64 },
      dataMap(".rodata", 4, [{ name: "enabled", offset: 0, size: 4, typeId: cu32, global: true }], Uint8Array.from([1, 0, 0, 0])),
      dataMap(".bss", 8, [{ name: "hits", offset: 0, size: 8, typeId: u64, global: true }]),
    ],
    externs: [],
  };
}

function boot() {
  return machineOf(bootSyntheticKernel({ seed: 1, nrCpus: 2 }));
}

describe("load and attach", () => {
  it("counts ip_send_skb calls in .bss exactly as the kernel's ground truth, and leaves nothing after close", () => {
    const m = boot();
    const obj = new BpfObject(counter()).load(m).attach();
    expect(obj.status()).toEqual([{ name: "handle", section: "kprobe/ip_send_skb", loaded: true, attached: true }]);
    const before = m.callCount("ip_send_skb");
    m.run("net", 400);
    const calls = m.callCount("ip_send_skb") - before;
    expect(calls).toBeGreaterThan(0);
    expect(obj.variables(".bss")).toEqual({ hits: calls });
    expect(obj.variables(".rodata")).toEqual({ enabled: 1 });
    obj.close();
    expect(m.bpf.objects()).toMatchObject({ map: 0, prog: 0, link: 0, fds: 0 });
  });

  it("--set reaches .rodata before it is frozen: enabled=0 counts nothing; .rodata refuses user writes after load", () => {
    const m = boot();
    const obj = new BpfObject(counter()).set("enabled", 0).load(m).attach();
    m.run("net", 400);
    expect(obj.variables(".bss")).toEqual({ hits: 0 });
    expect(m.bpf.mapUpdateElem(obj.mapFd(".rodata"), new Uint8Array(4), new Uint8Array(4))).toBe(-1); // EPERM: frozen
    obj.close();
  });

  it("refuses unknown variables and wrong types with the variable named", () => {
    expect(() => new BpfObject(counter()).set("enabeld", 1)).toThrow("'counter.bpf.o': --set enabeld=1: no global variable 'enabeld' in the object");
    expect(() => new BpfObject(counter()).set("enabled", "yes")).toThrow("'counter.bpf.o': --set enabled=yes: 'yes' is not an integer (expected a unsigned 32-bit integer)");
    expect(() => new BpfObject(counter()).set("enabled", -1)).toThrow("-1 is out of range for 'unsigned int' (0..4294967295)");
  });

  it("encodes --set values by BTF type: bool, enum by name, char arrays, hex", () => {
    expect(Array.from(encodeSetValue(btf, bool, 1, "true"))).toEqual([1]);
    expect(Array.from(encodeSetValue(btf, mode, 4, "MODE_TRACE"))).toEqual([7, 0, 0, 0]);
    expect(Array.from(encodeSetValue(btf, u32, 4, "0x10"))).toEqual([16, 0, 0, 0]);
    expect(Buffer.from(encodeSetValue(btf, name16, 16, "bash")).toString("latin1")).toBe("bash" + "\0".repeat(12));
    expect(() => encodeSetValue(btf, mode, 4, "MODE_X")).toThrow("'MODE_X' is not an enumerator of enum mode (MODE_OFF, MODE_COUNT, MODE_TRACE)");
    expect(() => encodeSetValue(btf, name16, 16, "a-very-long-command")).toThrow('"a-very-long-command" is 19 bytes: char[16] holds at most 15 and the NUL');
  });

  it("reports kinds the kernel cannot serve and programs not autoloaded; the rest still run", () => {
    const m = boot();
    const sock = prog("filter", "socket", (p) => p.mov64Imm(0, 0).exit());
    const later = prog("later", "kprobe/tcp_sendmsg", (p) => p.mov64Imm(0, 0).exit(), [], false);
    const nosys = prog("nosys", "ksyscall/frobnicate", (p) => p.mov64Imm(0, 0).exit());
    const obj = new BpfObject(counter([sock, later, nosys])).load(m).attach();
    expect(obj.status()).toEqual([
      { name: "handle", section: "kprobe/ip_send_skb", loaded: true, attached: true },
      { name: "filter", section: "socket", loaded: true, attached: true }, // a packet socket on lo, SO_ATTACH_BPF
      { name: "later", section: "kprobe/tcp_sendmsg", loaded: false, attached: false, error: 'not autoloaded (SEC("?kprobe/tcp_sendmsg"))' },
      { name: "nosys", section: "ksyscall/frobnicate", loaded: false, attached: false, error: "the kernel has no syscall entry '__x64_sys_frobnicate' for ksyscall/frobnicate (issue #18)" },
    ]);
    obj.close();
  });

  it("a verifier rejection names section, program and insn, keeps the log, and leaves no map or program", () => {
    const m = boot();
    const bad = prog("bad", "kprobe/tcp_sendmsg", (p) => p.mov64Imm(0, 0).ldx(Size.DW, 0, 3, 0).exit());
    bad.lineInfo = [{ insn: 1, fileName: "bad.bpf.c", line: "\treturn *p;", lineNum: 7, column: 2 }];
    let err: unknown;
    try {
      new BpfObject(counter([bad])).load(m);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe("'counter.bpf.o': section 'kprobe/tcp_sendmsg', program 'bad', insn 1 at bad.bpf.c:7: program rejected by the verifier: R3 !read_ok");
    expect((err as { log: string[] }).log.slice(0, 5)).toEqual(["0: R1=ctx() R10=fp0", "0: (b7) r0 = 0                        ; R0_w=0", "; return *p; @ bad.bpf.c:7", "1: (79) r0 = *(u64 *)(r3 +0)", "R3 !read_ok"]);
    expect(m.bpf.objects()).toMatchObject({ map: 0, prog: 0, link: 0, fds: 0 });
  });

  it("an attach failure detaches everything already attached and names the target", () => {
    const m = boot();
    const missing = prog("missing", "kprobe/no_such_function", (p) => p.mov64Imm(0, 0).exit());
    const obj = new BpfObject(counter([missing])).load(m);
    expect(() => obj.attach()).toThrow("'counter.bpf.o': section 'kprobe/no_such_function', program 'missing': attach kprobe 'no_such_function' failed: no function 'no_such_function'");
    expect(obj.linkCount).toBe(0);
    expect(m.bpf.objects().link).toBe(0);
    obj.close();
  });
});

describe("sectionDef", () => {
  it.each([
    ["kprobe/tcp_sendmsg", { kind: "kprobe", progType: "kprobe", attachType: "kprobe", target: "tcp_sendmsg" }],
    ["kretprobe/tcp_sendmsg", { kind: "kretprobe", progType: "kprobe", attachType: "kretprobe", target: "tcp_sendmsg" }],
    ["kprobe.multi/tcp_*", { kind: "kprobe.multi", progType: "kprobe", attachType: "kprobe.multi", target: "tcp_*" }],
    ["tp/sched/sched_switch", { kind: "tp", progType: "tracepoint", attachType: "tracepoint", target: "sched/sched_switch" }],
    ["raw_tp/sched_switch", { kind: "raw_tp", progType: "raw_tracepoint", attachType: "raw_tp", target: "sched_switch" }],
    ["tp_btf/sched_switch", { kind: "tp_btf", progType: "tracing", attachType: "raw_tp", target: "sched_switch" }],
    ["fmod_ret/security_x", { kind: "fmod_ret", progType: "tracing", attachType: "fmod_ret", target: "security_x" }],
    ["iter/task", { kind: "iter", progType: "iter", attachType: "iter", target: "task" }],
    ["kprobe", { kind: "kprobe", progType: "kprobe" }],
    ["xdp", { fatal: true, reason: "missing BPF prog type, check ELF section name 'xdp'" }],
  ])("%s", (sec, def) => {
    expect(sectionDef(sec)).toEqual(def);
  });
});
