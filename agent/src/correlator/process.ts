import {
  dict,
  type ProcessLifecycleObservation,
  type Session,
  type ShutdownObservation,
  type VmIdentityObservation,
} from '@switchover/model';
import type { Ctx } from './context.js';
import { openSession } from './migration.js';
import { settleRole } from './role.js';
import {
  addEvidence,
  arrived,
  closeSession,
  endPhases,
  failSession,
  knownFromLogOnly,
  lose,
  recentlyClosed,
  setOutcome,
} from './session-edit.js';
import { DUPLICATE_EVENT_MS, INITIATED_LEAD_MS, SAME_END_MS } from './types.js';
import { resumeWait } from './window.js';

/**
 * A libvirt domain log as a sequence of QEMU process lifetimes: each `starting up` header starts a
 * process, its command line says whether it is the destination of one incoming migration, then come
 * its stderr, libvirt's `initiating migration` (it migrates out), and `shutting down, reason=…`.
 * These handlers keep a log alone enough for a verdict; with migration events too, they only add.
 */

/**
 * Reasons that say the VM ran in this process and was then stopped on purpose: the guest shut down,
 * an operator destroyed it, killed it with a signal or quit QEMU (libvirt's `shutting down, reason=…`,
 * QMP `SHUTDOWN`'s `reason`). Any other end (`crashed`, `failed`, `host-error`, `guest-panic`,
 * Proxmox's qmeventd cleanup with no reason at all) is QEMU dying.
 */
const RAN_REASONS: ReadonlySet<string> = new Set([
  'shutdown',
  'destroyed',
  'guest-shutdown',
  'host-qmp-quit',
  'host-ui',
  // SIGTERM/SIGINT: `virsh destroy`, `qm stop`, systemd stopping it (a SIGKILL leaves no event).
  'host-signal',
]);
/** The process went on as something else: it migrated out or was saved to a file. */
const MOVED_REASONS: ReadonlySet<string> = new Set(['migrated', 'saved']);

const isCrash = (o: ShutdownObservation | ProcessLifecycleObservation): boolean =>
  !RAN_REASONS.has(o.reason ?? '') && !MOVED_REASONS.has(o.reason ?? '');

/** A new QEMU process for this VM: whatever the previous one left open is over, and its identity is stale. */
export function onProcessStart(ctx: Ctx, obs: ProcessLifecycleObservation): void {
  const { vm } = ctx;
  const session = vm.session;
  if (session && obs.time >= session.start) {
    addEvidence(session, obs, obs.time, 'process-start');
    if (session.outcome === 'in-progress') failSession(vm, 'failed', obs.time, ctx.effects);
    else closeSession(vm, ctx.effects);
  }
  vm.roleHint = null;
  vm.devices = dict();
  vm.qemuVersion = obs.qemuVersion ?? null;
  vm.process = obs.time;
  vm.restoring = vm.afterSave;
  vm.afterSave = false;
}

/**
 * `-incoming` on the command line: this process is the destination of one incoming migration, which
 * began when the process did (unless it is a `virsh restore`, which starts the same way).
 */
export function onIncoming(ctx: Ctx, obs: VmIdentityObservation): void {
  const { vm } = ctx;
  if (vm.restoring || (vm.session && vm.session.outcome === 'in-progress')) return;
  // The command line read after this process's migration events already opened its session.
  const current = vm.session ?? vm.lastClosed;
  if (current && current.role === 'destination' && vm.process !== null && current.start >= vm.process) return;
  if (vm.session) closeSession(vm, ctx.effects);
  openSession(ctx, obs, vm.process ?? obs.time);
  settleRole(vm, 'destination', ctx.config);
}

/** libvirt's `initiating migration` (source, just before `setup`): this process migrates out. */
export function onInitiated(ctx: Ctx, obs: ProcessLifecycleObservation): void {
  const { vm } = ctx;
  vm.restoring = false;
  // Read after the events of the migration it announces (the log is read later than the relay).
  const announced = [vm.session, vm.lastClosed].find(
    (s) =>
      s &&
      s.role === 'source' &&
      s.start >= obs.time - DUPLICATE_EVENT_MS &&
      s.start - obs.time <= INITIATED_LEAD_MS,
  );
  if (announced) {
    addEvidence(announced, obs);
    if (announced === vm.session) settleRole(vm, 'source', ctx.config);
    return;
  }
  let session: Session | null = vm.session;
  if (session && session.outcome === 'in-progress') {
    if (session.role === 'destination' && vm.roleSettled) {
      // The VM ran here and now migrates on: its incoming migration completed.
      if (knownFromLogOnly(session)) arrived(vm, ctx.effects);
      else setOutcome(session, 'completed', ctx.effects);
      closeSession(vm, ctx.effects);
      session = null;
    } else if (session.evidence.some((e) => e.kind === 'migration-initiated')) {
      // libvirt runs one migration job at a time: the earlier attempt ended without a trace here.
      failSession(vm, 'failed', obs.time, ctx.effects);
      session = null;
    }
  }
  // With libvirt's log alone (no QMP events) this line is where the source's migration starts.
  if (!session || session.outcome !== 'in-progress') {
    if (session) closeSession(vm, ctx.effects);
    session = openSession(ctx, obs);
  }
  addEvidence(session, obs);
  settleRole(vm, 'source', ctx.config);
}

/**
 * The QEMU process is gone (QMP SHUTDOWN, libvirt `shutting down`). An unfinished migration cannot
 * finish any more; a completed source has nothing left to report. A completed destination keeps its
 * window (its log lines may still be on their way through another input) unless its QEMU crashed in
 * it: then the VM runs nowhere.
 */
export function onExit(ctx: Ctx, obs: ShutdownObservation | ProcessLifecycleObservation): void {
  const { vm } = ctx;
  vm.roleHint = null;
  if (obs.kind === 'process-stop' && obs.reason === 'saved') markSaved(ctx, obs);
  const session = vm.session;
  if (!session || obs.time < session.start) return;
  addEvidence(session, obs, obs.time, 'process-exit');
  if (session.outcome === 'in-progress') {
    if (session.role === 'source' && obs.kind === 'process-stop' && obs.reason === 'migrated') {
      // libvirt stops a source with reason=migrated only after the migration succeeded: the end of a
      // migration whose QMP `completed` this host did not see (logs only, or the event input was down).
      session.end ??= Math.max(session.start, obs.time);
      endPhases(session, obs.time);
      setOutcome(session, 'completed', ctx.effects);
      closeSession(vm, ctx.effects);
    } else if (knownFromLogOnly(session) && !isCrash(obs) && RAN_REASONS.has(reason(obs))) {
      arrived(vm, ctx.effects);
      closeSession(vm, ctx.effects);
    } else failSession(vm, 'failed', obs.time, ctx.effects);
  } else if (session.role === 'source') closeSession(vm, ctx.effects);
  else if (
    isCrash(obs) &&
    obs.time <= (session.windowEnd ?? (session.end ?? session.start) + resumeWait(ctx.config))
  )
    lose(vm, obs.time, ctx.effects);
}

const reason = (o: ShutdownObservation | ProcessLifecycleObservation): string => o.reason ?? '';

/**
 * `virsh save`: QEMU streamed its state to a file through an outgoing migration, and libvirt stopped
 * it with `reason=saved`. That migration (a completed source session with no `initiating migration`:
 * libvirt logs that line for migrations only) was no migration; the next incoming process is a restore.
 */
function markSaved(ctx: Ctx, obs: ProcessLifecycleObservation): void {
  const { vm } = ctx;
  vm.afterSave = true;
  const s = vm.session ?? recentlyClosed(vm, obs.time, SAME_END_MS);
  if (!s || s.role !== 'source' || s.outcome !== 'completed') return;
  if (s.evidence.some((e) => e.kind === 'migration-initiated')) return;
  s.notMigration = 'save';
  ctx.effects.push({ kind: 'outcome', session: s });
}
