import type {
  MigrationStatusObservation,
  ProcessLifecycleObservation,
  VfioFailureObservation,
} from '@switchover/model';
import type { Ctx } from './context.js';
import { onProcessStart } from './process.js';
import { openSession } from './migration.js';
import { settleRole } from './role.js';
import { addEvidence, enterPhase, hasDeviceFailure, setOutcome } from './session-edit.js';

/**
 * Destinations seen only through their process (Proxmox VE: the target node's journal has the
 * `qm start --migratedfrom` line, QEMU's stderr and the scope's end, but no migration events).
 * The session opens when the incoming QEMU starts; what QEMU never reports there is inferred from
 * how an incoming QEMU works:
 * - it starts its vCPUs (and the VFIO devices' RESUMING→RUNNING transition) only after the
 *   incoming migration completed, so a failure to reach RUNNING/RUNNING_P2P means `completed`,
 *   with RESUME at the failure;
 * - qemu-server resumes the target right after the migration completed, so a completion learnt
 *   from elsewhere (the config moving to this node) is also where the attribution window starts.
 * Nothing here runs for sessions opened by migration events.
 */
export function onIncomingStart(ctx: Ctx, obs: ProcessLifecycleObservation): void {
  onProcessStart(ctx, obs);
  const session = openSession(ctx, obs);
  settleRole(ctx.vm, 'destination', ctx.config);
  ctx.vm.incomingProcess = true;
  addEvidence(session, obs, obs.time, 'process-start');
}

const STARTS_VM = new Set<string | undefined>(['RUNNING', 'RUNNING_P2P']);

/** After `onVfioFailure`: a start failure of an incoming process's device completes the migration. */
export function afterIncomingFailure(ctx: Ctx, obs: VfioFailureObservation): void {
  const { vm } = ctx;
  const session = vm.session;
  if (!vm.incomingProcess || !session || session.role !== 'destination') return;
  if (session.outcome !== 'in-progress' || !STARTS_VM.has(obs.target) || !hasDeviceFailure(session)) return;
  const lane = session.devices.find((d) => d.failure !== undefined);
  const time = lane?.failure?.time ?? obs.time;
  session.end = Math.max(session.start, time);
  session.resumeTime ??= session.end;
  session.windowEnd = session.resumeTime + ctx.config.windowMs;
  enterPhase(session, 'completed', session.end, ctx.effects);
  setOutcome(session, 'completed-with-device-failure', ctx.effects);
}

/** After `onStatus`: an incoming process's completion is also its RESUME (qemu-server resumes at once). */
export function afterIncomingStatus(ctx: Ctx, obs: MigrationStatusObservation): void {
  const { vm } = ctx;
  const session = vm.session;
  if (!vm.incomingProcess || !session || obs.status !== 'completed') return;
  if (session.role !== 'destination' || session.end === null || session.resumeTime !== null) return;
  session.resumeTime = session.end;
  session.windowEnd = session.end + ctx.config.windowMs;
}
