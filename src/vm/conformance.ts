// Running a program the way the bpf_conformance suite expects (its plugin
// contract): r1 = pointer to the test's memory, r2 = its length, r10 = top
// of the stack, helper 5 returns r1 ("unwind" in uBPF/rbpf plugins). Used by
// the conformance tests and by `btfsnoop vm conformance-plugin`.
import { nullKernelEnv } from "./env.js";
import { VmFault } from "./errors.js";
import { HelperTable } from "./helpers/table.js";
import { decodeProgram } from "./isa/decode.js";
import type { Program } from "./isa/instruction.js";
import { Interpreter } from "./interpreter.js";
import { AddressSpace, RegionKind, regionAddress } from "./memory.js";

/** The helper the suite calls (#5): returns its first argument. */
const UNWIND_HELPER_ID = 5;

export interface ConformanceRun {
  r0: bigint;
  fault?: VmFault;
}

/** Runs a decoded program against `mem` under the suite's contract. */
export function runConformance(program: Program, mem: Uint8Array): ConformanceRun {
  const space = new AddressSpace();
  const helpers = new HelperTable({ [UNWIND_HELPER_ID]: (_rt, r1) => r1 });
  const vm = new Interpreter({ mem: space, env: nullKernelEnv(), helper: (id) => helpers.impl(id) });
  const region = space.map(RegionKind.MEM, mem, { label: "test memory" });
  const lp = vm.load(program, "conformance");
  const r = vm.run(lp, { args: [mem.length ? regionAddress(region) : 0n, BigInt(mem.length)] });
  return r.fault ? { r0: r.r0, fault: r.fault } : { r0: r.r0 };
}

/** Parses the suite's base-16 byte strings ("b7 00 00 00 ..." or "b700..."). */
export function parseHexBytes(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, "").replace(/[\s,]+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new SyntaxError(`not a base-16 byte string: '${text.length > 40 ? text.slice(0, 40) + "..." : text}'`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Decodes program bytes and runs them (the plugin path). Throws InsnError for undecodable programs. */
export function runConformanceBytes(programBytes: Uint8Array, mem: Uint8Array): ConformanceRun {
  return runConformance(decodeProgram(programBytes), mem);
}
