// open() of the committed loader fixtures (test/fixtures/loader): programs,
// maps, relocations and externs as each source says, cross-checked against
// llvm-readelf's goldens; each malformed fixture gives one exact error.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BtfsnoopError } from "../../src/internal/errors.js";
import { openObject } from "../../src/loader/open.js";
import { programSection } from "../../src/loader/sections.js";
import type { FunctionSpec, ObjectSpec } from "../../src/loader/spec.js";
import { LDDW } from "../../src/vm/isa/opcodes.js";

const DIR = join(__dirname, "../fixtures/loader");
const open = (file: string, dir = "obj"): ObjectSpec => openObject(new Uint8Array(readFileSync(join(DIR, dir, file))), { name: file });
const OBJECTS = readdirSync(join(DIR, "obj")).filter((f) => f.endsWith(".bpf.o"));

const slots = (f: FunctionSpec) => f.insns.reduce((n, i) => n + (i.opcode === LDDW ? 2 : 1), 0);
const brief = (o: ObjectSpec) => ({
  programs: o.programs.map((p) => [p.name, p.secName, p.autoload, p.relocations]),
  subprograms: o.subprograms.map((p) => [p.name, p.section, p.global, p.relocations]),
});
const mapsBrief = (o: ObjectSpec) => o.maps.map((m) => [m.name, m.origin, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.pinning]);

describe("openObject on the committed fixtures", () => {
  it("opens every object, and every relocation llvm-readelf lists against code is in the spec at its instruction", () => {
    expect(OBJECTS.length).toBeGreaterThanOrEqual(30);
    let all = 0;
    for (const file of OBJECTS) {
      const o = open(file);
      const funcs = [...o.programs, ...o.subprograms];
      const golden = readFileSync(join(DIR, "obj", `${file}.readelf.txt`), "utf8");
      let checked = 0;
      for (const block of golden.split(/\nRelocation section '/).slice(1)) {
        const sec = block.slice(0, block.indexOf("'")).replace(/^\.rel/, "");
        if (!funcs.some((f) => f.section === sec)) continue;
        for (const line of block.split("\n").slice(2)) {
          const m = /^([0-9a-f]{16})\s+[0-9a-f]{16}\s+(\S+)\s+[0-9a-f]{16}\s+(\S+)$/.exec(line.trim());
          if (!m) break;
          const off = parseInt(m[1]!, 16);
          const sym = m[3]!;
          const f = funcs.find((x) => x.section === sec && off >= x.sectionOffset && off < x.sectionOffset + slots(x) * 8)!;
          expect(f, `${file}: ${sec}+${off}`).toBeDefined();
          let insn = 0;
          for (let s = f.sectionOffset / 8; s < off / 8; s += f.insns[insn]!.opcode === LDDW ? 2 : 1) insn++;
          const r = f.relocations.find((x) => x.insn === insn);
          expect(r, `${file}: ${sec}+${off} against ${sym}`).toBeDefined();
          if (r!.kind === "map") expect(r!.map).toBe(sym);
          if (r!.kind === "ksym") expect(r!.name).toBe(sym);
          if ((r!.kind === "call" || r!.kind === "func") && !sym.startsWith(".")) expect(r!.target).toBe(sym);
          if (r!.kind === "data" && o.maps.some((mm) => mm.name === sym)) expect(r!.map).toBe(sym);
          checked++;
        }
      }
      // Relocations come from the golden's entries, plus pc-relative calls (no ELF relocation).
      const pcRelative = funcs.reduce((n, f) => n + f.relocations.filter((r) => r.kind === "call").length, 0);
      expect(funcs.reduce((n, f) => n + f.relocations.length, 0) - checked, file).toBeLessThanOrEqual(pcRelative);
      all += checked;
      // Every program's section is a known SEC name; func_info starts each function.
      for (const p of o.programs) expect(programSection(p.secName).secName).toBe(p.secName);
      for (const f of funcs) expect(f.funcInfo[0]).toMatchObject({ insn: 0 });
    }
    expect(all).toBeGreaterThan(100);
  });

  it("sec_kprobe: six programs in five sections, the '?' one not autoloaded, one array map", () => {
    for (const k of ["synthetic", "vmlinux-6.18"]) {
      const o = open(`sec_kprobe.${k}.bpf.o`);
      expect(o.license).toBe("GPL");
      expect(o.kernelVersion).toBe(0);
      expect(o.programs.map((p) => [p.name, p.secName, p.autoload, p.global, p.relocations.map((r) => r.kind + ":" + (r.kind === "map" ? r.map : ""))])).toEqual([
        ["count_write", "kprobe/vfs_write", true, true, ["map:counts"]],
        ["sum_write", "kprobe/vfs_write", true, true, ["map:counts"]],
        ["read_ret", "kretprobe/vfs_read", true, true, ["map:counts"]],
        ["multi_vfs", "kprobe.multi/vfs_*", true, true, ["map:counts"]],
        ["not_autoloaded", "kprobe/vfs_fsync", false, true, ["map:counts"]],
        ["no_target", "kprobe", true, true, ["map:counts"]],
      ]);
      expect(o.programs[1]!.sectionOffset).toBe(slots(o.programs[0]!) * 8);
      expect(o.subprograms).toEqual([]);
      expect(mapsBrief(o)).toEqual([["counts", "btf", 2, 4, 8, 8, 0, 0]]);
      expect(o.btf!.nameOf(o.maps[0]!.keyTypeId!)).toBe("__u32");
      expect(o.btf!.nameOf(o.maps[0]!.valueTypeId!)).toBe("__u64");
      expect(o.externs).toEqual([]);
      // read_ret reads ctx->ax through CO-RE: a field byte offset relocation on struct pt_regs.
      const core = o.programs[2]!.coreRelos;
      expect(core.length).toBeGreaterThanOrEqual(1);
      expect(o.btf!.nameOf(core[0]!.typeId)).toBe("pt_regs");
      expect(core[0]!.kind).toBe(0);
    }
  });

  it("maps_btf: BTF-defined maps by type and by size, flags and pinning", () => {
    const o = open("maps_btf.synthetic.bpf.o");
    expect(mapsBrief(o)).toEqual([
      ["by_pid", "btf", 1, 4, o.maps[0]!.valueSize, 1024, 0, 0],
      ["slots", "btf", 2, 4, 8, 4, 0, 0],
      ["pcpu", "btf", 6, 4, 8, 1, 0, 0],
      ["recent", "btf", 9, o.maps[3]!.keySize, 8, 64, 0, 1],
      ["sized", "btf", 1, 8, 16, 128, 1, 0],
      ["cpu_bytes", "btf", 5, 4, 8, 256, 0, 0],
    ]);
    expect(o.btf!.nameOf(o.maps[0]!.valueTypeId!)).toBe("stats");
    expect(o.btf!.nameOf(o.maps[3]!.keyTypeId!)).toBe("pid_comm");
    expect(o.maps[1]!.keyTypeId).toBeUndefined();
    expect(o.programs.map((p) => [p.name, p.secName])).toEqual([
      ["on_write", "kprobe/vfs_write"],
      ["on_read", "kprobe/vfs_read"],
    ]);
  });

  it("maps_legacy: struct bpf_map_def maps by symbol, SEC socket, SEC version", () => {
    const o = open("maps_legacy.synthetic.bpf.o");
    expect(mapsBrief(o)).toEqual([
      ["my_map", "legacy", 2, 4, 8, 256, 0, 0],
      ["by_ttl", "legacy", 1, 4, 8, 64, 0, 0],
    ]);
    expect(o.kernelVersion).toBe(397824);
    expect(brief(o).programs.map((p) => [p[0], p[1], p[2], (p[3] as { kind: string; map?: string }[]).map((r) => r.map)])).toEqual([["count_proto", "socket", true, ["my_map", "by_ttl", "by_ttl"]]]);
    expect(programSection("socket").progType).toBe("socket_filter");
  });

  it("global_data: .data/.rodata/.rodata.str1.1/.bss maps with vars at their symbol offsets, .kconfig and .ksyms externs", () => {
    const o = open("global_data.synthetic.bpf.o");
    const byName = new Map(o.maps.map((m) => [m.name, m]));
    expect(o.maps.map((m) => [m.name, m.origin, m.type, m.keySize, m.maxEntries, m.flags, m.readOnly])).toEqual([
      [".rodata", "data", 2, 4, 1, 0x80, true],
      [".data", "data", 2, 4, 1, 0, false],
      [".bss", "data", 2, 4, 1, 0, false],
      [".rodata.str1.1", "data", 2, 4, 1, 0x80, true],
      [".kconfig", "data", 2, 4, 1, 0x80, true],
    ]);
    const data = byName.get(".data")!;
    expect(data.vars!.map((v) => [v.name, v.offset, v.size, v.global])).toEqual([
      ["hits", 0, 8, true],
      ["static_data", 8, 4, false],
    ]);
    const dv = new DataView(data.data!.buffer, data.data!.byteOffset);
    expect(dv.getBigUint64(0, true)).toBe(100n); // __u64 hits = 100
    expect(dv.getUint32(8, true)).toBe(7); // static __u32 static_data = 7
    const ro = byName.get(".rodata")!;
    expect(ro.vars!.filter((v) => v.global).map((v) => [v.name, v.offset, v.size])).toEqual([
      ["target_pid", 0, 4],
      ["min_bytes", 8, 8],
      ["verbose", 16, 1],
    ]);
    expect(new DataView(ro.data!.buffer, ro.data!.byteOffset).getBigUint64(8, true)).toBe(1n); // min_bytes = 1
    expect(o.btf!.nameOf(ro.valueTypeId!)).toBe(".rodata");
    const bss = byName.get(".bss")!;
    expect(bss.vars!.map((v) => [v.name, v.size, v.global])).toEqual([
      ["skipped", 8, false],
      ["total_bytes", 8, true],
      ["last_comm", 16, true],
      ["init_task_addr", 8, true],
      ["weak_ksym_addr", 8, true],
    ]);
    expect(bss.data!.every((b) => b === 0)).toBe(true);
    expect(Buffer.from(byName.get(".rodata.str1.1")!.data!).toString("latin1")).toBe("write\0read\0");
    // libbpf's .kconfig layout: largest alignment first, then size, then name.
    expect(o.externs.map((e) => [e.name, e.kind, e.isFunc, e.weak, e.offset, e.size])).toEqual([
      ["CONFIG_HZ", "kconfig", false, false, 0, 4],
      ["LINUX_KERNEL_VERSION", "kconfig", false, false, 4, 4],
      ["CONFIG_BTFSNOOP_NOT_A_CONFIG", "kconfig", false, true, 8, 1],
      ["btfsnoop_no_such_symbol", "ksym", false, true, undefined, undefined],
      ["init_task", "ksym", false, false, undefined, undefined],
    ]);
    expect(byName.get(".kconfig")!.valueSize).toBe(16);
    const onRead = o.programs.find((p) => p.name === "on_read")!;
    expect(onRead.relocations.filter((r) => r.kind === "ksym")).toEqual([
      { kind: "ksym", insn: 1, name: "btfsnoop_no_such_symbol", call: false },
      { kind: "ksym", insn: 4, name: "init_task", call: false },
    ]);
    expect(onRead.relocations.filter((r) => r.kind === "data" && r.map === ".kconfig").map((r) => (r as { offset: number }).offset)).toEqual([4, 8]);
    // Data relocations: offsets are symbol value + imm, inside the section.
    for (const p of o.programs) {
      for (const r of p.relocations) if (r.kind === "data") expect(r.offset).toBeLessThan(byName.get(r.map)!.valueSize);
    }
  });

  it("subprograms: global and static .text functions, a bpf_loop callback, a static helper in the program's own section", () => {
    for (const k of ["synthetic", "vmlinux-6.18"]) {
      const o = open(`subprogs.${k}.bpf.o`);
      expect(o.subprograms.map((s) => [s.name, s.section, s.global, s.relocations])).toEqual([
        ["scale", ".text", true, []],
        ["unused_sub", ".text", true, []],
        ["clamp", ".text", false, []],
        ["sum_step", ".text", false, []],
        ["local_helper", "kprobe/vfs_read", false, []],
      ]);
      expect(o.subprograms[4]!.sectionOffset).toBe(o.programs[1]!.sectionOffset + slots(o.programs[1]!) * 8);
      const kinds = (i: number) => o.programs[i]!.relocations.map((r) => `${r.kind}:${r.kind === "map" ? r.map : (r as { target: string }).target}`);
      expect(o.programs.map((p) => [p.name, p.secName])).toEqual([
        ["calls", "kprobe/vfs_write"],
        ["callbacks", "kprobe/vfs_read"],
      ]);
      // calls: clamp (static, via the .text section symbol), scale (global, by name); four stores to results.
      expect(kinds(0)).toEqual(["call:clamp", "map:results", "call:scale", "map:results"]);
      // callbacks: bpf_loop's callback (lddw of sum_step's address), local_helper by a pc-relative call with no relocation.
      expect(kinds(1)).toEqual(["func:sum_step", "map:results", "map:results", "call:local_helper", "map:results", "call:clamp", "map:results"]);
    }
  });
});

describe("openObject on the malformed fixtures: one exact error each", () => {
  const errorOf = (file: string): BtfsnoopError => {
    try {
      open(file, "malformed");
    } catch (e) {
      expect(e).toBeInstanceOf(BtfsnoopError);
      return e as BtfsnoopError;
    }
    throw new Error(`${file} opened`);
  };
  const cases: [string, string, string][] = [
    ["not-elf.bpf.o", "EINVAL", "'not-elf.bpf.o': invalid ELF at offset 0 (0x0): not an ELF file (bad magic)"],
    ["truncated-ehdr.bpf.o", "EINVAL", "'truncated-ehdr.bpf.o': invalid ELF at offset 0 (0x0): file is 40 bytes, too short for the ELF64 header (64 bytes)"],
    ["truncated-shdrs.bpf.o", "EINVAL", "'truncated-shdrs.bpf.o': invalid ELF at offset 60 (0x3c): 21 section headers at offset 4376 run past the end of the file (4476 bytes)"],
    ["section-past-eof.bpf.o", "EINVAL", "'section-past-eof.bpf.o': invalid ELF at offset 5360 (0x14f0): section 15's bytes [696, 9816) run past the end of the file (5720 bytes)"],
    ["wrong-machine.bpf.o", "EINVAL", "'wrong-machine.bpf.o': not a valid eBPF object file (ELF type 1, machine 62; a BPF object is type 1 (ET_REL), machine 247 (EM_BPF))"],
    ["reloc-bad-symbol.bpf.o", "EINVAL", "'reloc-bad-symbol.bpf.o': invalid ELF at offset 3368 (0xd28): relocation in '.relkprobe/vfs_write' names symbol 21, but the symbol table has 14"],
    ["reloc-not-lddw.bpf.o", "EINVAL", "'reloc-not-lddw.bpf.o': section 'kprobe/vfs_write', program 'count_write', insn 0: invalid relo against 'counts' for insns[0].code 0xb4"],
    ["missing-map.bpf.o", "ENOENT", "'missing-map.bpf.o': section 'kprobe/vfs_write', program 'count_write', insn 4: relocation against unknown map 'counts'"],
    ["unknown-section.bpf.o", "EINVAL", "'unknown-section.bpf.o': section 'krpobe/vfs_write', program 'say': missing BPF prog type, check ELF section name 'krpobe/vfs_write'"],
  ];
  it.each(cases)("%s", (file, errno, message) => {
    const e = errorOf(file);
    expect(e.message).toBe(message);
    expect(e.errno).toBe(errno);
  });
  it("covers every malformed fixture", () => {
    const files = readdirSync(join(DIR, "malformed")).filter((f) => f.endsWith(".o"));
    expect(files.sort()).toEqual(cases.map((c) => c[0]).sort());
  });
});
