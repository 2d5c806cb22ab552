import {
  dict,
  type LoadFailureObservation,
  type QemuErrorObservation,
  type RunStateObservation,
  type VmIdentityObservation,
} from '@switchover/model';
import type { Ctx } from './context.js';
import { claimPending, retimeUntimed } from './failures.js';
import { applyRole, roleHintOf, settleRole } from './role.js';
import { onIncoming } from './process.js';
import { addEvidence, failSession, recentlyClosed } from './session-edit.js';
import { DUPLICATE_EVENT_MS, ROLLBACK_MS, SAME_END_MS } from './types.js';

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
  if (!session) return onLateResume(ctx, obs);
  if (obs.time < session.start) return;
  // The same RESUME through a second input (QMP and virsh, or two virsh captures: virsh's receive time
  // trails QEMU's by a few ms) is one event, not two.
  if (session.resumeTime !== null && Math.abs(obs.time - session.resumeTime) <= DUPLICATE_EVENT_MS) return;
  addEvidence(session, obs);
  if (session.resumeTime !== null) return;
  session.resumeTime = obs.time;
  settleRole(vm, 'destination', ctx.config);
  if (session.role !== 'destination') {
    // A completed source running again: libvirt rolled the switchover back (its Finish on the
    // destination failed), so the VM stays here.
    if (session.outcome === 'completed') ctx.effects.push({ kind: 'outcome', session });
    return;
  }
  session.windowEnd = obs.time + ctx.config.windowMs;
  retimeUntimed(ctx);
}

/** RESUME after the completed source session already closed (its `query-migrate` reply came first). */
function onLateResume(ctx: Ctx, obs: RunStateObservation): void {
  const last = ctx.vm.lastClosed;
  if (!last || last.role !== 'source' || last.outcome !== 'completed' || last.resumeTime !== null) return;
  if (last.end === null || obs.time < last.end || obs.time - last.end > ROLLBACK_MS) return;
  last.resumeTime = obs.time;
  addEvidence(last, obs);
  ctx.effects.push({ kind: 'outcome', session: last });
}

export function onIdentity(ctx: Ctx, obs: VmIdentityObservation): void {
  const { vm } = ctx;
  if (obs.qemuVersion) vm.qemuVersion = obs.qemuVersion;
  if (obs.devices) vm.devices = dict([...Object.entries(vm.devices), ...Object.entries(obs.devices)]);
  const hint = roleHintOf(obs);
  if (hint) vm.roleHint = hint;
  if (obs.incoming === true) onIncoming(ctx, obs);
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
