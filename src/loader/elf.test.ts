import { describe, expect, it } from "vitest";
import { ElfError, readElf, SHT_NOBITS, SHT_PROGBITS, SHT_REL, SHT_RELA, SHT_STRTAB, SHT_SYMTAB, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STT_OBJECT } from "./elf.js";

interface Sec {
  name: string;
  type: number;
  flags?: number;
  data?: Uint8Array;
  /** NOBITS size. */
  size?: number;
  link?: number;
  info?: number;
  entsize?: number;
}

/** A minimal ELF64 writer: header, section data (8-aligned), then the section header table. */
function writeElf(secs: Sec[], le = true, machine = 247): Uint8Array {
  const shstr: number[] = [0];
  const nameOff = (s: string) => {
    const off = shstr.length;
    for (const c of Buffer.from(s, "latin1")) shstr.push(c);
    shstr.push(0);
    return off;
  };
  const all: Sec[] = [{ name: "", type: 0 }, ...secs, { name: ".shstrtab", type: SHT_STRTAB }];
  const names = all.map((s) => (s.name === "" ? 0 : nameOff(s.name)));
  all[all.length - 1]!.data = Uint8Array.from(shstr);
  let off = 64;
  const offs: number[] = [];
  for (const s of all) {
    off = Math.ceil(off / 8) * 8;
    offs.push(off);
    if (s.type !== SHT_NOBITS) off += s.data?.length ?? 0;
  }
  const shoff = Math.ceil(off / 8) * 8;
  const out = new Uint8Array(shoff + all.length * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, le ? 1 : 2, 1]);
  v.setUint16(0x10, 1, le);
  v.setUint16(0x12, machine, le);
  v.setUint32(0x14, 1, le);
  v.setBigUint64(0x28, BigInt(shoff), le);
  v.setUint16(0x34, 64, le);
  v.setUint16(0x3a, 64, le);
  v.setUint16(0x3c, all.length, le);
  v.setUint16(0x3e, all.length - 1, le);
  all.forEach((s, i) => {
    if (s.data && s.type !== SHT_NOBITS) out.set(s.data, offs[i]!);
    const h = shoff + i * 64;
    v.setUint32(h, names[i]!, le);
    v.setUint32(h + 4, s.type, le);
    v.setBigUint64(h + 8, BigInt(s.flags ?? 0), le);
    v.setBigUint64(h + 24, BigInt(i === 0 ? 0 : offs[i]!), le);
    v.setBigUint64(h + 32, BigInt(s.type === SHT_NOBITS ? (s.size ?? 0) : (s.data?.length ?? 0)), le);
    v.setUint32(h + 40, s.link ?? 0, le);
    v.setUint32(h + 44, s.info ?? 0, le);
    v.setBigUint64(h + 48, 8n, le);
    v.setBigUint64(h + 56, BigInt(s.entsize ?? 0), le);
  });
  return out;
}

function strtab(...names: string[]): { data: Uint8Array; off: number[] } {
  const b: number[] = [0];
  const off = names.map((n) => {
    const o = b.length;
    b.push(...Buffer.from(n, "latin1"), 0);
    return o;
  });
  return { data: Uint8Array.from(b), off };
}

function symtab(le: boolean, syms: { name: number; info: number; other?: number; shndx: number; value: number; size: number }[]): Uint8Array {
  const out = new Uint8Array((syms.length + 1) * 24);
  const v = new DataView(out.buffer);
  syms.forEach((s, i) => {
    const at = (i + 1) * 24;
    v.setUint32(at, s.name, le);
    out[at + 4] = s.info;
    out[at + 5] = s.other ?? 0;
    v.setUint16(at + 6, s.shndx, le);
    v.setBigUint64(at + 8, BigInt(s.value), le);
    v.setBigUint64(at + 16, BigInt(s.size), le);
  });
  return out;
}

function rels(le: boolean, entries: { offset: number; sym: number; type: number; addend?: bigint }[]): Uint8Array {
  const size = entries.some((e) => e.addend !== undefined) ? 24 : 16;
  const out = new Uint8Array(entries.length * size);
  const v = new DataView(out.buffer);
  entries.forEach((e, i) => {
    v.setBigUint64(i * size, BigInt(e.offset), le);
    v.setBigUint64(i * size + 8, (BigInt(e.sym) << 32n) | BigInt(e.type), le);
    if (size === 24) v.setBigInt64(i * size + 16, e.addend ?? 0n, le);
  });
  return out;
}

/** An object with .text (section 1), a data section, a BSS, a symbol table (4), its strings (5) and relocations (6). */
function sample(le: boolean): Uint8Array {
  const st = strtab("main", "counter", "ext", "local_fn");
  return writeElf(
    [
      { name: "kprobe/x", type: SHT_PROGBITS, flags: 6, data: new Uint8Array(32) },
      { name: ".data", type: SHT_PROGBITS, flags: 3, data: Uint8Array.from([1, 2, 3, 4]) },
      { name: ".bss", type: SHT_NOBITS, flags: 3, size: 16 },
      {
        name: ".symtab",
        type: SHT_SYMTAB,
        link: 5,
        info: 2,
        entsize: 24,
        data: symtab(le, [
          { name: st.off[3]!, info: (STB_LOCAL << 4) | STT_FUNC, shndx: 1, value: 24, size: 8 },
          { name: st.off[0]!, info: (STB_GLOBAL << 4) | STT_FUNC, other: 2, shndx: 1, value: 0, size: 24 },
          { name: st.off[1]!, info: (STB_GLOBAL << 4) | STT_OBJECT, shndx: 2, value: 0, size: 4 },
          { name: st.off[2]!, info: (STB_WEAK << 4) | 0, shndx: 0, value: 0, size: 0 },
        ]),
      },
      { name: ".strtab", type: SHT_STRTAB, data: st.data },
      { name: ".relkprobe/x", type: SHT_REL, link: 4, info: 1, entsize: 16, data: rels(le, [{ offset: 8, sym: 3, type: 1 }, { offset: 16, sym: 4, type: 10 }]) },
      { name: ".rela.x", type: SHT_RELA, link: 4, info: 1, entsize: 24, data: rels(le, [{ offset: 0, sym: 1, type: 1, addend: -8n }]) },
    ],
    le,
  );
}

describe("readElf", () => {
  for (const le of [true, false]) {
    it(`reads sections, symbols and relocations (${le ? "little" : "big"}-endian)`, () => {
      const elf = readElf(sample(le));
      expect(elf.littleEndian).toBe(le);
      expect(elf.machine).toBe(247);
      expect(elf.type).toBe(1);
      expect(elf.sections.map((s) => [s.index, s.name, s.type, s.flags, s.size, s.link, s.info])).toEqual([
        [0, "", 0, 0, 0, 0, 0],
        [1, "kprobe/x", 1, 6, 32, 0, 0],
        [2, ".data", 1, 3, 4, 0, 0],
        [3, ".bss", 8, 3, 16, 0, 0],
        [4, ".symtab", 2, 0, 120, 5, 2],
        [5, ".strtab", 3, 0, 27, 0, 0],
        [6, ".relkprobe/x", 9, 0, 32, 4, 1],
        [7, ".rela.x", 4, 0, 24, 4, 1],
        [8, ".shstrtab", 3, 0, 68, 0, 0],
      ]);
      expect(Array.from(elf.data(elf.sectionByName(".data")!))).toEqual([1, 2, 3, 4]);
      expect(Array.from(elf.data(elf.sectionByName(".bss")!))).toEqual(new Array(16).fill(0));
      expect(elf.symbols.map((s) => [s.index, s.name, s.type, s.binding, s.visibility, s.shndx, s.value, s.size])).toEqual([
        [0, "", 0, 0, 0, 0, 0, 0],
        [1, "local_fn", STT_FUNC, STB_LOCAL, 0, 1, 24, 8],
        [2, "main", STT_FUNC, STB_GLOBAL, 2, 1, 0, 24],
        [3, "counter", STT_OBJECT, STB_GLOBAL, 0, 2, 0, 4],
        [4, "ext", 0, STB_WEAK, 0, 0, 0, 0],
      ]);
      expect(elf.relocations(elf.sections[6]!).map((r) => [r.offset, r.symbol, r.type, r.addend])).toEqual([
        [8, 3, 1, undefined],
        [16, 4, 10, undefined],
      ]);
      expect(elf.relocations(elf.sections[7]!).map((r) => [r.offset, r.symbol, r.type, r.addend])).toEqual([[0, 1, 1, -8n]]);
    });
  }

  const fails = (bytes: Uint8Array): ElfError => {
    try {
      readElf(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ElfError);
      return e as ElfError;
    }
    throw new Error("readElf accepted the input");
  };

  it("refuses files that are not ELF64 objects, with the offset", () => {
    expect(fails(new Uint8Array([1, 2])).message).toBe("invalid ELF at offset 0 (0x0): file is 2 bytes, too short for the ELF magic");
    expect(fails(Uint8Array.from(Buffer.from("hello world"))).message).toBe("invalid ELF at offset 0 (0x0): not an ELF file (bad magic)");
    const good = sample(true);
    expect(fails(good.subarray(0, 40)).message).toBe("invalid ELF at offset 0 (0x0): file is 40 bytes, too short for the ELF64 header (64 bytes)");
    const c32 = good.slice();
    c32[4] = 1;
    expect(fails(c32).message).toBe("invalid ELF at offset 4 (0x4): 32-bit ELF objects are not supported (BPF objects are ELF64)");
    const enc = good.slice();
    enc[5] = 3;
    expect(fails(enc).message).toBe("invalid ELF at offset 5 (0x5): unknown ELF data encoding 3 (1 = little-endian, 2 = big-endian)");
  });

  it("refuses a truncated file: the section header table or a section's bytes past the end", () => {
    const good = sample(true);
    const shoff = Number(new DataView(good.buffer).getBigUint64(0x28, true));
    const e = fails(good.subarray(0, shoff + 100));
    expect(e.message).toBe(`invalid ELF at offset 60 (0x3c): 9 section headers at offset ${shoff} run past the end of the file (${shoff + 100} bytes)`);
    expect(e.hint).toBe("the file is truncated");
    const big = good.slice();
    new DataView(big.buffer).setBigUint64(shoff + 64 + 32, 100000n, true); // section 1's size
    expect(fails(big).message).toBe(`invalid ELF at offset ${shoff + 64 + 24} (0x${(shoff + 88).toString(16)}): section 1's bytes [64, 100064) run past the end of the file (${good.length} bytes)`);
  });

  it("refuses bad names, symbol sections and relocation symbols", () => {
    const good = sample(true);
    const v = (b: Uint8Array) => new DataView(b.buffer);
    const shoff = Number(v(good).getBigUint64(0x28, true));
    const badName = good.slice();
    v(badName).setUint32(shoff + 64, 5000, true);
    const shstrOff = Number(v(good).getBigUint64(shoff + 8 * 64 + 24, true));
    expect(fails(badName).message).toBe(`invalid ELF at offset ${shoff + 64} (0x${(shoff + 64).toString(16)}): section name offset 5000 is outside its string table (68 bytes at offset ${shstrOff})`);
    expect(fails(badName).offset).toBe(shoff + 64);

    const symtabOff = Number(v(good).getBigUint64(shoff + 4 * 64 + 24, true));
    const badShndx = good.slice();
    v(badShndx).setUint16(symtabOff + 2 * 24 + 6, 40, true);
    expect(fails(badShndx).message).toBe(`invalid ELF at offset ${symtabOff + 54} (0x${(symtabOff + 54).toString(16)}): symbol 2 names section 40, but there are 9 sections`);

    const relOff = Number(v(good).getBigUint64(shoff + 6 * 64 + 24, true));
    const badSym = good.slice();
    v(badSym).setBigUint64(relOff + 8, (9n << 32n) | 1n, true);
    const elf = readElf(badSym);
    expect(() => elf.relocations(elf.sections[6]!)).toThrow(`invalid ELF at offset ${relOff + 8} (0x${(relOff + 8).toString(16)}): relocation in '.relkprobe/x' names symbol 9, but the symbol table has 5`);
    expect(() => elf.relocations(elf.sections[1]!)).toThrow("section 'kprobe/x' is not a relocation section (type 1)");
  });
});
