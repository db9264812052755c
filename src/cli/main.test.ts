// commandGroup(): which command module main() loads for an argv (all of them
// when the command is not the first word, or for --help/--version alone).
import { describe, expect, it } from "vitest";
import { commandGroup } from "./main.js";

describe("commandGroup", () => {
  it.each([
    [["info", "ip_send_skb"], "info"],
    [["list", "tcp_*"], "info"],
    [["hist", "vfs_write", "count"], "aggregate"],
    [["latency", "a", "b", "--key", "rq"], "aggregate"],
    [["iter", "task"], "iter"],
    [["btf", "dump", "file", "x"], "btf"],
    [["prog", "dump", "tcp_*"], "prog"],
    [["vm", "verify", "x.s"], "vm"],
    [["tui", "tcp_*"], "tui"],
    [["trace", "tcp_*"], "trace"],
    [["ip_send_skb(skb->sk)", "-c", "1"], "trace"],
    [["--json", "tcp_*"], "trace"],
    [["tcp_*", "-i"], "tui"],
    [["-i"], "tui"],
    [["tcp_*", "--", "-i"], "trace"],
  ] as [string[], string][])("%j -> %s", (argv, group) => {
    expect(commandGroup(argv)).toBe(group);
  });

  it.each([[[]], [["--help"]], [["-h"]], [["--version"]], [["-V"]], [["--btf", "f", "info", "x"]], [["tcp_*", "list"]]] as [string[]][])("%j -> every group", (argv) => {
    expect(commandGroup(argv)).toBeUndefined();
  });
});
