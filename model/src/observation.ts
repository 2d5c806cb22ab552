import type { MigrationStatus, VfioState } from './qemu.js';

/** Where a record came from; `file`/`line` are set for offline review and for log files. */
export const ORIGIN_KINDS = [
  'qmp',
  'virsh',
  'journald',
  'libvirt-log',
  'qmp-transcript',
  'recorder',
  'file',
  'proxmox-task',
  'proxmox-config',
] as const;
export type OriginKind = (typeof ORIGIN_KINDS)[number];

export interface Origin {
  kind: OriginKind;
  /** Socket path, log path or file name given to `review`. */
  file?: string;
  /** 1-based line number inside `file`. */
  line?: number;
}

/** How a VM is known on one host. `name` is the correlation key (libvirt domain names are unique per host). */
export interface VmRef {
  name: string;
  uuid?: string;
}

/**
 * How the observation's time was learnt:
 * - `event`: QEMU's own timestamp (QMP event time, trace or error_report prefix, journald realtime)
 * - `arrival`: the agent's receive time (a live line without a timestamp)
 * - `bounded`: offline, a line without a timestamp placed between its timestamped neighbours;
 *   `time` is the earlier neighbour and `latest` the later one (null: nothing timed follows)
 */
export type TimeSource = 'event' | 'arrival' | 'bounded';

interface Base {
  host: string;
  vm: VmRef;
  /** Epoch milliseconds (fractional: microseconds are kept). */
  time: number;
  timeSource: TimeSource;
  /** Only with `timeSource: 'bounded'`: the latest the line can have been printed (epoch ms), null = open. */
  latest?: number | null;
  origin: Origin;
  /** The raw line or event text, kept for evidence and span events. */
  raw?: string;
}

/** A `MIGRATION` event, a `migrate_set_state` trace, or a `query-migrate` status. */
export interface MigrationStatusObservation extends Base {
  kind: 'migration-status';
  status: MigrationStatus;
}
export interface MigrationPassObservation extends Base {
  kind: 'migration-pass';
  pass: number;
}
/** QMP `STOP` / `RESUME`. */
export interface RunStateObservation extends Base {
  kind: 'vm-stop' | 'vm-resume';
}
export interface ShutdownObservation extends Base {
  kind: 'shutdown';
  reason?: string;
}

/**
 * A VFIO device state as QEMU recorded it: `VFIO_MIGRATION` event (9.1+), trace
 * `vfio_migration_set_device_state` (9.1+), `vfio_migration_set_state` (8.0–9.0, traced on success only).
 */
export interface VfioStateObservation extends Base {
  kind: 'vfio-state';
  /** Host PCI address (`0000:3b:00.1`) or QOM id when that is all we have. */
  device: string;
  state: VfioState;
  via: 'event' | 'trace';
}
/** 9.1+ trace `vfio_migration_set_state … new state X, recover state Y`: an attempt, before the ioctl. */
export interface VfioAttemptObservation extends Base {
  kind: 'vfio-attempt';
  device: string;
  target: VfioState;
}

export const VFIO_FAILURE_FORMS = [
  'v1-7.2',
  'err-8.0',
  'errno-9.1',
  'recover-state',
  'hardware-error',
  'reset-failed',
] as const;
export type VfioFailureForm = (typeof VFIO_FAILURE_FORMS)[number];

/** The line this project exists for: a VFIO device failed a state transition (and was reset). */
export interface VfioFailureObservation extends Base {
  kind: 'vfio-failure';
  device: string;
  /** The state QEMU tried to enter (`RUNNING`, `RUNNING_P2P`, …); undefined for 7.2 hex states. */
  target?: VfioState;
  /** strerror text when the line has one. */
  error?: string;
  form: VfioFailureForm;
  /** hardware error / reset failure: QEMU aborts, the failure is loud. */
  fatal: boolean;
}

/** Destination: the incoming stream could not be loaded (`load of migration failed: …` and detail lines). */
export interface LoadFailureObservation extends Base {
  kind: 'load-failure';
  message: string;
  /** true for the final `load of migration failed` line, false for detail lines. */
  final: boolean;
}

/** Source: what the return path said. */
export interface ReturnPathObservation extends Base {
  kind: 'return-path';
  /** `shut` (trace `source_return_path_thread_shut 0xN`) or `error` (Sibling indicated error, Channel error, RP: …). */
  event: 'shut' | 'error';
  value?: number;
  message?: string;
}

/**
 * Source: the migration's outgoing connection is up, to `peer` as the migration URI named it (trace
 * `migration_socket_outgoing_connected hostname=…`, QEMU 7.2–10.2, `tcp:` URIs only).
 */
export interface MigrationPeerObservation extends Base {
  kind: 'migration-peer';
  peer: string;
}

/** A `query-migrate` reply (source: times; both: status and error-desc). */
export interface MigrationInfoObservation extends Base {
  kind: 'migration-info';
  status?: MigrationStatus;
  totalTimeMs?: number;
  downtimeMs?: number;
  setupTimeMs?: number;
  errorDesc?: string;
  vfioTransferredBytes?: number;
}

/** What the host says about the VM process: QMP queries, libvirt header and command line. */
export interface VmIdentityObservation extends Base {
  kind: 'vm-identity';
  qemuVersion?: string;
  /** `query-status` runstate at attach; `inmigrate` means this host is (about to be) the destination. */
  runState?: string;
  /** `-incoming` on the command line: this process was started as a migration destination. */
  incoming?: boolean;
  /** Migration capabilities as read with `query-migrate-capabilities`. */
  capabilities?: Record<string, boolean>;
  /** vfio-pci devices: QOM id -> host address. */
  devices?: Record<string, string>;
}

/**
 * A QEMU process starts or stops, or the source starts migrating: libvirt's own lines (`starting up …`,
 * `initiating migration`, `shutting down, reason=…`) and Proxmox VE's (`VM N started with PID …`, the
 * `qmigrate` task log, the VM scope's end).
 */
export interface ProcessLifecycleObservation extends Base {
  kind: 'process-start' | 'process-stop' | 'migration-initiated';
  reason?: string;
  qemuVersion?: string;
  /**
   * `process-start` only: the process was started as the destination of an incoming migration
   * (Proxmox: `qm start --migratedfrom NODE`) and no QEMU migration events will follow on this host.
   */
  incoming?: boolean;
}

/** Any other QEMU error_report line worth keeping as evidence. */
export interface QemuErrorObservation extends Base {
  kind: 'qemu-error';
  message: string;
}

export type Observation =
  | MigrationStatusObservation
  | MigrationPassObservation
  | RunStateObservation
  | ShutdownObservation
  | VfioStateObservation
  | VfioAttemptObservation
  | VfioFailureObservation
  | LoadFailureObservation
  | ReturnPathObservation
  | MigrationPeerObservation
  | MigrationInfoObservation
  | VmIdentityObservation
  | ProcessLifecycleObservation
  | QemuErrorObservation;

export type ObservationKind = Observation['kind'];
