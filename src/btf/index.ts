// Public surface of the BTF library (shared by the kernel side and user space).
export * from "./kinds.js";
export * from "./types.js";
export { BtfError, type BtfErrorLocation } from "./errors.js";
export { Btf, type BtfOptions } from "./btf.js";
export { parseBtf, type ParseOptions } from "./parse.js";
export { encodeBtf, type EncodeOptions } from "./encode.js";
export { StringTable, StringTableBuilder } from "./strings.js";
export { dumpRaw, formatRawType } from "./format/raw.js";
export { dumpJson, formatJsonType } from "./format/json.js";
