import { beforeAll, describe, expect, it } from "vitest";
import { parseBtf } from "../btf/index.js";
import { BtfKind } from "../btf/kinds.js";
import { bootSyntheticKernel, type BootedKernel } from "../syscall/boot.js";
import { encodeProgram } from "../vm/isa/encode.js";
import { BUF_SIZE, Counter, ENTRY_SIZE } from "./layout.js";
import { generateProgram, type ProgramMaps, type ProgramOptions } from "./program.js";

let booted: BootedKernel;
let maps: ProgramMaps;
/** BTF ids of struct sock and struct sk_buff in the synthetic kernel (by name: ids move when its headers change). */
let casts: number[];

// The maps a session creates (session.ts), for two targets.
beforeAll(() => {
  booted = bootSyntheticKernel({ seed: 3 });
  const bpf = booted.bpf;
  const info = bpf.btfGetInfo(bpf.btfGetFd());
  if (typeof info === "number") throw new Error(`btf: ${bpf.lastError}`);
  const kbtf = parseBtf(info.btf);
  casts = ["sock", "sk_buff"].map((n) => kbtf.findByNameKind(n, BtfKind.STRUCT)!);
  const mk = (type: number, keySize: number, valueSize: number, maxEntries: number, name: string): number => {
    const fd = bpf.mapCreate({ type, keySize, valueSize, maxEntries, name });
    if (fd < 0) throw new Error(`${name}: ${bpf.lastError}`);
    return fd;
  };
  maps = {
    targets: mk(1, 8, ENTRY_SIZE, 2, "btfsnoop_funcs"),
    scratch: mk(6, 4, BUF_SIZE, 1, "btfsnoop_buf"),
    stash: mk(1, 4, BUF_SIZE, 2048, "btfsnoop_stash"),
    events: mk(27, 0, 0, 16 * 4096, "btfsnoop_events"),
    counters: mk(2, 4, 8, 3 * Counter.COUNT, "btfsnoop_counts"),
  };
});

describe("generateProgram", () => {
  it("is deterministic", () => {
    const o: ProgramOptions = { phase: "return", maps, castTargets: casts, renderKernel: true, pid: 42 };
    const a = generateProgram(o);
    const b = generateProgram({ ...o, castTargets: [...o.castTargets], maps: { ...maps } });
    expect(b).toEqual(a);
    expect(encodeProgram(b)).toEqual(encodeProgram(a));
    // Options do change the program.
    expect(encodeProgram(generateProgram({ ...o, pid: 43 }))).not.toEqual(encodeProgram(a));
    expect(generateProgram({ ...o, renderKernel: false }).length).toBeLessThan(a.length);
  });

  const cases: [ProgramOptions["phase"], boolean, boolean, boolean][] = [];
  for (const phase of ["entry", "return"] as const)
    for (const kernel of [false, true]) for (const pid of [false, true]) for (const cast of [false, true]) cases.push([phase, kernel, pid, cast]);

  it.each(cases)("phase %s, render kernel %s, pid %s, casts %s: accepted by the verifier", (phase, kernel, pid, cast) => {
    const bpf = booted.bpf;
    const insns = generateProgram({ phase, maps, castTargets: cast ? casts : [], renderKernel: kernel, ...(pid ? { pid: 7 } : {}) });
    const loaded = bpf.progLoad({ progType: "tracing", insns: encodeProgram(insns), license: "GPL", name: "btfsnoop_t", nargs: 12 });
    if (typeof loaded === "number") throw new Error(`rejected (${loaded}): ${bpf.lastError}\n${bpf.lastLog.slice(-5).join("\n")}`);
    const stats = loaded.log[loaded.log.length - 1] ?? "";
    const m = /^processed (\d+) insns \(limit 1000000\)/.exec(stats);
    expect(m, stats).not.toBeNull();
    const processed = Number(m![1]);
    expect(processed).toBeGreaterThan(insns.length / 2);
    expect(processed).toBeLessThan(1_000_000);
    expect(bpf.close(loaded.fd)).toBe(0);
  });
});
