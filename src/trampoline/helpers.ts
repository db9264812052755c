// The tracing helpers: those that read a trampoline's call (bpf_get_func_ip,
// bpf_get_func_arg, bpf_get_func_ret, bpf_get_func_arg_cnt,
// bpf_get_attach_cookie), bpf_snprintf_btf over the kernel's BTF, with
// the kernel's return values and errnos, and bpf_dynamic_cast (seed 001).
import type { Btf } from "../btf/btf.js";
import { snprintfBtf } from "../btf/format/value-kernel.js";
import { BtfKind } from "../btf/kinds.js";
import { sizeOf, skipModsAndTypedefs } from "../btf/layout.js";
import { errRet, readKernelMemory, vmBytes, type HelperImpl, type HelperRuntime } from "../vm/helpers/abi.js";
import { callInfoOf, type CallInfo } from "./trampoline.js";

const EINVAL = 22;
const EOPNOTSUPP = 95;
const ENOENT = 2;
const EFAULT = 14;

function infoOf(rt: HelperRuntime): CallInfo | undefined {
  return rt.ctx ? callInfoOf(rt.ctx) : undefined;
}

function readArg(rt: HelperRuntime, n: number): bigint {
  return rt.ctx!.view.getBigUint64(n * 8, true);
}

export const TRAMPOLINE_HELPERS: Readonly<Record<number, HelperImpl>> = {
  // bpf_get_func_ip(ctx)
  173: (rt) => infoOf(rt)?.ip ?? 0n,
  // bpf_get_attach_cookie(ctx)
  174: (rt) => infoOf(rt)?.cookie ?? 0n,
  // bpf_get_func_arg(ctx, n, *value): 0 or -EINVAL when n >= nr_args
  183: (rt, _ctx, n, value) => {
    const info = infoOf(rt);
    if (!info) return errRet(EOPNOTSUPP);
    const out = vmBytes(rt, value, 8, true);
    if (!out) return errRet(EINVAL);
    if (n >= BigInt(info.nargs)) {
      out.fill(0);
      return errRet(EINVAL);
    }
    new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, readArg(rt, Number(n)), true);
    return 0n;
  },
  // bpf_get_func_ret(ctx, *value): 0, or -EOPNOTSUPP outside fexit/fmod_ret
  184: (rt, _ctx, value) => {
    const info = infoOf(rt);
    if (!info || !info.hasRet) return errRet(EOPNOTSUPP);
    const out = vmBytes(rt, value, 8, true);
    if (!out) return errRet(EINVAL);
    new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, readArg(rt, info.nargs), true);
    return 0n;
  },
  // bpf_get_func_arg_cnt(ctx)
  185: (rt) => BigInt(infoOf(rt)?.nargs ?? 0),
};

/**
 * bpf_snprintf_btf(str, str_size, ptr, btf_ptr_size, flags): renders the
 * object `ptr->ptr` of BTF type `ptr->type_id` (struct btf_ptr, 16 bytes) in
 * the kernel's btf_show format into `str`, snprintf-style: at most
 * str_size - 1 bytes and a NUL, returning the full length (>= str_size means
 * truncated). Errors: -EINVAL (flags, sizes, type 0), -ENOENT (no such type),
 * -EFAULT (unreadable object).
 */
export function snprintfBtfHelper(btf: Btf): HelperImpl {
  return (rt, str, strSize, ptr, ptrSize, flags) => {
    if (ptrSize !== 16n) return errRet(EINVAL);
    if (flags & ~0xfn) return errRet(EINVAL);
    const bp = vmBytes(rt, ptr, 16);
    if (!bp) return errRet(EFAULT);
    const v = new DataView(bp.buffer, bp.byteOffset, 16);
    const objAddr = v.getBigUint64(0, true);
    const typeId = v.getUint32(8, true);
    if (typeId === 0) return errRet(EINVAL);
    if (!btf.hasId(typeId)) return errRet(ENOENT);
    let size: number;
    try {
      size = sizeOf(btf, typeId);
    } catch {
      return errRet(EINVAL);
    }
    const data = new Uint8Array(size);
    if (readKernelMemory(rt, data, objAddr) < 0) return errRet(EFAULT);
    const { text, status } = snprintfBtf(btf, typeId, data, Number(flags));
    if (status < 0) return errRet(-status);
    const out = vmBytes(rt, str, Number(strSize), true);
    if (!out) return errRet(EFAULT);
    const bytes = Buffer.from(text, "latin1"); // snprintfBtf text is a byte string
    if (out.length > 0) {
      const n = Math.min(bytes.length, out.length - 1);
      out.set(bytes.subarray(0, n));
      out[n] = 0;
    }
    return BigInt(bytes.length);
  };
}

/**
 * bpf_dynamic_cast(btf_obj, func_btf_id, arg_no, value, target_btf_id)
 * (helper 212, seed 001): if argument `arg_no` (1-based, as the seed's
 * arg1..arg6) of the function `func_btf_id` (a FUNC or FUNC_PROTO of the
 * BTF object `btf_obj`: its id, or 0 for vmlinux) is, after modifiers and
 * typedefs, a pointer to `target_btf_id` (also compared after modifiers and
 * typedefs), returns `value` as a typed kernel pointer, else NULL. The
 * verifier types r0 as PTR_TO_BTF_ID_OR_NULL of the constant target, and
 * loads through it are probe-mem reads (0 when the memory is unreadable).
 * A NULL `value` stays NULL. Never faults: bad ids give NULL.
 */
export function dynamicCastHelper(btf: Btf, btfObjId: number): HelperImpl {
  // Answers per (function, argument) and target: the helper runs per event, the walk once.
  const memo = new Map<number, Map<number, boolean>>();
  let cached = 0;
  const matches = (funcId: number, argNo: number, target: number): boolean => {
    const key = funcId * 16 + argNo;
    let perTarget = memo.get(key);
    let hit = perTarget?.get(target);
    if (hit === undefined) {
      hit = argPointsTo(btf, funcId, argNo, target);
      if (cached++ < 65536) {
        if (!perTarget) memo.set(key, (perTarget = new Map()));
        perTarget.set(target, hit);
      }
    }
    return hit;
  };
  return (_rt, obj, funcId, argNo, value, target) => {
    if (value === 0n) return 0n;
    if (obj !== 0n && obj !== BigInt(btfObjId)) return 0n;
    if (funcId > 0xffffffffn || argNo > 12n || target > 0xffffffffn) return 0n;
    return matches(Number(funcId), Number(argNo), Number(target)) ? value : 0n;
  };
}

/** Whether parameter `argNo` (1-based) of FUNC/FUNC_PROTO `funcId` is a pointer to type `target` (both after modifiers and typedefs). */
export function argPointsTo(btf: Btf, funcId: number, argNo: number, target: number): boolean {
  if (!btf.hasId(funcId) || !btf.hasId(target) || funcId === 0 || target === 0 || argNo < 1) return false;
  let proto = btf.typeById(funcId);
  if (proto.kind === BtfKind.FUNC) proto = btf.typeById(proto.type);
  if (proto.kind !== BtfKind.FUNC_PROTO) return false;
  const param = proto.params[argNo - 1];
  if (!param || param.type === 0) return false;
  const ptr = btf.typeById(skipModsAndTypedefs(btf, param.type));
  if (ptr.kind !== BtfKind.PTR || ptr.type === 0) return false;
  return skipModsAndTypedefs(btf, ptr.type) === skipModsAndTypedefs(btf, target);
}
