// CO-RE relocation of a function's instructions against a target (kernel)
// BTF, libbpf's bpf_object__relocate_core / bpf_core_resolve_relo /
// bpf_core_calc_relo_insn: candidates for each local root type found by
// essential name (`___flavor` stripped) through a name index of the target,
// cached per local type id and pruned to the candidates that matched; every
// matching candidate must give the same offset and value (else an ambiguity
// error); no match poisons the instruction (field offsets and enum values) or
// gives 0 (existence, type relocations). Also libbpf's rewrite of the
// verifier log for a reached poisoned instruction (fixup_log_failed_core_relo).
// The rules live in core-compat.ts, the access specs in core-spec.ts, the
// values in core-calc.ts, the instruction patching in core-patch.ts.
import type { Btf } from "../btf/btf.js";
import { BtfError } from "../btf/errors.js";
import type { TypeId } from "../btf/types.js";
import { BtfsnoopError } from "../internal/errors.js";
import type { Instruction } from "../vm/isa/instruction.js";
import { slotCount } from "../vm/isa/instruction.js";
import { CoreReloKind, type CoreRelo } from "./spec.js";
import { calcCoreRelo, type CoreReloRes } from "./core-calc.js";
import { CoreFail, essentialName, kindsCoreCompat, kindStr } from "./core-compat.js";
import { patchCoreInsn } from "./core-patch.js";
import { coreReloKindStr, formatCoreSpec, matchCoreSpec, parseCoreSpec, type CoreSpec } from "./core-spec.js";
import { appendAll } from "../internal/arrays.js";

export { CORE_POISON_HELPER } from "./core-patch.js";
export { essentialName } from "./core-compat.js";
export { coreReloKindStr } from "./core-spec.js";

/** Ids of named types by essential name (only names carrying a `___flavor`; plain names come from Btf.idsByName). */
const flavoredIndexes = new WeakMap<Btf, Map<string, TypeId[]>>();

function flavoredIndex(btf: Btf): Map<string, TypeId[]> {
  let idx = flavoredIndexes.get(btf);
  if (idx) return idx;
  idx = new Map();
  for (let id = 1; id < btf.typeCount; id++) {
    const name = btf.nameOf(id);
    if (!name.includes("___")) continue;
    const ess = essentialName(name);
    if (ess === name) continue;
    const list = idx.get(ess);
    if (list) list.push(id);
    else idx.set(ess, [id]);
  }
  flavoredIndexes.set(btf, idx);
  return idx;
}

/** Target types whose essential name is `ess`, in id order (exact names and flavors). */
function idsByEssentialName(btf: Btf, ess: string): TypeId[] {
  const exact = btf.idsByName(ess);
  const flavored = flavoredIndex(btf).get(ess);
  if (!flavored) return exact.slice();
  return [...exact, ...flavored].sort((a, b) => a - b);
}

/**
 * Candidate target types per local root type id, for one (local BTF, target
 * BTF) pair, shared by all the programs of an object (libbpf's cand_cache).
 * A list is computed on first use and then narrowed to the candidates that
 * matched a relocation, so later relocations of the same type only consider
 * those (as libbpf does).
 */
export class CoreCandidateCache {
  private readonly lists = new Map<TypeId, TypeId[]>();
  /** Number of candidate searches done (a search per local type id, not per relocation). */
  searches = 0;

  /** @param targetName how the target BTF is named in messages ("vmlinux") */
  constructor(
    readonly localBtf: Btf,
    readonly targetBtf: Btf,
    readonly targetName = "vmlinux",
  ) {}

  /** The current candidate list of local type `localId` (a live array: the relocation pass narrows it). Throws CoreFail for an anonymous type. */
  candidates(localId: TypeId, log?: string[]): TypeId[] {
    let list = this.lists.get(localId);
    if (list) return list;
    const local = this.localBtf.typeById(localId);
    if (local.name === "") throw new CoreFail("EINVAL", "the type is anonymous: candidates are found by name", "CO-RE relocations need a named root type");
    const ess = essentialName(local.name);
    this.searches++;
    list = [];
    for (const id of idsByEssentialName(this.targetBtf, ess)) {
      const kind = this.targetBtf.kindOf(id);
      if (!kindsCoreCompat(kind, local.kind)) continue;
      log?.push(
        `CO-RE relocating [${localId}] ${kindStr(local.kind)} ${local.name}: found target candidate [${id}] ${kindStr(kind)} ${this.targetBtf.nameOf(id)} in [${this.targetName}]`,
      );
      list.push(id);
    }
    this.lists.set(localId, list);
    return list;
  }
}

/** The outcome of one CO-RE relocation. */
export interface CoreResult {
  /** Position of the relocation in the list given (libbpf's "relo #N"). */
  index: number;
  relo: CoreRelo;
  /** The instruction before this relocation was applied. */
  original: Instruction;
  /**
   * What replaces it: one instruction, or for a poisoned lddw two invalid
   * calls (the lddw's two slots; splice both in to keep slot offsets).
   */
  insns: Instruction[];
  poisoned: boolean;
  /** The local spec as libbpf formats it: `<byte_off> [12] struct task_struct.pid (0:57 @ offset 2360)`. */
  spec: string;
  /** The target spec that was used (the first matching candidate), if any. */
  target: string | undefined;
  /** Target type id of the first matching candidate, if any. */
  targetTypeId: TypeId | undefined;
  /** The value the compiler emitted and the value for the target (u64). */
  origValue: bigint;
  newValue: bigint;
  /** libbpf's debug lines for this relocation, for -v. */
  log: string[];
}

export interface CoreRelocateOptions {
  /** The program (or subprogram) being relocated, for messages: libbpf's prog '%s'. */
  program: string;
  /** Its ELF section, for error messages. */
  section?: string;
  /** The object file, for error messages. */
  object?: string;
  /** Candidate cache to share across the object's programs (must be for the same two BTFs). */
  cache?: CoreCandidateCache;
  /** Name of the target BTF in -v lines (default "vmlinux"). */
  targetName?: string;
}

/** The slot index of each instruction (lddw takes two), as libbpf numbers instructions in its messages. */
function slotIndexes(insns: readonly Instruction[]): number[] {
  const out: number[] = [];
  let slot = 0;
  for (const insn of insns) {
    out.push(slot);
    slot += slotCount(insn);
  }
  return out;
}

function errorFor(opts: CoreRelocateOptions, insnSlot: number | undefined, index: number, fail: CoreFail | Error, what?: string): BtfsnoopError {
  const parts = [opts.section !== undefined ? `section '${opts.section}'` : "", `program '${opts.program}'`, insnSlot !== undefined ? `insn ${insnSlot}` : ""];
  const where = (opts.object !== undefined ? `'${opts.object}': ` : "") + parts.filter((s) => s).join(", ");
  const errno = fail instanceof CoreFail ? fail.errno : "EINVAL";
  const hint = fail instanceof CoreFail ? fail.hint : undefined;
  return new BtfsnoopError(errno, `${where}: CO-RE relo #${index}${what ? ` ${what}` : ""}: ${fail.message}`, { hint, cause: fail });
}

/**
 * Resolves one relocation to its values (bpf_core_calc_relo_insn). Pushes
 * libbpf's debug lines to `log`. Returns the result and the target spec used.
 */
function resolveRelo(
  relo: CoreRelo,
  insnSlot: number,
  localSpec: CoreSpec,
  cache: CoreCandidateCache,
  prefix: string,
  log: string[],
): { res: CoreReloRes; targ: CoreSpec | undefined } {
  if (relo.kind === CoreReloKind.TYPE_ID_LOCAL) {
    // The local id, never compared (linking may renumber it).
    const id = BigInt(relo.typeId);
    return { res: { origVal: id, newVal: id, poison: false, validate: false, failMemszAdjust: false, origSz: 0, newSz: 0 }, targ: undefined };
  }
  const cands = cache.candidates(relo.typeId, log);
  const matched: TypeId[] = [];
  let first: { res: CoreReloRes; spec: CoreSpec; id: TypeId } | undefined;
  for (let i = 0; i < cands.length; i++) {
    const cid = cands[i]!;
    let m: ReturnType<typeof matchCoreSpec>;
    try {
      m = matchCoreSpec(localSpec, cache.targetBtf, cid);
    } catch (e) {
      if (!(e instanceof CoreFail)) throw e;
      throw new CoreFail(e.errno, `error matching candidate #${i} [${cid}] ${kindStr(cache.targetBtf.kindOf(cid))} ${cache.targetBtf.nameOf(cid)}: ${e.message}`, e.hint);
    }
    log.push(`${prefix}${m.matched ? "matching" : "non-matching"} candidate #${i} ${formatCoreSpec(m.spec)}`);
    if (!m.matched) continue;
    const res = calcCoreRelo(relo, insnSlot, localSpec, m.spec);
    if (!first) {
      first = { res, spec: m.spec, id: cid };
    } else if (m.spec.bitOffset !== first.spec.bitOffset) {
      throw new CoreFail(
        "EINVAL",
        `field offset ambiguity: ${m.spec.bitOffset} != ${first.spec.bitOffset} (bits; candidate [${cid}] ${cache.targetBtf.nameOf(cid)} vs [${first.id}] ${cache.targetBtf.nameOf(first.id)})`,
        "the target BTF has several types of this essential name that place the field differently; libbpf refuses such a relocation too",
      );
    } else if (res.poison !== first.res.poison || res.newVal !== first.res.newVal) {
      const d = (r: CoreReloRes): string => `${r.poison ? "failure" : "success"} ${r.newVal}`;
      throw new CoreFail(
        "EINVAL",
        `relocation decision ambiguity: ${d(res)} != ${d(first.res)} (candidate [${cid}] ${cache.targetBtf.nameOf(cid)} vs [${first.id}] ${cache.targetBtf.nameOf(first.id)})`,
        "the target BTF has several types of this essential name that give different values; libbpf refuses such a relocation too",
      );
    }
    matched.push(cid);
  }
  if (first) {
    // Keep only the candidates that matched for the next relocations of this type.
    cands.length = 0;
    appendAll(cands, matched);
    return { res: first.res, targ: first.spec };
  }
  log.push(`${prefix}no matching targets found`);
  return { res: calcCoreRelo(relo, insnSlot, localSpec, undefined), targ: undefined };
}

/**
 * Applies the CO-RE relocations `relos` of one function whose instructions
 * are `insns` (relo.insn indexes it) against `targetBtf`. Relocations are
 * applied in order, each to the instruction as earlier ones left it. Returns
 * one result per relocation; `insns` is not modified. Throws BtfsnoopError
 * naming the program, instruction and relocation when one cannot be applied
 * (malformed record, ambiguous candidates, instruction that does not hold
 * the expected value or cannot take the new one): libbpf fails the object
 * load then, and so does the caller.
 */
export function relocateCore(
  localBtf: Btf,
  targetBtf: Btf,
  relos: readonly CoreRelo[],
  insns: readonly Instruction[],
  options: CoreRelocateOptions,
): CoreResult[] {
  const cache = options.cache ?? new CoreCandidateCache(localBtf, targetBtf, options.targetName);
  if (cache.localBtf !== localBtf || cache.targetBtf !== targetBtf) {
    throw new BtfsnoopError("EINVAL", `program '${options.program}': CO-RE candidate cache belongs to another pair of BTFs`);
  }
  const slots = slotIndexes(insns);
  const work = insns.slice();
  const results: CoreResult[] = [];
  relos.forEach((relo, index) => {
    const prefix = `prog '${options.program}': relo #${index}: `;
    if (!Number.isInteger(relo.insn) || relo.insn < 0 || relo.insn >= work.length) {
      throw errorFor(options, undefined, index, new CoreFail("EINVAL", `instruction #${relo.insn} out of range (the function has ${work.length} instructions)`));
    }
    const slot = slots[relo.insn]!;
    if (!localBtf.hasId(relo.typeId)) {
      throw errorFor(options, slot, index, new CoreFail("EINVAL", `type id ${relo.typeId} out of range (local BTF has ${localBtf.typeCount - 1} types)`));
    }
    const log: string[] = [];
    const local = localBtf.typeById(relo.typeId);
    const localName = local.name || "<anon>";
    let localSpec: CoreSpec;
    try {
      localSpec = parseCoreSpec(localBtf, relo);
    } catch (e) {
      if (e instanceof BtfError) e = new CoreFail("EINVAL", e.message);
      if (!(e instanceof CoreFail)) throw e;
      throw errorFor(options, slot, index, e, `parsing [${relo.typeId}] ${kindStr(local.kind)} ${localName} + ${relo.access} failed`);
    }
    const specText = `<${coreReloKindStr(relo.kind)}> ${formatCoreSpec(localSpec)}`;
    log.push(`${prefix}kind <${coreReloKindStr(relo.kind)}> (${relo.kind}), spec is ${formatCoreSpec(localSpec)}`);
    try {
      if (relo.kind !== CoreReloKind.TYPE_ID_LOCAL) cache.candidates(relo.typeId, log);
    } catch (e) {
      if (!(e instanceof CoreFail)) throw e;
      throw errorFor(options, slot, index, e, `target candidate search failed for [${relo.typeId}] ${kindStr(local.kind)} ${localName}`);
    }
    try {
      const { res, targ } = resolveRelo(relo, slot, localSpec, cache, prefix, log);
      const before = work[relo.insn]!;
      const patched = patchCoreInsn(before, slot, res);
      for (const line of patched.log) log.push(prefix + line);
      work[relo.insn] = patched.insns[0]!;
      results.push({
        index,
        relo,
        original: before,
        insns: patched.insns,
        poisoned: patched.poisoned,
        spec: specText,
        target: targ ? formatCoreSpec(targ) : undefined,
        targetTypeId: targ?.rootTypeId,
        origValue: res.origVal,
        newValue: res.newVal,
        log,
      });
    } catch (e) {
      if (e instanceof CoreFail) throw errorFor(options, slot, index, e, specText);
      if (e instanceof BtfError) throw errorFor(options, slot, index, new CoreFail("EINVAL", e.message), specText);
      throw e;
    }
  });
  return results;
}

/**
 * Rewrites a verifier log that stopped at a reached poisoned instruction the
 * way libbpf does (fixup_log_failed_core_relo): the two lines
 * `N: (85) call unknown#195896080` / `invalid func unknown#195896080` become
 * `N: <invalid CO-RE relocation>` / `failed to resolve CO-RE relocation
 * <spec>`. `specAt(N)` gives the relocation's spec text (CoreResult.spec) for
 * the program's instruction N, or undefined when N is not a poisoned
 * relocation (the log is then left alone). Only the last lines are looked at,
 * as libbpf does.
 */
export function fixupCoreLog(log: string, specAt: (insn: number) => string | undefined): string {
  const lines = log.split("\n");
  const trailing = lines.length > 0 && lines[lines.length - 1] === "" ? 1 : 0;
  const last = lines.length - trailing;
  for (let i = last - 1; i >= Math.max(1, last - 5); i--) {
    if (lines[i] !== `invalid func unknown#195896080`) continue;
    const m = /^(\d+): \(\d+\) call unknown#195896080$/.exec(lines[i - 1]!);
    if (!m) return log;
    const spec = specAt(Number(m[1]));
    if (spec === undefined) return log;
    lines.splice(i - 1, 2, `${m[1]}: <invalid CO-RE relocation>`, `failed to resolve CO-RE relocation ${spec}`);
    return lines.join("\n");
  }
  return log;
}
