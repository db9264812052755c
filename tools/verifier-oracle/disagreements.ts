// Lists where btfsnoop's verifier and the recorded kernel verdicts disagree
// (dev-only), one line per program: name, kind (verdict / message), the
// kernel's answer, btfsnoop's. When test/vm/verifier-oracle.test.ts fails
// because its list of known disagreements is out of date, this shows what
// the list should hold (give each entry its one-line reason).
//   npx tsx tools/verifier-oracle/disagreements.ts
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DecodeError, decodeForLoad } from "../../src/vm/isa/decode.js";
import { rawTracepointProgType } from "../../src/vm/verifier/prog-types.js";
import type { MapDesc } from "../../src/vm/verifier/types.js";
import { verify } from "../../src/vm/verifier/verifier.js";
import { vmlinuxBtf } from "../../test/helpers/fixtures.js";
import type { MapSpec } from "./corpus.js";

interface Recorded {
  name: string;
  maps: MapSpec[];
  hex: string;
  kernel: { accepted: boolean; message: string };
}

const ROOT = join(import.meta.dirname, "../..");
const fixture = JSON.parse(readFileSync(join(ROOT, "test/fixtures/verifier-oracle/results.json"), "utf8")) as { nrCpus: number; programs: Recorded[] };
let n = 0;
for (const p of fixture.programs) {
  let accepted = false;
  let message: string;
  try {
    const maps: MapDesc[] = p.maps.map((m, i) => ({
      type: m.type,
      keySize: m.key,
      valueSize: m.value,
      maxEntries: m.max,
      flags: m.flags ?? 0,
      name: `map${i}`,
      ...((m.flags ?? 0) & 0x80 && m.freeze && m.type === 2 && m.max === 1 ? { readOnlyValue: new Uint8Array(m.value) } : {}),
    }));
    const r = verify(decodeForLoad(Buffer.from(p.hex, "hex")), { progType: rawTracepointProgType(12), privileged: true, mapByFd: (fd) => maps[fd], btf: vmlinuxBtf(), nrCpus: fixture.nrCpus });
    accepted = r.accepted;
    message = r.accepted ? "" : r.error!.reason;
  } catch (e) {
    message = e instanceof DecodeError ? e.kernelReason : (e as Error).message;
  }
  const kind = p.kernel.accepted !== accepted ? "verdict" : !accepted && message !== p.kernel.message ? "message" : undefined;
  if (!kind) continue;
  n++;
  console.log(`${p.name}\t${kind}\tkernel: ${p.kernel.accepted ? "accepts" : p.kernel.message}\tbtfsnoop: ${accepted ? "accepts" : message}`);
}
console.log(`${n} of ${fixture.programs.length} disagree`);
