// KernelMemory: KernelEnv-style reads, user/kernel separation, and struct
// sk_buff on the real vmlinux 6.18 BTF.
import { describe, expect, it } from "vitest";
import { BtfKind } from "../../btf/kinds.js";
import { vmlinuxBtf } from "../../../test/helpers/fixtures.js";
import { KernelMemory } from "./index.js";

describe("KernelMemory user and kernel spaces", () => {
  it("keeps user memory out of kernel reads and kernel memory out of user reads", () => {
    const km = new KernelMemory(vmlinuxBtf());
    const u = km.userSpace(1234);
    expect(km.userSpace(1234)).toBe(u);
    const buf = u.heapAlloc(6, "hello\n");
    expect(buf).toBe(0x555555559000n);
    const dst = new Uint8Array(6);
    expect(km.readUser(1234, dst, buf)).toBe(0);
    expect(new TextDecoder().decode(dst)).toBe("hello\n");
    const k = new Uint8Array(6).fill(9);
    expect(km.readKernel(k, buf)).toBe(-14);
    expect([...k]).toEqual([0, 0, 0, 0, 0, 0]);
    const other = new Uint8Array(6).fill(9);
    expect(km.readUser(4321, other, buf)).toBe(-14); // another process: no such mapping
    expect([...other]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(km.hasUserSpace(4321)).toBe(false);
    km.userSpace(4321);
    expect(km.readUser(4321, other, buf)).toBe(-14); // its own empty space
    const skb = km.alloc("sk_buff");
    expect(km.readKernel(new Uint8Array(8), skb)).toBe(0);
    const viaUser = new Uint8Array(8).fill(3);
    expect(km.readUser(1234, viaUser, skb)).toBe(-14);
    expect([...viaUser]).toEqual(new Array(8).fill(0));
    km.dropUserSpace(1234);
    expect(km.readUser(1234, dst, buf)).toBe(-14);
    expect([...dst]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("serves KernelEnv reads for the current process", () => {
    const km = new KernelMemory(vmlinuxBtf());
    let pid = 7;
    const env = km.envReads(() => pid);
    const buf = km.userSpace(7).stackAlloc(4, Uint8Array.of(1, 2, 3, 4));
    const dst = new Uint8Array(4);
    expect(env.readUser(dst, buf)).toBe(0);
    expect([...dst]).toEqual([1, 2, 3, 4]);
    pid = 8;
    expect(env.readUser(dst, buf)).toBe(-14);
    expect([...dst]).toEqual([0, 0, 0, 0]);
    expect(env.readKernel(dst, buf)).toBe(-14);
  });

  it("places kernel text and symbolizes it", () => {
    const km = new KernelMemory(vmlinuxBtf());
    expect(km.text.alloc("tcp_sendmsg", 0x60)).toBe(0xffffffff81000000n);
    expect(km.symbolize(0xffffffff81000010n)).toBe("tcp_sendmsg+0x10/0x60");
    const d = new Uint8Array(1);
    expect(km.readKernel(d, 0xffffffff81000010n)).toBe(0);
    expect(d[0]).toBe(0xcc);
  });

  it("writeKernel throws EFAULT on unmapped memory", () => {
    const km = new KernelMemory(vmlinuxBtf());
    expect(() => km.writeKernel(0xffff888100000000n, Uint8Array.of(1))).toThrow(/0xffff888100000000 is not mapped/);
  });
});

describe("struct sk_buff on vmlinux 6.18", () => {
  it("allocates from skbuff_head_cache, 64-byte aligned, zeroed", () => {
    const km = new KernelMemory(vmlinuxBtf());
    const skb = km.alloc("sk_buff");
    const cache = km.objects.cacheFor("sk_buff");
    expect(cache.name).toBe("skbuff_head_cache");
    expect(cache.objectSize).toBe(224);
    expect(cache.stride).toBe(256);
    expect(skb).toBe(0xffff888100000000n);
    expect(km.alloc("sk_buff")).toBe(0xffff888100000100n);
    expect(km.objects.typeOf(skb)).toBe(km.btf.findByNameKind("sk_buff", BtfKind.STRUCT));
    const all = new Uint8Array(224).fill(1);
    expect(km.readKernel(all, skb)).toBe(0);
    expect(all.every((b) => b === 0)).toBe(true);
    expect(km.readKernel(new Uint8Array(225), skb)).toBe(-14); // into the padding
  });

  it("writes and reads len, dev, cb and the pkt_type bitfield at their offsets", () => {
    const km = new KernelMemory(vmlinuxBtf());
    const skb = km.alloc("sk_buff");
    const dev = km.alloc("net_device");
    expect(km.objects.cacheFor("net_device").name).toBe("net_device");

    expect(km.field("sk_buff", "len")).toMatchObject({ byteOffset: 112, size: 4, bitSize: 0 });
    km.writeField(skb, "sk_buff", "len", 1500n);
    expect(km.readField(skb, "sk_buff", "len")).toBe(1500n);
    const raw = new Uint8Array(4);
    expect(km.readKernel(raw, skb + 112n)).toBe(0);
    expect([...raw]).toEqual([0xdc, 0x05, 0, 0]);

    expect(km.field("sk_buff", "dev")).toMatchObject({ byteOffset: 16, size: 8 });
    km.writeField(skb, "sk_buff", "dev", dev);
    expect(km.readField(skb, "sk_buff", "dev")).toBe(dev);
    const p = new Uint8Array(8);
    expect(km.readKernel(p, skb + 16n)).toBe(0);
    expect(new DataView(p.buffer).getBigUint64(0, true)).toBe(dev);

    expect(km.field("sk_buff", "cb")).toMatchObject({ byteOffset: 40, size: 48 });
    const cb = Uint8Array.from({ length: 48 }, (_, i) => i + 1);
    km.writeField(skb, "sk_buff", "cb", cb);
    expect([...km.readFieldBytes(skb, "sk_buff", "cb")]).toEqual([...cb]);
    expect(km.readField(skb, "sk_buff", "cb[47]")).toBe(48n);

    // __u8 pkt_type:3 at bit 1024 (byte 128 = PKT_TYPE_OFFSET, bits 0..2)
    expect(km.field("sk_buff", "pkt_type")).toMatchObject({ bitOffset: 1024, bitSize: 3, byteOffset: 128, size: 1 });
    km.writeKernel(skb + 128n, Uint8Array.of(0xf8)); // the neighbouring bitfields set
    km.writeField(skb, "sk_buff", "pkt_type", 4n); // PACKET_OTHERHOST
    expect(km.readField(skb, "sk_buff", "pkt_type")).toBe(4n);
    const b = new Uint8Array(1);
    expect(km.readKernel(b, skb + 128n)).toBe(0);
    expect(b[0]).toBe(0xfc);
    expect(() => km.writeField(skb, "sk_buff", "pkt_type", 8n)).toThrow("value 8 does not fit in the 3-bit field 'pkt_type'");

    // dotted path through an embedded struct with anonymous unions
    const sk = km.alloc("sock");
    km.writeField(sk, "sock", "__sk_common.skc_family", 10n); // AF_INET6
    expect(km.readField(sk, "sock", "__sk_common.skc_family")).toBe(10n);
    expect(km.field("sock", "__sk_common.skc_family")).toMatchObject({ byteOffset: 16, size: 2 });
    expect([...km.kernel.peek(sk + 16n, 2)]).toEqual([10, 0]);
    expect(() => km.readField(skb, "sk_buff", "no_such_field")).toThrow(/no member 'no_such_field' in struct sk_buff/);
  });

  it("freed sk_buffs fault for probe_read and are reused LIFO", () => {
    const km = new KernelMemory(vmlinuxBtf());
    const a = km.alloc("sk_buff");
    const b = km.alloc("sk_buff");
    km.writeField(a, "sk_buff", "len", 60n);
    km.free(a);
    const dst = new Uint8Array(4).fill(0xaa);
    expect(km.readKernel(dst, a + 112n)).toBe(-14);
    expect([...dst]).toEqual([0, 0, 0, 0]);
    expect([...km.kernel.peek(a + 112n, 4)]).toEqual([0x6b, 0x6b, 0x6b, 0x6b]);
    expect(km.kernel.peek(a + 223n, 1)[0]).toBe(0xa5);
    expect(km.objects.cacheFor("sk_buff").stats.uafReads).toBe(1);
    km.free(b);
    expect(km.alloc("sk_buff")).toBe(b);
    expect(km.alloc("sk_buff")).toBe(a);
  });
});

describe("KernelMemory typed field access", () => {
  it("reads and writes int, pointer and sized fields in one typed access with the same values, ranges and faults as KernelObjects", () => {
    const km = new KernelMemory(vmlinuxBtf());
    const skb = km.alloc("sk_buff");
    const cases: [string, bigint, bigint][] = [
      ["len", 0xfffffffen, 0xfffffffen], // unsigned int
      ["skb_iif", -5n, -5n], // int: sign-extended back
      ["skb_iif", 0xfffffffbn, -5n], // the same bits written unsigned
      ["mac_header", 0xffffn, 0xffffn], // __u16
      ["tstamp", -2n, -2n], // ktime_t (s64)
      ["tstamp", 0xffffffffffffffffn, -1n],
      ["data", 0xffff888100001234n, 0xffff888100001234n], // pointer
      ["pkt_type", 7n, 7n], // a 3-bit bitfield: the general path
    ];
    for (const [path, written, read] of cases) {
      km.writeField(skb, "sk_buff", path, written);
      expect([path, km.readField(skb, "sk_buff", path)]).toEqual([path, read]);
      expect([path, km.readField(skb, "sk_buff", path)]).toEqual([path, km.objects.readField(skb, "sk_buff", path)]);
    }
    const len = km.field("sk_buff", "len").byteOffset;
    expect([...km.kernel.peek(skb + BigInt(len), 4)]).toEqual([0xfe, 0xff, 0xff, 0xff]);
    expect(() => km.writeField(skb, "sk_buff", "len", 1n << 32n)).toThrow(/value 4294967296 does not fit in the 32-bit field 'len'/);
    expect(() => km.writeField(skb, "sk_buff", "skb_iif", -(1n << 31n) - 1n)).toThrow(/does not fit in the 32-bit field 'skb_iif'/);
    expect(() => km.writeField(skb, "sk_buff", "data", -1n)).toThrow(/not a 64-bit address for pointer field 'data'/);
    expect(km.readField(skb, "sk_buff", "len")).toBe(0xfffffffen); // nothing written by the refused values
    km.free(skb);
    expect(() => km.readField(skb, "sk_buff", "len")).toThrow(/use after free: skbuff_head_cache object/);
    expect(() => km.writeField(skb, "sk_buff", "len", 1n)).toThrow(/use after free/);
    expect(km.slab.cache("skbuff_head_cache")!.stats).toMatchObject({ uafReads: 1, uafWrites: 1 });
  });
});

describe("KernelMemory field accessors", () => {
  it("load/store through a held accessor read and write what readField/writeField do, with the same ranges and faults", () => {
    const km = new KernelMemory(vmlinuxBtf());
    const skb = km.alloc("sk_buff");
    const len = km.accessor("sk_buff", "len");
    expect(km.accessor("sk_buff", "len")).toBe(len); // cached
    expect([len.scalar, len.offset, len.size, len.signed, len.min, len.max]).toEqual([true, km.field("sk_buff", "len").byteOffset, 4, false, -(1n << 31n), (1n << 32n) - 1n]);
    const iif = km.accessor("sk_buff", "skb_iif");
    const tstamp = km.accessor("sk_buff", "tstamp");
    const data = km.accessor("sk_buff", "data");
    const pktType = km.accessor("sk_buff", "pkt_type");
    const cb = km.accessor("sk_buff", "cb");
    expect([iif.signed, tstamp.size, data.max, pktType.scalar, cb.scalar, cb.size]).toEqual([true, 8, (1n << 64n) - 1n, false, false, 48]);
    km.store(skb, len, 0xfffffffen);
    km.store(skb, iif, 0xfffffffbn);
    km.store(skb, tstamp, 0xffffffffffffffffn);
    km.store(skb, data, 0xffff888100001234n);
    km.store(skb, pktType, 5n); // a bitfield: the general path
    km.store(skb, cb, Uint8Array.of(1, 2, 3));
    expect([km.load(skb, len), km.load(skb, iif), km.load(skb, tstamp), km.load(skb, data), km.load(skb, pktType)]).toEqual([0xfffffffen, -5n, -1n, 0xffff888100001234n, 5n]);
    expect([km.readField(skb, "sk_buff", "skb_iif"), km.objects.readField(skb, "sk_buff", "tstamp"), km.objects.readField(skb, "sk_buff", "pkt_type")]).toEqual([-5n, -1n, 5n]);
    expect([...km.readFieldBytes(skb, "sk_buff", "cb").subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    expect(() => km.load(skb, cb)).toThrow(/field 'cb' is an array of 48: read it as bytes/);
    expect(() => km.store(skb, len, 1n << 32n)).toThrow(/value 4294967296 does not fit in the 32-bit field 'len'/);
    expect(() => km.store(skb, data, -1n)).toThrow(/not a 64-bit address for pointer field 'data'/);
    expect(() => km.accessor("sk_buff", "no_such_field")).toThrow(/no_such_field/);
    km.free(skb);
    expect(() => km.load(skb, len)).toThrow(/use after free: skbuff_head_cache object/);
    expect(() => km.store(skb, len, 1n)).toThrow(/use after free/);
  });

  it("structAccessor answers the trimmed-header rule: a struct's field by its first path segment, undefined when the struct or member is missing", () => {
    const km = new KernelMemory(vmlinuxBtf());
    const family = km.structAccessor("sock", "__sk_common.skc_family")!;
    expect([family.loc.byteOffset, family.size, family.type]).toEqual([km.field("sock", "__sk_common.skc_family").byteOffset, 2, km.btf.findByNameKind("sock", BtfKind.STRUCT)]);
    expect(km.structAccessor("sock", "__sk_common.skc_family")).toBe(family);
    expect(km.structAccessor("sock", "no_such_member.x")).toBeUndefined();
    expect(km.structAccessor("no_such_struct", "x")).toBeUndefined();
    expect(km.structAccessor("sk_buff", "cb[2]")!.offset).toBe(km.field("sk_buff", "cb").byteOffset + 2);
    const sk = km.alloc("sock");
    km.store(sk, family, 10n);
    expect(km.readField(sk, "sock", "__sk_common.skc_family")).toBe(10n);
  });

  it("knows the type of a live object by its cache: alloc by name, typedef or id gives the struct, freed objects have none", () => {
    const km = new KernelMemory(vmlinuxBtf());
    const skbId = km.btf.findByNameKind("sk_buff", BtfKind.STRUCT)!;
    const a = km.alloc("sk_buff");
    const b = km.alloc(skbId);
    expect([km.objects.typeOf(a), km.objects.typeOf(b), km.objects.typeOf(a + 8n)]).toEqual([skbId, skbId, undefined]);
    km.free(a);
    expect(km.objects.typeOf(a)).toBeUndefined();
    expect(km.alloc("sk_buff")).toBe(a); // LIFO reuse through the cached cache
    expect(km.objects.typeOf(a)).toBe(skbId);
    const k64 = km.kmalloc(64);
    expect(km.objects.typeOf(k64)).toBeUndefined(); // kmalloc objects have no BTF type
    expect(km.slab.cache("kmalloc-64")!.isLive(k64)).toBe(true);
  });
});

describe("KernelMemory strings", () => {
  it("reads a char array up to its NUL as KernelObjects does, with its errors", () => {
    const km = new KernelMemory(vmlinuxBtf());
    const dev = km.alloc("net_device");
    km.writeString(dev, "net_device", "name", "eth0");
    expect(km.readString(dev, "net_device", "name")).toBe("eth0");
    km.writeString(dev, "net_device", "name", "wlan-\u00e9t\u00e9-very-long-name"); // UTF-8, truncated to 15 bytes + NUL
    expect(km.readString(dev, "net_device", "name")).toBe(km.objects.readString(dev, "net_device", "name"));
    expect(km.readString(dev, "net_device", "name")).toBe("wlan-\u00e9t\u00e9-very");
    expect(() => km.readString(dev, "net_device", "mtu")).toThrow(/field 'mtu' is a INT unsigned int, not a char array/);
    km.free(dev);
    expect(() => km.readString(dev, "net_device", "name")).toThrow(/use after free: .* object/);
  });
});
