// Differential test against Linux's verifier (issue #17): every program of
// test/fixtures/verifier-oracle/results.json was loaded on Linux 6.18 as a
// privileged raw_tp program (see the fixture's README); btfsnoop's verifier
// must give the same verdict and, for rejections, the same message. The
// programs it still disagrees on are listed below with the reason, and the
// list must stay exact: a listed program that starts agreeing fails the test
// (remove it), as does any new disagreement.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeProgram } from "../../src/vm/isa/decode.js";
import { tracingProgType } from "../../src/vm/verifier/prog-types.js";
import type { MapDesc } from "../../src/vm/verifier/types.js";
import { verify } from "../../src/vm/verifier/verifier.js";

interface MapSpec {
  type: number;
  key: number;
  value: number;
  max: number;
  flags?: number;
  freeze?: boolean;
}
interface Recorded {
  name: string;
  rule: string;
  maps: MapSpec[];
  hex: string;
  kernel: { accepted: boolean; errno: number; message: string; processed: number; totalStates: number; peakStates: number };
}
interface Fixture {
  kernel: string;
  programs: Recorded[];
}

const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/verifier-oracle/results.json"), "utf8")) as Fixture;

/** BPF_F_RDONLY_PROG. */
const RDONLY_PROG = 0x80;

function mapDesc(m: MapSpec, i: number): MapDesc {
  const rdonly = (m.flags ?? 0) & RDONLY_PROG && m.freeze === true;
  return {
    type: m.type,
    keySize: m.key,
    valueSize: m.value,
    maxEntries: m.max,
    flags: m.flags ?? 0,
    name: `map${i}`,
    // The loader froze it zero-filled: its bytes are constants the verifier may read.
    ...(rdonly && m.type === 2 && m.max === 1 ? { readOnlyValue: new Uint8Array(m.value) } : {}),
  };
}

interface Ours {
  accepted: boolean;
  message: string;
  processed: number;
  totalStates: number;
  peakStates: number;
}

/** btfsnoop's verdict on a recorded program, as raw_tp: a context of 12 read-only u64 arguments. */
function ours(p: Recorded): Ours {
  let program;
  try {
    program = decodeProgram(Buffer.from(p.hex, "hex"));
  } catch (e) {
    return { accepted: false, message: (e as Error).message, processed: 0, totalStates: 0, peakStates: 0 };
  }
  const maps = p.maps.map(mapDesc);
  const r = verify(program, { progType: tracingProgType(12), privileged: true, mapByFd: (fd) => maps[fd] });
  return {
    accepted: r.accepted,
    message: r.accepted ? "" : r.error!.reason,
    processed: r.stats.processed,
    totalStates: r.stats.totalStates,
    peakStates: r.stats.peakStates,
  };
}

/**
 * Where btfsnoop and Linux still disagree. "verdict": one accepts what the
 * other refuses; "message": both refuse, with different messages.
 */
const KNOWN: Record<string, { kind: "verdict" | "message"; reason: string }> = {
  ptr_ctx_add_scalar: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  ptr_fp_copy_add_unknown: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  ptr_fp_copy_add_bounded: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  ptr_neg: { kind: "verdict", reason: "privileged: the kernel lets a pointer be negated (it becomes a scalar) (check-alu, V1)" },
  ptr_or_null_add: { kind: "message", reason: "kernel message ends ', null-check it first' (check-alu, V1)" },
  ptr_value_out_of_range_arith: { kind: "message", reason: "kernel words it 'math between <type> pointer and <imm> is not allowed' (check-alu, V1)" },
  ptr_fp_sub_large: { kind: "message", reason: "kernel words it 'math between <type> pointer and <imm> is not allowed' (check-alu, V1)" },
  stack_write_pos: { kind: "message", reason: "kernel: 'invalid read from / write to stack R<n> off=.. size=..' (check-mem)" },
  stack_write_513: { kind: "message", reason: "kernel: 'invalid read from / write to stack R<n> off=.. size=..' (check-mem)" },
  stack_misaligned_dw: { kind: "message", reason: "kernel prints a constant tnum as a number ('0+0+-12'), since 6.8 (check-mem)" },
  stack_misaligned_w: { kind: "message", reason: "kernel prints a constant tnum as a number ('0+0+-12'), since 6.8 (check-mem)" },
  stack_var_off_write: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  stack_var_off_read: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  stack_spill_scalar_bounds: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  stack_fp_ldx_pos: { kind: "message", reason: "kernel: 'invalid read from / write to stack R<n> off=.. size=..' (check-mem)" },
  ctx_read_w: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  ctx_read_w_hi: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  ctx_read_b: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  ctx_var_off: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  ctx_ldxs: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  map_lookup_read_past: { kind: "message", reason: "kernel prints __check_mem_access's line then 'min value is outside of the allowed memory range' last (check-mem)" },
  map_lookup_read_neg: { kind: "message", reason: "kernel prints __check_mem_access's line then 'min value is outside of the allowed memory range' last (check-mem)" },
  map_lookup_var_unbounded: { kind: "message", reason: "kernel refuses the arithmetic with 'math between ... unbounded min value' (check-alu, V1)" },
  map_lookup_var_signed: { kind: "message", reason: "kernel refuses the arithmetic with 'math between ... unbounded min value' (check-alu, V1)" },
  map_lookup_key_short: { kind: "message", reason: "helper stack access: 6.12 says 'invalid indirect access to stack' (btfsnoop), 6.14+ 'invalid read from/write to stack'" },
  map_lookup_key_null: { kind: "message", reason: "kernel lists every compatible mem type in 'expected=' (check-call/check-mem)" },
  map_lookup_key_ctx: { kind: "message", reason: "kernel lists every compatible mem type in 'expected=' (check-call/check-mem)" },
  map_update_value_short: { kind: "message", reason: "helper stack access: 6.12 says 'invalid indirect access to stack' (btfsnoop), 6.14+ 'invalid read from/write to stack'" },
  map_value_direct_read_past: { kind: "message", reason: "kernel prints __check_mem_access's line then 'min value is outside of the allowed memory range' last (check-mem)" },
  map_push_queue: { kind: "verdict", reason: "helper missing from btfsnoop's prototype table (protos)" },
  map_pop_queue: { kind: "verdict", reason: "helper missing from btfsnoop's prototype table (protos)" },
  map_lookup_queue: { kind: "message", reason: "queue/stack maps have key_size 0: the kernel fails the zero-sized key read (check-call)" },
  map_push_array: { kind: "message", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_jiffies: { kind: "verdict", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_numa: { kind: "verdict", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_cgroup_id: { kind: "verdict", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_coarse_ns: { kind: "message", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_send_signal: { kind: "verdict", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_override_return: { kind: "message", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_probe_write_user: { kind: "message", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_get_func_ip: { kind: "verdict", reason: "raw_tp may not call fentry-only helpers; tracingProgType(12) allows them (prog-types helper set)" },
  helper_get_func_arg: { kind: "verdict", reason: "raw_tp may not call fentry-only helpers; tracingProgType(12) allows them (prog-types helper set)" },
  helper_get_func_arg_cnt: { kind: "verdict", reason: "raw_tp may not call fentry-only helpers; tracingProgType(12) allows them (prog-types helper set)" },
  helper_smp_id_bound: { kind: "verdict", reason: "get_smp_processor_id is refined to [0, nr_cpu_ids-1] (do_refine_retval_range) (check-call)" },
  helper_comm_size0: { kind: "message", reason: "kernel appends the size range 'u64=[min,max]' (check-call)" },
  helper_comm_too_big: { kind: "message", reason: "helper stack access: 6.12 says 'invalid indirect access to stack' (btfsnoop), 6.14+ 'invalid read from/write to stack'" },
  helper_comm_into_ctx: { kind: "message", reason: "kernel lists every compatible mem type in 'expected=' (check-call/check-mem)" },
  helper_comm_into_map_big: { kind: "message", reason: "kernel prints __check_mem_access's line then 'min value is outside of the allowed memory range' last (check-mem)" },
  helper_probe_read_kernel_null0: { kind: "message", reason: "kernel lists every compatible mem type in 'expected=' (check-call/check-mem)" },
  helper_probe_read_kernel_str_ret: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  helper_probe_read_str_ret_unbounded: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  helper_get_stack_ret: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  helper_task_stack_scalar: { kind: "message", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_task_stack_btf: { kind: "verdict", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_task_stack_ret: { kind: "verdict", reason: "helper missing from btfsnoop's prototype table (protos)" },
  helper_trace_printk_size0: { kind: "message", reason: "kernel appends the size range 'u64=[min,max]' (check-call)" },
  helper_tail_call_wrong_map: { kind: "message", reason: "kernel's tail-call map check says 'expected prog array map for tail call' (check-call)" },
  helper_snprintf_fmt_stack: { kind: "verdict", reason: "PTR_TO_CONST_STR must be a read-only map value (check-call)" },
  helper_strncmp_not_const: { kind: "verdict", reason: "PTR_TO_CONST_STR must be a read-only map value (check-call)" },
  ringbuf_reserve_leak: { kind: "message", reason: "kernel 6.18 words the leak 'BPF_EXIT instruction in main prog would lead to reference leak' (check-call/verifier.ts)" },
  ringbuf_reserve_no_null_check: { kind: "message", reason: "kernel names the type 'ringbuf_mem_or_null' (log.ts regTypeName, V2)" },
  ringbuf_submit_twice: { kind: "message", reason: "kernel turns released references into scalars, btfsnoop into NOT_INIT (check-call)" },
  ringbuf_write_past: { kind: "message", reason: "kernel prints __check_mem_access's line then 'min value is outside of the allowed memory range' last (check-mem)" },
  ringbuf_submit_offset: { kind: "message", reason: "6.18 appends ' or trusted arg to kfunc' to the zero-offset message" },
  ringbuf_use_after_submit: { kind: "message", reason: "kernel turns released references into scalars, btfsnoop into NOT_INIT (check-call)" },
  jmp_bounds_jgt: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp_bounds_off_by_one: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp32_bounds: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  jmp32_bounds_64bit_value: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp_scalar_id_copy: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp_range_dead_branch: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  jmp_signed_range: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp_signed_upper_only: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp_reg_reg_bound: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp_and_bound: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp_mod_bound: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp_rsh_bound: { kind: "verdict", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  jmp_w_load_bound: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  jmp_w_load_bound_over: { kind: "message", reason: "raw_tp ctx allows narrow aligned loads; tracingProgType(12) only 8-byte ones, so the program fails before its rule (prog-types, S1)" },
  cfg_back_edge_unbounded: { kind: "message", reason: "kernel hits the 1M processed limit first; btfsnoop the 8192-jump limit (verifier.ts)" },
  cfg_loop_no_progress: { kind: "message", reason: "kernel prints the looping states ('old state: ...') after 'infinite loop detected' (verifier.ts log)" },
  ld_imm64_map_then_deref: { kind: "verdict", reason: "kernel accepts a load through a map pointer (PTR_TO_MAP with BTF struct bpf_map access); btfsnoop refuses it" },
  ld_imm64_map_value_off12_read8: { kind: "message", reason: "kernel prints __check_mem_access's line then 'min value is outside of the allowed memory range' last (check-mem)" },
  ld_imm64_bad_src: { kind: "message", reason: "decoder's own wording instead of the kernel's (isa/decode, loader)" },
  insn_bad_opcode: { kind: "message", reason: "decoder's own wording instead of the kernel's (isa/decode, loader)" },
  insn_bad_dst_reg: { kind: "message", reason: "decoder's own wording instead of the kernel's (isa/decode, loader)" },
  insn_mov_reserved_off: { kind: "message", reason: "decoder's own wording instead of the kernel's (isa/decode, loader)" },
  ld_imm64_map_idx_no_fdarray: { kind: "message", reason: "lddw/kfunc forms resolved by the loader in btfsnoop; the kernel's resolve_pseudo_ldimm64 wording differs (verifier.ts/syscall)" },
  ld_imm64_btf_id_bad: { kind: "message", reason: "lddw/kfunc forms resolved by the loader in btfsnoop; the kernel's resolve_pseudo_ldimm64 wording differs (verifier.ts/syscall)" },
  atomic_map_misaligned: { kind: "message", reason: "kernel prints a constant tnum as a number ('0+0+-12'), since 6.8 (check-mem)" },
  call_stack_too_deep: { kind: "verdict", reason: "Linux 6.13+ private stacks for tracing subprograms; 6.12 refuses 544 bytes as btfsnoop does" },
  call_9_frames: { kind: "message", reason: "kernel's static call-depth walk says 'the call stack of 9 frames is too deep' (no ' !') (stack-depth/check-call)" },
  call_kfunc_bad: { kind: "message", reason: "lddw/kfunc forms resolved by the loader in btfsnoop; the kernel's resolve_pseudo_ldimm64 wording differs (verifier.ts/syscall)" },
  loop_cb_ret_2: { kind: "message", reason: "callback return message: kernel prints the range or 'unknown scalar value'/'not a scalar value' (check-call)" },
  loop_cb_ret_unknown: { kind: "message", reason: "callback return message: kernel prints the range or 'unknown scalar value'/'not a scalar value' (check-call)" },
  loop_cb_ret_unset: { kind: "message", reason: "callback return message: kernel prints the range or 'unknown scalar value'/'not a scalar value' (check-call)" },
  loop_cb_reads_index_bound: { kind: "message", reason: "pointer + variable scalar refused at the arithmetic; the kernel allows bounded var_off stack/ctx pointers (check-alu, V1)" },
  alu_add_overflow_bound: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  alu_sub_bound: { kind: "message", reason: "raw_tp ctx allows narrow aligned loads; tracingProgType(12) only 8-byte ones, so the program fails before its rule (prog-types, S1)" },
  alu_mul_bound: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  alu_xor_unbound: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  alu_or_unbound: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  alu_arsh_neg: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
  alu_movsx32_bound: { kind: "verdict", reason: "raw_tp ctx allows narrow aligned loads (bpf_tracing_ctx_access); tracingProgType(12) only 8-byte ones (prog-types, S1)" },
};

describe("verifier oracle: btfsnoop against Linux 6.18 (raw_tp, privileged)", () => {
  const results = FIXTURE.programs.map((p) => ({ p, o: ours(p) }));
  const kindOf = ({ p, o }: (typeof results)[number]): "verdict" | "message" | undefined =>
    p.kernel.accepted !== o.accepted ? "verdict" : !o.accepted && o.message !== p.kernel.message ? "message" : undefined;

  it("agrees with the kernel except on the listed programs, and disagrees on each of those as listed", () => {
    const found: Record<string, string> = {};
    for (const r of results) {
      const kind = kindOf(r);
      if (kind) found[r.p.name] = `${kind}: kernel ${r.p.kernel.accepted ? "accepts" : `'${r.p.kernel.message}'`}, btfsnoop ${r.o.accepted ? "accepts" : `'${r.o.message}'`}`;
    }
    const expected = Object.fromEntries(
      Object.entries(KNOWN).map(([name, k]) => {
        const r = results.find((x) => x.p.name === name);
        if (!r) return [name, "not in the fixture"];
        return [name, found[name]?.startsWith(`${k.kind}:`) ? found[name] : `listed as a ${k.kind} disagreement`];
      }),
    );
    expect(found).toEqual(expected);
  });

  it("reports the agreement", () => {
    const n = results.length;
    const verdict = results.filter((r) => kindOf(r) !== "verdict").length;
    const both = results.filter((r) => kindOf(r) === undefined).length;
    const pct = (x: number) => ((100 * x) / n).toFixed(1);
    console.log(`verifier oracle (${FIXTURE.kernel}): ${n} programs, verdict ${verdict}/${n} (${pct(verdict)}%), verdict+message ${both}/${n} (${pct(both)}%)`);
    expect(n).toBeGreaterThanOrEqual(150);
    expect(n - both).toBe(Object.keys(KNOWN).length);
    expect(n - verdict).toBe(Object.values(KNOWN).filter((k) => k.kind === "verdict").length);
  });
});
