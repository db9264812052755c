// The count --by key fields of an aggregation cell (codegen/layout.ts
// AggKey beyond the value, the target and the slot): decoding them from a
// map key, and reading a kernel stack back from the session's STACK_TRACE
// map by its id (bpf_stackmap_copy: the ips, then zeros).
import { AggKey } from "../codegen/layout.js";
import type { Bpf } from "../syscall/bpf.js";

/** The --by keys of one cell; zero (comm "") for keys not asked for. */
export interface CellKeys {
  /** The second value's raw bits (retval after an expression). */
  a2: bigint;
  tgid: number;
  tid: number;
  cpu: number;
  /** bpf_get_stackid's result: the id, or a negative errno. */
  stackId: number;
  comm: string;
  /** The call site's id in the one-frame stack map (negative: bpf_get_stackid's error). */
  locationId: number;
}

const latin1 = new TextDecoder("latin1");

/** The --by fields of an AggKey. */
export function cellKeys(key: Uint8Array): CellKeys {
  const k = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const comm = key.subarray(AggKey.COMM, AggKey.COMM + 16);
  const nul = comm.indexOf(0);
  return {
    a2: k.getBigUint64(AggKey.A2, true),
    tgid: k.getUint32(AggKey.TGID, true),
    tid: k.getUint32(AggKey.TID, true),
    cpu: k.getUint32(AggKey.CPU, true),
    stackId: k.getInt32(AggKey.STACK, true),
    comm: latin1.decode(nul < 0 ? comm : comm.subarray(0, nul)),
    locationId: k.getInt32(AggKey.LOC, true),
  };
}

/** The ips (innermost first) stored under stack `id` of a STACK_TRACE map; [] if none. */
export function readKernelStack(bpf: Bpf, fd: number, id: number): bigint[] {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, id, true);
  const v = bpf.mapLookupElem(fd, key);
  if (typeof v === "number") return [];
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const ips: bigint[] = [];
  for (let off = 0; off + 8 <= v.byteLength; off += 8) {
    const ip = view.getBigUint64(off, true);
    if (ip === 0n) break;
    ips.push(ip);
  }
  return ips;
}
