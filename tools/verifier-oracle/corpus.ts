// The verifier oracle's corpus (dev-only): programs of our own, one or two
// per rule of the kernel's check_* functions, in both directions, written
// with the ProgramBuilder. record.ts loads each on the machine's Linux as a
// raw_tp program and stores the kernel's verdict next to the program's bytes
// in test/fixtures/verifier-oracle/results.json; the test reads only that.
//
// Maps are given per program; an lddw of a map (src 1 or 2) carries the
// map's index in this list as its imm, the loader patches in the real fd.
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { AtomicOp, JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import type { Instruction } from "../../src/vm/isa/instruction.js";

/** A map the program needs: bpf_map_create's type, sizes, flags; `freeze` freezes it (zero-filled) before the load. */
export interface MapSpec {
  type: number;
  key: number;
  value: number;
  max: number;
  flags?: number;
  freeze?: boolean;
}

export interface OracleProgram {
  name: string;
  /** What the program checks, in a few words. */
  rule: string;
  maps: MapSpec[];
  insns: Instruction[];
}

const ARRAY: MapSpec = { type: 2, key: 4, value: 16, max: 4 };
const HASH: MapSpec = { type: 1, key: 8, value: 16, max: 16 };
const RINGBUF: MapSpec = { type: 27, key: 0, value: 0, max: 4096 };
const PERF: MapSpec = { type: 4, key: 4, value: 4, max: 2 };
const STACKS: MapSpec = { type: 7, key: 4, value: 8 * 16, max: 16 };
const PROGS: MapSpec = { type: 3, key: 4, value: 4, max: 4 };
const QUEUE: MapSpec = { type: 22, key: 0, value: 8, max: 16 };
/** A frozen `.rodata`-like array: BPF_F_RDONLY_PROG, one element, frozen (its bytes are 0). */
/** A one-element array: lddw of its value (src 2) works only on these. */
const ARRAY1: MapSpec = { type: 2, key: 4, value: 16, max: 1 };
const ARRAY64: MapSpec = { type: 2, key: 4, value: 64, max: 4 };
const RODATA: MapSpec = { type: 2, key: 4, value: 16, max: 1, flags: 0x80, freeze: true };
const WRONLY: MapSpec = { type: 2, key: 4, value: 16, max: 1, flags: 0x100 };

const H = {
  map_lookup_elem: 1, map_update_elem: 2, map_delete_elem: 3, probe_read: 4, ktime_get_ns: 5, trace_printk: 6,
  get_prandom_u32: 7, get_smp_processor_id: 8, tail_call: 12, get_current_pid_tgid: 14, get_current_uid_gid: 15,
  get_current_comm: 16, perf_event_output: 25, get_stackid: 27, get_current_task: 35, probe_write_user: 36,
  get_numa_node_id: 42, probe_read_str: 45, override_return: 58, get_stack: 67, get_current_cgroup_id: 80,
  map_push_elem: 87, map_pop_elem: 88, map_peek_elem: 89, send_signal: 109, probe_read_user: 112,
  probe_read_kernel: 113, probe_read_user_str: 114, probe_read_kernel_str: 115, jiffies64: 118,
  ktime_get_boot_ns: 125, ringbuf_output: 130, ringbuf_reserve: 131, ringbuf_submit: 132, ringbuf_discard: 133,
  ringbuf_query: 134, get_task_stack: 141, get_current_task_btf: 158, ktime_get_coarse_ns: 160, snprintf: 165,
  get_func_ip: 173, loop: 181, strncmp: 182, get_func_arg: 183, get_func_arg_cnt: 185,
} as const;

const B = () => new ProgramBuilder();
const ret0 = (b: ProgramBuilder) => b.mov64Imm(0, 0).exit();

/** r0 = lookup(map `idx`, key 0 at fp-8) with r6 untouched. */
function lookup(b: ProgramBuilder, idx = 0, keyBytes = 8): ProgramBuilder {
  b.st(Size.DW, 10, -8, 0);
  if (keyBytes < 8) b.st(Size.W, 10, -8, 0);
  return b.ldMapFd(1, idx).mov64(2, 10).add64Imm(2, -8).call(H.map_lookup_elem);
}

/** lookup, then exit with 0 when NULL; the value pointer is left in r0. */
function lookupNonNull(b: ProgramBuilder, idx = 0): ProgramBuilder {
  return lookup(b, idx).jmpImm(JmpOp.JNE, 0, 0, "nn").exit().label("nn");
}

/** r0 = ringbuf_reserve(map 0, size, 0). */
function reserve(b: ProgramBuilder, size: number): ProgramBuilder {
  return b.ldMapFd(1, 0).mov64Imm(2, size).mov64Imm(3, 0).call(H.ringbuf_reserve);
}

export function buildCorpus(): OracleProgram[] {
  const out: OracleProgram[] = [];
  const add = (name: string, rule: string, b: ProgramBuilder, maps: MapSpec[] = []) => {
    if (out.some((p) => p.name === name)) throw new Error(`duplicate corpus name ${name}`);
    out.push({ name, rule, maps, insns: b.link() });
  };
  /** Instructions the builder would refuse to emit (malformed encodings). */
  const addRaw = (name: string, rule: string, insns: Instruction[]) => out.push({ name, rule, maps: [], insns });
  const EXIT0: Instruction[] = [{ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];

  // ---- registers, exits and return values ---------------------------------
  add("exit_r0_unset", "exit reads r0", B().exit());
  add("exit_r0_zero", "plain exit", ret0(B()));
  add("read_r2_unset", "r2 is not initialized at entry", B().mov64(0, 2).exit());
  add("write_r10", "r10 is read-only", B().mov64Imm(10, 0).mov64Imm(0, 0).exit());
  add("return_ctx_ptr", "returning a pointer (raw_tp: no return range)", B().mov64(0, 1).exit());
  add("return_fp_ptr", "returning a stack pointer", B().mov64(0, 10).exit());
  add("return_large", "raw_tp returns any scalar", B().lddw(0, 0x123456789n).exit());
  add("return_neg", "raw_tp returns any scalar", B().mov64Imm(0, -1).exit());
  add("r6_unset_read", "callee-saved register never written", B().mov64(0, 6).exit());
  add("r1_clobbered_by_call", "a helper call clobbers r1-r5", B().call(H.ktime_get_ns).mov64(0, 1).exit());
  add("r6_kept_over_call", "r6 survives a helper call", B().mov64Imm(6, 1).call(H.ktime_get_ns).mov64(0, 6).exit());

  // ---- ALU ----------------------------------------------------------------
  add("alu_div_imm0", "division by an immediate 0", B().mov64Imm(0, 1).div64Imm(0, 0).exit());
  add("alu_mod32_imm0", "modulo by an immediate 0", B().mov64Imm(0, 1).mod32Imm(0, 0).exit());
  add("alu_div_reg0", "division by a register 0 is defined", B().mov64Imm(0, 1).mov64Imm(2, 0).div64(0, 2).exit());
  add("alu_lsh64_imm64", "shift by 64", B().mov64Imm(0, 1).lsh64Imm(0, 64).exit());
  add("alu_lsh32_imm32", "32-bit shift by 32", B().mov64Imm(0, 1).lsh32Imm(0, 32).exit());
  add("alu_rsh64_imm63", "shift by 63 is fine", B().mov64Imm(0, 1).rsh64Imm(0, 63).exit());
  add("alu_arsh32_imm31", "32-bit arsh by 31", B().mov64Imm(0, -1).arsh32Imm(0, 31).exit());
  add("alu_neg_ok", "negation", B().mov64Imm(0, 5).neg64(0).exit());
  add("alu_bswap", "byte swap", B().mov64Imm(0, 0x1234).be(0, 16).bswap(0, 64).exit());
  add("alu_movsx", "sign-extending move", B().mov64Imm(2, 0xff).movsx64(0, 2, 8).exit());
  add("alu_sdiv", "signed division", B().mov64Imm(0, -10).sdiv64Imm(0, 3).exit());
  add("alu_smod_imm0", "signed modulo by an immediate 0", B().mov64Imm(0, -10).smod64Imm(0, 0).exit());
  add("alu_uninit_src", "ALU source never written", B().mov64Imm(0, 0).add64(0, 3).exit());
  add("alu_uninit_dst", "ALU destination never written", B().add64Imm(0, 1).exit());

  // ---- pointer arithmetic -------------------------------------------------
  add("ptr_ctx_add_const", "ctx + constant, then return 0", B().add64Imm(1, 8).mov64Imm(0, 0).exit());
  add("ptr_ctx_add_const_load", "load through a modified ctx pointer", B().add64Imm(1, 8).ldx(Size.DW, 0, 1, 0).exit());
  add("ptr_ctx_add_scalar", "ctx + unknown scalar", B().ldx(Size.DW, 2, 1, 0).add64(1, 2).mov64Imm(0, 0).exit());
  add("ptr_ctx_sub_scalar", "ctx - known scalar", B().mov64Imm(2, 8).sub64(1, 2).mov64Imm(0, 0).exit());
  add("ptr_fp_add_unknown", "fp + unknown scalar", B().ldx(Size.DW, 2, 1, 0).add64(10, 2).mov64Imm(0, 0).exit());
  add("ptr_fp_copy_add_unknown", "copy of fp + unknown scalar", B().ldx(Size.DW, 2, 1, 0).mov64(3, 10).add64(3, 2).mov64Imm(0, 0).exit());
  add("ptr_fp_copy_add_bounded", "copy of fp + bounded scalar, no access", B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 7).mov64(3, 10).sub64(3, 2).mov64Imm(0, 0).exit());
  add("ptr_fp_mul", "multiplying a pointer", B().mov64(2, 10).mul64Imm(2, 2).mov64Imm(0, 0).exit());
  add("ptr_fp_and", "bitwise AND on a pointer", B().mov64(2, 10).and64Imm(2, -8).mov64Imm(0, 0).exit());
  add("ptr_fp_or", "bitwise OR on a pointer", B().mov64(2, 10).or64Imm(2, 1).mov64Imm(0, 0).exit());
  add("ptr_32bit_add", "32-bit arithmetic on a pointer", B().mov64(2, 10).add32Imm(2, -8).mov64Imm(0, 0).exit());
  add("ptr_ptr_add", "pointer + pointer", B().mov64(2, 10).add64(2, 1).mov64Imm(0, 0).exit());
  add("ptr_ptr_sub_same", "fp - fp", B().mov64(2, 10).add64Imm(2, -8).mov64(0, 10).sub64(0, 2).exit());
  add("ptr_ptr_sub_diff", "fp - ctx", B().mov64(0, 10).sub64(0, 1).exit());
  add("ptr_scalar_minus_ptr", "scalar - pointer", B().mov64Imm(0, 0).sub64(0, 10).exit());
  add("ptr_neg", "negating a pointer", B().mov64(2, 10).neg64(2).mov64Imm(0, 0).exit());
  add("ptr_mov32", "32-bit move of a pointer", B().mov32(0, 10).exit());
  add("ptr_lsh", "shifting a pointer", B().mov64(2, 10).lsh64Imm(2, 1).mov64Imm(0, 0).exit());
  add("ptr_map_ptr_add0", "map_ptr + 0", B().ldMapFd(2, 0).add64Imm(2, 0).mov64Imm(0, 0).exit(), [ARRAY]);
  add("ptr_map_ptr_add8", "map_ptr + 8", B().ldMapFd(2, 0).add64Imm(2, 8).mov64Imm(0, 0).exit(), [ARRAY]);
  add("ptr_or_null_add", "arithmetic on map_value_or_null", lookup(B()).add64Imm(0, 8).mov64Imm(0, 0).exit(), [ARRAY]);
  add("ptr_value_out_of_range_arith", "map value + 1<<29", lookupNonNull(B()).lddw(2, 1 << 29).add64(0, 2).mov64Imm(0, 0).exit(), [ARRAY]);
  add("ptr_fp_sub_large", "fp - (1<<29)", B().mov64(2, 10).lddw(3, 1 << 29).sub64(2, 3).mov64Imm(0, 0).exit());

  // ---- stack --------------------------------------------------------------
  add("stack_write_read", "store then load", B().st(Size.DW, 10, -8, 7).ldx(Size.DW, 0, 10, -8).exit());
  add("stack_read_uninit", "reading stack never written (privileged)", B().ldx(Size.DW, 0, 10, -8).exit());
  add("stack_write_pos", "fp+0 is out of the frame", B().st(Size.DW, 10, 0, 1).mov64Imm(0, 0).exit());
  add("stack_write_513", "fp-520 is beyond the 512-byte stack", B().st(Size.DW, 10, -520, 1).mov64Imm(0, 0).exit());
  add("stack_write_512", "fp-512 is the last slot", B().st(Size.DW, 10, -512, 1).mov64Imm(0, 0).exit());
  add("stack_misaligned_dw", "misaligned 8-byte store on the stack", B().st(Size.DW, 10, -12, 1).mov64Imm(0, 0).exit());
  add("stack_misaligned_w", "misaligned 4-byte store on the stack", B().st(Size.W, 10, -6, 1).mov64Imm(0, 0).exit());
  add("stack_byte_rw", "byte store and load", B().st(Size.B, 10, -1, 3).ldx(Size.B, 0, 10, -1).exit());
  add("stack_spill_fill_ctx", "spill ctx and fill it back, then read ctx", B().stx(Size.DW, 10, -8, 1).ldx(Size.DW, 2, 10, -8).ldx(Size.DW, 0, 2, 0).exit());
  add("stack_spill_partial_fill", "spill a pointer, fill 4 bytes of it", B().stx(Size.DW, 10, -8, 1).ldx(Size.W, 0, 10, -8).exit());
  add("stack_spill_overwrite_byte", "overwrite one byte of a spilled pointer, fill it as a pointer", B().stx(Size.DW, 10, -8, 1).st(Size.B, 10, -8, 0).ldx(Size.DW, 2, 10, -8).ldx(Size.DW, 0, 2, 0).exit());
  add("stack_var_off_write", "store at a variable stack offset", B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 8).mov64(3, 10).add64Imm(3, -16).add64(3, 2).st(Size.DW, 3, 0, 0).mov64Imm(0, 0).exit());
  add("stack_var_off_read", "load at a variable stack offset", B().st(Size.DW, 10, -8, 0).st(Size.DW, 10, -16, 0).ldx(Size.DW, 2, 1, 0).and64Imm(2, 8).mov64(3, 10).add64Imm(3, -16).add64(3, 2).ldx(Size.DW, 0, 3, 0).exit());
  add("stack_spill_scalar_bounds", "spilled scalar keeps its bounds", B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 7).stx(Size.DW, 10, -8, 2).ldx(Size.DW, 3, 10, -8).mov64(4, 10).add64Imm(4, -16).add64(4, 3).st(Size.B, 4, 0, 1).mov64Imm(0, 0).exit());
  add("stack_store_ptr_32", "storing 4 bytes of a pointer to the stack", B().stx(Size.W, 10, -8, 1).mov64Imm(0, 0).exit());
  // Variable-offset loads over different stack contents on two paths joining before the load: 0 only over ZERO bytes.
  const varRead = (a: (b: ProgramBuilder) => ProgramBuilder, b2: (b: ProgramBuilder) => ProgramBuilder) => {
    const b = B().ldx(Size.DW, 6, 1, 0).and64Imm(6, 8).ldx(Size.DW, 7, 1, 8).st(Size.W, 10, -16, 0).st(Size.W, 10, -12, 0).jmpImm(JmpOp.JEQ, 7, 0, "b");
    a(b).ja("join").label("b");
    b2(b).label("join").mov64(3, 10).add64Imm(3, -16).add64(3, 6).ldx(Size.DW, 0, 3, 0);
    return b.jmpImm(JmpOp.JEQ, 0, 0, "ok").ldx(Size.DW, 0, 10, 8).label("ok").mov64Imm(0, 0).exit();
  };
  add("stack_var_read_spilled_zero", "fp-16 + {0,8}: a spilled 0 on one path, 5 on the other", varRead((b) => b.st(Size.DW, 10, -8, 0), (b) => b.st(Size.DW, 10, -8, 5)));
  add("stack_var_read_zero_bytes_both", "fp-16 + {0,8} over zero bytes on both paths: the load is 0", varRead((b) => b.st(Size.W, 10, -8, 0).st(Size.W, 10, -4, 0), (b) => b.st(Size.W, 10, -8, 0).st(Size.W, 10, -4, 0)));
  add("stack_var_read_zero_bytes_one", "fp-16 + {0,8}: zero bytes on one path, 5 on the other", varRead((b) => b.st(Size.W, 10, -8, 0).st(Size.W, 10, -4, 0), (b) => b.st(Size.W, 10, -8, 5).st(Size.W, 10, -4, 0)));
  add("stack_fp_ldx_pos", "load above the frame", B().ldx(Size.DW, 0, 10, 8).exit());

  // ---- ctx ----------------------------------------------------------------
  add("ctx_read_arg0", "read args[0]", B().ldx(Size.DW, 0, 1, 0).exit());
  add("ctx_read_arg11", "read args[11]", B().ldx(Size.DW, 0, 1, 88).exit());
  add("ctx_read_arg12", "read args[12] (past the 12 args)", B().ldx(Size.DW, 0, 1, 96).exit());
  add("ctx_read_neg", "read ctx - 8", B().ldx(Size.DW, 0, 1, -8).exit());
  add("ctx_read_w", "4-byte load of an argument", B().ldx(Size.W, 0, 1, 0).exit());
  add("ctx_read_w_hi", "4-byte load of an argument's high half", B().ldx(Size.W, 0, 1, 4).exit());
  add("ctx_read_b", "1-byte load of an argument", B().ldx(Size.B, 0, 1, 3).exit());
  add("ctx_read_misaligned", "8-byte load at offset 4", B().ldx(Size.DW, 0, 1, 4).exit());
  add("ctx_write", "store into ctx", B().st(Size.DW, 1, 0, 0).mov64Imm(0, 0).exit());
  add("ctx_stx", "register store into ctx", B().mov64Imm(2, 0).stx(Size.DW, 1, 0, 2).mov64Imm(0, 0).exit());
  add("ctx_var_off", "ctx + unknown offset load", B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 8).add64(1, 2).ldx(Size.DW, 0, 1, 0).exit());
  add("ctx_ldxs", "sign-extending load from ctx", B().ldxs(Size.W, 0, 1, 0).exit());
  add("ctx_atomic", "atomic add on ctx", B().mov64Imm(2, 1).atomicAdd(Size.DW, 1, 0, 2).mov64Imm(0, 0).exit());
  add("ctx_arg_deref", "dereference an argument (a scalar)", B().ldx(Size.DW, 2, 1, 0).ldx(Size.DW, 0, 2, 0).exit());

  // ---- map values ---------------------------------------------------------
  add("map_lookup_no_null_check", "dereference map_value_or_null", lookup(B()).ldx(Size.DW, 0, 0, 0).exit(), [ARRAY]);
  add("map_lookup_null_checked", "read after the null check", lookupNonNull(B()).ldx(Size.DW, 0, 0, 0).exit(), [ARRAY]);
  add("map_lookup_read_last", "read the last 8 bytes of a 16-byte value", lookupNonNull(B()).ldx(Size.DW, 0, 0, 8).exit(), [ARRAY]);
  add("map_lookup_read_past", "read past a 16-byte value", lookupNonNull(B()).ldx(Size.DW, 0, 0, 16).exit(), [ARRAY]);
  add("map_lookup_read_neg", "read before the value", lookupNonNull(B()).ldx(Size.DW, 0, 0, -8).exit(), [ARRAY]);
  add("map_lookup_write", "write into the value", lookupNonNull(B()).st(Size.DW, 0, 0, 1).mov64Imm(0, 0).exit(), [ARRAY]);
  add("map_lookup_var_unbounded", "variable offset with no bound", lookupNonNull(B().mov64(6, 1)).ldx(Size.DW, 2, 6, 0).add64(0, 2).ldx(Size.B, 0, 0, 0).exit(), [ARRAY]);
  add("map_lookup_var_masked", "variable offset masked to 0..15", lookupNonNull(B().mov64(6, 1)).ldx(Size.DW, 2, 6, 0).and64Imm(2, 15).add64(0, 2).ldx(Size.B, 0, 0, 0).exit(), [ARRAY]);
  add("map_lookup_var_masked_dw", "variable offset 0..15 with 8-byte read", lookupNonNull(B().mov64(6, 1)).ldx(Size.DW, 2, 6, 0).and64Imm(2, 15).add64(0, 2).ldx(Size.DW, 0, 0, 0).exit(), [ARRAY]);
  add("map_lookup_var_jlt", "variable offset bounded by a branch", lookupNonNull(B().mov64(6, 1)).ldx(Size.DW, 2, 6, 0).jmpImm(JmpOp.JGE, 2, 16, "o").add64(0, 2).ldx(Size.B, 0, 0, 0).exit().label("o").mov64Imm(0, 0).exit(), [ARRAY]);
  add("map_lookup_var_signed", "variable offset bounded above only (signed)", lookupNonNull(B().mov64(6, 1)).ldx(Size.DW, 2, 6, 0).jmpImm(JmpOp.JSGT, 2, 15, "o").add64(0, 2).ldx(Size.B, 0, 0, 0).exit().label("o").mov64Imm(0, 0).exit(), [ARRAY]);
  add("map_lookup_hash_null", "hash lookup without null check", lookup(B()).ldx(Size.DW, 0, 0, 0).exit(), [HASH]);
  add("map_lookup_hash_ok", "hash lookup with null check", lookupNonNull(B()).ldx(Size.DW, 0, 0, 0).exit(), [HASH]);
  add("map_lookup_key_uninit", "key on stack never written (privileged)", B().ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -8).call(H.map_lookup_elem).mov64Imm(0, 0).exit(), [HASH]);
  add("map_lookup_key_short", "key of 8 bytes with only 4 on the stack", B().ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -4).call(H.map_lookup_elem).mov64Imm(0, 0).exit(), [HASH]);
  add("map_lookup_key_null", "NULL key", B().ldMapFd(1, 0).mov64Imm(2, 0).call(H.map_lookup_elem).mov64Imm(0, 0).exit(), [HASH]);
  add("map_lookup_not_map", "r1 is not a map", B().mov64Imm(1, 0).mov64(2, 10).add64Imm(2, -8).st(Size.DW, 10, -8, 0).call(H.map_lookup_elem).mov64Imm(0, 0).exit());
  add("map_lookup_key_ctx", "key pointing into ctx", B().mov64(2, 1).ldMapFd(1, 0).call(H.map_lookup_elem).mov64Imm(0, 0).exit(), [HASH]);
  add("map_lookup_key_value", "key pointing into another map value", lookupNonNull(B().mov64(7, 1), 1).mov64(2, 0).ldMapFd(1, 0).call(H.map_lookup_elem).mov64Imm(0, 0).exit(), [HASH, ARRAY]);
  add("map_update_ok", "update with key and value on the stack", B().st(Size.DW, 10, -8, 0).st(Size.DW, 10, -16, 0).st(Size.DW, 10, -24, 0).ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -8).mov64(3, 10).add64Imm(3, -24).mov64Imm(4, 0).call(H.map_update_elem).mov64Imm(0, 0).exit(), [HASH]);
  add("map_update_value_short", "value argument 8 bytes of a 16-byte value", B().st(Size.DW, 10, -8, 0).st(Size.DW, 10, -16, 0).ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -8).mov64(3, 10).add64Imm(3, -8).mov64Imm(4, 0).call(H.map_update_elem).mov64Imm(0, 0).exit(), [HASH]);
  add("map_update_flags_unset", "r4 never written", B().st(Size.DW, 10, -8, 0).st(Size.DW, 10, -16, 0).st(Size.DW, 10, -24, 0).ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -8).mov64(3, 10).add64Imm(3, -24).call(H.map_update_elem).mov64Imm(0, 0).exit(), [HASH]);
  add("map_delete_array", "delete on an array (runtime -EINVAL)", B().st(Size.DW, 10, -8, 0).ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -8).call(H.map_delete_elem).mov64Imm(0, 0).exit(), [ARRAY]);
  add("map_value_direct_4elem", "lddw map value (src 2) of a 4-element array", B().ldMapValue(1, 0, 0).ldx(Size.DW, 0, 1, 0).exit(), [ARRAY]);
  add("map_value_direct", "lddw map value (src 2)", B().ldMapValue(1, 0, 0).ldx(Size.DW, 0, 1, 0).exit(), [ARRAY1]);
  add("map_value_direct_write", "write through lddw map value", B().ldMapValue(1, 0, 0).st(Size.DW, 1, 8, 3).mov64Imm(0, 0).exit(), [ARRAY1]);
  add("map_value_direct_read_past", "read past the value through lddw map value", B().ldMapValue(1, 0, 0).ldx(Size.DW, 0, 1, 12).exit(), [ARRAY1]);
  add("map_value_direct_off_past", "lddw map value at an offset past the value", B().ldMapValue(1, 0, 16).mov64Imm(0, 0).exit(), [ARRAY1]);
  add("map_value_direct_hash", "lddw map value of a hash map", B().ldMapValue(1, 0, 0).mov64Imm(0, 0).exit(), [HASH]);
  add("map_rodata_write", "write into a BPF_F_RDONLY_PROG value", B().ldMapValue(1, 0, 0).st(Size.DW, 1, 0, 1).mov64Imm(0, 0).exit(), [RODATA]);
  add("map_rodata_read", "read a frozen read-only value", B().ldMapValue(1, 0, 0).ldx(Size.DW, 0, 1, 0).exit(), [RODATA]);
  add("map_rodata_dead_branch", "branch on a frozen 0 hides an invalid access", B().ldMapValue(1, 0, 0).ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JEQ, 2, 0, "o").ldx(Size.DW, 0, 10, 8).label("o").mov64Imm(0, 0).exit(), [RODATA]);
  add("map_wronly_read", "read a BPF_F_WRONLY_PROG value", B().ldMapValue(1, 0, 0).ldx(Size.DW, 0, 1, 0).exit(), [WRONLY]);
  add("map_wronly_write", "write a BPF_F_WRONLY_PROG value", B().ldMapValue(1, 0, 0).st(Size.DW, 1, 0, 1).mov64Imm(0, 0).exit(), [WRONLY]);
  add("map_fd_bad", "lddw of an fd that is no map", B().ldMapFd(1, 99).mov64Imm(0, 0).exit(), [ARRAY]);
  add("map_value_null_compare_copy", "null check on a copy refines the original", lookup(B()).mov64(6, 0).jmpImm(JmpOp.JEQ, 6, 0, "o").ldx(Size.DW, 0, 0, 0).exit().label("o").mov64Imm(0, 0).exit(), [ARRAY]);
  add("map_value_ptr_leak_store", "store a pointer into a map value (privileged)", lookupNonNull(B()).stx(Size.DW, 0, 0, 10).mov64Imm(0, 0).exit(), [ARRAY]);
  add("map_value_misaligned", "misaligned 8-byte load from a map value", lookupNonNull(B()).ldx(Size.DW, 0, 0, 3).exit(), [ARRAY]);
  add("map_push_queue", "push to a queue", B().st(Size.DW, 10, -8, 1).ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -8).mov64Imm(3, 0).call(H.map_push_elem).mov64Imm(0, 0).exit(), [QUEUE]);
  add("map_pop_queue", "pop from a queue into uninit stack", B().ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -8).call(H.map_pop_elem).mov64Imm(0, 0).exit(), [QUEUE]);
  add("map_lookup_queue", "lookup on a queue", lookup(B()).mov64Imm(0, 0).exit(), [QUEUE]);
  add("map_push_array", "push on an array", B().st(Size.DW, 10, -8, 1).st(Size.DW, 10, -16, 1).ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -16).mov64Imm(3, 0).call(H.map_push_elem).mov64Imm(0, 0).exit(), [ARRAY]);

  // ---- helpers: argument types and return values -------------------------
  add("helper_unknown_id", "helper id 10000", B().call(10000).mov64Imm(0, 0).exit());
  add("helper_ktime", "ktime_get_ns", B().call(H.ktime_get_ns).exit());
  add("helper_jiffies", "jiffies64", B().call(H.jiffies64).exit());
  add("helper_numa", "get_numa_node_id", B().call(H.get_numa_node_id).exit());
  add("helper_cgroup_id", "get_current_cgroup_id", B().call(H.get_current_cgroup_id).exit());
  add("helper_coarse_ns", "ktime_get_coarse_ns", B().call(H.ktime_get_coarse_ns).exit());
  add("helper_send_signal", "send_signal", B().mov64Imm(1, 9).call(H.send_signal).exit());
  add("helper_override_return", "override_return outside kprobes", B().mov64Imm(2, 0).call(H.override_return).exit());
  add("helper_probe_write_user", "probe_write_user", B().st(Size.DW, 10, -8, 0).mov64Imm(1, 0).mov64(2, 10).add64Imm(2, -8).mov64Imm(3, 8).call(H.probe_write_user).exit());
  add("helper_get_func_ip", "get_func_ip in raw_tp", B().call(H.get_func_ip).exit());
  add("helper_get_func_arg", "get_func_arg in raw_tp", B().mov64Imm(2, 0).mov64(3, 10).add64Imm(3, -8).call(H.get_func_arg).exit());
  add("helper_get_func_arg_cnt", "get_func_arg_cnt in raw_tp", B().call(H.get_func_arg_cnt).exit());
  add("helper_current_task", "get_current_task", B().call(H.get_current_task).exit());
  add("helper_task_btf_read", "get_current_task_btf, return it", B().call(H.get_current_task_btf).mov64Imm(0, 0).exit());
  add("helper_smp_id_bound", "get_smp_processor_id < NR_CPUS: index a value by it", lookupNonNull(B().mov64(6, 1)).mov64(7, 0).call(H.get_smp_processor_id).and64Imm(0, 0xffff).add64(7, 0).ldx(Size.B, 0, 7, 0).exit(), [ARRAY]);
  add("helper_comm_ok", "get_current_comm into 16 stack bytes", B().mov64(1, 10).add64Imm(1, -16).mov64Imm(2, 16).call(H.get_current_comm).exit());
  add("helper_comm_size0", "get_current_comm with size 0", B().mov64(1, 10).add64Imm(1, -16).mov64Imm(2, 0).call(H.get_current_comm).exit());
  add("helper_comm_too_big", "get_current_comm with 16 bytes at fp-8", B().mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 16).call(H.get_current_comm).exit());
  add("helper_comm_unknown_size", "get_current_comm with an unbounded size", B().ldx(Size.DW, 2, 1, 0).mov64(1, 10).add64Imm(1, -16).call(H.get_current_comm).exit());
  add("helper_comm_bounded_size", "get_current_comm with a size 1..16", B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 15).add64Imm(2, 1).mov64(1, 10).add64Imm(1, -16).call(H.get_current_comm).exit());
  add("helper_comm_into_ctx", "get_current_comm into ctx", B().mov64Imm(2, 16).call(H.get_current_comm).exit());
  add("helper_comm_into_map", "get_current_comm into a map value", lookupNonNull(B()).mov64(1, 0).mov64Imm(2, 16).call(H.get_current_comm).exit(), [ARRAY]);
  add("helper_comm_into_map_big", "get_current_comm of 17 bytes into a 16-byte value", lookupNonNull(B()).mov64(1, 0).mov64Imm(2, 17).call(H.get_current_comm).exit(), [ARRAY]);
  add("helper_comm_into_rodata", "get_current_comm into a read-only value", B().ldMapValue(1, 0, 0).mov64Imm(2, 16).call(H.get_current_comm).exit(), [RODATA]);
  add("helper_probe_read_kernel", "probe_read_kernel into the stack", B().ldx(Size.DW, 3, 1, 0).mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 8).call(H.probe_read_kernel).exit());
  add("helper_probe_read_kernel_null0", "probe_read_kernel(NULL, 0, src)", B().mov64Imm(1, 0).mov64Imm(2, 0).mov64Imm(3, 0).call(H.probe_read_kernel).exit());
  add("helper_probe_read_kernel_neg", "probe_read_kernel with a negative size", B().mov64(1, 10).add64Imm(1, -8).mov64Imm(2, -1).mov64Imm(3, 0).call(H.probe_read_kernel).exit());
  add("helper_probe_read_kernel_size_reg", "size bounded by a branch", B().ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JGT, 2, 8, "o").mov64(1, 10).add64Imm(1, -8).mov64Imm(3, 0).call(H.probe_read_kernel).label("o").mov64Imm(0, 0).exit());
  add("helper_probe_read_kernel_str_ret", "probe_read_kernel_str's return bounds an access", B().mov64(6, 10).add64Imm(6, -16).mov64(1, 6).mov64Imm(2, 16).ldx(Size.DW, 3, 1, 0).mov64Imm(3, 0).call(H.probe_read_kernel_str).jmpImm(JmpOp.JSLT, 0, 1, "o").add64(6, 0).ldx(Size.B, 0, 6, -1).exit().label("o").mov64Imm(0, 0).exit());
  add("helper_probe_read_str_ret_unbounded", "probe_read_kernel_str's return + value past the buffer", B().mov64(6, 10).add64Imm(6, -16).mov64(1, 6).mov64Imm(2, 16).mov64Imm(3, 0).call(H.probe_read_kernel_str).jmpImm(JmpOp.JSLT, 0, 0, "o").add64(6, 0).ldx(Size.B, 0, 6, 0).exit().label("o").mov64Imm(0, 0).exit());
  add("helper_get_stack_ret", "get_stack's return bounds an access", B().mov64(6, 10).add64Imm(6, -64).mov64(2, 6).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_stack).jmpImm(JmpOp.JSLT, 0, 1, "o").add64(6, 0).ldx(Size.B, 0, 6, -1).exit().label("o").mov64Imm(0, 0).exit());
  // Return ranges (do_refine_retval_range) used through a map value, whose variable offsets btfsnoop tracks.
  const strRet = (check: (b: ProgramBuilder) => ProgramBuilder) =>
    check(lookupNonNull(B()).mov64(6, 0).mov64(1, 10).add64Imm(1, -16).mov64Imm(2, 16).mov64Imm(3, 0).call(H.probe_read_kernel_str));
  add("ret_probe_read_str_map", "probe_read_kernel_str returns at most its size: value + r0 - 1 is in bounds", strRet((b) => b.jmpImm(JmpOp.JSLT, 0, 1, "o").add64(6, 0).ldx(Size.B, 0, 6, -1).exit().label("o").mov64Imm(0, 0).exit()), [ARRAY]);
  add("ret_probe_read_str_map_past", "probe_read_kernel_str's size itself is one past a 16-byte value", strRet((b) => b.jmpImm(JmpOp.JSLT, 0, 0, "o").add64(6, 0).ldx(Size.B, 0, 6, 0).exit().label("o").mov64Imm(0, 0).exit()), [ARRAY]);
  add("ret_probe_read_str_map_neg", "probe_read_kernel_str may return -errno", strRet((b) => b.add64(6, 0).ldx(Size.B, 0, 6, 0).exit()), [ARRAY]);
  const stackRet = (check: (b: ProgramBuilder) => ProgramBuilder) =>
    check(lookupNonNull(B().mov64(7, 1)).mov64(6, 0).mov64(1, 7).mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_stack));
  add("ret_get_stack_map", "get_stack returns at most its size", stackRet((b) => b.jmpImm(JmpOp.JSLT, 0, 1, "o").add64(6, 0).ldx(Size.B, 0, 6, -1).exit().label("o").mov64Imm(0, 0).exit()), [ARRAY64]);
  add("ret_get_stack_map_unchecked", "get_stack may return -errno", stackRet((b) => b.add64(6, 0).ldx(Size.B, 0, 6, 0).exit()), [ARRAY64]);
  const taskStackRet = (check: (b: ProgramBuilder) => ProgramBuilder) =>
    check(lookupNonNull(B()).mov64(6, 0).call(H.get_current_task_btf).mov64(1, 0).mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_task_stack));
  add("ret_get_task_stack_map", "get_task_stack returns at most its size", taskStackRet((b) => b.jmpImm(JmpOp.JSLT, 0, 1, "o").add64(6, 0).ldx(Size.B, 0, 6, -1).exit().label("o").mov64Imm(0, 0).exit()), [ARRAY64]);
  add("ret_get_task_stack_map_past", "get_task_stack's size is one past a 64-byte value", taskStackRet((b) => b.jmpImm(JmpOp.JSLT, 0, 0, "o").add64(6, 0).ldx(Size.B, 0, 6, 0).exit().label("o").mov64Imm(0, 0).exit()), [ARRAY64]);
  add("ret_smp_id_map", "get_smp_processor_id < nr_cpu_ids indexes a value unmasked", lookupNonNull(B()).mov64(6, 0).call(H.get_smp_processor_id).add64(6, 0).ldx(Size.B, 0, 6, 0).exit(), [ARRAY]);
  add("ret_ktime_map", "ktime_get_ns is unbounded", lookupNonNull(B()).mov64(6, 0).call(H.ktime_get_ns).add64(6, 0).ldx(Size.B, 0, 6, 0).exit(), [ARRAY]);
  add("ret_pid_tgid_shift", "get_current_pid_tgid >> 32 is a u32", lookupNonNull(B()).mov64(6, 0).call(H.get_current_pid_tgid).rsh64Imm(0, 32).add64(6, 0).ldx(Size.B, 0, 6, 0).exit(), [ARRAY]);
  add("helper_get_stack_ok", "get_stack into 64 stack bytes", B().mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_stack).exit());
  add("helper_get_stack_not_ctx", "get_stack with r1 not ctx", B().mov64Imm(1, 0).mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_stack).exit());
  add("helper_get_stackid", "get_stackid with a stack trace map", B().ldMapFd(2, 0).mov64Imm(3, 0).call(H.get_stackid).exit(), [STACKS]);
  add("helper_get_stackid_wrong_map", "get_stackid with an array", B().ldMapFd(2, 0).mov64Imm(3, 0).call(H.get_stackid).exit(), [ARRAY]);
  add("helper_task_stack_scalar", "get_task_stack with a scalar task", B().call(H.get_current_task).mov64(1, 0).mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_task_stack).exit());
  add("helper_task_stack_btf", "get_task_stack with get_current_task_btf", B().call(H.get_current_task_btf).mov64(1, 0).mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_task_stack).exit());
  add("helper_task_stack_ret", "get_task_stack's return bounds an access", B().call(H.get_current_task_btf).mov64(1, 0).mov64(6, 10).add64Imm(6, -64).mov64(2, 6).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_task_stack).jmpImm(JmpOp.JSLT, 0, 1, "o").add64(6, 0).ldx(Size.B, 0, 6, -1).exit().label("o").mov64Imm(0, 0).exit());
  add("helper_trace_printk", "trace_printk with only fmt", B().st(Size.DW, 10, -8, 0x0a78).mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 8).call(H.trace_printk).exit());
  add("helper_trace_printk_ptr_arg", "trace_printk printing fp", B().st(Size.DW, 10, -8, 0x0a78).mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 8).mov64(3, 10).call(H.trace_printk).exit());
  add("helper_trace_printk_size0", "trace_printk with size 0", B().st(Size.DW, 10, -8, 0).mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 0).call(H.trace_printk).exit());
  add("helper_perf_output", "perf_event_output", B().st(Size.DW, 10, -8, 0).ldMapFd(2, 0).lddw(3, 0xffffffffn).mov64(4, 10).add64Imm(4, -8).mov64Imm(5, 8).call(H.perf_event_output).exit(), [PERF]);
  add("helper_perf_output_wrong_map", "perf_event_output with an array", B().st(Size.DW, 10, -8, 0).ldMapFd(2, 0).lddw(3, 0xffffffffn).mov64(4, 10).add64Imm(4, -8).mov64Imm(5, 8).call(H.perf_event_output).exit(), [ARRAY]);
  add("helper_tail_call", "tail_call", B().ldMapFd(2, 0).mov64Imm(3, 0).call(H.tail_call).mov64Imm(0, 0).exit(), [PROGS]);
  add("helper_tail_call_wrong_map", "tail_call with an array", B().ldMapFd(2, 0).mov64Imm(3, 0).call(H.tail_call).mov64Imm(0, 0).exit(), [ARRAY]);
  add("helper_pid_tgid_arg_unused", "a helper without arguments ignores r1-r5", B().mov64(1, 10).call(H.get_current_pid_tgid).exit());
  add("helper_snprintf", "snprintf with a constant format", B().st(Size.DW, 10, -16, 0).st(Size.DW, 10, -8, 0).mov64(1, 10).add64Imm(1, -16).mov64Imm(2, 16).ldMapValue(3, 0, 0).mov64Imm(4, 0).mov64Imm(5, 0).call(H.snprintf).exit(), [RODATA]);
  add("helper_snprintf_fmt_stack", "snprintf with the format on the stack", B().st(Size.DW, 10, -8, 0).mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 8).mov64(3, 10).add64Imm(3, -8).mov64Imm(4, 0).mov64Imm(5, 0).call(H.snprintf).exit());
  add("helper_strncmp_ok", "strncmp with a read-only string", B().st(Size.DW, 10, -8, 0).mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 8).ldMapValue(3, 0, 0).call(H.strncmp).exit(), [RODATA]);
  add("helper_strncmp_not_const", "strncmp with a writable string", lookupNonNull(B()).mov64(3, 0).st(Size.DW, 10, -16, 0).mov64(1, 10).add64Imm(1, -16).mov64Imm(2, 8).call(H.strncmp).exit(), [ARRAY]);

  // ---- ring buffer references --------------------------------------------
  add("ringbuf_reserve_submit", "reserve, null check, submit", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").st(Size.DW, 0, 0, 1).mov64(1, 0).mov64Imm(2, 0).call(H.ringbuf_submit).label("o").mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_reserve_leak", "reserve and never submit", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").label("o").mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_reserve_no_null_check", "write without the null check", reserve(B(), 16).st(Size.DW, 0, 0, 1).mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_submit_twice", "submit the same record twice", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").mov64(6, 0).mov64(1, 6).mov64Imm(2, 0).call(H.ringbuf_submit).mov64(1, 6).mov64Imm(2, 0).call(H.ringbuf_submit).label("o").mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_write_past", "write past the record", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").st(Size.DW, 0, 16, 1).mov64(1, 0).mov64Imm(2, 0).call(H.ringbuf_submit).label("o").mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_submit_offset", "submit a pointer into the record", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").mov64(1, 0).add64Imm(1, 8).mov64Imm(2, 0).call(H.ringbuf_submit).label("o").mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_discard", "reserve then discard", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").mov64(1, 0).mov64Imm(2, 0).call(H.ringbuf_discard).label("o").mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_reserve_var_size", "reserve with an unknown size", B().ldx(Size.DW, 2, 1, 0).ldMapFd(1, 0).mov64Imm(3, 0).call(H.ringbuf_reserve).jmpImm(JmpOp.JEQ, 0, 0, "o").mov64(1, 0).mov64Imm(2, 0).call(H.ringbuf_discard).label("o").mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_reserve_wrong_map", "reserve on an array", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").mov64(1, 0).mov64Imm(2, 0).call(H.ringbuf_discard).label("o").mov64Imm(0, 0).exit(), [ARRAY]);
  add("ringbuf_submit_stack", "submit a stack pointer", B().mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 0).call(H.ringbuf_submit).mov64Imm(0, 0).exit());
  add("ringbuf_output", "ringbuf_output from the stack", B().st(Size.DW, 10, -8, 0).ldMapFd(1, 0).mov64(2, 10).add64Imm(2, -8).mov64Imm(3, 8).mov64Imm(4, 0).call(H.ringbuf_output).exit(), [RINGBUF]);
  add("ringbuf_query", "ringbuf_query", B().ldMapFd(1, 0).mov64Imm(2, 0).call(H.ringbuf_query).exit(), [RINGBUF]);
  add("ringbuf_use_after_submit", "write after submit", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").mov64(6, 0).mov64(1, 0).mov64Imm(2, 0).call(H.ringbuf_submit).st(Size.DW, 6, 0, 1).label("o").mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_spill_ref", "spill the record and fill it back before submit", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").stx(Size.DW, 10, -8, 0).ldx(Size.DW, 1, 10, -8).mov64Imm(2, 0).call(H.ringbuf_submit).label("o").mov64Imm(0, 0).exit(), [RINGBUF]);
  add("ringbuf_probe_read_into", "probe_read_kernel into the record", reserve(B(), 16).jmpImm(JmpOp.JEQ, 0, 0, "o").mov64(6, 0).mov64(1, 0).mov64Imm(2, 16).mov64Imm(3, 0).call(H.probe_read_kernel).mov64(1, 6).mov64Imm(2, 0).call(H.ringbuf_submit).label("o").mov64Imm(0, 0).exit(), [RINGBUF]);

  // ---- jumps and bounds ---------------------------------------------------
  add("jmp_uninit_cmp", "compare an uninitialized register", B().jmpImm(JmpOp.JEQ, 3, 0, "o").label("o").mov64Imm(0, 0).exit());
  add("jmp_ptr_cmp_scalar", "compare a pointer with a scalar (privileged)", B().jmpImm(JmpOp.JEQ, 1, 0, "o").label("o").mov64Imm(0, 0).exit());
  add("jmp_ptr_cmp_ptr", "compare two pointers", B().jmpReg(JmpOp.JGT, 1, 10, "o").label("o").mov64Imm(0, 0).exit());
  add("jmp_bounds_jgt", "bound by JGT then index the stack", B().ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JGT, 2, 7, "o").mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).label("o").mov64Imm(0, 0).exit());
  add("jmp_bounds_off_by_one", "JGT 8: one byte past the stack", B().ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JGT, 2, 8, "o").mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).label("o").mov64Imm(0, 0).exit());
  add("jmp32_bounds", "32-bit compare bounds a 32-bit value", B().ldx(Size.W, 2, 1, 0).jmp32Imm(JmpOp.JGT, 2, 7, "o").mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).label("o").mov64Imm(0, 0).exit());
  add("jmp32_bounds_64bit_value", "32-bit compare does not bound a 64-bit value", B().ldx(Size.DW, 2, 1, 0).jmp32Imm(JmpOp.JGT, 2, 7, "o").mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).label("o").mov64Imm(0, 0).exit());
  add("jmp_scalar_id_copy", "a copy shares the bound learned by a later comparison", B().ldx(Size.DW, 2, 1, 0).mov64(4, 2).jmpImm(JmpOp.JGT, 4, 7, "o").mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).label("o").mov64Imm(0, 0).exit());
  add("jmp_jset_dead", "JSET decides a constant", B().mov64Imm(2, 4).jmpImm(JmpOp.JSET, 2, 3, "bad").mov64Imm(0, 0).exit().label("bad").ldx(Size.DW, 0, 10, 8).exit());
  add("jmp_const_dead_branch", "constant comparison hides an invalid access", B().mov64Imm(2, 5).jmpImm(JmpOp.JNE, 2, 5, "bad").mov64Imm(0, 0).exit().label("bad").ldx(Size.DW, 0, 10, 8).exit());
  add("jmp_range_dead_branch", "range comparison hides an invalid access", B().ldx(Size.B, 2, 1, 0).jmpImm(JmpOp.JGT, 2, 255, "bad").mov64Imm(0, 0).exit().label("bad").ldx(Size.DW, 0, 10, 8).exit());
  add("jmp_signed_range", "JSGE/JSLE bound a signed value", B().ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JSLT, 2, 0, "o").jmpImm(JmpOp.JSGT, 2, 7, "o").mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).label("o").mov64Imm(0, 0).exit());
  add("jmp_signed_upper_only", "JSGT alone leaves negative values", B().ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JSGT, 2, 7, "o").mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).label("o").mov64Imm(0, 0).exit());
  add("jmp_reg_reg_bound", "bound by comparing with a known register", B().ldx(Size.DW, 2, 1, 0).mov64Imm(4, 7).jmpReg(JmpOp.JGT, 2, 4, "o").mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).label("o").mov64Imm(0, 0).exit());
  add("jmp_ja_over", "unconditional jump over an invalid insn", B().ja("o").ldx(Size.DW, 0, 10, 8).label("o").mov64Imm(0, 0).exit());
  add("jmp_shift32_known", "32-bit shift by 32 via register is not a known value", B().mov64Imm(2, 1).mov64Imm(3, 32).lsh32(2, 3).jmpImm(JmpOp.JEQ, 2, 1, "o").mov64Imm(0, 0).exit().label("o").mov64Imm(0, 0).exit());
  add("jmp_and_bound", "AND bounds a value", B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 7).mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("jmp_mod_bound", "MOD bounds a value", B().ldx(Size.DW, 2, 1, 0).mod64Imm(2, 8).mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("jmp_rsh_bound", "RSH bounds a value", B().ldx(Size.DW, 2, 1, 0).rsh64Imm(2, 61).mov64(3, 10).add64Imm(3, -8).add64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("jmp_w_load_bound", "a 1-byte load is 0..255", B().ldx(Size.B, 2, 1, 0).mov64(3, 10).add64Imm(3, -256).add64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("jmp_w_load_bound_over", "a 1-byte load is 0..255, 255 bytes is one short", B().ldx(Size.B, 2, 1, 0).mov64(3, 10).add64Imm(3, -255).add64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());

  // ---- CFG ----------------------------------------------------------------
  add("cfg_unreachable", "an instruction nothing reaches", B().mov64Imm(0, 0).exit().mov64Imm(0, 1).exit());
  add("cfg_jump_out_of_range", "jump past the end", B().ja(5).mov64Imm(0, 0).exit());
  add("cfg_jump_before_start", "jump before the start", B().mov64Imm(0, 0).jmpImm(JmpOp.JEQ, 0, 0, -3).exit());
  add("cfg_jump_into_lddw", "jump into the second slot of an lddw", B().mov64Imm(0, 0).jmpImm(JmpOp.JEQ, 0, 0, 1).lddw(0, 1).exit());
  add("cfg_fall_off_end", "last instruction is not an exit", B().mov64Imm(0, 0));
  add("cfg_infinite_loop", "a loop with no exit condition", B().mov64Imm(0, 0).label("l").ja("l").exit());
  add("cfg_back_edge_bounded", "a bounded loop", B().mov64Imm(0, 0).label("l").add64Imm(0, 1).jmpImm(JmpOp.JLT, 0, 10, "l").exit());
  add("cfg_back_edge_unbounded", "a loop bounded by an unknown value", B().ldx(Size.DW, 2, 1, 0).mov64Imm(0, 0).label("l").add64Imm(0, 1).jmpReg(JmpOp.JLT, 0, 2, "l").exit());
  add("cfg_loop_no_progress", "a loop whose state never changes", B().mov64Imm(0, 0).label("l").jmpImm(JmpOp.JEQ, 0, 0, "l").exit());
  add("cfg_loop_1000", "a loop of 1000 iterations", B().mov64Imm(0, 0).label("l").add64Imm(0, 1).jmpImm(JmpOp.JLT, 0, 1000, "l").exit());
  add("cfg_loop_stack_sum", "a loop summing stack slots", B().st(Size.DW, 10, -8, 1).st(Size.DW, 10, -16, 2).st(Size.DW, 10, -24, 3).mov64Imm(0, 0).mov64Imm(6, 0).label("l").mov64(3, 10).add64Imm(3, -24).mov64(4, 6).lsh64Imm(4, 3).add64(3, 4).ldx(Size.DW, 2, 3, 0).add64(0, 2).add64Imm(6, 1).jmpImm(JmpOp.JLT, 6, 3, "l").exit());
  add("cfg_loop_args", "a loop over the 12 arguments", B().mov64(6, 1).mov64Imm(7, 0).mov64Imm(0, 0).label("l").mov64(3, 6).mov64(4, 7).lsh64Imm(4, 3).add64(3, 4).ldx(Size.DW, 2, 3, 0).add64(0, 2).add64Imm(7, 1).jmpImm(JmpOp.JLT, 7, 12, "l").exit());
  add("cfg_callx", "callx is not a kernel instruction", B().mov64Imm(2, 0).callx(2).mov64Imm(0, 0).exit());
  add("cfg_ja32", "gotol", B().ja32("o").ldx(Size.DW, 0, 10, 8).label("o").mov64Imm(0, 0).exit());

  // ---- LD_IMM64 forms -----------------------------------------------------
  add("ld_imm64_plain", "lddw of a constant", B().lddw(0, 0x1122334455667788n).exit());
  add("ld_imm64_map_then_deref", "dereference a map pointer", B().ldMapFd(1, 0).ldx(Size.DW, 0, 1, 0).exit(), [ARRAY]);
  add("ld_imm64_map_value_off8", "lddw map value + 8", B().ldMapValue(1, 0, 8).ldx(Size.DW, 0, 1, 0).exit(), [ARRAY1]);
  add("ld_imm64_map_value_off12_read8", "lddw map value + 12, 8-byte read", B().ldMapValue(1, 0, 12).ldx(Size.DW, 0, 1, 0).exit(), [ARRAY1]);
  add("ld_imm64_func", "lddw of a function, unused", B().ldFunc(2, "f").mov64Imm(0, 0).exit().label("f").mov64Imm(0, 0).exit());
  addRaw("ld_imm64_bad_src", "lddw with src 7", [{ opcode: 0x18, dst: 0, src: 7, off: 0, imm: 0, imm2: 0 }, ...EXIT0]);
  addRaw("insn_bad_opcode", "opcode 0xff", [{ opcode: 0xff, dst: 0, src: 0, off: 0, imm: 0 }, ...EXIT0]);
  addRaw("insn_bad_dst_reg", "dst register 11", [{ opcode: 0xb7, dst: 11, src: 0, off: 0, imm: 0 }, ...EXIT0]);
  addRaw("insn_mov_reserved_off", "mov64 imm with a nonzero off", [{ opcode: 0xb7, dst: 0, src: 0, off: 3, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]);
  add("ld_imm64_map_idx_no_fdarray", "lddw src 5 without fd_array", B().ldMapIdx(1, 0).mov64Imm(0, 0).exit(), [ARRAY]);
  add("ld_imm64_btf_id_bad", "lddw src 3 with a bogus BTF id", B().ldBtfId(1, 0x7ffffff).mov64Imm(0, 0).exit());

  // ---- atomics ------------------------------------------------------------
  add("atomic_stack_add", "atomic add on the stack", B().st(Size.DW, 10, -8, 0).mov64Imm(2, 1).atomicAdd(Size.DW, 10, -8, 2).ldx(Size.DW, 0, 10, -8).exit());
  add("atomic_stack_uninit", "atomic add on unwritten stack", B().mov64Imm(2, 1).atomicAdd(Size.DW, 10, -8, 2).mov64Imm(0, 0).exit());
  add("atomic_map_add", "atomic add on a map value", lookupNonNull(B()).mov64Imm(2, 1).atomicAdd(Size.DW, 0, 0, 2).mov64Imm(0, 0).exit(), [ARRAY]);
  add("atomic_map_misaligned", "atomic add misaligned on a map value", lookupNonNull(B()).mov64Imm(2, 1).atomicAdd(Size.DW, 0, 4, 2).mov64Imm(0, 0).exit(), [ARRAY]);
  add("atomic_map_w_fetch", "atomic fetch-add 32-bit", lookupNonNull(B()).mov64Imm(2, 1).atomicAdd(Size.W, 0, 4, 2, true).mov64(0, 2).exit(), [ARRAY]);
  add("atomic_xchg_ptr", "xchg a pointer into the stack", B().stx(Size.DW, 10, -8, 1).mov64(2, 10).atomicXchg(Size.DW, 10, -8, 2).mov64Imm(0, 0).exit());
  add("atomic_cmpxchg_r0_unset", "cmpxchg with r0 never written", B().st(Size.DW, 10, -8, 0).mov64Imm(2, 1).atomicCmpxchg(Size.DW, 10, -8, 2).mov64Imm(0, 0).exit());
  add("atomic_cmpxchg_ok", "cmpxchg on a map value", lookupNonNull(B()).mov64(6, 0).mov64Imm(0, 0).mov64Imm(2, 1).atomicCmpxchg(Size.DW, 6, 0, 2).exit(), [ARRAY]);
  add("atomic_src_ptr_to_map", "atomic add of a pointer into a map value", lookupNonNull(B()).atomicAdd(Size.DW, 0, 0, 10).mov64Imm(0, 0).exit(), [ARRAY]);
  add("atomic_rodata", "atomic add on a read-only value", B().ldMapValue(1, 0, 0).mov64Imm(2, 1).atomicAdd(Size.DW, 1, 0, 2).mov64Imm(0, 0).exit(), [RODATA]);
  add("atomic_or_fetch", "atomic fetch-or on the stack", B().st(Size.DW, 10, -8, 0).mov64Imm(2, 1).atomic(Size.DW, AtomicOp.OR | AtomicOp.FETCH, 10, -8, 2).mov64(0, 2).exit());

  // ---- bpf-to-bpf calls ---------------------------------------------------
  add("call_simple", "call a subprogram", B().callLocal("f").exit().label("f").mov64Imm(0, 1).exit());
  add("call_recursive", "recursion", B().mov64Imm(1, 2).callLocal("f").mov64Imm(0, 0).exit().label("f").mov64Imm(0, 0).jmpImm(JmpOp.JEQ, 1, 0, "o").sub64Imm(1, 1).callLocal("f").label("o").exit());
  add("call_no_r0", "a subprogram returns without setting r0", B().callLocal("f").mov64Imm(0, 0).exit().label("f").exit());
  add("call_no_r0_used", "the caller reads r0 of a callee that never set it", B().callLocal("f").exit().label("f").exit());
  add("call_pass_fp", "pass a stack pointer to a callee that writes it", B().mov64(1, 10).add64Imm(1, -8).callLocal("f").ldx(Size.DW, 0, 10, -8).exit().label("f").st(Size.DW, 1, 0, 5).mov64Imm(0, 0).exit());
  add("call_callee_spills_ptr_caller", "callee spills its fp into the caller's frame", B().mov64(1, 10).add64Imm(1, -8).callLocal("f").mov64Imm(0, 0).exit().label("f").stx(Size.DW, 1, 0, 10).mov64Imm(0, 0).exit());
  add("call_return_fp", "callee returns a pointer to its stack", B().callLocal("f").mov64Imm(0, 0).exit().label("f").mov64(0, 10).exit());
  add("call_args_clobbered", "callee reads r6 of the caller", B().mov64Imm(6, 1).callLocal("f").exit().label("f").mov64(0, 6).exit());
  add("call_stack_too_deep", "two frames of 256 + 264 bytes", (() => { const b = B(); for (let o = 8; o <= 256; o += 8) b.st(Size.DW, 10, -o, 0); b.callLocal("f").mov64Imm(0, 0).exit().label("f"); for (let o = 8; o <= 264; o += 8) b.st(Size.DW, 10, -o, 0); return b.mov64Imm(0, 0).exit(); })());
  add("call_9_frames", "a call chain 9 deep", (() => { const b = B().callLocal("f1").exit(); for (let i = 1; i <= 8; i++) b.label(`f${i}`).callLocal(i < 8 ? `f${i + 1}` : "leaf").exit(); return b.label("leaf").mov64Imm(0, 0).exit(); })());
  add("call_into_middle", "jump from main into a subprogram", B().mov64Imm(0, 0).jmpImm(JmpOp.JEQ, 0, 0, "g").callLocal("f").exit().label("f").mov64Imm(0, 0).label("g").exit());
  add("call_ctx_arg", "pass ctx and read it in the callee", B().callLocal("f").exit().label("f").ldx(Size.DW, 0, 1, 0).exit());
  add("call_unknown_target", "call to an offset out of range", B().raw({ opcode: 0x85, dst: 0, src: 1, off: 0, imm: 100 }).mov64Imm(0, 0).exit());
  add("call_kfunc_bad", "kfunc call with a bogus BTF id", B().callKfunc(0x7ffffff).mov64Imm(0, 0).exit());

  // ---- bpf_loop callbacks -------------------------------------------------
  add("loop_ok", "bpf_loop with a callback returning 0", B().mov64Imm(1, 10).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(H.loop).exit().label("cb").mov64Imm(0, 0).exit());
  add("loop_cb_ret_2", "callback returning 2", B().mov64Imm(1, 10).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(H.loop).exit().label("cb").mov64Imm(0, 2).exit());
  add("loop_cb_ret_unknown", "callback returning an unknown value", B().mov64Imm(1, 10).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(H.loop).exit().label("cb").call(H.get_prandom_u32).exit());
  add("loop_cb_ret_unset", "callback without r0", B().mov64Imm(1, 10).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(H.loop).exit().label("cb").exit());
  add("loop_not_func", "bpf_loop with a scalar callback", B().mov64Imm(1, 10).mov64Imm(2, 0).mov64Imm(3, 0).mov64Imm(4, 0).call(H.loop).exit());
  add("loop_flags_nonzero", "bpf_loop with flags 1", B().mov64Imm(1, 10).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 1).call(H.loop).exit().label("cb").mov64Imm(0, 0).exit());
  add("loop_ctx_stack", "callback writes the caller's stack through ctx", B().st(Size.DW, 10, -8, 0).mov64Imm(1, 4).ldFunc(2, "cb").mov64(3, 10).add64Imm(3, -8).mov64Imm(4, 0).call(H.loop).ldx(Size.DW, 0, 10, -8).exit().label("cb").ldx(Size.DW, 3, 2, 0).add64Imm(3, 1).stx(Size.DW, 2, 0, 3).mov64Imm(0, 0).exit());
  add("loop_cb_reads_index_bound", "callback indexes the stack by its unbounded index", B().mov64Imm(1, 4).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(H.loop).exit().label("cb").st(Size.DW, 10, -8, 0).mov64(3, 10).add64Imm(3, -8).add64(3, 1).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("loop_big_count", "bpf_loop of 1<<23", B().lddw(1, 1 << 23).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(H.loop).exit().label("cb").mov64Imm(0, 0).exit());
  add("loop_nested_cb_call", "callback calls a helper", B().mov64Imm(1, 4).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(H.loop).exit().label("cb").call(H.ktime_get_ns).mov64Imm(0, 0).exit());

  // ---- more ALU/bounds rules ---------------------------------------------
  add("alu_add_overflow_bound", "bounded value + large constant keeps the access in range?", B().ldx(Size.B, 2, 1, 0).add64Imm(2, -256).mov64(3, 10).add64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("alu_sub_bound", "fp - bounded byte", B().ldx(Size.B, 2, 1, 0).mov64(3, 10).add64Imm(3, -1).sub64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("alu_mul_bound", "mul of a byte by 2 indexes 512 bytes", B().ldx(Size.B, 2, 1, 0).mul64Imm(2, 2).mov64(3, 10).add64Imm(3, -512).add64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("alu_xor_unbound", "xor of a byte with a byte", B().ldx(Size.B, 2, 1, 0).ldx(Size.B, 4, 1, 8).xor64(2, 4).mov64(3, 10).add64Imm(3, -256).add64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("alu_or_unbound", "or of a byte with 0x100", B().ldx(Size.B, 2, 1, 0).or64Imm(2, 0x100).mov64(3, 10).add64Imm(3, -512).add64(3, 2).st(Size.B, 3, 0, 0).mov64Imm(0, 0).exit());
  add("alu_arsh_neg", "arsh of a negative bounded value", B().ldx(Size.B, 2, 1, 0).neg64(2).arsh64Imm(2, 1).mov64(3, 10).add64(3, 2).st(Size.B, 3, -1, 0).mov64Imm(0, 0).exit());
  add("alu32_zext", "32-bit ALU zero-extends", B().mov64Imm(2, -1).add32Imm(2, 0).rsh64Imm(2, 32).mov64(0, 2).jmpImm(JmpOp.JEQ, 0, 0, "o").ldx(Size.DW, 0, 10, 8).label("o").exit());
  add("alu_movsx32_bound", "movsx of a byte is -128..127", B().ldx(Size.B, 2, 1, 0).movsx64(2, 2, 8).mov64(3, 10).add64Imm(3, -128).add64(3, 2).st(Size.B, 3, -1, 0).mov64Imm(0, 0).exit());

  // ---- moved ctx and typed pointers (check_ptr_off_reg, check_ptr_to_btf_access) ----
  const ctxVar = () => B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 8).add64(1, 2);
  const getStack = (b: ProgramBuilder) => b.mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_stack).exit();
  const taskVar = () => B().call(H.get_current_task_btf).ldx(Size.DW, 2, 0, 0).and64Imm(2, 8).add64(0, 2);
  add("ctx_var_off_unused", "ctx + unknown offset, never used", ret0(ctxVar()));
  add("ctx_var_off_store", "store through ctx + unknown offset", ret0(ctxVar().st(Size.DW, 1, 0, 0)));
  add("ctx_var_off_plus_const", "ctx + unknown offset + 8, load", ctxVar().add64Imm(1, 8).ldx(Size.DW, 0, 1, 0).exit());
  add("ctx_var_off_minus_const", "ctx + unknown offset - 8, load", ctxVar().add64Imm(1, -8).ldx(Size.DW, 0, 1, 0).exit());
  add("ctx_neg_off_load", "ctx - 8, load at +8", B().add64Imm(1, -8).ldx(Size.DW, 0, 1, 8).exit());
  add("ctx_var_off_helper", "ctx + unknown offset passed to get_stack", getStack(ctxVar()));
  add("ctx_neg_off_helper", "ctx - 8 passed to get_stack", getStack(B().add64Imm(1, -8)));
  add("btf_var_off_load", "task + unknown offset, load", taskVar().ldx(Size.DW, 0, 0, 16).exit());
  add("btf_neg_off_load", "load 8 bytes before the task", B().call(H.get_current_task_btf).ldx(Size.DW, 0, 0, -8).exit());
  add("btf_const_off_helper", "task + 8 passed to get_task_stack", B().call(H.get_current_task_btf).mov64(1, 0).add64Imm(1, 8).mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_task_stack).exit());
  add("btf_var_off_helper", "task + unknown offset passed to get_task_stack", B().call(H.get_current_task_btf).mov64(1, 0).ldx(Size.DW, 2, 0, 0).and64Imm(2, 8).add64(1, 2).mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0).call(H.get_task_stack).exit());

  // ---- errnos of stack bounds, lddw and malformed instructions ----
  const varFp = (base: number) => B().call(H.get_prandom_u32).and64Imm(0, 8).mov64(2, 10).add64Imm(2, base).add64(2, 0);
  add("stack_var_write_below_frame", "fp-520 + {0,8} store (EACCES)", ret0(varFp(-520).st(Size.DW, 2, 0, 0)));
  add("stack_var_write_past_fp", "fp-8 + {0,8} store (EINVAL)", ret0(varFp(-8).st(Size.DW, 2, 0, 0)));
  add("helper_buf_below_frame", "get_current_comm into fp-520 (EACCES)", ret0(B().mov64(1, 10).add64Imm(1, -520).mov64Imm(2, 16).call(H.get_current_comm)));
  add("ld_imm64_btf_id_not_var", "lddw src 3 of a type that is no VAR/FUNC", ret0(B().ldBtfId(1, 1)));
  add("ld_imm64_map_idx_value_no_fdarray", "lddw src 6 without fd_array", ret0(B().ldMapIdxValue(1, 0, 0)), [ARRAY]);
  addRaw("insn_reserved_then_bad_opcode", "a reserved field, then opcode 0xff: the opcode first", [{ opcode: 0xb7, dst: 0, src: 0, off: 3, imm: 0 }, { opcode: 0xff, dst: 0, src: 0, off: 0, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]);
  addRaw("insn_atomic_bad_op", "atomic with imm 0x77", [{ opcode: 0xdb, dst: 10, src: 1, off: -8, imm: 0x77 }, ...EXIT0]);
  addRaw("insn_ja_reserved_imm", "ja with imm 3", [{ opcode: 0x05, dst: 0, src: 0, off: 0, imm: 3 }, ...EXIT0]);
  addRaw("insn_ld_abs_raw_tp_reserved", "ld_abs with dst 1 in raw_tp: the program type first", [{ opcode: 0xbf, dst: 6, src: 1, off: 0, imm: 0 }, { opcode: 0x30, dst: 1, src: 0, off: 0, imm: 0 }, ...EXIT0]);

  return out;
}
