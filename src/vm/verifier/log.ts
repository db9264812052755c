// The verifier log's text of abstract state, in the kernel's notation
// (print_verifier_state / print_reg_state): one register as `ctx()`,
// `fp-8`, `map_value(ks=4,vs=8)` or a scalar's bounds, the registers of a
// frame as `R1=ctx() R10=fp0`, and the type names used in messages.
import { formatScalar } from "./scalar.js";
import { RegType, type FrameState, type RegState } from "./types.js";

function mapSuffix(r: RegState): string {
  return r.map ? `ks=${r.map.keySize},vs=${r.map.valueSize}` : "";
}

function withVar(parts: string[], r: RegState): string[] {
  const v = r.scalar;
  if (v && !(formatScalar(v) === "0")) parts.push(`var=${formatScalar(v)}`);
  return parts;
}

/** One register in the kernel's log style, e.g. `ctx()`, `fp-8`, `map_value(ks=4,vs=8)`, `42`. */
export function formatReg(r: RegState): string {
  const off = r.off ?? 0;
  const offPart = off ? [`off=${off}`] : [];
  switch (r.type) {
    case RegType.NOT_INIT:
      return "?";
    case RegType.SCALAR:
      return formatScalar(r.scalar!);
    case RegType.PTR_TO_CTX:
      return `ctx(${offPart.join(",")})`;
    case RegType.PTR_TO_STACK:
      return `fp${off === 0 ? "0" : off}`;
    case RegType.CONST_PTR_TO_MAP:
      return `map_ptr(${mapSuffix(r)})`;
    case RegType.PTR_TO_MAP_VALUE:
      return `map_value(${withVar([...offPart, mapSuffix(r)], r).join(",")})`;
    case RegType.PTR_TO_MAP_VALUE_OR_NULL:
      return `map_value_or_null(id=${r.id},${[...offPart, mapSuffix(r)].join(",")})`;
    case RegType.PTR_TO_MEM:
      return `mem(${withVar([...offPart, `sz=${r.memSize}`, ...(r.refObjId ? [`ref_obj_id=${r.refObjId}`] : [])], r).join(",")})`;
    case RegType.PTR_TO_MEM_OR_NULL:
      return `mem_or_null(id=${r.id},sz=${r.memSize}${r.refObjId ? `,ref_obj_id=${r.refObjId}` : ""})`;
    case RegType.PTR_TO_BTF_ID:
      return `ptr_btf_id(id=${r.btfId}${off ? `,off=${off}` : ""})`;
    case RegType.PTR_TO_FUNC:
      return `func(subprog=${r.subprog})`;
    case RegType.PTR_TO_BTF_ID_OR_NULL:
      return `ptr_or_null_btf_id(id=${r.btfId},ref_id=${r.id})`;
    default:
      return "?";
  }
}

/** The kernel's name of a register type in messages like "R1 invalid mem access 'scalar'". */
export function regTypeName(t: number): string {
  return (
    ["?", "scalar", "ctx", "map_ptr", "map_value", "map_value_or_null", "fp", "mem", "mem_or_null", "ptr_", "func", "ptr_or_null_"][t] ?? "?"
  );
}

/** The registers of the current frame that are initialized, as `R0=... R10=fp0`. */
export function formatRegs(f: FrameState): string {
  const out: string[] = [];
  f.regs.forEach((r, i) => {
    if (r.type !== RegType.NOT_INIT) out.push(`R${i}=${formatReg(r)}`);
  });
  return out.join(" ");
}
