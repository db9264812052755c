// The relocation phase on hand-built object specs: reachable subprograms
// only, appended in libbpf's order; call / callback offsets; map, data and
// ksym lddws; func_info and line_info moved with their functions; .kconfig
// values; every failure names section, program and insn.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../src/btf/builder.js";
import { IntEncoding } from "../../src/btf/kinds.js";
import { kconfigData, reachableFunctions, relocateProgram } from "../../src/loader/relocate.js";
import type { FunctionSpec, MapSpec, ObjectSpec, ProgramSpec } from "../../src/loader/spec.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { LDDW, PseudoCall, PseudoLd } from "../../src/vm/isa/opcodes.js";

function fn(name: string, section: string, build: (b: ProgramBuilder) => void, extra: Partial<FunctionSpec> = {}): FunctionSpec {
  const b = new ProgramBuilder();
  build(b);
  return { name, section, sectionOffset: 0, global: false, insns: b.link(), relocations: [], funcInfo: [], lineInfo: [], coreRelos: [], ...extra };
}

function prog(f: FunctionSpec, secName = f.section): ProgramSpec {
  return { ...f, secName, autoload: true };
}

function object(programs: ProgramSpec[], subprograms: FunctionSpec[], maps: MapSpec[] = [], extra: Partial<ObjectSpec> = {}): ObjectSpec {
  return { name: "t.bpf.o", license: "GPL", kernelVersion: 0, btf: undefined, programs, subprograms, maps, externs: [], ...extra };
}

const arrayMap = (name: string, origin: MapSpec["origin"] = "btf", valueSize = 8): MapSpec => ({
  name,
  origin,
  section: origin === "data" ? name : ".maps",
  type: 2,
  keySize: 4,
  valueSize,
  maxEntries: 1,
  flags: 0,
  pinning: 0,
});

describe("relocateProgram", () => {
  // handle: r1 = map counts (lddw), call helper_a, r2 = &cb, exit. helper_a calls helper_b; unused is never reached.
  const handle = prog(
    fn("handle", "kprobe/tcp_sendmsg", (b) => b.lddw(1, 0).callLocal(-1).lddw(2, 0).mov64Imm(0, 0).exit(), {
      relocations: [
        { kind: "map", insn: 0, map: "counts" },
        { kind: "call", insn: 1, target: "helper_a" },
        { kind: "func", insn: 2, target: "cb" },
      ],
      funcInfo: [{ insn: 0, typeId: 7 }],
      lineInfo: [
        { insn: 0, fileName: "t.bpf.c", line: "int handle(void *ctx) {", lineNum: 10, column: 1 },
        { insn: 3, fileName: "t.bpf.c", line: "return 0;", lineNum: 12, column: 2 },
      ],
    }),
  );
  const unused = fn("unused", ".text", (b) => b.mov64Imm(0, 9).exit(), { funcInfo: [{ insn: 0, typeId: 99 }] });
  const helperA = fn("helper_a", ".text", (b) => b.lddw(1, 0).callLocal(-1).exit(), {
    relocations: [
      { kind: "data", insn: 0, map: ".bss", offset: 4 },
      { kind: "call", insn: 1, target: "helper_b" },
    ],
    funcInfo: [{ insn: 0, typeId: 8 }],
    lineInfo: [{ insn: 1, fileName: "t.bpf.c", line: "  return helper_b();", lineNum: 20, column: 3 }],
  });
  const helperB = fn("helper_b", ".text", (b) => b.mov64Imm(0, 1).exit(), { funcInfo: [{ insn: 0, typeId: 9 }] });
  const cb = fn("cb", ".text", (b) => b.mov64Imm(0, 0).exit(), { funcInfo: [{ insn: 0, typeId: 10 }] });
  const obj = object([handle], [unused, helperB, cb, helperA], [arrayMap("counts"), arrayMap(".bss", "data")]);
  const fds = new Map([
    ["counts", 5],
    [".bss", 6],
  ]);

  it("appends only reachable subprograms, first reached first (depth-first by instruction)", () => {
    expect(reachableFunctions(obj, handle).map((f) => f.name)).toEqual(["handle", "helper_a", "cb", "helper_b"]);
  });

  it("patches maps, data, calls and callbacks with slot offsets and moves func/line info", () => {
    const r = relocateProgram(obj, handle, { mapFd: (n) => fds.get(n) });
    // handle: slots 0-1 lddw, 2 call, 3-4 lddw, 5 mov, 6 exit; helper_a at 7 (lddw 7-8, call 9, exit 10); cb at 11; helper_b at 13.
    expect(r.functions.map((f) => [f.fn.name, f.insn, f.slot])).toEqual([
      ["handle", 0, 0],
      ["helper_a", 5, 7],
      ["cb", 8, 11],
      ["helper_b", 10, 13],
    ]);
    expect(r.insns[0]).toMatchObject({ opcode: LDDW, src: PseudoLd.MAP_FD, imm: 5, imm2: 0 });
    expect(r.insns[1]).toMatchObject({ src: PseudoCall.LOCAL, imm: 7 - 2 - 1 });
    expect(r.insns[2]).toMatchObject({ opcode: LDDW, src: PseudoLd.FUNC, imm: 11 - 3 - 1, imm2: 0 });
    expect(r.insns[5]).toMatchObject({ opcode: LDDW, src: PseudoLd.MAP_VALUE, imm: 6, imm2: 4 });
    expect(r.insns[6]).toMatchObject({ src: PseudoCall.LOCAL, imm: 13 - 9 - 1 });
    expect(r.funcInfo).toEqual([
      { insnOff: 0, typeId: 7 },
      { insnOff: 7, typeId: 8 },
      { insnOff: 11, typeId: 10 },
      { insnOff: 13, typeId: 9 },
    ]);
    expect(r.lineInfo.map((l) => [l.insnOff, l.lineNum])).toEqual([
      [0, 10],
      [5, 12],
      [9, 20],
    ]);
    // The spec is not modified: a second relocation starts from the same code.
    expect(handle.insns[0]).toMatchObject({ src: 0, imm: 0 });
  });

  it("names section, program, function and insn on failures", () => {
    expect(() => relocateProgram(obj, handle, { mapFd: (n) => (n === "counts" ? undefined : 6) })).toThrow(
      "'t.bpf.o': section 'kprobe/tcp_sendmsg', program 'handle', insn 0: relocation against unknown map 'counts'",
    );
    const noB = object([handle], [helperA, cb], obj.maps);
    expect(() => relocateProgram(noB, handle, { mapFd: (n) => fds.get(n) })).toThrow(
      "'t.bpf.o': section 'kprobe/tcp_sendmsg', program 'handle', function 'helper_a' (section '.text'), insn 2: call to unknown function 'helper_b'",
    );
    const bad = prog(fn("bad", "kprobe/x", (b) => b.mov64Imm(1, 0).exit(), { relocations: [{ kind: "map", insn: 0, map: "counts" }] }));
    expect(() => relocateProgram(object([bad], [], obj.maps), bad, { mapFd: () => 3 })).toThrow(
      "'t.bpf.o': section 'kprobe/x', program 'bad', insn 0: map relocation on an instruction that is not lddw (code 0xb7)",
    );
  });

  it("resolves typeless ksyms to kallsyms addresses; a missing one is an error unless weak", () => {
    const p = prog(fn("k", "kprobe/x", (b) => b.lddw(1, 0).lddw(2, 0).mov64Imm(0, 0).exit(), {
      relocations: [
        { kind: "ksym", insn: 0, name: "init_task", call: false },
        { kind: "ksym", insn: 1, name: "maybe_missing", call: false },
      ],
    }));
    const o = object([p], [], [], {
      externs: [
        { name: "init_task", kind: "ksym", isFunc: false, weak: false, typeId: 0 },
        { name: "maybe_missing", kind: "ksym", isFunc: false, weak: true, typeId: 0 },
      ],
    });
    const r = relocateProgram(o, p, { mapFd: () => undefined, kallsyms: new Map([["init_task", 0xffffffff82a0c940n]]) });
    expect(r.insns[0]).toMatchObject({ src: 0, imm: 0x82a0c940 | 0, imm2: 0xffffffff | 0 });
    expect(r.insns[1]).toMatchObject({ src: 0, imm: 0, imm2: 0 });
    expect(() => relocateProgram(o, p, { mapFd: () => undefined, kallsyms: new Map() })).toThrow(
      "'t.bpf.o': section 'kprobe/x', program 'k', insn 0: kernel symbol 'init_task' is not in kallsyms",
    );
  });

  it("asks for a CO-RE engine when a function has CO-RE relocations", () => {
    const p = prog(fn("c", "kprobe/x", (b) => b.mov64Imm(0, 0).exit(), { coreRelos: [{ insn: 0, typeId: 1, access: "0:1", kind: 0 }] }));
    expect(() => relocateProgram(object([p], []), p, { mapFd: () => undefined })).toThrow("1 CO-RE relocations and no CO-RE engine to apply them");
    const seen: string[] = [];
    const r = relocateProgram(object([p], []), p, {
      mapFd: () => undefined,
      core: (f, insns, where) => {
        seen.push(`${f.name} ${where}`);
        insns[0]!.imm = 24;
      },
    });
    expect(seen).toEqual(["c 't.bpf.o': section 'kprobe/x', program 'c'"]);
    expect(r.insns[0]!.imm).toBe(24);
    expect(p.insns[0]!.imm).toBe(0);
  });
});

describe("kconfigData", () => {
  const b = new BtfBuilder();
  const u32 = b.int("unsigned int", 4);
  const bool = b.int("_Bool", 1, IntEncoding.BOOL);
  const tri = b.enum("libbpf_tristate", 4, [["TRI_NO", 0], ["TRI_YES", 1], ["TRI_MODULE", 2]]);
  const ch = b.int("char", 1, IntEncoding.SIGNED);
  const idx = b.int("int", 4, IntEncoding.SIGNED);
  const str = b.array(ch, idx, 16);
  const btf = b.finish();
  const ext = (name: string, typeId: number, offset: number, weak = false) => ({ name, kind: "kconfig" as const, isFunc: false, weak, typeId, offset });
  const map: MapSpec = { ...arrayMap(".kconfig", "data", 32), section: ".kconfig" };
  const config = new Map([
    ["LINUX_KERNEL_VERSION", "394752"],
    ["CONFIG_BPF", "y"],
    ["CONFIG_IPV6", "m"],
    ["CONFIG_LOCALVERSION", '"-btfsnoop"'],
  ]);

  it("writes version, bool, tristate and string values at their offsets; weak unknowns stay 0", () => {
    const obj = object([], [], [map], {
      btf,
      externs: [ext("LINUX_KERNEL_VERSION", u32, 0), ext("CONFIG_BPF", bool, 4), ext("CONFIG_IPV6", tri, 8), ext("CONFIG_NOPE", u32, 12, true), ext("CONFIG_LOCALVERSION", str, 16)],
    });
    const d = kconfigData(obj, map, config);
    const v = new DataView(d.buffer);
    expect([v.getUint32(0, true), d[4], v.getUint32(8, true), v.getUint32(12, true)]).toEqual([394752, 1, 2, 0]);
    expect(Buffer.from(d.subarray(16, 26)).toString("latin1")).toBe("-btfsnoop\0");
  });

  it("refuses unknown strong externs and values that do not fit", () => {
    const unknown = object([], [], [map], { btf, externs: [ext("CONFIG_NOPE", u32, 0)] });
    expect(() => kconfigData(unknown, map, config)).toThrow("'t.bpf.o': section '.kconfig', extern 'CONFIG_NOPE': not set in the kernel's configuration");
    const module = object([], [], [map], { btf, externs: [ext("CONFIG_IPV6", bool, 0)] });
    expect(() => kconfigData(module, map, config)).toThrow("value 'm' (a module) does not fit a bool");
  });
});
