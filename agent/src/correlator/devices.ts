import type { VfioAttemptObservation, VfioStateObservation } from '@switchover/model';
import type { Ctx } from './context.js';
import { recordFailure } from './failures.js';
import { deviceName, laneOf, pushSegment } from './lanes.js';

export function onVfioAttempt(ctx: Ctx, obs: VfioAttemptObservation): void {
  if (!ctx.vm.session) return;
  ctx.vm.attempts[deviceName(ctx.vm, obs.device)] = obs.target;
}

/**
 * A state QEMU recorded. 9.1+ records RUNNING after resetting a device whose transition failed, so a
 * RUNNING right after an attempt at RUNNING_P2P (with no RUNNING_P2P recorded between) is a failure
 * at the P2P step, even when the error line itself was not collected.
 */
export function onVfioState(ctx: Ctx, obs: VfioStateObservation): void {
  const { vm } = ctx;
  const session = vm.session;
  if (!session || obs.time < session.start) return;
  if (session.windowEnd !== null && obs.time > session.windowEnd) return;
  const device = deviceName(vm, obs.device);
  const attempted = vm.attempts[device];
  delete vm.attempts[device];
  const p2pFailed = attempted === 'RUNNING_P2P' && obs.state === 'RUNNING';
  pushSegment(laneOf(session, device), { state: obs.state, start: obs.time, source: obs.via });
  ctx.effects.push({
    kind: 'device-state',
    session,
    device,
    state: obs.state,
    ok: !p2pFailed,
    observation: obs,
  });
  if (p2pFailed) {
    recordFailure(
      ctx,
      obs,
      {
        device,
        target: 'RUNNING_P2P',
        time: obs.time,
        raw: obs.raw ?? `${device}: RUNNING recorded after an attempt at RUNNING_P2P`,
        fatal: false,
        origin: obs.origin,
      },
      { inferred: true },
    );
  }
}
