import {
  dict,
  type LoadFailureObservation,
  type ProcessLifecycleObservation,
  type QemuErrorObservation,
  type RunStateObservation,
  type ShutdownObservation,
  type VmIdentityObservation,
} from '@switchover/model';
import type { Ctx } from './context.js';
import { claimPending, retimeUntimed } from './failures.js';
import { applyRole, roleHintOf, settleRole } from './role.js';
import { openSession } from './migration.js';
import {
  addEvidence,
  closeSession,
  endPhases,
  failSession,
  recentlyClosed,
  setOutcome,
} from './session-edit.js';
import { DUPLICATE_EVENT_MS, SAME_END_MS } from './types.js';

/** STOP inside a running migration: the source stopping its vCPUs for switchover (a `-S` destination never stops). */
export function onStop(ctx: Ctx, obs: RunStateObservation): void {
  const session = ctx.vm.session;
  if (!session || session.outcome !== 'in-progress' || obs.time < session.start) return;
  session.stopTime ??= obs.time;
  addEvidence(session, obs);
  settleRole(ctx.vm, 'source', ctx.config);
}

/**
 * RESUME after the start: a destination starting the VM, either in the incoming bottom half just
 * before `completed` (no `-S`) or at libvirt's `cont` after it. It opens the last stretch of the
 * attribution window (RESUME is emitted before the VFIO handlers run).
 */
export function onResume(ctx: Ctx, obs: RunStateObservation): void {
  const { vm } = ctx;
  const session = vm.session;
  if (!session || obs.time < session.start) return;
  // The same RESUME through a second input (QMP and virsh, or two virsh captures: virsh's receive time
  // trails QEMU's by a few ms) is one event, not two.
  if (session.resumeTime !== null && Math.abs(obs.time - session.resumeTime) <= DUPLICATE_EVENT_MS) return;
  addEvidence(session, obs);
  if (session.resumeTime !== null) return;
  session.resumeTime = obs.time;
  settleRole(vm, 'destination', ctx.config);
  if (session.role !== 'destination') return;
  session.windowEnd = obs.time + ctx.config.windowMs;
  retimeUntimed(ctx);
}

/**
 * The QEMU process is gone (QMP SHUTDOWN, libvirt `shutting down`). An unfinished migration cannot
 * finish any more; a completed source has nothing left to report. A completed destination keeps its
 * window: its log lines may still be on their way through another input.
 */
export function onExit(ctx: Ctx, obs: ShutdownObservation | ProcessLifecycleObservation): void {
  const { vm } = ctx;
  vm.roleHint = null;
  const session = vm.session;
  if (!session || obs.time < session.start) return;
  addEvidence(session, obs, obs.time, 'process-exit');
  if (session.outcome === 'in-progress' && session.role === 'source' && isMigratedAway(obs)) {
    // libvirt stops a source with reason=migrated only after the migration succeeded: the end of a
    // migration whose QMP `completed` this host did not see (logs only, or the event input was down).
    session.end ??= Math.max(session.start, obs.time);
    endPhases(session, obs.time);
    setOutcome(session, 'completed', ctx.effects);
    closeSession(vm, ctx.effects);
  } else if (session.outcome === 'in-progress') failSession(vm, 'failed', obs.time, ctx.effects);
  else if (session.role === 'source') closeSession(vm, ctx.effects);
}

const isMigratedAway = (o: ShutdownObservation | ProcessLifecycleObservation): boolean =>
  o.kind === 'process-stop' && o.reason === 'migrated';

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
}

export function onIdentity(ctx: Ctx, obs: VmIdentityObservation): void {
  const { vm } = ctx;
  if (obs.qemuVersion) vm.qemuVersion = obs.qemuVersion;
  if (obs.devices) vm.devices = dict([...Object.entries(vm.devices), ...Object.entries(obs.devices)]);
  const hint = roleHintOf(obs);
  if (hint) vm.roleHint = hint;
  const session = vm.session;
  if (!session) return;
  session.qemuVersion ??= vm.qemuVersion;
  // A hint only steers a guessed role while the migration runs: after completion a destination
  // reports `running` like any source.
  if (hint && !vm.roleSettled && session.outcome === 'in-progress') {
    applyRole(vm, hint, ctx.config);
    claimPending(ctx);
  }
}

/** libvirt's `initiating migration` (source, just before `setup`). */
export function onInitiated(ctx: Ctx, obs: ProcessLifecycleObservation): void {
  let session = ctx.vm.session;
  // With libvirt's log alone (no QMP events) this line is where the source's migration starts.
  if (!session || session.outcome !== 'in-progress') {
    if (session) closeSession(ctx.vm, ctx.effects);
    session = openSession(ctx, obs);
  }
  addEvidence(session, obs);
  settleRole(ctx.vm, 'source', ctx.config);
}

/**
 * The destination could not load the stream. Detail lines are evidence; the final line fails the
 * side. QEMU 7.2 prints the final line just before `MIGRATION failed`; other versions may print it
 * just after, so a line right after the close is added to the closed session (and `outcome` re-emitted).
 */
export function onLoadFailure(ctx: Ctx, obs: LoadFailureObservation): void {
  const { vm } = ctx;
  const session = vm.session;
  if (session && session.outcome === 'in-progress' && obs.time >= session.start) {
    settleRole(vm, 'destination', ctx.config);
    addEvidence(session, obs);
    if (obs.final) failSession(vm, 'failed', obs.time, ctx.effects);
    return;
  }
  const last = session ? null : recentlyClosed(vm, obs.time, SAME_END_MS);
  if (last) {
    addEvidence(last, obs);
    ctx.effects.push({ kind: 'outcome', session: last });
  }
}

/** Any other QEMU error during (or right at the end of) a session: evidence. */
export function onQemuError(ctx: Ctx, obs: QemuErrorObservation): void {
  const session = ctx.vm.session ?? recentlyClosed(ctx.vm, obs.time, SAME_END_MS);
  if (!session || obs.time < session.start) return;
  addEvidence(session, obs);
  ctx.effects.push({ kind: 'qemu-error', session, observation: obs });
}
