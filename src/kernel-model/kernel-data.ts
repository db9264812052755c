// The kernel image's variables: .rodata, .data and .bss placed after the
// text in the kernel mapping (as vmlinux lays them out), each variable at an
// aligned address, mapped and initialised, and listed as /proc/kallsyms
// lists data symbols (R/r, D/d, B/b). Objects that live elsewhere (a slab
// object standing for a static one) can be named here too.
import { BtfsnoopError } from "../internal/errors.js";
import { alignUp, hex, type AddressSpace } from "./memory/address-space.js";

/** Data sections of the image and the kallsyms letter of a global symbol in each. */
export type DataSection = "rodata" | "data" | "bss";
const LETTER: Readonly<Record<DataSection, "R" | "D" | "B">> = { rodata: "R", data: "D", bss: "B" };

/**
 * Where each section starts: past the text area the functions use
 * (0xffffffff81000000 on, static copies at 0xffffffff82000000), as Linux puts
 * .rodata, .data and .bss after _etext.
 */
export const DATA_SECTION_START: Readonly<Record<DataSection, bigint>> = {
  rodata: 0xffffffff83000000n,
  data: 0xffffffff83800000n,
  bss: 0xffffffff84000000n,
};
const SECTION_SIZE = 0x800000n;

/** One data symbol as /proc/kallsyms shows it. */
export interface DataSymbol {
  name: string;
  address: bigint;
  /** Upper case global, lower case static. */
  type: "R" | "r" | "D" | "d" | "B" | "b";
  size: number;
}

export class KernelData {
  private readonly space: AddressSpace;
  private readonly next: Record<DataSection, bigint> = { ...DATA_SECTION_START };
  private readonly byName = new Map<string, DataSymbol>();

  constructor(space: AddressSpace) {
    this.space = space;
  }

  /**
   * Places a variable of `size` bytes in `section` at the next `align`-aligned
   * address, mapped and zeroed (then `init` copied in); named (a kallsyms
   * symbol) unless `name` is undefined. Returns its address.
   */
  place(section: DataSection, name: string | undefined, size: number, options: { align?: number; init?: Uint8Array; isStatic?: boolean } = {}): bigint {
    const align = options.align ?? 8;
    if (!Number.isInteger(size) || size <= 0) throw new BtfsnoopError("EINVAL", `kernel data: ${name ?? "object"}: bad size ${size}`);
    if (name !== undefined && this.byName.has(name)) throw new BtfsnoopError("EEXIST", `kernel data: ${name} already at ${hex(this.byName.get(name)!.address)}`);
    const addr = alignUp(this.next[section], BigInt(align));
    if (addr + BigInt(size) > DATA_SECTION_START[section] + SECTION_SIZE) throw new BtfsnoopError("ENOMEM", `kernel data: no room in .${section} for ${name ?? "object"} (${size} bytes)`);
    this.space.map(addr, size, 0);
    if (options.init && this.space.write(addr, options.init.subarray(0, size)) !== 0) throw new BtfsnoopError("EFAULT", `kernel data: cannot initialise ${name ?? "object"}`);
    this.next[section] = addr + BigInt(size);
    if (name !== undefined) {
      const letter = LETTER[section];
      this.byName.set(name, { name, address: addr, type: options.isStatic ? (letter.toLowerCase() as DataSymbol["type"]) : letter, size });
    }
    return addr;
  }

  /** Names an object placed elsewhere (e.g. a slab object standing for a static variable) as a data symbol. */
  name(name: string, address: bigint, size: number, type: DataSymbol["type"] = "D"): void {
    if (this.byName.has(name)) throw new BtfsnoopError("EEXIST", `kernel data: ${name} already at ${hex(this.byName.get(name)!.address)}`);
    this.byName.set(name, { name, address, type, size });
  }

  symbol(name: string): DataSymbol | undefined {
    return this.byName.get(name);
  }

  /** Every data symbol, in address order. */
  symbols(): DataSymbol[] {
    return [...this.byName.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }
}
