import {
  evidenceWeight,
  type DeviceFailure,
  type Observation,
  type PhaseName,
  type Session,
  type SideOutcome,
} from '@switchover/model';
import type { MigrationStatus } from '@switchover/model';
import { MAX_EVIDENCE, type Effect, type VmState } from './types.js';
import { resetSessionScratch } from './vms.js';

/** Evidence kinds that may be dropped first when a session's evidence is full: the outcome never rests on them. */
const ROUTINE_EVIDENCE = new Set(['migration-status', 'vm-stop', 'vm-resume', 'qemu-error', 'vfio-state']);

/** A readable stand-in for observations that carry no raw text (e.g. built by tests or the recorder). */
export function describe(obs: Observation): string {
  switch (obs.kind) {
    case 'migration-status':
      return `MIGRATION ${obs.status}`;
    case 'vm-stop':
      return 'STOP';
    case 'vm-resume':
      return 'RESUME';
    case 'vfio-failure':
      return `${obs.device}: failed setting device state${obs.target ? ` to ${obs.target}` : ''}${obs.error ? `: ${obs.error}` : ''}`;
    case 'vfio-state':
      return `${obs.device}: state ${obs.state}`;
    case 'load-failure':
    case 'qemu-error':
      return obs.message;
    case 'return-path':
      return obs.event === 'shut'
        ? `return path SHUT ${obs.value ?? '?'}`
        : `return path error: ${obs.message ?? ''}`;
    case 'migration-peer':
      return `migration connected to ${obs.peer}`;
    case 'migration-info':
      return obs.errorDesc ? `query-migrate: ${obs.errorDesc}` : `query-migrate: ${obs.status ?? ''}`;
    default:
      return obs.kind;
  }
}

export function addEvidence(
  session: Session,
  obs: Observation,
  time: number | null = obs.time,
  kind: string = obs.kind,
): void {
  const text = obs.raw ?? describe(obs);
  // One line that said several things (a status and its error, a start and its peer) is one
  // entry, of the weightiest kind.
  const last = session.evidence.at(-1);
  if (
    last &&
    obs.raw !== undefined &&
    last.text === text &&
    last.time === time &&
    last.origin.file === obs.origin.file &&
    last.origin.line === obs.origin.line
  ) {
    if (evidenceWeight(kind) > evidenceWeight(last.kind)) last.kind = kind;
    return;
  }
  if (session.evidence.length >= MAX_EVIDENCE) {
    const routine = session.evidence.findIndex((e) => ROUTINE_EVIDENCE.has(e.kind));
    session.evidence.splice(routine >= 0 ? routine : 0, 1);
  }
  session.evidence.push({ time, text, origin: obs.origin, kind });
}

/** The phase a status starts; null for statuses that are not a phase (`none`, `wait-unplug`, `colo`, terminal). */
export function phaseOf(status: MigrationStatus): PhaseName | null {
  switch (status) {
    case 'setup':
    case 'active':
    case 'pre-switchover':
    case 'device':
    case 'cancelling':
    case 'completed':
      return status;
    case 'postcopy-device':
    case 'postcopy-active':
    case 'postcopy-paused':
    case 'postcopy-recover-setup':
    case 'postcopy-recover':
      return 'postcopy';
    default:
      return null;
  }
}

/** A phase ends when the next starts; `completed` is a point. */
export function enterPhase(session: Session, name: PhaseName, time: number, effects: Effect[]): void {
  const current = session.phases.at(-1);
  if (current?.name === name) return;
  if (current && current.end === null) current.end = Math.max(current.start, time);
  const phase = { name, start: time, end: name === 'completed' ? time : null };
  session.phases.push(phase);
  effects.push({ kind: 'phase-changed', session, phase });
}

export function endPhases(session: Session, time: number): void {
  const current = session.phases.at(-1);
  if (current && current.end === null) current.end = Math.max(current.start, time);
}

export function setOutcome(session: Session, outcome: SideOutcome, effects: Effect[]): void {
  if (session.outcome === outcome) return;
  session.outcome = outcome;
  effects.push({ kind: 'outcome', session });
}

export function closeSession(vm: VmState, effects: Effect[]): void {
  const session = vm.session;
  if (!session) return;
  session.closed = true;
  vm.session = null;
  vm.lastClosed = session;
  resetSessionScratch(vm);
  effects.push({ kind: 'session-closed', session });
}

/** A loud end (failed / cancelled): set the end, the outcome, and close at once. */
export function failSession(
  vm: VmState,
  outcome: 'failed' | 'cancelled',
  time: number,
  effects: Effect[],
): void {
  const session = vm.session;
  if (!session) return;
  session.end ??= Math.max(session.start, time);
  endPhases(session, time);
  setOutcome(session, outcome, effects);
  closeSession(vm, effects);
}

export const hasDeviceFailure = (session: Session): boolean =>
  session.devices.some((d) => d.failure !== undefined);

/** A device failure QEMU could not recover from (its reset failed too: QEMU aborts). */
export const fatalFailure = (session: Session): DeviceFailure | undefined =>
  session.devices.find((d) => d.failure?.fatal)?.failure;

/** The previous session of this VM if it ended within `withinMs` of `time`: late lines about it land there. */
export function recentlyClosed(vm: VmState, time: number, withinMs: number): Session | null {
  const last = vm.lastClosed;
  if (!last || last.end === null) return null;
  return Math.abs(time - last.end) <= withinMs ? last : null;
}

/**
 * A destination whose only evidence is its domain log: an incoming QEMU started with `-incoming`,
 * and no migration status or RESUME since. Its own log never says that the migration completed.
 */
export const knownFromLogOnly = (s: Session): boolean =>
  s.role === 'destination' && s.phases.length === 0 && s.resumeTime === null;

/**
 * A log-only destination whose VM went on running here (nothing failed it before its time was up,
 * the VM started migrating on, or the guest shut down by itself): its incoming migration completed.
 * When is unknown, so `end` stays null; pairing with the source tells the rest.
 */
export function arrived(vm: VmState, effects: Effect[]): void {
  const s = vm.session;
  if (!s || s.outcome !== 'in-progress') return;
  setOutcome(s, hasDeviceFailure(s) ? 'completed-with-device-failure' : 'completed', effects);
}

/** A destination that completed saw its QEMU die inside the attribution window: the VM runs nowhere. */
export function lose(vm: VmState, time: number, effects: Effect[]): void {
  const s = vm.session;
  if (!s) return;
  endPhases(s, time);
  setOutcome(s, 'lost', effects);
  closeSession(vm, effects);
}
