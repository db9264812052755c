// `btfsnoop info FUNC...` (ksnoop's info): the C prototype of each function
// (globs expand to the traceable functions they match), from the synthetic
// kernel or a BTF file (--btf). A function named that cannot be traced
// (variadic, more than 12 arguments) still gets its full prototype, followed
// by `/* not traceable: why */`, and the other names go on.
// `btfsnoop list [GLOB]`: every traceable function matching GLOB, one
// prototype per line, sorted by name. `info NAME... --btf FILE` with plain
// names looks up just those FUNCs (infoView) instead of listing every function.
import type { Argv } from "yargs";
import { BtfKind } from "../../btf/kinds.js";
import type { KernelFunctionEntry } from "../../probe-spec/resolve.js";
import { bareSpec } from "../../probe-spec/bare-spec.js";
import type { ProbeSpec } from "../../probe-spec/ast.js";
import { formatPrototype } from "../../probe-spec/prototype.js";
import { functionBtfId, globRegExp, isGlob, resolveSpec, untraceableReason } from "../../probe-spec/resolve.js";
import { appendAll } from "../../internal/arrays.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { kernelView, type KernelView } from "../kernel-view.js";
import { loadBtfFile } from "../btf-file.js";

/** The spec of a name or glob: built directly when it is a plain one, else by the grammar (loaded only then). */
async function specOf(name: string): Promise<ProbeSpec> {
  return bareSpec(name) ?? (await import("../../probe-spec/parse.js")).parseSpec(name);
}

/**
 * Prototype lines of the functions a name or glob resolves to. With
 * `untraceable`, a plain name of a function that cannot be traced gives its
 * prototype (in full, `...` for variable arguments) and the reason in a
 * comment instead of an error.
 */
export async function prototypesOf(view: KernelView, name: string, untraceable = false): Promise<string[]> {
  if (name.includes("(")) throw new UsageError(`'${name}': info takes function names or globs, not specs`);
  const spec = await specOf(name);
  const kernel = { btf: view.btf, functions: view.functions };
  if (untraceable && spec.mechanism === undefined && !isGlob(spec.target)) {
    const id = functionBtfId(kernel, spec.target);
    const why = id === undefined ? undefined : untraceableReason(view.btf, id);
    if (why !== undefined) return [`${formatPrototype(view.btf, id!, Infinity)} /* not traceable: ${why.message} */`];
  }
  const plan = resolveSpec(spec, kernel);
  return plan.targets.map((t) => formatPrototype(view.btf, t.btfId));
}

/**
 * The view `info` resolves `names` against. For a BTF file and plain names
 * (no globs) that all name FUNCs, its function list holds just those FUNCs
 * (found without decoding every name), which resolves them exactly as the
 * full list would; otherwise it is kernelView()'s, so misses get the same
 * error and suggestions.
 */
export async function infoView(btfFile: string | undefined, names: readonly string[]): Promise<KernelView> {
  if (btfFile === undefined || !names.every((n) => bareSpec(n) !== undefined && !isGlob(n))) return kernelView(btfFile);
  const btf = loadBtfFile(btfFile);
  const functions: KernelFunctionEntry[] = [];
  for (const name of names) {
    const ids = btf.idsByName(name).filter((id) => btf.kindOf(id) === BtfKind.FUNC);
    if (ids.length === 0) return kernelView(btfFile);
    for (const id of ids) functions.push({ name, address: 0n, btfId: id });
  }
  return { btf, functions, source: btfFile };
}

export function registerInfo<T>(y: Argv<T>, io: CliIo): Argv<T> {
  return y
    .command(
      "info <funcs..>",
      "show the C prototypes of functions (ksnoop info)",
      (c) =>
        c
          .positional("funcs", { type: "string", array: true, demandOption: true, describe: "function names or globs" })
          .option("btf", { type: "string", describe: "resolve against this BTF file instead of the synthetic kernel" })
          .example("$0 info ip_send_skb", "int ip_send_skb(struct net *net, struct sk_buff *skb);"),
      async (a) => {
        const view = await infoView(a.btf, a.funcs);
        const lines: string[] = [];
        for (const f of a.funcs) appendAll(lines, await prototypesOf(view, f, true));
        await io.out(lines.join("\n") + "\n");
      },
    )
    .command(
      "list [glob]",
      "list traceable functions with their prototypes",
      (c) =>
        c
          .positional("glob", { type: "string", default: "*", describe: "function name glob, e.g. 'tcp_*'" })
          .option("btf", { type: "string", describe: "list the functions of this BTF file instead of the synthetic kernel" })
          .option("tracepoints", { type: "boolean", describe: "list tracepoints (tracepoint:CAT:NAME with the record's fields, raw_tp:NAME with its arguments)" }),
      async (a) => {
        const view = await kernelView(a.btf);
        if (a.tracepoints) {
          if (!view.booted) throw new UsageError("list --tracepoints needs a kernel (the synthetic one): a BTF file has no tracepoint formats");
          const re = globRegExp(a.glob);
          const lines: string[] = [];
          for (const t of view.booted.bpf.tracepoints()) {
            if (!re.test(`${t.category}:${t.name}`) && !re.test(t.name)) continue;
            lines.push(`tracepoint:${t.category}:${t.name} { ${t.fields.map((f) => `${f.decl};`).join(" ")} }`);
            lines.push(`raw_tp:${t.name}(${t.proto.map((p) => `${p.type}${p.type.endsWith("*") ? "" : " "}${p.name}`).join(", ")})`);
          }
          await io.out(lines.join("\n") + (lines.length ? "\n" : ""));
          return;
        }
        const lines = await prototypesOf(view, a.glob);
        await io.stream((sink) => {
          for (const l of lines) sink.write(l + "\n");
        });
      },
    );
}
