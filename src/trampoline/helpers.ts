// The tracing helpers that read a trampoline's call: bpf_get_func_ip,
// bpf_get_func_arg, bpf_get_func_ret, bpf_get_func_arg_cnt and
// bpf_get_attach_cookie, with the kernel's return values and errnos.
import { errRet, vmBytes, type HelperImpl, type HelperRuntime } from "../vm/helpers/abi.js";
import { callInfoOf, type CallInfo } from "./trampoline.js";

const EINVAL = 22;
const EOPNOTSUPP = 95;

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
