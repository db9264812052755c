// Typed objects on a small hand-built BTF: nested structs, an anonymous
// union, bitfields (incl. signed and byte-straddling), a char array, a
// pointer, array indexing, errors for unknown fields and bad values.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../btf/builder.js";
import { BtfError } from "../../btf/errors.js";
import { IntEncoding } from "../../btf/kinds.js";
import { BtfsnoopError } from "../../internal/errors.js";
import { KernelMemory } from "./index.js";

/*
 * struct inner { int x; unsigned int y; };                       // 8 bytes
 * struct outer {                                                  // 48 bytes
 *   unsigned int lo:3; int mid:7; unsigned int top:20;            // @0
 *   struct inner in;                                              // @8
 *   union { unsigned long u64v; int i32v; };                      // @16
 *   char comm[16];                                                // @24
 *   struct outer *next;                                           // @40
 * };
 * typedef struct outer outer_t;
 */
function smallBtf() {
  const b = new BtfBuilder();
  const int = b.int("int", 4, IntEncoding.SIGNED);
  const uint = b.int("unsigned int", 4);
  const ulong = b.int("unsigned long", 8);
  const char = b.int("char", 1, IntEncoding.SIGNED);
  const inner = b.struct("inner", 8);
  b.field(inner, "x", int, 0).field(inner, "y", uint, 32);
  const outer = b.struct("outer", 48);
  const u = b.union("", 8);
  b.field(u, "u64v", ulong, 0).field(u, "i32v", int, 0);
  const comm = b.array(char, int, 16);
  const ptr = b.ptr(outer);
  b.field(outer, "lo", uint, 0, 3)
    .field(outer, "mid", int, 3, 7)
    .field(outer, "top", uint, 12, 20)
    .field(outer, "in", inner, 64)
    .field(outer, "", u, 128)
    .field(outer, "comm", comm, 192)
    .field(outer, "next", ptr, 320);
  const td = b.typedef("outer_t", outer);
  return { btf: b.finish(), outer, inner, td };
}

describe("KernelObjects on a small BTF", () => {
  it("allocates zeroed objects at deterministic addresses from a per-type cache", () => {
    const { btf, outer, td } = smallBtf();
    const km = new KernelMemory(btf);
    const a = km.alloc("outer");
    expect(a).toBe(0xffff888100000000n);
    expect(km.alloc(outer)).toBe(0xffff888100000030n);
    const c = km.alloc("outer_t");
    expect(c).toBe(0xffff888100000060n); // a typedef shares its struct's cache
    expect(km.objects.cacheFor(outer).name).toBe("outer");
    expect(km.objects.cacheFor(td)).toBe(km.objects.cacheFor(outer));
    expect(km.objects.typeOf(c)).toBe(outer);
    expect(km.alloc("inner")).toBe(0xffff888100001000n); // another type: its own slab page
    expect(km.objects.typeOf(a)).toBe(outer);
    const dst = new Uint8Array(48).fill(1);
    expect(km.readKernel(dst, a)).toBe(0);
    expect(dst.every((x) => x === 0)).toBe(true);
    expect(() => km.alloc("nosuch")).toThrow("no struct, union or typedef named 'nosuch'");
  });

  it("round-trips bitfields with read-modify-write of the containing bytes", () => {
    const { btf } = smallBtf();
    const km = new KernelMemory(btf);
    const a = km.alloc("outer");
    km.writeField(a, "outer", "lo", 5n);
    km.writeField(a, "outer", "mid", -3n);
    km.writeField(a, "outer", "top", 0xabcden);
    // 5 | (0x7d << 3) | (0xabcde << 12) = 0xabcde3ed
    expect([...km.kernel.peek(a, 4)]).toEqual([0xed, 0xe3, 0xcd, 0xab]);
    expect(km.readField(a, "outer", "lo")).toBe(5n);
    expect(km.readField(a, "outer", "mid")).toBe(-3n);
    expect(km.readField(a, "outer", "top")).toBe(0xabcden);
    km.writeField(a, "outer", "mid", 0x3fn); // neighbours kept
    expect(km.readField(a, "outer", "lo")).toBe(5n);
    expect(km.readField(a, "outer", "mid")).toBe(0x3fn);
    expect(km.readField(a, "outer", "top")).toBe(0xabcden);
    expect(km.field("outer", "mid")).toMatchObject({ bitOffset: 3, bitSize: 7, byteOffset: 0, size: 2 });
    expect(() => km.writeField(a, "outer", "lo", 8n)).toThrow("value 8 does not fit in the 3-bit field 'lo'");
    expect(() => km.writeField(a, "outer", "lo", Uint8Array.of(1))).toThrow(/bitfield/);
  });

  it("reads and writes nested struct members, anonymous union members and pointers", () => {
    const { btf } = smallBtf();
    const km = new KernelMemory(btf);
    const a = km.alloc("outer");
    const b = km.alloc("outer");
    km.writeField(a, "outer", "in.x", -2n);
    km.writeField(a, "outer", "in.y", 0xffffffffn);
    expect(km.readField(a, "outer", "in.x")).toBe(-2n);
    expect(km.readField(a, "outer", "in.y")).toBe(0xffffffffn);
    km.writeField(a, "outer", "u64v", 0x1122334455667788n);
    expect(km.readField(a, "outer", "i32v")).toBe(0x55667788n);
    km.writeField(a, "outer", "i32v", -1n);
    expect(km.readField(a, "outer", "u64v")).toBe(0x11223344ffffffffn);
    km.writeField(a, "outer", "next", b);
    expect(km.readField(a, "outer", "next")).toBe(0xffff888100000030n);
    expect([...km.kernel.peek(a + 40n, 8)]).toEqual([0x30, 0, 0, 0, 0x81, 0x88, 0xff, 0xff]);
    expect([...km.kernel.peek(a + 8n, 8)]).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    // raw bytes into a struct member, then member reads see them
    km.writeField(b, "outer", "in", Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0));
    expect(km.readField(b, "outer", "in.y")).toBe(2n);
    expect(() => km.readField(b, "outer", "in")).toThrow("field 'in' is struct inner: read it as bytes");
    expect(() => km.writeField(b, "outer", "in", 1n)).toThrow(/write it as bytes/);
    expect(() => km.writeField(b, "outer", "in", new Uint8Array(9))).toThrow("9 bytes do not fit in the 8-byte field 'in'");
    expect(() => km.writeField(b, "outer", "next", -1n)).toThrow(/not a 64-bit address/);
  });

  it("writes char arrays from strings (truncated, NUL-padded) and indexes arrays", () => {
    const { btf } = smallBtf();
    const km = new KernelMemory(btf);
    const a = km.alloc("outer", { zero: false }); // poison first: padding must be written
    km.writeString(a, "outer", "comm", "bash");
    expect([...km.readFieldBytes(a, "outer", "comm")]).toEqual([0x62, 0x61, 0x73, 0x68, ...new Array(12).fill(0)]);
    expect(km.readString(a, "outer", "comm")).toBe("bash");
    km.writeString(a, "outer", "comm", "a-very-long-command-name");
    expect(km.readString(a, "outer", "comm")).toBe("a-very-long-com");
    expect(km.readField(a, "outer", "comm[1]")).toBe(BigInt("-".charCodeAt(0)));
    km.writeField(a, "outer", "comm[15]", -1n);
    expect(km.kernel.peek(a + 39n, 1)[0]).toBe(0xff);
    expect(() => km.writeString(a, "outer", "in", "x")).toThrow("field 'in' is struct inner, not a char array");
    expect(() => km.field("outer", "comm[16]")).toThrow(/index 16 out of bounds of array of 16/);
  });

  it("reports unknown fields with the BTF library's messages", () => {
    const { btf, outer } = smallBtf();
    const km = new KernelMemory(btf);
    const a = km.alloc("outer");
    let err: unknown;
    try {
      km.readField(a, outer, "nope");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtfError);
    expect((err as BtfError).errno).toBe("ENOENT");
    expect((err as Error).message).toBe(`type [${outer}]: no member 'nope' in struct outer`);
    expect(() => km.readField(a, outer, "in.z")).toThrow("no member 'z' in struct inner");
    expect(() => km.readField(a, outer, "lo.x")).toThrow(/'x': INT has no members/);
    expect(() => km.readField(a, outer, "in..x")).toThrow(BtfError);
  });

  it("throws EFAULT (and counts) for model accesses to freed objects", () => {
    const { btf } = smallBtf();
    const km = new KernelMemory(btf);
    const a = km.alloc("outer");
    km.free(a);
    expect(km.objects.typeOf(a)).toBeUndefined();
    const cache = km.objects.cacheFor("outer");
    let err: unknown;
    try {
      km.writeField(a, "outer", "in.x", 1n);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtfsnoopError);
    expect((err as BtfsnoopError).errno).toBe("EFAULT");
    expect((err as Error).message).toBe(
      "write of 4 bytes at 0xffff888100000008: address 0xffff888100000008 is not mapped (use after free: outer object 0xffff888100000000 was freed)",
    );
    expect(cache.stats.uafWrites).toBe(1);
    expect(() => km.readField(a, "outer", "lo")).toThrow(/use after free/);
    expect(cache.stats.uafReads).toBe(1);
    // a probe_read of the freed object: -EFAULT, zero-filled, counted
    const dst = new Uint8Array(8).fill(0x55);
    expect(km.readKernel(dst, a)).toBe(-14);
    expect([...dst]).toEqual(new Array(8).fill(0));
    expect(cache.stats.uafReads).toBe(2);
    expect(km.alloc("outer")).toBe(a); // LIFO reuse, zeroed again
    expect(km.readField(a, "outer", "top")).toBe(0n);
  });
});
