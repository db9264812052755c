// `btfsnoop iter TARGET [--format text|json] [--pin NAME]`, `btfsnoop iter
// cat NAME`, `btfsnoop iter rm NAME`, `btfsnoop iter ls` (seed 002: BPF
// iterators that dump kernel objects; pinned dumpers read with `cat`).
//
// A run boots the synthetic kernel, loads the target's iterator program
// (src/codegen/iter-programs.ts), links it (attach type "iter"), opens an
// iterator (BPF_ITER_CREATE) and reads it to the end.
//
// Pinning, honestly: every btfsnoop command is its own process with its own
// synthetic kernel, so there is no bpffs to pin a link in. `--pin NAME`
// stands in for `bpftool iter pin prog.o /sys/fs/bpf/NAME`: it records the
// dumper's spec (target, format, seed, workload steps) in a small state
// directory, and `iter cat NAME` re-creates the dumper on a fresh synthetic
// kernel booted with the same seed and reads it — the same objects in the
// same order, so the same output. The directory is $BTFSNOOP_STATE_DIR, else
// $XDG_RUNTIME_DIR/btfsnoop, else <tmpdir>/btfsnoop-<uid>; pins are
// <dir>/iter/<NAME>.json.
import type { Bpf } from "../../syscall/bpf.js";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { Argv } from "yargs";
import { generateIterProgram, type IterFormat } from "../../codegen/iter-programs.js";
import { WORKLOADS } from "../../syscall/workloads.js";
import { parseBtf } from "../../btf/index.js";
import { encodeProgram } from "../../vm/isa/encode.js";
import { isIterTarget, ITER_TARGETS, type IterTargetName } from "../../vm/verifier/iter-prog-types.js";
import { BtfsnoopError } from "../../internal/errors.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";

/** What a pin records: enough to re-create the dumper on a fresh kernel. */
export interface IterSpec {
  target: IterTargetName;
  format: IterFormat;
  seed: number;
  /** Workload steps run before iterating (0: the freshly booted kernel). */
  steps: number;
  workload: string;
}

/** The state directory pins live in. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BTFSNOOP_STATE_DIR) return env.BTFSNOOP_STATE_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "btfsnoop");
  let uid: number | string = "user";
  try {
    uid = userInfo().uid;
  } catch {
    /* no passwd entry */
  }
  return join(tmpdir(), `btfsnoop-${uid}`);
}

const PIN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function pinPath(name: string): string {
  if (!PIN_NAME.test(name) || name.startsWith(".")) throw new UsageError(`invalid pin name '${name}': 1-64 characters of [A-Za-z0-9_.-], not starting with '.'`);
  return join(stateDir(), "iter", `${name}.json`);
}

/** Reads an iterator fd to its end as `cat` does (64 KiB reads): the dump's text, or the errno of the read that failed. */
export function readToEnd(bpf: Bpf, fd: number): string | number {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const r = bpf.read(fd, 65536);
    if (typeof r === "number") return r;
    if (r.length === 0) return Buffer.concat(chunks).toString("utf8");
    chunks.push(r);
  }
}

/** Runs the dumper `spec` on a fresh synthetic kernel: its whole output. */
export async function runIter(spec: IterSpec): Promise<string> {
  const { bootSyntheticKernel, machineOf } = await import("../../syscall/boot.js");
  // User space: the workload through the Machine, the BTF through bpf(2), never the model itself.
  const machine = machineOf(bootSyntheticKernel({ seed: spec.seed }));
  if (spec.steps > 0) machine.run(spec.workload, spec.steps);
  const bpf = machine.bpf;
  const insns = generateIterProgram(spec.target, parseBtf(bpf.btfBytes()), spec.format);
  const name = `dump_${spec.target.replace("/", "_")}`.slice(0, 15);
  const fail = (what: string): never => {
    throw new BtfsnoopError("EINVAL", `iter ${spec.target}: ${what}: ${bpf.lastError}`);
  };
  try {
    const prog = bpf.progLoad({ progType: "iter", iterTarget: spec.target, insns: encodeProgram(insns), license: "GPL", name });
    if (typeof prog === "number") return fail("program load");
    const link = bpf.linkCreate(prog.fd, "iter", { name: spec.target });
    if (link < 0) return fail("link create");
    const fd = bpf.iterCreate(link);
    if (fd < 0) return fail("iter create");
    const out = readToEnd(bpf, fd);
    if (typeof out === "number") return fail("read");
    return out;
  } finally {
    bpf.closeAll();
  }
}

function readPin(name: string): IterSpec {
  let text: string;
  try {
    text = readFileSync(pinPath(name), "utf8");
  } catch {
    throw new BtfsnoopError("ENOENT", `no pinned dumper '${name}' in ${join(stateDir(), "iter")}`);
  }
  const spec = JSON.parse(text) as IterSpec;
  if (!isIterTarget(spec.target)) throw new BtfsnoopError("EINVAL", `pinned dumper '${name}' has an unknown target '${String(spec.target)}'`);
  return spec;
}

export function registerIter<T>(y: Argv<T>, io: CliIo): Argv<T> {
  return y.command(
    "iter <target> [name]",
    `run a BPF iterator over kernel objects (targets: ${ITER_TARGETS.join(", ")}); 'iter cat NAME' reads a pinned dumper, 'iter rm NAME' removes it, 'iter ls' lists them`,
    (c) =>
      c
        .positional("target", { type: "string", demandOption: true, describe: `${ITER_TARGETS.join(" | ")} | cat | rm | ls` })
        .positional("name", { type: "string", describe: "the pinned dumper's name (cat, rm)" })
        .option("format", { choices: ["text", "json"] as const, default: "text" as const, describe: "text: like the /proc file; json: one object per line" })
        .option("pin", { type: "string", describe: "pin the dumper under NAME instead of printing (read it with 'iter cat NAME')" })
        .option("seed", { type: "number", default: 1, describe: "the synthetic kernel's seed" })
        .option("steps", { type: "number", default: 0, describe: "workload steps to run before iterating" })
        .option("workload", { choices: WORKLOADS, default: "mixed" as const, describe: "the workload --steps runs" })
        .example("$0 iter ipv6_route", "like cat /proc/net/ipv6_route")
        .example("$0 iter task --pin tasks && $0 iter cat tasks", "pin a dumper, then read it"),
    async (a) => {
      const target = a.target;
      if (target === "cat" || target === "rm") {
        if (!a.name) throw new UsageError(`iter ${target}: give the pinned dumper's name`);
        if (target === "rm") {
          const p = pinPath(a.name);
          readPin(a.name);
          rmSync(p);
          return;
        }
        await io.out(await runIter(readPin(a.name)));
        return;
      }
      if (target === "ls") {
        let names: string[] = [];
        try {
          names = readdirSync(join(stateDir(), "iter")).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
        } catch {
          /* no pins yet */
        }
        const lines = names.map((n) => {
          const s = readPin(n);
          return `${n}: target ${s.target} format ${s.format} seed ${s.seed}${s.steps ? ` steps ${s.steps} (${s.workload})` : ""}`;
        });
        await io.out(lines.map((l) => l + "\n").join(""));
        return;
      }
      if (a.name !== undefined) throw new UsageError(`iter ${target}: unexpected argument '${a.name}'`);
      if (!isIterTarget(target)) throw new UsageError(`unknown iterator target '${target}' (have ${ITER_TARGETS.join(", ")})`);
      if (!Number.isInteger(a.seed) || !Number.isInteger(a.steps) || a.steps < 0) throw new UsageError("--seed and --steps take integers (--steps >= 0)");
      const spec: IterSpec = { target, format: a.format, seed: a.seed, steps: a.steps, workload: a.workload };
      if (a.pin !== undefined) {
        const p = pinPath(a.pin);
        await runIter(spec); // the dumper must load and run before it is pinned
        mkdirSync(join(stateDir(), "iter"), { recursive: true });
        writeFileSync(p, JSON.stringify(spec) + "\n");
        return;
      }
      await io.out(await runIter(spec));
    },
  );
}
