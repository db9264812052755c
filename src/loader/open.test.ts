import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BtfsnoopError } from "../internal/errors.js";
import { openObject } from "./open.js";

const OBJ = join(__dirname, "../../test/fixtures/loader/obj");
const bytes = (f: string) => new Uint8Array(readFileSync(join(OBJ, f)));

describe("openObject", () => {
  it("notes a PROG_ARRAY's initial slots from .rel.maps (tail_calls)", () => {
    const o = openObject(bytes("tail_calls.synthetic.bpf.o"), { name: "t.o" });
    const jmp = o.maps.find((m) => m.name === "jmp_table")!;
    expect([jmp.type, jmp.keySize, jmp.valueSize, jmp.maxEntries]).toEqual([3, 4, 4, 4]);
    expect(jmp.initSlots).toEqual([
      { index: 0, target: "even_count" },
      { index: 1, target: "odd_count" },
    ]);
  });

  it("names the file and the file offset when .BTF.ext is corrupt", () => {
    const b = bytes("sec_kprobe.synthetic.bpf.o");
    b[0x900] = 0x12; // .BTF.ext's magic (section 17 at 0x900, from the readelf golden)
    let err: unknown;
    try {
      openObject(b, { name: "k.o" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtfsnoopError);
    expect((err as Error).message).toBe("'k.o': invalid BTF at offset 2304 (0x900): .BTF.ext has bad magic 0xeb12 (expected 0xeb9f)");
  });

  it("refuses big-endian objects (the BPF machine is little-endian)", () => {
    const b = bytes("sec_kprobe.synthetic.bpf.o");
    // Rewrite the header fields readElf needs in big-endian order.
    const v = new DataView(b.buffer, b.byteOffset);
    const le = [v.getUint16(0x10, true), v.getUint16(0x12, true), v.getBigUint64(0x28, true), v.getUint16(0x3a, true), v.getUint16(0x3c, true), v.getUint16(0x3e, true)] as const;
    b[5] = 2;
    v.setUint16(0x10, le[0]);
    v.setUint16(0x12, le[1]);
    v.setBigUint64(0x28, le[2]);
    v.setUint16(0x3a, le[3]);
    v.setUint16(0x3c, le[4]);
    v.setUint16(0x3e, le[5]);
    const shoff = Number(le[2]);
    for (let i = 0; i < le[4]; i++) {
      const h = shoff + i * 64;
      const symtab = v.getUint32(h + 4, true) === 2;
      const [off, size] = [Number(v.getBigUint64(h + 24, true)), Number(v.getBigUint64(h + 32, true))];
      for (const [o, w] of [[0, 4], [4, 4], [8, 8], [24, 8], [32, 8], [40, 4], [44, 4], [48, 8], [56, 8]] as const) b.subarray(h + o, h + o + w).reverse();
      if (symtab) {
        for (let at = off; at < off + size; at += 24) for (const [o, w] of [[0, 4], [6, 2], [8, 8], [16, 8]] as const) b.subarray(at + o, at + o + w).reverse();
      }
    }
    expect(() => openObject(b, { name: "be.o" })).toThrow("'be.o': endianness mismatch: the object is big-endian (bpfeb), btfsnoop's BPF machine is little-endian");
  });
});
