import type { Observation, Session } from '@switchover/model';
import type { Ctx } from './context.js';
import { onVfioAttempt, onVfioState } from './devices.js';
import { claimPending, onVfioFailure } from './failures.js';
import { afterIncomingFailure, afterIncomingStatus, onIncomingStart } from './incoming.js';
import { onIdentity, onLoadFailure, onQemuError, onResume, onStop } from './lifecycle.js';
import { onExit, onInitiated, onProcessStart } from './process.js';
import { onInfo, onPass, onPeer, onReturnPath, onStatus } from './migration.js';

import {
  DEFAULT_CORRELATOR_CONFIG,
  type CorrelatorConfig,
  type CorrelatorInput,
  type CorrelatorState,
  type Effect,
  type TransitionResult,
} from './types.js';
import { capVms, normalizeState, vmFor } from './vms.js';
import { closeDeadline, closeFinished, expire, noteDeadline, prunePending } from './window.js';

function dispatch(ctx: Ctx, obs: Observation): void {
  switch (obs.kind) {
    case 'migration-status':
      onStatus(ctx, obs);
      return afterIncomingStatus(ctx, obs);
    case 'migration-pass':
      return onPass(ctx, obs);
    case 'vm-stop':
      return onStop(ctx, obs);
    case 'vm-resume':
      return onResume(ctx, obs);
    case 'shutdown':
    case 'process-stop':
      return onExit(ctx, obs);
    case 'process-start':
      return obs.incoming === true ? onIncomingStart(ctx, obs) : onProcessStart(ctx, obs);
    case 'migration-initiated':
      return onInitiated(ctx, obs);
    case 'vm-identity':
      return onIdentity(ctx, obs);
    case 'vfio-state':
      return onVfioState(ctx, obs);
    case 'vfio-attempt':
      return onVfioAttempt(ctx, obs);
    case 'vfio-failure':
      onVfioFailure(ctx, obs);
      return afterIncomingFailure(ctx, obs);
    case 'load-failure':
      return onLoadFailure(ctx, obs);
    case 'return-path':
      return onReturnPath(ctx, obs);
    case 'migration-info':
      return onInfo(ctx, obs);
    case 'migration-peer':
      return onPeer(ctx, obs);
    case 'qemu-error':
      return onQemuError(ctx, obs);
    default: {
      // Compile-time exhaustiveness; at run time an unknown kind (an old recorder file) is skipped.
      const unhandled: never = obs;
      void unhandled;
      return;
    }
  }
}

/**
 * `(state, input, now) -> (state, effects)`. Pure apart from updating `state` in place (the same
 * object is returned); `now` is the only clock. Live, `now` is the agent's wall clock and a `tick`
 * comes every second or so; offline, pass the observation's own time and call `flush` at the end.
 * The observation is applied first (attribution uses its own time), then windows that `now` has
 * passed are closed, so a line that arrives late but was printed inside the window still counts.
 */
export function transition(
  state: CorrelatorState,
  input: CorrelatorInput,
  now: number,
  config: CorrelatorConfig = DEFAULT_CORRELATOR_CONFIG,
): TransitionResult {
  if (state.seq === undefined) normalizeState(state);
  state.seq += 1;
  const effects: Effect[] = [];
  if (input.kind === 'observation') {
    const obs = input.observation;
    const ctx: Ctx = { state, vm: vmFor(state, obs), now, config, effects };
    dispatch(ctx, obs);
    claimPending(ctx);
    noteDeadline(state, ctx.vm, config);
    capVms(state, config);
  }
  expire(state, now, config, effects);
  prunePending(state, now, effects);
  return { state, effects };
}

export interface FlushResult extends TransitionResult {
  /** Sessions still in progress at the end of the input: left open, for `review` to print as such. */
  open: Session[];
}

/**
 * End of input (offline review): as if time ran to +∞. Finished sessions close (destination windows
 * elapse, sources stop waiting for their reply), pending lines are old incidents, and unfinished
 * sessions stay open and are returned.
 */
export function flush(
  state: CorrelatorState,
  now: number,
  config: CorrelatorConfig = DEFAULT_CORRELATOR_CONFIG,
): FlushResult {
  void now; // the end of input is +∞ whatever the clock says
  if (state.seq === undefined) normalizeState(state);
  const effects: Effect[] = [];
  const open: Session[] = [];
  for (const vm of Object.values(state.vms)) {
    if (!vm.session) continue;
    if (closeDeadline(vm, config) !== null) closeFinished(vm, effects);
    else open.push(vm.session);
  }
  for (const { obs } of state.pending)
    effects.push({ kind: 'unattributed', observation: obs, reason: 'outside-window' });
  state.pending = [];
  return { state, effects, open };
}
