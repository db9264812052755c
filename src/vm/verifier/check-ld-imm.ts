// lddw sources the verifier cannot resolve, refused as Linux's
// resolve_pseudo_ldimm64 / check_pseudo_btf_id refuse them: a map by index
// (src 5/6) with no fd_array (btfsnoop's loaders turn indexes into fds
// before verifying), a BTF id (src 3) that is no type of the kernel's BTF or
// no variable or function, and any other source.
import { PseudoLd } from "../isa/opcodes.js";
import { BtfKind } from "../../btf/kinds.js";
import type { VerifierContext } from "./context.js";
import { refuse } from "./errors.js";

/** Refuses the lddw at `pc` whose source `src` (with `imm`) is not resolved here. */
export function refuseLdImm64(ctx: VerifierContext, src: number, imm: number, pc: number): never {
  if (src === PseudoLd.MAP_IDX || src === PseudoLd.MAP_IDX_VALUE) return refuse(`fd_idx without fd_array is invalid`, pc, "EPROTO");
  const btf = ctx.options.btf;
  if (src === PseudoLd.BTF_ID && btf) {
    const id = imm >>> 0;
    if (id >= btf.typeCount) return refuse(`ldimm64 insn specifies invalid btf_id ${imm}.`, pc, "ENOENT");
    const kind = btf.typeById(id).kind;
    if (kind !== BtfKind.VAR && kind !== BtfKind.FUNC) return refuse(`pseudo btf_id ${imm} in ldimm64 isn't KIND_VAR or KIND_FUNC`, pc, "EINVAL");
  }
  return refuse(`invalid bpf_ld_imm64 insn`, pc, "EINVAL");
}
