// The BTF string section: StringTable reads it (validated, offset -> string,
// decoded lazily and cached), StringTableBuilder writes it (deduplicated, ""
// at offset 0, and able to start from an existing table so re-encoding a
// parsed blob keeps every offset).
import { BtfError } from "./errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: false });
const encoder = new TextEncoder();
const HIGH_BYTES = /[\x80-\xff]/;
const HIGH_CHARS = /[^\x00-\x7f]/;

export class StringTable {
  /** The section's bytes, exactly as read. */
  readonly bytes: Uint8Array;
  /** Offset added to every offset of this table (a split BTF's strings follow its base's). */
  readonly startOffset: number;
  private readonly latin1: string;

  /**
   * @param bytes the string section
   * @param startOffset the base's string section length for split BTF, else 0
   * @param fileOffset where the section starts in the input, for error messages
   */
  constructor(bytes: Uint8Array, startOffset = 0, fileOffset = 0) {
    if (startOffset === 0) {
      if (bytes.length === 0 || bytes[0] !== 0) {
        throw new BtfError("string section must start with an empty string (NUL byte)", { offset: fileOffset }, {
          hint: "split BTF (a kernel module's) must be read on top of its base BTF (--base-btf vmlinux)",
        });
      }
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 0) {
      throw new BtfError("string section is not NUL-terminated", { offset: fileOffset + bytes.length - 1 }, {
        hint: "the last byte of the string section must be 0; the blob may be truncated",
      });
    }
    this.bytes = bytes;
    this.startOffset = startOffset;
    this.latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  }

  /** The whole section as latin1 text (one char per byte), for scanning with string and regex searches. */
  latin1Text(): string {
    return this.latin1;
  }

  /** Length of the section in bytes. */
  get length(): number {
    return this.bytes.length;
  }

  /** Whether `off` (in this table's numbering, including startOffset) points inside this table. */
  contains(off: number): boolean {
    return off >= this.startOffset && off < this.startOffset + this.bytes.length;
  }

  /**
   * The NUL-terminated string at `off`; the caller checked `contains(off)`.
   * Not cached: decoding is a slice of the section read as latin1 (UTF-8
   * only when a byte is >= 0x80), cheaper than keeping a cache alive.
   */
  get(off: number): string {
    const local = off - this.startOffset;
    const end = this.latin1.indexOf("\0", local);
    const s = this.latin1.slice(local, end);
    return HIGH_BYTES.test(s) ? utf8.decode(this.bytes.subarray(local, end)) : s;
  }

  /** Offset of the first whole string equal to `s` (preceded by a NUL or at the start), or undefined. */
  find(s: string): number | undefined {
    if (s === "") return this.startOffset === 0 && this.bytes[0] === 0 ? 0 : undefined;
    const needle = HIGH_CHARS.test(s) ? Buffer.from(s, "utf8").toString("latin1") : s;
    if (this.latin1.startsWith(needle + "\0")) return this.startOffset;
    const at = this.latin1.indexOf("\0" + needle + "\0");
    return at < 0 ? undefined : at + 1 + this.startOffset;
  }

  /** Every string that starts right after a NUL, with its offset, in section order. */
  *entries(): IterableIterator<[number, string]> {
    let local = 0;
    const n = this.latin1.length;
    while (local < n) {
      const end = this.latin1.indexOf("\0", local);
      yield [local + this.startOffset, this.get(local + this.startOffset)];
      local = end + 1;
    }
  }
}

/**
 * Builds a string section. Adding the same string twice stores it once; ""
 * is always at offset 0 (or resolved by the base table for split BTF).
 */
export class StringTableBuilder {
  private readonly chunks: Uint8Array[] = [];
  private offsetsMap: Map<string, number> | undefined;
  private readonly initial: StringTable | undefined;
  private size = 0;
  private readonly startOffset: number;
  private readonly base: StringTableBuilder | undefined;

  /**
   * @param initial start from these section bytes (kept verbatim, indexed by their strings)
   * @param base for split BTF: strings already in the base resolve there
   */
  constructor(initial?: StringTable, base?: StringTableBuilder) {
    this.base = base;
    this.startOffset = base ? base.length : 0;
    this.initial = initial;
    if (initial) {
      this.chunks.push(initial.bytes);
      this.size = initial.bytes.length;
    } else if (!base) {
      this.chunks.push(new Uint8Array(1));
      this.size = 1;
      this.offsets.set("", 0);
    }
  }

  /** Lookups answered by searching the initial table before it is worth indexing. */
  private searches = 0;

  /** string -> first offset; an initial table is indexed only once many lookups need it. */
  private get offsets(): Map<string, number> {
    if (this.offsetsMap) return this.offsetsMap;
    const m = new Map<string, number>();
    if (this.initial) for (const [off, s] of this.initial.entries()) if (!m.has(s)) m.set(s, off);
    for (const [s, off] of this.addedOffsets) if (!m.has(s)) m.set(s, off);
    return (this.offsetsMap = m);
  }

  /** Offset of `s` as a whole string in this table, if present (search first, index later). */
  private find(s: string): number | undefined {
    if (this.offsetsMap || !this.initial || ++this.searches > 64) return this.offsets.get(s);
    const added = this.addedOffsets.get(s);
    if (added !== undefined) return added;
    return this.initial.find(s);
  }
  /** Strings appended while the initial table is not indexed yet. */
  private readonly addedOffsets = new Map<string, number>();

  /** Total length including the base's, i.e. the next offset to be handed out. */
  get length(): number {
    return this.startOffset + this.size;
  }

  /** Offset of `s`, adding it if new. */
  add(s: string): number {
    const inBase = this.base?.lookup(s);
    if (inBase !== undefined) return inBase;
    let off = this.find(s);
    if (off !== undefined) return off;
    if (s === "" && this.base) return 0;
    off = this.startOffset + this.size;
    const bytes = encoder.encode(s);
    const withNul = new Uint8Array(bytes.length + 1);
    withNul.set(bytes);
    this.chunks.push(withNul);
    this.size += withNul.length;
    if (this.offsetsMap || !this.initial) this.offsets.set(s, off);
    else this.addedOffsets.set(s, off);
    return off;
  }

  /** Offset of `s` if present, without adding it. */
  lookup(s: string): number | undefined {
    return this.base?.lookup(s) ?? this.find(s);
  }

  /** The section bytes of this table (not including the base's). */
  finish(): Uint8Array {
    if (this.chunks.length === 1 && this.chunks[0]) return this.chunks[0];
    const out = new Uint8Array(this.size);
    let pos = 0;
    for (const c of this.chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    this.chunks.length = 0;
    this.chunks.push(out);
    return out;
  }
}
