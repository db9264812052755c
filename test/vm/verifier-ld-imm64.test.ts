// lddw sources the verifier does not resolve (issue #17), refused with
// Linux's words and errno (resolve_pseudo_ldimm64 / check_pseudo_btf_id),
// each checked on Linux 6.18 as a privileged raw_tp program: a map by
// index without fd_array (EPROTO), a BTF id that is no type (ENOENT) or no
// VAR/FUNC (EINVAL).
import { describe, expect, it } from "vitest";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import { rawTracepointProgType } from "../../src/vm/verifier/prog-types.js";
import { verify } from "../../src/vm/verifier/verifier.js";
import { vmlinuxBtf } from "../helpers/fixtures.js";

const B = () => new ProgramBuilder();
const CASES: [string, () => ProgramBuilder, string, string][] = [
  ["a map by index (src 5)", () => B().ldMapIdx(1, 0), "fd_idx without fd_array is invalid", "EPROTO"],
  ["a map value by index (src 6)", () => B().ldMapIdxValue(1, 0, 0), "fd_idx without fd_array is invalid", "EPROTO"],
  ["BTF id 0x7ffffff", () => B().ldBtfId(1, 0x7ffffff), "ldimm64 insn specifies invalid btf_id 134217727.", "ENOENT"],
  ["BTF id -5", () => B().ldBtfId(1, -5), "ldimm64 insn specifies invalid btf_id -5.", "ENOENT"],
  ["BTF id 1 (not a VAR or FUNC)", () => B().ldBtfId(1, 1), "pseudo btf_id 1 in ldimm64 isn't KIND_VAR or KIND_FUNC", "EINVAL"],
  ["BTF id 0 (void)", () => B().ldBtfId(1, 0), "pseudo btf_id 0 in ldimm64 isn't KIND_VAR or KIND_FUNC", "EINVAL"],
];

describe("lddw sources refused as resolve_pseudo_ldimm64", () => {
  for (const [name, prog, reason, errno] of CASES) {
    it(name, () => {
      const r = verify(programFromInsns(prog().mov64Imm(0, 0).exit().link()), { progType: rawTracepointProgType(12), privileged: true, btf: vmlinuxBtf() });
      expect(r.accepted).toBe(false);
      expect(r.error!.reason).toBe(reason);
      expect(r.error!.errno).toBe(errno);
      expect(r.error!.insn).toBe(0);
    });
  }
});
