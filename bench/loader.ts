// Loader benchmark (issue #16): open + relocate (incl. CO-RE) + load (incl.
// verification) + attach of test/fixtures/loader/obj/bench_many (ten kprobe
// programs of ~690 instructions, 36 CO-RE relocations each) into one booted
// synthetic kernel, warm (the kernel's BTF parsed once, as BpfObject caches
// it per syscall surface; one untimed warm-up run), best of BENCH_RUNS runs
// per phase. The phases are driven through the loader's own modules in the
// order BpfObject.load/attach runs them (open.ts, relocate.ts, load.ts,
// attach.ts), so relocation and loading are timed apart; the last row times
// the same work end to end through BpfObject as a cross-check.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBtf } from "../src/btf/parse.js";
import { attachBySection, loadAttrsFor, sectionDef, isSectionProblem } from "../src/loader/attach.js";
import { createMaps, initialData, kernelFacts } from "../src/loader/load.js";
import { BpfObject } from "../src/loader/object.js";
import { openObject } from "../src/loader/open.js";
import { coreApplierFor, relocateProgram, type RelocatedProgram } from "../src/loader/relocate.js";
import { bootSyntheticKernel } from "../src/syscall/boot.js";
import { encodeProgram } from "../src/vm/isa/encode.js";
import { printTable, repoRoot } from "./table.js";

const ROOT = repoRoot();
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const GOAL_MS = 100;
const OBJECT = "bench_many.synthetic.bpf.o";

interface Phases {
  open: number;
  relocate: number;
  load: number;
  attach: number;
  total: number;
}

/** Slots of a relocated program (lddw counts two), as the verifier's "processed N insns" counts them. */
const slots = (r: RelocatedProgram): number => encodeProgram(r.insns).length / 8;

export async function runLoaderBench(): Promise<void> {
  const bytes = readFileSync(join(ROOT, "test/fixtures/loader/obj", OBJECT));
  const { bpf } = bootSyntheticKernel({ seed: 1 });
  const kernelBtf = parseBtf(bpf.btfBytes());
  let programs = 0;
  let insns = 0;
  let coreRelos = 0;

  const once = (): Phases => {
    const t0 = performance.now();
    const spec = openObject(bytes, { name: OBJECT });
    const t1 = performance.now();

    // load, part 1: kernel facts and maps (BpfObject.load does these before relocating).
    const facts = kernelFacts(bpf, kernelBtf);
    const maps = createMaps(bpf, spec, initialData(spec, new Map()));
    const t2 = performance.now();

    const fdByName = new Map(maps.map((m) => [m.spec.name, m.fd]));
    const core = coreApplierFor(spec, kernelBtf);
    const relocated = spec.programs.map((prog) =>
      relocateProgram(spec, prog, { mapFd: (n) => fdByName.get(n), kallsyms: facts.kallsymsAddr, kernelBtf, ...(core ? { core } : {}) }),
    );
    const t3 = performance.now();

    // load, part 2: bpf(BPF_PROG_LOAD) with the same attributes loadPrograms gives.
    const loaded: { fd: number; def: ReturnType<typeof sectionDef> }[] = [];
    for (const r of relocated) {
      const def = sectionDef(r.spec.secName);
      if (isSectionProblem(def)) throw new Error(`bench: ${r.spec.name}: ${def.reason}`);
      const extra = loadAttrsFor(def, facts);
      if (typeof extra === "string") throw new Error(`bench: ${r.spec.name}: ${extra}`);
      const res = bpf.progLoad({
        progType: def.progType,
        insns: encodeProgram(r.insns),
        license: spec.license,
        name: r.spec.name.slice(0, 15),
        logLevel: 0,
        ...extra,
        ...(r.funcInfo.length ? { funcInfo: r.funcInfo } : {}),
        ...(r.lineInfo.length ? { lineInfo: r.lineInfo } : {}),
      });
      if (typeof res === "number") throw new Error(`bench: ${r.spec.name} rejected: ${bpf.lastError}`);
      loaded.push({ fd: res.fd, def });
    }
    const t4 = performance.now();

    const links: number[] = [];
    for (const p of loaded) {
      if (isSectionProblem(p.def)) continue;
      const link = attachBySection(bpf, p.fd, p.def);
      if (typeof link === "string") throw new Error(`bench: attach: ${link}`);
      links.push(link);
    }
    const t5 = performance.now();

    programs = relocated.length;
    insns = relocated.reduce((n, r) => n + slots(r), 0);
    coreRelos = relocated.reduce((n, r) => n + r.core.length, 0);
    for (const fd of [...links, ...loaded.map((p) => p.fd), ...maps.map((m) => m.fd)]) bpf.close(fd);
    return { open: t1 - t0, relocate: t3 - t2, load: t2 - t1 + (t4 - t3), attach: t5 - t4, total: t5 - t0 };
  };

  const endToEnd = (): number => {
    const t0 = performance.now();
    const obj = BpfObject.open(bytes, OBJECT).load(bpf).attach();
    const dt = performance.now() - t0;
    if (obj.linkCount !== 10) throw new Error(`bench: ${obj.linkCount} links, expected 10`);
    obj.close();
    return dt;
  };

  once(); // warm-up: JIT of the loader and verifier code paths
  endToEnd();
  const best: Phases = { open: Infinity, relocate: Infinity, load: Infinity, attach: Infinity, total: Infinity };
  let bestE2e = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const p = once();
    for (const k of Object.keys(best) as (keyof Phases)[]) best[k] = Math.min(best[k], p[k]);
    bestE2e = Math.min(bestE2e, endToEnd());
  }

  const ms = (x: number) => x.toFixed(2);
  // Shares of the sum of the phases' bests (each phase's best may come from a different run than the best total).
  const sum = best.open + best.relocate + best.load + best.attach;
  const share = (x: number) => `${((100 * x) / sum).toFixed(1)}%`;
  const rows: string[][] = [
    ["open (ELF, BTF, .BTF.ext -> spec)", ms(best.open), share(best.open), ""],
    ["relocate (maps, calls, CO-RE)", ms(best.relocate), share(best.relocate), ""],
    ["load (maps, bpf(PROG_LOAD) + verifier)", ms(best.load), share(best.load), ""],
    ["attach (kprobe links)", ms(best.attach), share(best.attach), ""],
    ["total (best whole run)", ms(best.total), "", `${(best.total / GOAL_MS).toFixed(2)}x of goal`],
    ["BpfObject open+load+attach (cross-check)", ms(bestE2e), "", `${(bestE2e / GOAL_MS).toFixed(2)}x of goal`],
  ];
  printTable(
    `loader: ${OBJECT}, ${programs} programs, ${insns} insns, ${coreRelos} CO-RE relocations; warm, best of ${RUNS} runs per phase (goal: total < ${GOAL_MS} ms warm)`,
    ["phase", "ms", "share", "vs goal"],
    rows,
  );
}
