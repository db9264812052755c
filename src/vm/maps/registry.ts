// The map table of a kernel: map ids (allocated cyclically from 1 up to
// INT_MAX, as idr_alloc_cyclic in bpf_map_alloc_id, so a freed id is not
// reused at once), lookup by id (BPF_MAP_GET_FD_BY_ID, BPF_MAP_GET_NEXT_ID)
// and by the address of the map object (what the helper runtime's mapAt
// resolves a program's map pointer with).
import type { BpfMap } from "./map.js";
import { E, type MapIdSource } from "./types.js";

const ID_MAX = 0x7fffffff; // ids are in [1, INT_MAX)

export class MapRegistry implements MapIdSource {
  private readonly byIdTable = new Map<number, BpfMap>();
  private readonly byAddr = new Map<bigint, BpfMap>();
  private readonly reserved = new Set<number>();
  private lastId = 0;

  /** Reserves the next free id (create.ts calls this before building the map). */
  allocId(): number {
    let id = this.lastId;
    for (let tries = 0; tries < ID_MAX; tries++) {
      id = id + 1 >= ID_MAX ? 1 : id + 1;
      if (!this.byIdTable.has(id) && !this.reserved.has(id)) {
        this.lastId = id;
        this.reserved.add(id);
        return id;
      }
    }
    return E.ENOSPC;
  }

  /** Registers a map built with an id from allocId(). */
  add(map: BpfMap): void {
    this.reserved.delete(map.id);
    this.byIdTable.set(map.id, map);
    this.byAddr.set(map.address, map);
  }

  /** Releases an id reserved by allocId() whose map was never built. */
  release(id: number): void {
    this.reserved.delete(id);
  }

  /** Frees a map: unregisters it and unmaps its regions. false if it was not registered. */
  remove(map: BpfMap): boolean {
    if (this.byIdTable.get(map.id) !== map) return false;
    this.byIdTable.delete(map.id);
    this.byAddr.delete(map.address);
    map.destroy();
    return true;
  }

  byId(id: number): BpfMap | undefined {
    return this.byIdTable.get(id);
  }

  /** The map whose object is at `addr` exactly. */
  byAddress(addr: bigint): BpfMap | undefined {
    return this.byAddr.get(BigInt.asUintN(64, addr));
  }

  /** HelperRuntime.mapAt: the map a program's map pointer refers to. */
  readonly mapAt = (addr: bigint): BpfMap | undefined => this.byAddress(addr);

  /** BPF_MAP_GET_NEXT_ID: the smallest id above `startId`, or -ENOENT. */
  getNextId(startId: number): number {
    let best = Infinity;
    for (const id of this.byIdTable.keys()) if (id > startId && id < best) best = id;
    return best === Infinity ? E.ENOENT : best;
  }

  get size(): number {
    return this.byIdTable.size;
  }

  /** Maps in id order. */
  all(): BpfMap[] {
    return [...this.byIdTable.values()].sort((a, b) => a.id - b.id);
  }
}
