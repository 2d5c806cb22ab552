import type { DeviceFailure, Observation, Session, VfioFailureObservation } from '@switchover/model';
import type { Ctx } from './context.js';
import { deviceName, laneOf, pushSegment } from './lanes.js';
import { settleRole } from './role.js';
import { addEvidence, failSession, lose, setOutcome } from './session-edit.js';
import { SAME_END_MS } from './types.js';
import { fitsWindow, latestOf, parkOrReject } from './window.js';

/** Forms after which QEMU reset the device and recorded it RUNNING; the others leave its state unknown. */
const RESET_FORMS = new Set(['errno-9.1', 'err-8.0']);

/**
 * When an untimed line most likely happened inside the session. A failure to reach RUNNING(_P2P)
 * happens while the VM starts, i.e. at or just after RESUME (QEMU emits RESUME before the VFIO
 * handlers run), so when RESUME lies inside the line's bounds the failure is placed there.
 */
function effectiveTime(session: Session, obs: Observation, target: string | undefined): number {
  if (obs.timeSource !== 'bounded') return obs.time;
  let time = Math.max(obs.time, session.start);
  const resume = session.resumeTime;
  const startsVm = target === undefined || target === 'RUNNING' || target === 'RUNNING_P2P';
  if (startsVm && resume !== null && resume >= time && resume <= latestOf(obs)) time = resume;
  return time;
}

/**
 * Record a device failure on the VM's session. One `device-failure` per device per session (a 7.2
 * `Failed to set device state` line followed by `hardware error` is one incident); a fatal failure
 * (QEMU aborts) makes the side `failed` and closes it.
 */
export function recordFailure(
  ctx: Ctx,
  obs: Observation,
  failure: DeviceFailure,
  opts: { inferred?: boolean; form?: string } = {},
): void {
  const { vm, effects } = ctx;
  const session = vm.session;
  if (!session) return;
  const time = failure.time;
  const lane = laneOf(session, failure.device);
  const first = lane.failure === undefined;
  if (first) lane.failure = failure;
  else if (failure.fatal && lane.failure) lane.failure.fatal = true;
  if (!opts.inferred) {
    const reset = !failure.fatal && opts.form !== undefined && RESET_FORMS.has(opts.form);
    pushSegment(lane, { state: reset ? 'RUNNING' : 'UNKNOWN', start: time, source: 'failure-line' });
    effects.push({
      kind: 'device-state',
      session,
      device: failure.device,
      state: failure.target ?? 'ERROR',
      ok: false,
      observation: obs,
    });
  }
  addEvidence(session, obs, time, 'vfio-failure');
  if (obs.timeSource === 'bounded') vm.untimedFailures[failure.device] = obs.latest ?? null;
  if (session.role === 'destination' && first)
    effects.push({ kind: 'device-failure', session, failure, observation: obs });
  if (failure.fatal) {
    // QEMU aborts after this line. A destination that completed is lost. Otherwise what QEMU's end
    // looks like decides (libvirt's `shutting down`, the `completed` a slower input still brings): an
    // untimed line may even have been read before the completion it followed. Without news by
    // shortly after the line's latest possible time, the side failed.
    if (session.role === 'destination' && session.outcome.startsWith('completed')) lose(vm, time, effects);
    else if (session.role === 'destination')
      vm.closeAt ??= (obs.timeSource === 'bounded' ? (obs.latest ?? ctx.now) : ctx.now) + SAME_END_MS;
    else failSession(vm, 'failed', time, effects);
    return;
  }
  if (session.role === 'destination' && session.outcome === 'completed')
    setOutcome(session, 'completed-with-device-failure', effects);
}

function toFailure(ctx: Ctx, session: Session, obs: VfioFailureObservation): DeviceFailure {
  const failure: DeviceFailure = {
    device: deviceName(ctx.vm, obs.device),
    time: effectiveTime(session, obs, obs.target),
    raw: obs.raw ?? `${obs.device}: device state failure`,
    fatal: obs.fatal,
    origin: obs.origin,
  };
  if (obs.target !== undefined) failure.target = obs.target;
  if (obs.error !== undefined) failure.error = obs.error;
  return failure;
}

const fitsSource = (session: Session, obs: Observation): boolean =>
  session.role === 'source' && latestOf(obs) >= session.start;

export function onVfioFailure(ctx: Ctx, obs: VfioFailureObservation): void {
  const { vm } = ctx;
  const session = vm.session;
  // A failure to start a device (RUNNING / RUNNING_P2P) is what a destination does at VM start.
  if (
    session &&
    latestOf(obs) >= session.start &&
    (obs.target === 'RUNNING' || obs.target === 'RUNNING_P2P')
  ) {
    settleRole(vm, 'destination', ctx.config);
  }
  if (session && (fitsWindow(session, obs) || fitsSource(session, obs))) {
    recordFailure(ctx, obs, toFailure(ctx, session, obs), { form: obs.form });
    return;
  }
  parkOrReject(ctx.state, obs, vm.process, ctx.now, ctx.config, ctx.effects);
}

/**
 * Claim pending untimed lines of this VM that fit the (destination) session's window and were
 * printed by this session's QEMU process (a line of an earlier process is an old incident).
 */
export function claimPending(ctx: Ctx): void {
  const session = ctx.vm.session;
  if (!session || session.role !== 'destination' || ctx.state.pending.length === 0) return;
  const { name } = ctx.vm.vm;
  const { process } = ctx.vm;
  const claimed: VfioFailureObservation[] = [];
  ctx.state.pending = ctx.state.pending.filter(({ obs, process: printedBy }) => {
    if (obs.kind !== 'vfio-failure' || obs.vm.name !== name || !fitsWindow(session, obs)) return true;
    if (printedBy !== null && process !== null && printedBy !== process) return true;
    claimed.push(obs);
    return false;
  });
  for (const obs of claimed) {
    if (ctx.vm.session !== session) break; // a fatal claim closed it
    recordFailure(ctx, obs, toFailure(ctx, session, obs), { form: obs.form });
  }
}

/** RESUME became known after untimed failures were placed: move them to RESUME when their bounds allow it. */
export function retimeUntimed(ctx: Ctx): void {
  const session = ctx.vm.session;
  const resume = session?.resumeTime ?? null;
  if (!session || resume === null) return;
  for (const [device, latest] of Object.entries(ctx.vm.untimedFailures)) {
    const lane = session.devices.find((d) => d.device === device);
    const failure = lane?.failure;
    if (!lane || !failure || failure.time >= resume || (latest !== null && resume > latest)) continue;
    const old = failure.time;
    failure.time = resume;
    for (const seg of lane.segments)
      if (seg.source === 'failure-line' && seg.start === old) seg.start = resume;
    for (const ev of session.evidence)
      if (ev.kind === 'vfio-failure' && ev.time === old && ev.text === failure.raw) ev.time = resume;
    // Segments before the failure must not end after it.
    const idx = lane.segments.findIndex((s) => s.source === 'failure-line' && s.start === resume);
    const prev = idx > 0 ? lane.segments[idx - 1] : undefined;
    if (prev && prev.end !== null && prev.end === old) prev.end = resume;
  }
}
