import {
  createSession,
  type MigrationInfoObservation,
  type MigrationPassObservation,
  type MigrationPeerObservation,
  type MigrationStatus,
  type MigrationStatusObservation,
  type Observation,
  type ReturnPathObservation,
  type Session,
} from '@switchover/model';
import type { Ctx } from './context.js';
import { initialRole, settleRole } from './role.js';
import {
  addEvidence,
  closeSession,
  enterPhase,
  failSession,
  fatalFailure,
  hasDeviceFailure,
  lose,
  phaseOf,
  recentlyClosed,
  setOutcome,
} from './session-edit.js';
import {
  DUPLICATE_EVENT_MS,
  LATE_INFO_MS,
  LATE_STATUS_MS,
  PENDING_GRACE_MS,
  SAME_END_MS,
  SOURCE_CLOSE_DELAY_MS,
} from './types.js';
import { evictForNewSession } from './vms.js';

const TERMINAL: ReadonlySet<MigrationStatus> = new Set(['completed', 'failed', 'cancelled']);
/** Statuses only a source reaches (pause-before-switchover, failover, cancel). */
const SOURCE_STATUSES: ReadonlySet<MigrationStatus> = new Set([
  'pre-switchover',
  'device',
  'cancelling',
  'cancelled',
  'wait-unplug',
]);

export function openSession(ctx: Ctx, obs: Observation, start = obs.time): Session {
  const { vm } = ctx;
  evictForNewSession(ctx.state, ctx.config, ctx.effects);
  const { role, settled } = initialRole(vm);
  const session = createSession({
    host: obs.host,
    vm: vm.vm.name,
    vmUuid: vm.vm.uuid ?? null,
    role,
    start,
    qemuVersion: vm.qemuVersion,
  });
  const pending = vm.pendingPeer;
  if (pending && Math.abs(obs.time - pending.time) <= PENDING_GRACE_MS) session.peer = pending.peer;
  vm.pendingPeer = null;
  vm.session = session;
  vm.roleSettled = settled;
  vm.evidenceRole = null;
  ctx.effects.push({ kind: 'session-opened', session });
  return session;
}

/**
 * The session a status belongs to. A finished session still waiting to close (destination window,
 * source reply grace) gives way to a newer migration of the same VM; stale and duplicate statuses
 * (a trace line and a QMP event for one transition, a journal replay) return null.
 */
function sessionForStatus(ctx: Ctx, obs: MigrationStatusObservation): Session | null {
  const { vm } = ctx;
  const terminal = TERMINAL.has(obs.status);
  // `virsh restore` streams the saved state in through the same incoming migration: not one.
  if (vm.restoring) {
    if (terminal) vm.restoring = false;
    return null;
  }
  let session = vm.session;
  if (session && session.outcome !== 'in-progress') {
    const end = session.end ?? session.start;
    if (obs.time <= end || (terminal && obs.time - end <= SAME_END_MS)) return null;
    closeSession(vm, ctx.effects);
    session = null;
  }
  if (session) return obs.time < session.start ? null : session;
  if (terminal && recentlyClosed(vm, obs.time, SAME_END_MS)) return null;
  const failed = vm.lastClosed;
  if (
    failed &&
    (failed.outcome === 'failed' || failed.outcome === 'cancelled') &&
    failed.end !== null &&
    obs.time >= failed.end &&
    obs.time - failed.end <= LATE_STATUS_MS
  )
    return null;
  // A status from a slower input (a trace line in a log read after the QMP event closed the session)
  // that happened before the last session ended belongs to that session, not to a new migration.
  // QEMU traces a state change a few µs before it emits the event, so the trace can predate the start.
  const last = vm.lastClosed;
  if (last && last.end !== null && obs.time >= last.start - DUPLICATE_EVENT_MS && obs.time <= last.end)
    return null;
  // Attached late (or restarted without a snapshot): open here so the end still counts.
  return openSession(ctx, obs);
}

export function onStatus(ctx: Ctx, obs: MigrationStatusObservation): void {
  if (obs.status === 'none') return;
  const session = sessionForStatus(ctx, obs);
  if (!session) return;
  const phase = phaseOf(obs.status);
  const current = session.phases.at(-1)?.name;
  if (phase !== null && phase === current) return;
  addEvidence(session, obs);
  if (SOURCE_STATUSES.has(obs.status)) settleRole(ctx.vm, 'source', ctx.config);
  switch (obs.status) {
    case 'completed': {
      session.end = obs.time;
      enterPhase(session, 'completed', obs.time, ctx.effects);
      const withFailure = session.role === 'destination' && hasDeviceFailure(session);
      setOutcome(session, withFailure ? 'completed-with-device-failure' : 'completed', ctx.effects);
      if (session.role === 'source') ctx.vm.closeAt = ctx.now + SOURCE_CLOSE_DELAY_MS;
      // Its QEMU had already reported an unrecoverable device failure (read before this status).
      else if (fatalFailure(session)) lose(ctx.vm, obs.time, ctx.effects);
      return;
    }
    case 'failed':
      failSession(ctx.vm, 'failed', obs.time, ctx.effects);
      return;
    case 'cancelled':
      // A destination never cancels by itself: its side of a cancelled migration simply failed.
      failSession(ctx.vm, session.role === 'source' ? 'cancelled' : 'failed', obs.time, ctx.effects);
      return;
    default:
      if (phase !== null) enterPhase(session, phase, obs.time, ctx.effects);
  }
}

/** `MIGRATION_PASS` exists only on a source (one per dirty-bitmap sync, the first right after `setup`). */
export function onPass(ctx: Ctx, _obs: MigrationPassObservation): void {
  const session = ctx.vm.session;
  if (session && session.outcome !== 'in-progress') return;
  settleRole(ctx.vm, 'source', ctx.config, true);
}

/**
 * A `query-migrate` reply. The source's reply to the query issued on `completed` carries the
 * durations; it closes the finished source session at once (instead of waiting out the grace), so the
 * one `session-closed` carries downtime. A reply after the close updates the previous session and
 * re-emits `outcome` so sinks that keep sessions store the update.
 */
export function onInfo(ctx: Ctx, obs: MigrationInfoObservation): void {
  const { vm } = ctx;
  const open = vm.session;
  const session = open ?? recentlyClosed(vm, obs.time, LATE_INFO_MS);
  if (!session) return;
  if (obs.totalTimeMs !== undefined) session.totalTimeMs = obs.totalTimeMs;
  if (obs.downtimeMs !== undefined) session.downtimeMs = obs.downtimeMs;
  if (obs.setupTimeMs !== undefined) session.setupTimeMs = obs.setupTimeMs;
  if (obs.errorDesc !== undefined && obs.errorDesc !== session.errorDesc) {
    session.errorDesc = obs.errorDesc;
    addEvidence(session, obs, obs.time, 'migration-info');
  }
  if (!open) {
    ctx.effects.push({ kind: 'outcome', session });
    return;
  }
  // Only a source reports downtime.
  if (obs.downtimeMs !== undefined) settleRole(vm, 'source', ctx.config);
  if (open.role === 'source' && open.outcome !== 'in-progress') closeSession(vm, ctx.effects);
}

/** What the source's return path heard; the error is printed at cleanup, after `failed` closed the session. */
export function onReturnPath(ctx: Ctx, obs: ReturnPathObservation): void {
  const { vm } = ctx;
  const session = vm.session ?? recentlyClosed(vm, obs.time, LATE_INFO_MS);
  if (!session || obs.time < session.start) return;
  if (vm.session) settleRole(vm, 'source', ctx.config);
  if (obs.event === 'shut') session.returnPath.shut = obs.value ?? null;
  else session.returnPath.error = obs.message ?? obs.raw ?? 'return path error';
  addEvidence(session, obs);
  ctx.effects.push({ kind: 'return-path', session, observation: obs });
}

const covers = (s: Session, time: number): boolean =>
  time >= s.start - DUPLICATE_EVENT_MS && (s.end === null || time <= s.end);

/**
 * The source's outgoing migration connection is up. QEMU traces it right after `setup`, before the
 * first pass; only a source connects out. A line read before any input opened the session (the log
 * ahead of the events) waits on the VM for a few seconds; a late one lands on the session it
 * happened in. No sink is told separately: the next effect of the session carries the peer.
 */
export function onPeer(ctx: Ctx, obs: MigrationPeerObservation): void {
  const { vm } = ctx;
  const target = vm.session && covers(vm.session, obs.time) ? vm.session : null;
  const late = !target && vm.lastClosed && covers(vm.lastClosed, obs.time) ? vm.lastClosed : null;
  const session = target ?? late;
  if (!session) {
    if (!vm.session) {
      vm.pendingPeer = { peer: obs.peer, time: obs.time };
      settleRole(vm, 'source', ctx.config);
    }
    return;
  }
  if (session.peer === obs.peer) return;
  session.peer = obs.peer;
  addEvidence(session, obs, obs.time, 'migration-peer');
  if (target) settleRole(vm, 'source', ctx.config, true);
}
