// Runs the CLI in-process with captured standard streams (for CLI tests).
import { collect } from "../../src/btf/format/sink.js";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** `btfsnoop ...argv` with stdout and stderr captured; stdin is empty. */
export async function runCli(...argv: string[]): Promise<CliRun> {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: async (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    stream: async (fill) => {
      out += collect(fill);
    },
    readStdin: async () => "",
  };
  const code = await main(argv, io);
  return { code, out, err };
}
