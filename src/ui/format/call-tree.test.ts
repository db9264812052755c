// Call-tree rendering: values by their C type (signed, unsigned, bool,
// enum names, chars, char arrays, strings, pointers as hex, unreadable
// values), errnos by return type (ints of 4/8 bytes, ERR_PTR pointers, not
// unsigned), and the text and JSON of a whole tree.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../btf/builder.js";
import { IntEncoding } from "../../btf/kinds.js";
import type { CallTree } from "../../tracer/call-tree.js";
import type { TraceValue } from "../../tracer/event.js";
import { formatCallTree, formatCallTreeJson, returnErrno, treeValueJson, treeValueText } from "./call-tree.js";

const b = new BtfBuilder();
const int = b.int("int", 4, IntEncoding.SIGNED);
const long = b.int("long int", 8, IntEncoding.SIGNED);
const uint = b.int("unsigned int", 4);
const size_t = b.typedef("size_t", b.int("long unsigned int", 8));
const bool = b.int("_Bool", 1, IntEncoding.BOOL);
const char = b.int("char", 1, IntEncoding.SIGNED);
const short = b.int("short int", 2, IntEncoding.SIGNED);
const constInt = b.const(b.typedef("s32", int));
const state = b.enum("sk_state", 4, [
  ["TCP_ESTABLISHED", 1],
  ["TCP_CLOSE", 7],
]);
const name16 = b.array(char, int, 16);
const sock = b.struct("sock", 8);
b.field(sock, "x", int, 0);
const sockPtr = b.ptr(sock);
const charPtr = b.ptr(char);
const btf = b.finish();

/** A register value of type `typeId` (raw as the 64-bit register holds it), with its bytes captured when `size` is given. */
function reg(name: string, typeId: number, raw: bigint, size?: number): TraceValue {
  const bytes = size === undefined ? undefined : Uint8Array.from({ length: size }, (_, i) => Number((BigInt.asUintN(64, raw) >> BigInt(8 * i)) & 0xffn));
  return { name, typeId, raw: BigInt.asUintN(64, raw), dataTypeId: typeId, fullSize: size ?? 0, ...(bytes ? { data: bytes } : {}) };
}
const ptr = (name: string, p: bigint, extra: Partial<TraceValue> = {}): TraceValue => ({ name, typeId: sockPtr, ptr: p, raw: p, dataTypeId: sock, fullSize: 8, ...extra });

describe("call-tree values by C type", () => {
  it.each<[string, TraceValue, string, unknown]>([
    ["int -100, sign-extended register, bytes captured", reg("dfd", int, -100n, 4), "-100", -100],
    ["int -100 in a zero-extended register, no bytes", reg("dfd", int, 0xffffff9cn), "-100", -100],
    ["int with garbage in the upper half", reg("x", int, 0xdeadbeef00000005n), "5", 5],
    ["const s32 (qualifiers and typedefs skipped)", reg("x", constInt, -2n), "-2", -2],
    ["unsigned int 0xffffffff", reg("n", uint, -1n, 4), "4294967295", 4294967295],
    ["size_t beyond 2^53 (a decimal string in JSON)", reg("n", size_t, -1n, 8), "18446744073709551615", "18446744073709551615"],
    ["long -1", reg("r", long, -1n), "-1", -1],
    ["short -3", reg("s", short, 0xfffdn), "-3", -3],
    ["bool", reg("b", bool, 1n, 1), "true", true],
    ["char is a number, as the plain trace shows it", reg("c", char, 97n, 1), "97", 97],
    ["enum by name", reg("st", state, 7n, 4), "TCP_CLOSE", "TCP_CLOSE"],
    ["enum without a name for the value", reg("st", state, 3n, 4), "3", 3],
    ["pointer: the address in hex, not the pointee", ptr("sk", 0xffff888100003000n, { data: new Uint8Array(8) }), "0xffff888100003000", "0xffff888100003000"],
    ["unreadable pointer: the address is still known", ptr("sk", 0x555555559000n, { error: -14 }), "0x555555559000", "0x555555559000"],
    ["unreadable value", { ...reg("x", int, 0n), error: -14 }, "?", null],
    ["char * captured as a string", { name: "filename", typeId: charPtr, ptr: 0x1000n, raw: 0x1000n, dataTypeId: char, fullSize: 0, string: 'a"b\n' }, '"a\\"b\\n"', 'a"b\n'],
    ["char array", { name: "comm", typeId: name16, raw: 0n, dataTypeId: name16, data: new TextEncoder().encode("lo\0\0"), fullSize: 16 }, '"lo"', "lo"],
    ["unknown type id", reg("x", 0, -5n), "-5", -5],
  ])("%s", (_what, v, text, json) => {
    expect(treeValueText(btf, v)).toBe(text);
    expect(treeValueJson(btf, v)).toEqual(json);
  });

  it("errnos follow the return type: signed ints of 4 or 8 bytes, ERR_PTR pointers; not unsigned or narrow ints", () => {
    expect(returnErrno(btf, reg("return", int, 0xfffffff5n))).toBe(-11); // zero-extended int -11
    expect(returnErrno(btf, reg("return", long, -4095n))).toBe(-4095);
    expect(returnErrno(btf, reg("return", long, -4096n))).toBe(0);
    expect(returnErrno(btf, reg("return", sockPtr, -12n))).toBe(-12);
    expect(returnErrno(btf, reg("return", sockPtr, 0xffff888100003000n))).toBe(0);
    expect(returnErrno(btf, reg("return", uint, -11n))).toBe(0);
    expect(returnErrno(btf, reg("return", size_t, -11n))).toBe(0);
    expect(returnErrno(btf, reg("return", short, -11n))).toBe(0);
    expect(returnErrno(btf, reg("return", 0, -2n))).toBe(-2);
    expect(returnErrno(btf, undefined)).toBe(0);
  });
});

describe("a whole tree", () => {
  const tree: CallTree = {
    pid: 3,
    tid: 4,
    comm: "curl",
    cpu: 2,
    root: {
      func: "do_filp_open",
      args: [reg("dfd", int, -100n, 4)],
      start: 5000000000n,
      end: 5000001244n,
      ret: reg("return", sockPtr, -2n),
      failed: true,
      children: [{ func: "may_open", args: [reg("flag", uint, 0x8000n, 4)], start: 5000000100n, end: 5000000200n, ret: reg("return", int, 0xfffffffen), failed: true, children: [] }],
    },
  };

  it("as text: signed arguments, the ERR_PTR as hex with its errno, the int errno as a number", () => {
    expect(formatCallTree(btf, tree)).toBe(
      "5000000000 ns  cpu 2  curl 3/4  1.244us\n" +
        `${"  ! do_filp_open(dfd=-100)".padEnd(60)}     1.244us = 0xfffffffffffffffe (ENOENT)\n` +
        `${"    ! may_open(flag=32768)".padEnd(60)}       100ns = -2 (ENOENT)\n\n`,
    );
  });

  it("as JSON: typed values, the errno name of failed calls", () => {
    expect(JSON.parse(formatCallTreeJson(btf, tree))).toEqual({
      time_ns: 5000000000,
      pid: 3,
      tid: 4,
      comm: "curl",
      cpu: 2,
      tree: {
        func: "do_filp_open",
        start_ns: 5000000000,
        duration_ns: 1244,
        args: { dfd: -100 },
        ret: "0xfffffffffffffffe",
        failed: true,
        errno: "ENOENT",
        calls: [{ func: "may_open", start_ns: 5000000100, duration_ns: 100, args: { flag: 32768 }, ret: -2, failed: true, errno: "ENOENT", calls: [] }],
      },
    });
  });
});
