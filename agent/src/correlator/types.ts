import type {
  DeviceFailure,
  Dict,
  Observation,
  Phase,
  Role,
  Session,
  VfioState,
  VmRef,
} from '@switchover/model';

export interface CorrelatorConfig {
  /** Destination: how long after the first RESUME a device failure still counts (ms). Default 30 000. */
  windowMs: number;
  /** Destination: give up waiting for RESUME this long after completion (ms). Default 600 000. */
  resumeWaitMs: number;
  /**
   * Whether an input can deliver RESUME at all (QMP, virsh relay). Without one (domain logs or a
   * journal alone), a completed destination's window runs `windowMs` from its completion instead of
   * waiting `resumeWaitMs` for a RESUME that cannot come. Default true.
   */
  resumeObservable: boolean;
  /** At most this many sessions open at once; the oldest is evicted (and counted) beyond it. Default 1000. */
  maxOpenSessions: number;
  /** At most this many untimed/early failure lines kept for later attribution (offline). Default 100. */
  maxPending: number;
}

export const DEFAULT_CORRELATOR_CONFIG: CorrelatorConfig = {
  windowMs: 30_000,
  resumeWaitMs: 600_000,
  resumeObservable: true,
  maxOpenSessions: 1000,
  maxPending: 100,
};

/**
 * A completed source stays open this long (ms of `now`) so the `query-migrate` reply that follows
 * `completed` lands before `session-closed`: the metrics sink observes downtime once, at close.
 */
export const SOURCE_CLOSE_DELAY_MS = 2_000;
/** A `migration-info` this late after a session closed still updates it (ms). */
export const LATE_INFO_MS = 60_000;
/**
 * A terminal status or load error this close to the previous session's end belongs to it (ms): QEMU
 * 7.2 prints `load of migration failed` ~10 µs before `MIGRATION failed`, and a trace line and a QMP
 * event can report the same transition.
 */
export const SAME_END_MS = 5_000;
/** Two copies of one QMP event seen through different inputs are at most this far apart (ms). */
export const DUPLICATE_EVENT_MS = 50;
/**
 * virsh `--timestamp` is virsh's receive time, which under load trails QEMU's own lines: a status this
 * soon after a session failed is that session's, printed late, not a new migration (ms).
 */
export const LATE_STATUS_MS = 1_000;
/** libvirt logs `initiating migration` just before it starts the migration: `setup` follows within this (ms). */
export const INITIATED_LEAD_MS = 5_000;
/** libvirt resumes a source whose destination failed in Finish (after QEMU completed) within this (ms). */
export const ROLLBACK_MS = 60_000;
/** Slack for ordering between inputs (ms): a bounded line whose `latest` is older than `now` minus this is stale. */
export const PENDING_GRACE_MS = 5_000;
/** Evidence entries kept per session. */
export const MAX_EVIDENCE = 200;
/** VM states kept, as a multiple of `maxOpenSessions` (identity only; least recently seen dropped). */
export const VM_STATES_PER_SESSION = 10;

/** What the correlator knows about one VM on this host between observations. Plain data: it is persisted. */
export interface VmState {
  vm: VmRef;
  qemuVersion: string | null;
  /** Role hint from identity: `inmigrate` runstate or `-incoming` → destination; running → source. */
  roleHint: 'source' | 'destination' | null;
  /** vfio-pci QOM id -> host address, to name devices of `VFIO_MIGRATION` events by address. */
  devices: Dict<string>;
  session: Session | null;
  /** Whether the session's role came from evidence (not guessed). */
  roleSettled: boolean;
  /** Role evidence seen before the session opened (`migration-initiated`, an early `MIGRATION_PASS`). */
  evidenceRole: Role | null;
  /** Input sequence number of the last observation for this VM (least-recently-seen eviction). */
  lastSeen: number;
  /** The previous session, after it closed: late `query-migrate` replies and duplicate terminal lines go here. */
  lastClosed: Session | null;
  /** Source only: close the completed session at this `now` unless `migration-info` comes first. */
  closeAt: number | null;
  /** 9.1+ trace `vfio_migration_set_state`: the state last attempted per device (host address). */
  attempts: Dict<VfioState>;
  /** Failures claimed from untimed lines: device -> the line's `latest` (null = open), to re-time on RESUME. */
  untimedFailures: Dict<number | null>;
  /**
   * The QEMU process whose domain-log lines are being read: the time of its `starting up` header
   * (null without a domain log). A line belongs to the process that printed it, never to a later one.
   */
  process: number | null;
  /** The last process ended with `reason=saved` (`virsh save`): the next incoming one is a restore. */
  afterSave: boolean;
  /** This process is a `virsh restore` (an incoming stream from a file), not a migration destination. */
  restoring: boolean;
  /**
   * The session was opened by an incoming QEMU's start (`process-start` with `incoming`), seen by
   * an input with no QEMU migration events (Proxmox's journal): completion and RESUME are inferred.
   */
  incomingProcess: boolean;
  /** A `migration-peer` line read before any input opened the session it belongs to. */
  pendingPeer: { peer: string; time: number } | null;
}

/** A failure line waiting for a window, with the QEMU process that printed it (when known). */
export interface PendingLine {
  obs: Observation;
  process: number | null;
}

export interface CorrelatorState {
  /** Keyed by VM name (tenant-chosen): a null-prototype `dict`. */
  vms: Dict<VmState>;
  /** Failure lines not (yet) inside any window; offline lines with an open upper bound may still be claimed. */
  pending: PendingLine[];
  /** Count of inputs handled: the clock of `lastSeen` (deterministic, unlike wall time). */
  seq: number;
}

export type CorrelatorInput = { kind: 'observation'; observation: Observation } | { kind: 'tick' };

export type Effect =
  | { kind: 'session-opened'; session: Session }
  | { kind: 'phase-changed'; session: Session; phase: Phase }
  | {
      kind: 'device-state';
      session: Session;
      device: string;
      state: VfioState;
      ok: boolean;
      observation: Observation;
    }
  /** The silent destination failure (or a fatal reset failure when `failure.fatal`). */
  | { kind: 'device-failure'; session: Session; failure: DeviceFailure; observation: Observation }
  | { kind: 'return-path'; session: Session; observation: Observation }
  | { kind: 'qemu-error'; session: Session; observation: Observation }
  /** The side outcome became final (completed, failed, cancelled); the window may still be open. */
  | { kind: 'outcome'; session: Session }
  /** Nothing more can change: window elapsed, or failed/cancelled. */
  | { kind: 'session-closed'; session: Session }
  | { kind: 'session-evicted'; session: Session }
  /** A failure line outside every window (an old incident): never attributed. */
  | { kind: 'unattributed'; observation: Observation; reason: string };

export interface TransitionResult {
  state: CorrelatorState;
  effects: Effect[];
}
