// The synthetic kernel's packet sockets (src/kernel-model/sockets.ts) and
// network devices as the syscall layer's PacketSocketLayer: what boot.ts
// registers with Bpf so that socket(2) and friends reach the model.
import type { Kernel } from "../kernel-model/kernel.js";
import type { World } from "../kernel-model/paths/world.js";
import { packetSocketsOf } from "../kernel-model/sockets.js";
import { testRunSkb } from "../kernel-model/packets.js";
import type { PacketSocketLayer } from "./sockets.js";

/** The kernel model's packet sockets and devices as the syscall layer's PacketSocketLayer. */
export function packetSocketLayer(kernel: Kernel, world: World): PacketSocketLayer {
  const sockets = packetSocketsOf(kernel);
  return {
    open: (type, protocol) => sockets.open(type, protocol),
    devices: () =>
      [world.lo, world.eth0].map((d) => {
        const c = sockets.devCounts(d.ifindex);
        return { ifindex: d.ifindex, name: d.name, tx: { ...c.tx }, rx: { ...c.rx } };
      }),
    testRunSkb: (dataIn) => testRunSkb(kernel, dataIn, world.lo.addr),
  };
}
