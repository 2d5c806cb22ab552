/**
 * Two real libvirt 9.0 daemons on this machine acting as two hypervisors (`hv-a`, `hv-b`), the tiny
 * guest they run, what tests do to migrations (p2p/direct, throttle, cancel, kill, reject, save),
 * virsh event capture, and the simulated VFIO failure line. See README.md in this folder.
 */
export { libvirtUnavailable } from './available.js';
export { domainXml, withQemuArgs, GUEST_KERNEL_PATH, type DomainSpec } from './domain-xml.js';
export { EventWatcher, migrationStatus, plainEvent, type WatchedEvent, type WatchOptions } from './events.js';
export { guestKernel } from './guest-kernel.js';
export { LibvirtHost } from './host.js';
export { DEFAULT_HOSTS, type HostIdentity } from './host-setup.js';
export { startLibvirtHosts, type LibvirtHosts, type LibvirtHostsOptions } from './hosts.js';
export {
  abortJob,
  migrate,
  rejectingDestinationXml,
  setMigrationSpeed,
  type MigrateOptions,
} from './migrate.js';
export { alive, childrenOf, hostPidOf } from './pids.js';
export * from './scenarios/index.js';
export {
  appendToDomainLog,
  CPU_DUMP,
  resetFailureLines,
  vfioFailureLine,
  VFIO_LINE_FORMS,
  type VfioFailure,
  type VfioLineForm,
} from './vfio-lines.js';
export { runVirsh, socketUri, virshOk, VirshError, type VirshResult } from './virsh.js';
