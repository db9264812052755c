// Lists where btfsnoop's verifier and the recorded kernel verdicts disagree
// (dev-only), one line per program: name, kind (verdict / message), the
// kernel's answer, btfsnoop's. When test/vm/verifier-oracle.test.ts fails
// because its list of known disagreements is out of date, this shows what
// the list should hold (give each entry its one-line reason).
//   npx tsx tools/verifier-oracle/disagreements.ts
import { ORACLE, verifyRecorded } from "../../test/fixtures/verifier-oracle/recorded.js";

let n = 0;
for (const p of ORACLE.programs) {
  const { accepted, message } = verifyRecorded(p);
  const kind = p.kernel.accepted !== accepted ? "verdict" : !accepted && message !== p.kernel.message ? "message" : undefined;
  if (!kind) continue;
  n++;
  console.log(`${p.name}\t${kind}\tkernel: ${p.kernel.accepted ? "accepts" : p.kernel.message}\tbtfsnoop: ${accepted ? "accepts" : message}`);
}
console.log(`${n} of ${ORACLE.programs.length} disagree`);
