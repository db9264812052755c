// The tracing helpers: those that read a trampoline's call (bpf_get_func_ip,
// bpf_get_func_arg, bpf_get_func_ret, bpf_get_func_arg_cnt,
// bpf_get_attach_cookie) and bpf_snprintf_btf over the kernel's BTF, with
// the kernel's return values and errnos.
import type { Btf } from "../btf/btf.js";
import { snprintfBtf } from "../btf/format/value-kernel.js";
import { sizeOf } from "../btf/layout.js";
import { errRet, readKernelMemory, vmBytes, type HelperImpl, type HelperRuntime } from "../vm/helpers/abi.js";
import { callInfoOf, type CallInfo } from "./trampoline.js";

const EINVAL = 22;
const EOPNOTSUPP = 95;
const ENOENT = 2;
const EFAULT = 14;

function infoOf(rt: HelperRuntime): CallInfo | undefined {
  return rt.ctx ? callInfoOf.get(rt.ctx) : undefined;
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
    const bytes = Buffer.from(text, "utf8");
    if (out.length > 0) {
      const n = Math.min(bytes.length, out.length - 1);
      out.set(bytes.subarray(0, n));
      out[n] = 0;
    }
    return BigInt(bytes.length);
  };
}
