// The helper prototype table: the kernel's helper ids (enum bpf_func_id,
// include/uapi/linux/bpf.h), names, argument and return types. The verifier
// checks calls against it; the disassembler names calls from it.
import { ArgType as A, RetType as R, type HelperProto } from "./abi.js";

/** bpf_dynamic_cast(btf_obj, func_btf_id, arg_no, value, target_btf_id): btfsnoop's helper id. */
export const DYNAMIC_CAST_ID = 212;

const p = (id: number, name: string, ret: R, args: A[], gplOnly = false): HelperProto => ({ id, name, ret, args, gplOnly });

/** Every helper btfsnoop knows, by id. */
export const HELPER_PROTOS: readonly HelperProto[] = [
  p(1, "map_lookup_elem", R.PTR_TO_MAP_VALUE_OR_NULL, [A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY]),
  p(2, "map_update_elem", R.INTEGER, [A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY, A.PTR_TO_MAP_VALUE, A.ANYTHING]),
  p(3, "map_delete_elem", R.INTEGER, [A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY]),
  p(4, "probe_read", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(5, "ktime_get_ns", R.INTEGER, []),
  // bpf_trace_printk_proto types only fmt and fmt_size: the up to three values after them are not checked (bpf_printk("x") leaves r3-r5 unset).
  p(6, "trace_printk", R.INTEGER, [A.PTR_TO_MEM, A.CONST_SIZE], true),
  p(7, "get_prandom_u32", R.INTEGER, []),
  p(8, "get_smp_processor_id", R.INTEGER, []),
  p(12, "tail_call", R.VOID, [A.PTR_TO_CTX, A.CONST_MAP_PTR, A.ANYTHING]),
  p(14, "get_current_pid_tgid", R.INTEGER, []),
  p(15, "get_current_uid_gid", R.INTEGER, []),
  p(16, "get_current_comm", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE]),
  p(25, "perf_event_output", R.INTEGER, [A.PTR_TO_CTX, A.CONST_MAP_PTR, A.ANYTHING, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO], true),
  // Socket-filter helpers (net/core/filter.c sk_filter_func_proto): the context is the program's struct __sk_buff.
  p(26, "skb_load_bytes", R.INTEGER, [A.PTR_TO_CTX, A.ANYTHING, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE]),
  p(27, "get_stackid", R.INTEGER, [A.PTR_TO_CTX, A.CONST_MAP_PTR, A.ANYTHING], true),
  p(35, "get_current_task", R.INTEGER, [], true),
  p(45, "probe_read_str", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(46, "get_socket_cookie", R.INTEGER, [A.PTR_TO_CTX]),
  p(47, "get_socket_uid", R.INTEGER, [A.PTR_TO_CTX]),
  p(67, "get_stack", R.INTEGER, [A.PTR_TO_CTX, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(68, "skb_load_bytes_relative", R.INTEGER, [A.PTR_TO_CTX, A.ANYTHING, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE, A.ANYTHING]),
  p(112, "probe_read_user", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(113, "probe_read_kernel", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(114, "probe_read_user_str", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(115, "probe_read_kernel_str", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(125, "ktime_get_boot_ns", R.INTEGER, []),
  p(126, "seq_printf", R.INTEGER, [A.PTR_TO_BTF_ID, A.PTR_TO_MEM, A.CONST_SIZE, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO], true),
  p(127, "seq_write", R.INTEGER, [A.PTR_TO_BTF_ID, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO], true),
  p(130, "ringbuf_output", R.INTEGER, [A.CONST_MAP_PTR, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING]),
  p(131, "ringbuf_reserve", R.PTR_TO_ALLOC_MEM_OR_NULL, [A.CONST_MAP_PTR, A.CONST_ALLOC_SIZE_OR_ZERO, A.ANYTHING]),
  p(132, "ringbuf_submit", R.VOID, [A.PTR_TO_RINGBUF_MEM, A.ANYTHING]),
  p(133, "ringbuf_discard", R.VOID, [A.PTR_TO_RINGBUF_MEM, A.ANYTHING]),
  p(134, "ringbuf_query", R.INTEGER, [A.CONST_MAP_PTR, A.ANYTHING]),
  p(149, "snprintf_btf", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE, A.PTR_TO_BTF_PTR, A.CONST_SIZE, A.ANYTHING], true),
  p(158, "get_current_task_btf", R.PTR_TO_BTF_ID, [], true),
  p(165, "snprintf", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.PTR_TO_CONST_STR, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO]),
  p(173, "get_func_ip", R.INTEGER, [A.PTR_TO_CTX]),
  p(174, "get_attach_cookie", R.INTEGER, [A.PTR_TO_CTX]),
  p(181, "loop", R.INTEGER, [A.ANYTHING, A.PTR_TO_FUNC, A.ANYTHING, A.ANYTHING]),
  p(182, "strncmp", R.INTEGER, [A.PTR_TO_MEM, A.CONST_SIZE, A.PTR_TO_CONST_STR]),
  p(183, "get_func_arg", R.INTEGER, [A.PTR_TO_CTX, A.ANYTHING, A.PTR_TO_LONG]),
  p(184, "get_func_ret", R.INTEGER, [A.PTR_TO_CTX, A.PTR_TO_LONG]),
  p(185, "get_func_arg_cnt", R.INTEGER, [A.PTR_TO_CTX]),
  // btfsnoop's own helper (seed 001): the kernel's helper ids end at 211
  // (cgrp_storage_delete) and new ones are kfuncs, so 212 is the first
  // unused id. See docs/architecture.md "bpf_dynamic_cast".
  p(DYNAMIC_CAST_ID, "dynamic_cast", R.PTR_TO_BTF_ID_OR_NULL, [A.ANYTHING, A.ANYTHING, A.ANYTHING, A.ANYTHING, A.CONST_BTF_ID], true),
];

/** Helper ids by name (without `bpf_`), for code generation. */
export const HelperId = Object.freeze(Object.fromEntries(HELPER_PROTOS.map((h) => [h.name, h.id]))) as Readonly<Record<string, number>>;

const BY_ID = new Map(HELPER_PROTOS.map((h) => [h.id, h]));

/** The prototype of helper `id`, if btfsnoop knows it. */
export function helperProto(id: number): HelperProto | undefined {
  return BY_ID.get(id);
}

/** `bpf_<name>` for disassembly, or undefined for unknown ids. */
export function helperName(id: number): string | undefined {
  const h = BY_ID.get(id);
  return h ? `bpf_${h.name}` : undefined;
}
