// The helper prototype table: the kernel's helper ids (enum bpf_func_id,
// include/uapi/linux/bpf.h), names, argument and return types. The verifier
// checks calls against it; the disassembler names calls from it. Also the
// names of every helper id Linux 6.12 defines (for the verifier's "cannot use
// helper" message) and the helper set of tracing program types
// (bpf_tracing_func_proto and its raw_tp/fentry/kprobe additions).
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
  p(37, "current_task_under_cgroup", R.INTEGER, [A.CONST_MAP_PTR, A.ANYTHING]),
  p(42, "get_numa_node_id", R.INTEGER, []),
  p(45, "probe_read_str", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(46, "get_socket_cookie", R.INTEGER, [A.PTR_TO_CTX]),
  p(47, "get_socket_uid", R.INTEGER, [A.PTR_TO_CTX]),
  p(67, "get_stack", R.INTEGER, [A.PTR_TO_CTX, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(80, "get_current_cgroup_id", R.INTEGER, []),
  // Queue and stack maps (key_size 0): push copies a value in, pop and peek copy one out (the verifier treats their value argument as written).
  p(87, "map_push_elem", R.INTEGER, [A.CONST_MAP_PTR, A.PTR_TO_MAP_VALUE, A.ANYTHING]),
  p(88, "map_pop_elem", R.INTEGER, [A.CONST_MAP_PTR, A.PTR_TO_MAP_VALUE]),
  p(89, "map_peek_elem", R.INTEGER, [A.CONST_MAP_PTR, A.PTR_TO_MAP_VALUE]),
  p(109, "send_signal", R.INTEGER, [A.ANYTHING]),
  p(68, "skb_load_bytes_relative", R.INTEGER, [A.PTR_TO_CTX, A.ANYTHING, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE, A.ANYTHING]),
  p(112, "probe_read_user", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(113, "probe_read_kernel", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(114, "probe_read_user_str", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(115, "probe_read_kernel_str", R.INTEGER, [A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
  p(117, "send_signal_thread", R.INTEGER, [A.ANYTHING]),
  p(118, "jiffies64", R.INTEGER, []),
  p(125, "ktime_get_boot_ns", R.INTEGER, []),
  p(126, "seq_printf", R.INTEGER, [A.PTR_TO_BTF_ID, A.PTR_TO_MEM, A.CONST_SIZE, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO], true),
  p(127, "seq_write", R.INTEGER, [A.PTR_TO_BTF_ID, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO], true),
  p(130, "ringbuf_output", R.INTEGER, [A.CONST_MAP_PTR, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING]),
  p(131, "ringbuf_reserve", R.PTR_TO_ALLOC_MEM_OR_NULL, [A.CONST_MAP_PTR, A.CONST_ALLOC_SIZE_OR_ZERO, A.ANYTHING]),
  p(132, "ringbuf_submit", R.VOID, [A.PTR_TO_RINGBUF_MEM, A.ANYTHING]),
  p(133, "ringbuf_discard", R.VOID, [A.PTR_TO_RINGBUF_MEM, A.ANYTHING]),
  p(134, "ringbuf_query", R.INTEGER, [A.CONST_MAP_PTR, A.ANYTHING]),
  // bpf_get_task_stack_proto: the task is a typed (trusted or RCU) task_struct pointer.
  p(141, "get_task_stack", R.INTEGER, [A.PTR_TO_BTF_ID, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], true),
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

/**
 * The name of every helper id Linux 6.12 defines (enum bpf_func_id, 0 to
 * __BPF_FUNC_MAX_ID - 1), prototype or not: the verifier names a helper a
 * program type may not call by it ("cannot use helper bpf_<name>#<id>").
 */
export const HELPER_FUNC_NAMES: readonly string[] = [
  "unspec", "map_lookup_elem", "map_update_elem", "map_delete_elem", "probe_read", "ktime_get_ns", "trace_printk",
  "get_prandom_u32", "get_smp_processor_id", "skb_store_bytes", "l3_csum_replace", "l4_csum_replace", "tail_call",
  "clone_redirect", "get_current_pid_tgid", "get_current_uid_gid", "get_current_comm", "get_cgroup_classid",
  "skb_vlan_push", "skb_vlan_pop", "skb_get_tunnel_key", "skb_set_tunnel_key", "perf_event_read", "redirect",
  "get_route_realm", "perf_event_output", "skb_load_bytes", "get_stackid", "csum_diff", "skb_get_tunnel_opt",
  "skb_set_tunnel_opt", "skb_change_proto", "skb_change_type", "skb_under_cgroup", "get_hash_recalc",
  "get_current_task", "probe_write_user", "current_task_under_cgroup", "skb_change_tail", "skb_pull_data",
  "csum_update", "set_hash_invalid", "get_numa_node_id", "skb_change_head", "xdp_adjust_head", "probe_read_str",
  "get_socket_cookie", "get_socket_uid", "set_hash", "setsockopt", "skb_adjust_room", "redirect_map",
  "sk_redirect_map", "sock_map_update", "xdp_adjust_meta", "perf_event_read_value", "perf_prog_read_value",
  "getsockopt", "override_return", "sock_ops_cb_flags_set", "msg_redirect_map", "msg_apply_bytes", "msg_cork_bytes",
  "msg_pull_data", "bind", "xdp_adjust_tail", "skb_get_xfrm_state", "get_stack", "skb_load_bytes_relative",
  "fib_lookup", "sock_hash_update", "msg_redirect_hash", "sk_redirect_hash", "lwt_push_encap",
  "lwt_seg6_store_bytes", "lwt_seg6_adjust_srh", "lwt_seg6_action", "rc_repeat", "rc_keydown", "skb_cgroup_id",
  "get_current_cgroup_id", "get_local_storage", "sk_select_reuseport", "skb_ancestor_cgroup_id", "sk_lookup_tcp",
  "sk_lookup_udp", "sk_release", "map_push_elem", "map_pop_elem", "map_peek_elem", "msg_push_data", "msg_pop_data",
  "rc_pointer_rel", "spin_lock", "spin_unlock", "sk_fullsock", "tcp_sock", "skb_ecn_set_ce", "get_listener_sock",
  "skc_lookup_tcp", "tcp_check_syncookie", "sysctl_get_name", "sysctl_get_current_value", "sysctl_get_new_value",
  "sysctl_set_new_value", "strtol", "strtoul", "sk_storage_get", "sk_storage_delete", "send_signal",
  "tcp_gen_syncookie", "skb_output", "probe_read_user", "probe_read_kernel", "probe_read_user_str",
  "probe_read_kernel_str", "tcp_send_ack", "send_signal_thread", "jiffies64", "read_branch_records",
  "get_ns_current_pid_tgid", "xdp_output", "get_netns_cookie", "get_current_ancestor_cgroup_id", "sk_assign",
  "ktime_get_boot_ns", "seq_printf", "seq_write", "sk_cgroup_id", "sk_ancestor_cgroup_id", "ringbuf_output",
  "ringbuf_reserve", "ringbuf_submit", "ringbuf_discard", "ringbuf_query", "csum_level", "skc_to_tcp6_sock",
  "skc_to_tcp_sock", "skc_to_tcp_timewait_sock", "skc_to_tcp_request_sock", "skc_to_udp6_sock", "get_task_stack",
  "load_hdr_opt", "store_hdr_opt", "reserve_hdr_opt", "inode_storage_get", "inode_storage_delete", "d_path",
  "copy_from_user", "snprintf_btf", "seq_printf_btf", "skb_cgroup_classid", "redirect_neigh", "per_cpu_ptr",
  "this_cpu_ptr", "redirect_peer", "task_storage_get", "task_storage_delete", "get_current_task_btf",
  "bprm_opts_set", "ktime_get_coarse_ns", "ima_inode_hash", "sock_from_file", "check_mtu", "for_each_map_elem",
  "snprintf", "sys_bpf", "btf_find_by_name_kind", "sys_close", "timer_init", "timer_set_callback", "timer_start",
  "timer_cancel", "get_func_ip", "get_attach_cookie", "task_pt_regs", "get_branch_snapshot", "trace_vprintk",
  "skc_to_unix_sock", "kallsyms_lookup_name", "find_vma", "loop", "strncmp", "get_func_arg", "get_func_ret",
  "get_func_arg_cnt", "get_retval", "set_retval", "xdp_get_buff_len", "xdp_load_bytes", "xdp_store_bytes",
  "copy_from_user_task", "skb_set_tstamp", "ima_file_hash", "kptr_xchg", "map_lookup_percpu_elem",
  "skc_to_mptcp_sock", "dynptr_from_mem", "ringbuf_reserve_dynptr", "ringbuf_submit_dynptr",
  "ringbuf_discard_dynptr", "dynptr_read", "dynptr_write", "dynptr_data", "tcp_raw_gen_syncookie_ipv4",
  "tcp_raw_gen_syncookie_ipv6", "tcp_raw_check_syncookie_ipv4", "tcp_raw_check_syncookie_ipv6", "ktime_get_tai_ns",
  "user_ringbuf_drain", "cgrp_storage_get", "cgrp_storage_delete",
];

/** The kernel's func_id_name(): `bpf_<name>` for ids it defines, undefined beyond. */
export function helperFuncName(id: number): string | undefined {
  const n = Number.isInteger(id) && id >= 0 ? HELPER_FUNC_NAMES[id] : undefined;
  return n === undefined ? undefined : `bpf_${n}`;
}

/**
 * Helpers every tracing program type may call: bpf_tracing_func_proto with
 * bpf_base_func_proto under it (kernel/trace/bpf_trace.c, Linux 6.12), as far
 * as btfsnoop has prototypes.
 */
export const TRACING_HELPER_IDS: ReadonlySet<number> = new Set([
  1, 2, 3, 87, 88, 89, // map_lookup/update/delete, push/pop/peek
  4, 45, 112, 113, 114, 115, // probe_read*, probe_read*_str
  5, 125, 118, // ktime_get_ns, ktime_get_boot_ns, jiffies64
  6, 7, 8, 42, 12, // trace_printk, get_prandom_u32, get_smp_processor_id, get_numa_node_id, tail_call
  14, 15, 16, 35, 158, 80, 37, // current pid/tgid, uid/gid, comm, task, task_btf, cgroup id, task under cgroup
  109, 117, // send_signal, send_signal_thread
  130, 131, 132, 133, 134, // ring buffer
  141, 149, 165, 181, 182, // get_task_stack, snprintf_btf, snprintf, loop, strncmp
]);

/** raw_tp adds its perf_event_output, get_stackid and get_stack (raw_tp_prog_func_proto). */
export const RAW_TP_HELPER_IDS: ReadonlySet<number> = new Set([...TRACING_HELPER_IDS, 25, 27, 67]);

/**
 * fentry/fexit/fmod_ret/iter (tracing_prog_func_proto): raw_tp's set, the
 * function's arguments, return value and address, the attach cookie, the
 * seq_file helpers of iterators, a socket's cookie (its own prototype:
 * SOCKET_PTR_COOKIE_PROTO), and btfsnoop's bpf_dynamic_cast.
 */
export const FENTRY_HELPER_IDS: ReadonlySet<number> = new Set([...RAW_TP_HELPER_IDS, 173, 174, 183, 184, 185, 126, 127, 46, DYNAMIC_CAST_ID]);

/**
 * kprobe (kprobe_prog_func_proto): raw_tp's set with get_func_ip and the
 * attach cookie. (Linux adds override_return, and probe_write_user to every
 * tracing type when not locked down: btfsnoop has neither, so they are
 * refused as "cannot use helper".)
 */
export const KPROBE_HELPER_IDS: ReadonlySet<number> = new Set([...RAW_TP_HELPER_IDS, 173, 174]);

/**
 * bpf_get_socket_ptr_cookie_proto: tracing programs' bpf_get_socket_cookie
 * takes a socket pointer (ARG_PTR_TO_BTF_ID_SOCK_COMMON) instead of the
 * socket filter's context.
 */
export const SOCKET_PTR_COOKIE_PROTO: HelperProto = p(46, "get_socket_cookie", R.INTEGER, [A.PTR_TO_BTF_ID]);

/** The prototype of helper `id` if it is in `set` (the tracing variant where the tracing set has its own). */
export function helperProtoIn(set: ReadonlySet<number>, id: number): HelperProto | undefined {
  if (!set.has(id)) return undefined;
  if (id === SOCKET_PTR_COOKIE_PROTO.id && set === FENTRY_HELPER_IDS) return SOCKET_PTR_COOKIE_PROTO;
  return BY_ID.get(id);
}

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
