// Owns formatPrototype: a traced function's C prototype as ksnoop's `info`
// prints it (`int ip_send_skb(struct net *net, struct sk_buff *skb);`),
// used by `info` and by resolution errors.
import type { Btf } from "../btf/btf.js";
import { cTypeName } from "../btf/c-name.js";
import { funcSignature } from "../btf/funcs.js";
import type { TypeId } from "../btf/types.js";

/**
 * The C prototype of FUNC `funcId`. Parameters are declared with their names
 * (unnamed ones by type alone), a variadic prototype ends in `...`, an empty
 * one is `(void)`. Parameters past `maxArgs` are replaced by
 * ` /* and N more args that are not traceable *\/` before `);`, as ksnoop does.
 */
export function formatPrototype(btf: Btf, funcId: TypeId, maxArgs = 12): string {
  const sig = funcSignature(btf, funcId);
  // Declaring `name(params)` through the return type spells pointer and
  // function-pointer returns right (`struct sock *f(...)`, `void (*f(...))(int)`).
  return `${cTypeName(btf, sig.returnType, formatCall(btf, funcId, maxArgs))};`;
}

/** The declarator part of the prototype, without return type and `;`: `ip_send_skb(struct net *net, struct sk_buff *skb)`. */
export function formatCall(btf: Btf, funcId: TypeId, maxArgs = 12): string {
  const sig = funcSignature(btf, funcId);
  const decls = sig.params.slice(0, maxArgs).map((p) => cTypeName(btf, p.type, p.name));
  let list: string;
  if (sig.params.length > maxArgs) {
    list = decls.join(", ") + ` /* and ${sig.params.length - maxArgs} more args that are not traceable */`;
  } else {
    if (sig.variadic) decls.push("...");
    list = decls.length ? decls.join(", ") : "void";
  }
  return `${sig.func.name}(${list})`;
}
