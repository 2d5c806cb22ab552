import type { Origin } from './observation.js';
import type { VfioState } from './qemu.js';
import type { Role, SideOutcome } from './verdict.js';

export const PHASES = ['setup', 'active', 'device', 'completed'] as const;
export type PhaseName = (typeof PHASES)[number] | 'pre-switchover' | 'cancelling' | 'postcopy';

export interface Phase {
  name: PhaseName;
  start: number;
  end: number | null;
}

/** One stretch of a VFIO device in one state. `failed` marks the segment a failed transition ended. */
export interface DeviceSegment {
  state: VfioState | 'UNKNOWN';
  start: number;
  end: number | null;
  source: 'event' | 'trace' | 'failure-line' | 'inferred';
}

export interface DeviceFailure {
  device: string;
  target?: VfioState;
  error?: string;
  time: number;
  raw: string;
  fatal: boolean;
  origin: Origin;
}

export interface DeviceLane {
  device: string;
  segments: DeviceSegment[];
  failure?: DeviceFailure;
}

/** A line or event that explains the outcome; quoted by `review` and attached to spans. */
export interface Evidence {
  time: number | null;
  text: string;
  origin: Origin;
  /** What it shows, e.g. `vfio-failure`, `load-failure`, `return-path`, `migration-status`. */
  kind: string;
}

/** Evidence kinds that explain a verdict on their own. */
export const DECISIVE_EVIDENCE: ReadonlySet<string> = new Set([
  'vfio-failure',
  'load-failure',
  'return-path',
  'qemu-error',
]);

/**
 * How much an evidence kind says, for one line that gave several observations (a Proxmox task
 * log's `migration status error: failed - …` is an error and a status): decisive, status, other.
 */
export const evidenceWeight = (kind: string): number =>
  DECISIVE_EVIDENCE.has(kind) ? 2 : kind === 'migration-status' ? 1 : 0;

/** One host's view of one migration of one VM. */
export interface Session {
  /** Stable id: `${host}/${vm}/${start}`. */
  id: string;
  host: string;
  vm: string;
  vmUuid: string | null;
  role: Role;
  qemuVersion: string | null;
  start: number;
  /** Completion/failure time; null while in progress. */
  end: number | null;
  outcome: SideOutcome;
  phases: Phase[];
  stopTime: number | null;
  resumeTime: number | null;
  /**
   * Source only: the destination address the source QEMU connected to, exactly as the migration URI
   * named it (trace `migration_socket_outgoing_connected`); null when no input said (never guessed).
   * Absent in sessions recorded before it existed: read it as `peer ?? null`.
   */
  peer: string | null;
  /** From the source's `query-migrate`. */
  totalTimeMs: number | null;
  downtimeMs: number | null;
  setupTimeMs: number | null;
  errorDesc: string | null;
  returnPath: { shut: number | null; error: string | null };
  devices: DeviceLane[];
  evidence: Evidence[];
  /** Destination only: end of the device-failure attribution window (epoch ms), once known. */
  windowEnd: number | null;
  /** true once nothing more can change it (window elapsed, or failed/cancelled). */
  closed: boolean;
  /**
   * Set when the session turned out not to be a migration: `save` is `virsh save` (the QEMU process
   * streamed its state to a file and libvirt stopped it with `reason=saved`). Never paired.
   */
  notMigration?: 'save';
}

export const sessionId = (host: string, vm: string, start: number): string =>
  `${host}/${vm}/${Math.round(start)}`;

/** Devices that failed on this side. */
export const failedDevices = (s: Session): string[] =>
  s.devices.filter((d) => d.failure !== undefined).map((d) => d.device);

/** A fresh session with every optional fact unknown. */
export function createSession(init: {
  host: string;
  vm: string;
  vmUuid?: string | null;
  role: Role;
  start: number;
  qemuVersion?: string | null;
}): Session {
  return {
    id: sessionId(init.host, init.vm, init.start),
    host: init.host,
    vm: init.vm,
    vmUuid: init.vmUuid ?? null,
    role: init.role,
    qemuVersion: init.qemuVersion ?? null,
    peer: null,
    start: init.start,
    end: null,
    outcome: 'in-progress',
    phases: [],
    stopTime: null,
    resumeTime: null,
    totalTimeMs: null,
    downtimeMs: null,
    setupTimeMs: null,
    errorDesc: null,
    returnPath: { shut: null, error: null },
    devices: [],
    evidence: [],
    windowEnd: null,
    closed: false,
  };
}
