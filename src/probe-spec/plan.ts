// The resolved form of probe specs: per target function, which values to
// capture (where they come from, which pointer hops, which bytes), what
// type to render them as, and the predicate over them. resolve.ts produces
// it from the syntax tree and a BTF; the code generator turns it into the
// per-target table of the generic program; the decoder uses it to name and
// type the values of each record. Pure data, no BTF objects inside.
import type { CmpOp, Mechanism, ProbeSpec } from "./ast.js";

/** Most values per target (ksnoop's MAX_VALUES: 5 arguments + return, here 8). */
export const MAX_VALUES = 8;
/** Most pointer hops in one value's access path. */
export const MAX_HOPS = 4;
/** Most bytes captured per value (ksnoop's MAX_TRACE_DATA). */
export const MAX_DATA = 2048;
/** Most predicate steps per target: each comparison and each &&, || and ! (the table's postfix program). */
export const MAX_PRED = 16;
/** Longest string literal in a predicate, in bytes (the table keeps it with its NUL in 32). */
export const MAX_PRED_STR = 31;

/** Where a value's bytes come from, and how to reach them. */
export interface ValuePlan {
  /** As written and shown: `skb`, `skb->sk`, `return`, `skb->dev->name`. */
  readonly name: string;
  /** Captured at function entry or at return. */
  readonly when: "entry" | "return";
  /** An argument register (0-based `argIndex`), the return value, or the context itself (tracepoint record, raw_tp args: a memory value at an offset). */
  readonly source: "arg" | "ret" | "ctx";
  readonly argIndex: number;
  /** Pointer loads applied to the source first: `cur = *(u64 *)(cur + off)` for each off. */
  readonly hops: readonly number[];
  /**
   * Then the value: `register` = `cur` itself (size <= 8), `memory` =
   * `size` bytes at `cur + offset` (a member or element reached through a
   * pointer), or `dataLoc` = the string a `__data_loc` field locates.
   */
  readonly final:
    | { readonly kind: "register" }
    | { readonly kind: "memory"; readonly offset: number }
    /**
     * A tracepoint's `__data_loc char[]` field: the u32 at `cur + offset`
     * holds (length << 16 | offset of the data from the record's start);
     * the value is that NUL-terminated string (`typeId` is `char`, `size`
     * the most bytes captured), shown and compared like a char array.
     */
    | { readonly kind: "dataLoc"; readonly offset: number };
  /** Bytes of the value (its type's size; for memory values > 8 only the data carries it). */
  readonly size: number;
  /** The value's BTF type (not stripped: typedefs kept for display, as ksnoop). */
  readonly typeId: number;
  /** Bitfield member: the bits to extract from the loaded bytes. */
  readonly bitfield?: { readonly bitOffset: number; readonly bitSize: number };
  /** Compare as signed (C type after typedefs: signed int, signed enum). */
  readonly signed: boolean;
  /**
   * For pointer values: the data shown is the pointee (`typeId`, `size`
   * capped at MAX_DATA), or a NUL-terminated string for `char *`.
   * Absent for non-pointers (the data is the value's own bytes) and void *.
   */
  readonly pointee?: { readonly typeId: number; readonly size: number; readonly string: boolean };
  /**
   * When the first hop dereferences an argument that is a pointer to a
   * struct/union: that struct's BTF id. The program checks the argument
   * with bpf_dynamic_cast before reading through it (a mismatch is an error value).
   */
  readonly castTarget?: number;
  /** Shown in output (ksnoop shows predicate values too; internal helper values are not). */
  readonly show: boolean;
}

/** A predicate over a target's values (indices into TargetPlan.values). */
export type PredPlan =
  /** Integer comparison of the value's raw u64 (after bitfield extraction and sign extension when signed). */
  | { readonly kind: "cmp"; readonly value: number; readonly op: CmpOp; readonly constant: bigint; readonly signed: boolean }
  /** Byte-string comparison of the value's data (char array or char * string) up to the first NUL. */
  | { readonly kind: "str"; readonly value: number; readonly op: "==" | "!="; readonly text: string }
  | { readonly kind: "and" | "or"; readonly left: PredPlan; readonly right: PredPlan }
  | { readonly kind: "not"; readonly operand: PredPlan };

/** One traced function (or tracepoint) and what to capture on it. */
export interface TargetPlan {
  /** Function name (`ip_send_skb`), `category:name` for tracepoints, the event name for raw tracepoints. */
  readonly name: string;
  /** What it is (functions when absent). */
  readonly kind?: "function" | "tracepoint" | "raw_tp";
  /** kallsyms address (functions); the event id for tracepoints (the table key either way). */
  readonly ip: bigint;
  /** FUNC id in the BTF (functions); 0 otherwise. */
  readonly btfId: number;
  /** Number of arguments (context slots). */
  readonly nargs: number;
  /** Parameter names, for `info` and default specs. */
  readonly params: readonly { readonly name: string; readonly typeId: number }[];
  /** Return type id (0 = void). */
  readonly retTypeId: number;
  readonly values: readonly ValuePlan[];
  /** Drop events for which this is false. */
  readonly predicate: PredPlan | undefined;
  /**
   * Stash mode (ksnoop KSNOOP_F_STASH): the predicate uses `return` and
   * entry values, so entry values are kept per task until return and the
   * return event carries them; nothing is emitted at entry.
   */
  readonly stash: boolean;
  /** Whether anything is captured at entry / at return (attach only what is needed). */
  readonly onEntry: boolean;
  readonly onReturn: boolean;
}

/** A spec resolved: its mechanism and every target it expands to. */
export interface ProbePlan {
  readonly spec: ProbeSpec;
  readonly mechanism: Mechanism;
  readonly targets: readonly TargetPlan[];
  /** Functions a glob matched but the items do not fit (no such argument or member, void return...), with why. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}
