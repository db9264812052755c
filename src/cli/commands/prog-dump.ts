// `btfsnoop prog dump SPEC...`: what the tracer would load for these specs:
// the generic entry/return programs (bpftool-style disassembly), the
// per-target table in readable form, and the verifier's statistics (the
// programs are loaded into the synthetic kernel, then unloaded; with --btf
// they are only generated).
import type { Argv } from "yargs";
import { cTypeName } from "../../btf/c-name.js";
import { buildSession, TraceSession } from "../../tracer/session.js";
import type { TargetPlan, ValuePlan, PredPlan } from "../../probe-spec/plan.js";
import { helperName } from "../../vm/helpers/protos.js";
import { formatInsn } from "../../vm/isa/disasm.js";
import type { Instruction } from "../../vm/isa/instruction.js";
import type { Btf } from "../../btf/btf.js";
import type { CliIo } from "../io.js";
import { kernelView } from "../kernel-view.js";
import { appendAll } from "../../internal/arrays.js";

function listing(name: string, insns: readonly Instruction[]): string[] {
  const out = [`${name}:`];
  let slot = 0;
  for (const insn of insns) {
    out.push(`${String(slot).padStart(5)}: ${formatInsn(insn, { helperName })}`);
    slot += insn.opcode === 0x18 ? 2 : 1;
  }
  return out;
}

function describeValue(btf: Btf, v: ValuePlan): string {
  const src = v.source === "ret" ? "ret" : `arg${v.argIndex}`;
  const hops = v.hops.map((h) => ` ->*(+${h})`).join("");
  const fin = v.final.kind === "memory" ? ` +${v.final.offset}[${v.size}]` : v.final.kind === "dataLoc" ? ` +${v.final.offset} string[${v.size}]` : "";
  const extra = [
    v.pointee ? (v.pointee.string ? `string[${v.pointee.size}]` : `pointee ${v.pointee.size} bytes`) : "",
    v.castTarget !== undefined ? `dynamic_cast ${cTypeName(btf, v.castTarget)}` : "",
    v.bitfield ? `bits ${v.bitfield.bitOffset}+${v.bitfield.bitSize}` : "",
    v.signed ? "signed" : "",
    v.show ? "" : "hidden",
  ].filter(Boolean);
  const type = v.final.kind === "dataLoc" ? "__data_loc char[]" : cTypeName(btf, v.typeId);
  return `    ${v.when.padEnd(6)} ${v.name} (${type}) = ${src}${hops}${fin}${extra.length ? `; ${extra.join(", ")}` : ""}`;
}

function describePred(p: PredPlan, values: readonly ValuePlan[]): string {
  switch (p.kind) {
    case "cmp":
      return `${values[p.value]!.name} ${p.op} ${p.signed ? BigInt.asIntN(64, p.constant) : p.constant}${p.signed ? " (signed)" : ""}`;
    case "str":
      return `${values[p.value]!.name} ${p.op} ${JSON.stringify(p.text)}`;
    case "not":
      return `!(${describePred(p.operand, values)})`;
    default:
      return `(${describePred(p.left, values)} ${p.kind === "and" ? "&&" : "||"} ${describePred(p.right, values)})`;
  }
}

function table(btf: Btf, targets: readonly TargetPlan[]): string[] {
  const out = [`per-target table: ${targets.length} entr${targets.length === 1 ? "y" : "ies"} (key: function address)`];
  targets.forEach((t, i) => {
    out.push(`  [${i}] ${t.name} ip 0x${t.ip.toString(16)} func_btf_id ${t.btfId}${t.stash ? " stash" : ""}${t.onEntry ? " entry" : ""}${t.onReturn ? " return" : ""}`);
    for (const v of t.values) out.push(describeValue(btf, v));
    if (t.predicate) out.push(`    predicate: ${describePred(t.predicate, t.values)}`);
  });
  return out;
}

export function registerProgDump<T>(y: Argv<T>, io: CliIo): Argv<T> {
  return y.command(
    "dump <specs..>",
    "show the programs, the per-target table and the verifier statistics for specs",
    (c) =>
      c
        .positional("specs", { type: "string", array: true, demandOption: true })
        .option("btf", { type: "string", describe: "resolve against this BTF file (programs are generated, not verified)" })
        .option("render", { choices: ["kernel", "user"] as const, default: "user" as const })
        .option("jited", { type: "boolean", describe: "print the JavaScript the JIT generated for each program (bpftool prog dump jited)" }),
    async (a) => {
      const view = await kernelView(a.btf);
      const lines: string[] = [];
      if (view.booted) {
        // --jited asks for the JIT explicitly (the session default follows the kernel's, BTFSNOOP_JIT=0 turns it off).
        const s = TraceSession.open(view.booted.bpf, { specs: a.specs, render: a.render, ...(a.jited ? { jit: true } : {}) });
        try {
          appendAll(lines, table(view.btf, s.targets)).push("");
          for (const p of s.programs) {
            const notCompiled = `not compiled${p.jitError !== undefined ? `: ${p.jitError}` : ""}`;
            if (a.jited) lines.push(p.jitSource !== undefined ? `${p.name}: JIT-compiled in ${p.jitTimeMs?.toFixed(1) ?? "?"} ms` : `${p.name}: ${notCompiled}`, ...(p.jitSource !== undefined ? [p.jitSource] : []), "");
            else appendAll(lines, listing(p.name, p.insns)).push(`verifier: ${p.verifierStats}`, `jit: ${p.jitSource !== undefined ? `compiled in ${p.jitTimeMs?.toFixed(1)} ms` : notCompiled}`, "");
          }
        } finally {
          s.close();
        }
      } else {
        const b = buildSession(view.btf, view.functions, { specs: a.specs, render: a.render });
        const maps = { targets: 1, scratch: 2, stash: 3, events: 4, counters: 5 };
        appendAll(lines, table(view.btf, b.targets)).push("");
        for (const phase of ["entry", "return"] as const) {
          if (!b.targets.some((t) => (phase === "entry" ? t.onEntry : t.onReturn))) continue;
          appendAll(lines, listing(phase === "entry" ? "btfsnoop_entry" : "btfsnoop_exit", b.program(phase, maps))).push(`verifier: not run (--btf: no kernel to load into)`, "");
        }
      }
      await io.out(lines.join("\n"));
    },
  );
}
