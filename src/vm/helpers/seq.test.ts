// bpf_seq_printf / bpf_seq_write: bpf_bprintf_prepare's format rules and
// the helpers' errnos, on a VM address space with a fake seq_file sink.
import { describe, expect, it } from "vitest";
import { AddressSpace, RegionKind, regionAddress } from "../memory.js";
import type { HelperRuntime } from "./abi.js";
import { formatBprintf, seqHelpers, type SeqSink } from "./seq.js";

function runtime(): { rt: HelperRuntime; mem: AddressSpace } {
  const mem = new AddressSpace();
  const env = {
    readKernel: (dst: Uint8Array) => (dst.fill(0), -14),
    readUser: (dst: Uint8Array) => (dst.fill(0), -14),
    symbolize: (a: bigint) => (a === 0xffffffff81000000n ? "schedule+0x0/0x40" : undefined),
  };
  return { rt: { mem, env: env as unknown as HelperRuntime["env"], pc: 0, ctx: undefined, mapAt: () => undefined }, mem };
}

const fmt = (s: string) => Buffer.from(s, "latin1");

describe("formatBprintf", () => {
  const { rt, mem } = runtime();
  it("formats integers with flags and widths as seq_printf", () => {
    expect(formatBprintf(rt, fmt("%8d|%-5u|%08x|%X|%lld|%c|%%"), [42n, 7n, 0xbeefn, 255n, -5n, 65n])).toBe("      42|7    |0000beef|FF|-5|A|%");
    expect(formatBprintf(rt, fmt("%d %u"), [0xffffffffn, 0xffffffffn])).toBe("-1 4294967295");
  });
  it("reads %s, %pi6, %pI6 and %pI4 from memory; %pK prints 16 hex digits", () => {
    const r = mem.map(RegionKind.MEM, Uint8Array.from([...Buffer.from("eth0\0"), 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1]), {});
    const a = regionAddress(r);
    expect(formatBprintf(rt, fmt("%s|%pi6|%pI6"), [a, a + 8n, a + 8n])).toBe("eth0|20010db8000000000000000000000001|2001:0db8:0000:0000:0000:0000:0000:0001");
    expect(formatBprintf(rt, fmt("%pK %ps"), [0xffff888100001000n, 0xffffffff81000000n])).toBe("ffff888100001000 schedule+0x0/0x40");
  });
  it("refuses unsupported conversions, too few arguments (-EINVAL) and more than 12 specifiers (-E2BIG)", () => {
    expect(formatBprintf(rt, fmt("%o"), [1n])).toBe(22);
    expect(formatBprintf(rt, fmt("%hd"), [1n])).toBe(22);
    expect(formatBprintf(rt, fmt("%.3d"), [1n])).toBe(22);
    expect(formatBprintf(rt, fmt("%d %d"), [1n])).toBe(22);
    expect(formatBprintf(rt, fmt("%d".repeat(13)), Array(13).fill(1n))).toBe(7);
  });
});

describe("seq helpers", () => {
  it("seq_printf checks data_len and the NUL; both report -EOVERFLOW when the sink is full", () => {
    const { rt, mem } = runtime();
    let out = "";
    let room = 10;
    const sink: SeqSink = {
      write: (b) => {
        if (b.length > room) return false;
        room -= b.length;
        out += Buffer.from(b).toString("latin1");
        return true;
      },
    };
    const h = seqHelpers((a) => (a === 0x1000n ? sink : undefined));
    const f = mem.map(RegionKind.MEM, Uint8Array.from(Buffer.from("n=%d\n\0")), {});
    const data = mem.map(RegionKind.MEM, new Uint8Array(16), {});
    new DataView(data.bytes.buffer).setBigUint64(0, 5n, true);
    const call = (id: number, ...r: bigint[]) => BigInt.asIntN(64, h[id]!(rt, r[0] ?? 0n, r[1] ?? 0n, r[2] ?? 0n, r[3] ?? 0n, r[4] ?? 0n));
    expect(call(126, 0x1000n, regionAddress(f), 6n, regionAddress(data), 8n)).toBe(0n);
    expect(out).toBe("n=5\n");
    expect(call(126, 0x1000n, regionAddress(f), 6n, regionAddress(data), 4n)).toBe(-22n); // data_len not a multiple of 8
    expect(call(126, 0x1000n, regionAddress(f), 6n, regionAddress(data), 13n * 8n)).toBe(-22n); // more than 12 args
    expect(call(126, 0x1000n, regionAddress(f), 4n, regionAddress(data), 8n)).toBe(-22n); // no NUL within fmt_size
    expect(call(126, 0x2000n, regionAddress(f), 6n, regionAddress(data), 8n)).toBe(-22n); // not a seq_file
    expect(call(127, 0x1000n, regionAddress(f), 4n)).toBe(0n);
    expect(out).toBe("n=5\nn=%d");
    expect(call(127, 0x1000n, regionAddress(f), 4n)).toBe(-75n);
  });
});
