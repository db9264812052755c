// The loader's public surface (what package.json exports for BPF developers):
// open an object, set its variables, load it into a booted kernel through
// the bpf(2)-like API, attach, read maps / buffers / the trace pipe, close.
export { BpfObject, type BpfHost, type EventRecord, type MapEntry, type ProgramStatus } from "./object.js";
export { openObject, ObjectError, type OpenOptions } from "./open.js";
export { relocateProgram, coreApplierFor, kconfigData, type RelocatedProgram, type RelocateEnv, type CoreApplier } from "./relocate.js";
export { createMaps, initialData, loadPrograms, encodeSetValue, kernelMapName, ProgramLoadError, type LoadedMap, type LoadOptions, type ProgramState } from "./load.js";
export { sectionDef, attachBySection, type SectionDef, type SectionProblem } from "./attach.js";
export type * from "./spec.js";
