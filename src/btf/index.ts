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
export { BtfBuilder } from "./builder.js";
export { readElfSections, findBtfSection, isElf, type ElfSection } from "./elf.js";
export { loadBtf, type LoadedBtf, type BtfSourceFormat } from "./load.js";
export { sizeOf, alignOf, skipModifiers, skipModsAndTypedefs, resolveType, POINTER_SIZE } from "./layout.js";
export { findMember, memberNames, resolveMemberPath, type FoundMember, type MemberPathStep } from "./members.js";
export { funcSignature, findFunc, type FuncSignature } from "./funcs.js";
export { cTypeName } from "./c-name.js";
export { readIntBits, readUnsigned, readEnum, enumeratorName, type ValueFormatter, type ValueFormatOptions, type FormattedValue } from "./value.js";
export { parseBtfExt, type BtfExt, type BtfExtSection, type BtfExtFuncInfo, type BtfExtLineInfo, type BtfExtCoreRelo, type BtfExtParseOptions } from "./ext.js";
