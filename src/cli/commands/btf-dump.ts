// `btfsnoop btf dump FILE [--format raw|c|json]`: print BTF the way
// `bpftool btf dump file FILE format ...` does. FILE is a raw blob, an ELF
// object with a .BTF section, or either gzip-compressed.
import { setFlagsFromString } from "node:v8";
import type { Argv } from "yargs";
import type { Btf } from "../../btf/btf.js";
import { collect, type TextSink } from "../../btf/format/sink.js";
import { BtfsnoopError } from "../../internal/errors.js";
import { UsageError } from "../errors.js";
import { loadBtfFile } from "../btf-file.js";
import { processIo, type CliIo } from "../io.js";
import { OPTIMIZER_FLAGS_KNOWN } from "../short-run.js";

export const BTF_DUMP_FORMATS = ["raw", "c", "json"] as const;
export type BtfDumpFormat = (typeof BTF_DUMP_FORMATS)[number];

export interface BtfDumpArgs {
  /** A BTF file, or undefined with `kernel` for the synthetic kernel's BTF. */
  file?: string | undefined;
  kernel?: boolean | undefined;
  /** The synthetic kernel's BTF when `kernel` is set (loaded by the caller: it pulls in the C compiler). */
  kernelBtf?: Btf | undefined;
  format: BtfDumpFormat;
  baseBtf?: string | undefined;
  ids?: number[] | undefined;
}

/** Writes the dump of `btf` (or of `ids` and their dependencies) into `sink`. */
export type BtfDumpWriter = (btf: Btf, sink: TextSink, ids?: readonly number[]) => void;

/** The writer of one format, loaded on demand: each format is its own module (the C dumper is the largest). */
export async function btfDumpWriter(format: BtfDumpFormat): Promise<BtfDumpWriter> {
  switch (format) {
    case "raw":
      return (await import("../../btf/format/raw.js")).writeRaw;
    case "json":
      return (await import("../../btf/format/json.js")).writeJson;
    case "c":
      return (await import("../../btf/format/c.js")).writeC;
  }
}

/** The text `btf dump` prints for these arguments. */
export async function btfDumpText(args: BtfDumpArgs): Promise<string> {
  const write = await btfDumpWriter(args.format);
  return collect((sink) => btfDump(args, sink, write));
}

/**
 * Runs `btf dump`, streaming its output into `sink` with `write` (the
 * writer of `args.format`, from btfDumpWriter). Input errors are thrown
 * before anything is written; the C dumper can still fail midway on BTF it
 * cannot express in C (ELOOP), after earlier types were written.
 */
export function btfDump(args: BtfDumpArgs, sink: TextSink, write: BtfDumpWriter): void {
  let btf: Btf;
  if (args.kernel) {
    if (args.file) throw new UsageError("give either a FILE or --kernel, not both");
    if (!args.kernelBtf) throw new Error("btfDump: kernelBtf must be loaded for --kernel");
    btf = args.kernelBtf;
  } else {
    if (!args.file) throw new UsageError("btf dump needs a FILE (or --kernel for the synthetic kernel's BTF)");
    const base = args.baseBtf ? loadBtfFile(args.baseBtf) : undefined;
    btf = loadBtfFile(args.file, base);
  }
  const source = args.file ?? "the synthetic kernel";
  const ids = args.ids;
  if (ids) {
    for (const id of ids) {
      if (!btf.hasId(id) || id === 0) {
        throw new BtfsnoopError("ENOENT", `type id ${id} not found in '${source}' (valid ids: ${btf.startId}..${btf.typeCount - 1})`);
      }
    }
  }
  write(btf, sink, ids);
}

export function registerBtfDump(y: Argv, io: CliIo): Argv {
  return y.command(
    "dump [file]",
    "dump the types of a BTF file (raw blob, ELF object, or .gz of either), or of the synthetic kernel",
    (c) =>
      c
        .positional("file", { type: "string", describe: "BTF file: /sys/kernel/btf/vmlinux, a .btf blob or an ELF object" })
        .option("kernel", { type: "boolean", default: false, describe: "dump the embedded synthetic kernel's BTF (its /sys/kernel/btf/vmlinux)" })
        .option("format", { alias: "f", choices: BTF_DUMP_FORMATS, default: "raw" as BtfDumpFormat, describe: "output format (as bpftool's)" })
        .option("base-btf", { alias: "B", type: "string", describe: "base BTF for split BTF (e.g. vmlinux for a module)" })
        .option("id", {
          type: "string",
          array: true,
          describe: "dump only these type ids (root types)",
          coerce: (values: string[]) => {
            if (values.length === 0) throw new UsageError("--id needs at least one type id");
            return values.map((v) => {
              if (!/^[0-9]+$/.test(v) || Number(v) === 0) throw new UsageError(`--id takes positive type ids, got '${v}'`);
              return Number(v);
            });
          },
        }),
    async (argv) => {
      // In the btfsnoop process (not in-process callers such as tests), for a dump of a file, V8's
      // optimizing compiler stops inlining: the dump's hot functions are compiled while they run, on
      // this process's CPU, and a dump is too short for the inlined code to repay the compile time
      // (vmlinux 6.18, CPU: C 0.37 -> 0.32 s, raw 0.25 -> 0.23 s). This changes how fast code runs,
      // never what it computes.
      if (io === processIo && OPTIMIZER_FLAGS_KNOWN && argv.file) setFlagsFromString("--no-turbo-inlining");
      // Only --kernel needs the kernel model (and its C compiler): load it on demand to keep plain dumps fast.
      const kernelBtf = argv.kernel && !argv.file ? (await import("../../syscall/vmlinux.js")).syntheticVmlinux() : undefined;
      const args = { file: argv.file as string | undefined, kernel: argv.kernel as boolean, kernelBtf, format: argv.format as BtfDumpFormat, baseBtf: argv["base-btf"], ids: argv.id };
      const write = await btfDumpWriter(args.format);
      await io.stream((sink) => btfDump(args, sink, write));
    },
  );
}
