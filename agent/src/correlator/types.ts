import type { DeviceFailure, Observation, Phase, Session, VfioState, VmRef } from '@switchover/model';

export interface CorrelatorConfig {
  /** Destination: how long after the first RESUME a device failure still counts (ms). Default 30 000. */
  windowMs: number;
  /** Destination: give up waiting for RESUME this long after completion (ms). Default 600 000. */
  resumeWaitMs: number;
  /** At most this many sessions open at once; the oldest is evicted (and counted) beyond it. Default 1000. */
  maxOpenSessions: number;
  /** At most this many untimed/early failure lines kept for later attribution (offline). Default 100. */
  maxPending: number;
}

export const DEFAULT_CORRELATOR_CONFIG: CorrelatorConfig = {
  windowMs: 30_000,
  resumeWaitMs: 600_000,
  maxOpenSessions: 1000,
  maxPending: 100,
};

/** What the correlator knows about one VM on this host between observations. Plain data: it is persisted. */
export interface VmState {
  vm: VmRef;
  qemuVersion: string | null;
  /** Role hint from identity: `inmigrate` runstate or `-incoming` → destination; running → source. */
  roleHint: 'source' | 'destination' | null;
  /** vfio-pci QOM id -> host address, to name devices of `VFIO_MIGRATION` events by address. */
  devices: Record<string, string>;
  session: Session | null;
  /** Whether the session's role came from evidence (not guessed). */
  roleSettled: boolean;
}

export interface CorrelatorState {
  vms: Record<string, VmState>;
  /** Failure lines not (yet) inside any window; offline lines with an open upper bound may still be claimed. */
  pending: Observation[];
}

export type CorrelatorInput = { kind: 'observation'; observation: Observation } | { kind: 'tick' };

export type Effect =
  | { kind: 'session-opened'; session: Session }
  | { kind: 'phase-changed'; session: Session; phase: Phase }
  | { kind: 'device-state'; session: Session; device: string; state: VfioState; ok: boolean; observation: Observation }
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
