// A failure while attaching leaves nothing attached: here the perf buffer
// of a perf_event_array map cannot be opened after the object's links were
// made (review finding: the links stayed).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BpfObject } from "../../src/loader/index.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";

describe("attach failure", () => {
  it("perf buffer open fails: attach throws and every link is gone", () => {
    const machine = machineOf(bootSyntheticKernel({ seed: 1 }));
    const obj = BpfObject.open(readFileSync(join(__dirname, "../fixtures/loader/obj/output_perf.synthetic.bpf.o")), "output_perf.bpf.o");
    try {
      obj.load(machine);
      const links = machine.bpf.objects().link;
      machine.bpf.perfBufferOpen = () => -22;
      expect(() => obj.attach()).toThrow(/map 'events': perf buffer/);
      expect(machine.bpf.objects().link).toBe(links);
    } finally {
      obj.close();
    }
    expect(machine.bpf.objects()).toMatchObject({ map: 0, prog: 0, link: 0 });
  });
});
