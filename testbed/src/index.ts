/**
 * The real components Switchover's tests, demo and benchmark drive. Nothing here is product code:
 * the agent never imports it.
 */
export { packagedBinary } from './debian.js';
export { ExportEncoder, type ExportEntry, type ExportValue } from './export-format.js';
export { inputUp, sampleValue } from './exposition.js';
export { journalRemoteBinary, writeJournal, type WrittenJournal } from './journal-file.js';
export {
  journaldBinary,
  journaldUnavailable,
  startJournald,
  streamHeader,
  type JournaldNamespace,
  type StreamOptions,
} from './journald-namespace.js';
export * from './libvirt/index.js';
export { Orchestrator, isMigrationStatus, type QmpMessage } from './orchestrator.js';
export { startQmpResponders, type QmpResponders } from './qmp-responder.js';
export { startQemu, type QemuOptions, type QemuProcess } from './qemu.js';
export { createVmScope, kvmBinary, vmScopeUnavailable, type VmScope } from './scope.js';
export { spawnOwned } from './spawn.js';
export { freePort, until } from './wait.js';
export { bindReadOnly, mountTmpfs, mountUnavailable, unmount } from './mounts.js';
