import type { Observation, Session } from '@switchover/model';
import { arrived, closeSession, failSession, fatalFailure, knownFromLogOnly } from './session-edit.js';
import {
  PENDING_GRACE_MS,
  SOURCE_CLOSE_DELAY_MS,
  type CorrelatorConfig,
  type CorrelatorState,
  type Effect,
  type PendingLine,
  type VmState,
} from './types.js';

/**
 * The latest moment the line can have been printed. Exact lines are points; an untimed line placed
 * between timestamped neighbours (`bounded`) may be anywhere up to its later neighbour, or anywhere
 * after its earlier one when nothing timed follows it.
 */
export function latestOf(obs: Observation): number {
  if (obs.timeSource !== 'bounded') return obs.time;
  return obs.latest ?? Number.POSITIVE_INFINITY;
}

/**
 * Whether the line can belong to this destination's attribution window: its interval
 * `[time, latest]` must overlap `[start, windowEnd]` (windowEnd unknown = still open).
 */
export function fitsWindow(session: Session, obs: Observation): boolean {
  if (session.role !== 'destination') return false;
  const windowEnd = session.windowEnd ?? Number.POSITIVE_INFINITY;
  return obs.time <= windowEnd && latestOf(obs) >= session.start;
}

/** Whether a bounded line can still be claimed by a window that opens later. */
const stillClaimable = (obs: Observation, now: number): boolean =>
  obs.timeSource === 'bounded' &&
  (obs.latest === null || obs.latest === undefined || obs.latest >= now - PENDING_GRACE_MS);

/**
 * A failure line that fits no open window. Offline, an untimed line may precede (in the merged
 * input) the migration it belongs to, so it waits in `pending`; anything that cannot belong to a
 * later window is an old incident and is reported as such, never attributed.
 */
export function parkOrReject(
  state: CorrelatorState,
  obs: Observation,
  process: number | null,
  now: number,
  config: CorrelatorConfig,
  effects: Effect[],
): void {
  if (!stillClaimable(obs, now)) {
    effects.push({ kind: 'unattributed', observation: obs, reason: 'outside-window' });
    return;
  }
  state.pending.push({ obs, process });
  while (state.pending.length > Math.max(0, config.maxPending)) {
    const dropped = state.pending.shift();
    if (dropped) effects.push({ kind: 'unattributed', observation: dropped.obs, reason: 'pending-full' });
  }
}

/** Pending lines whose latest possible time has passed can no longer be claimed. */
export function prunePending(state: CorrelatorState, now: number, effects: Effect[]): void {
  if (state.pending.length === 0) return;
  const keep: PendingLine[] = [];
  for (const p of state.pending) {
    if (stillClaimable(p.obs, now)) keep.push(p);
    else effects.push({ kind: 'unattributed', observation: p.obs, reason: 'outside-window' });
  }
  state.pending = keep;
}

/**
 * When the VM's session may close, in `now` terms; null while it is in progress (nothing closes an
 * unfinished migration but its own end, a process exit, or eviction). A destination known only from
 * its domain log never sees its own end: it is given `resumeWaitMs` from its QEMU's start.
 */
export function closeDeadline(vm: VmState, config: CorrelatorConfig): number | null {
  const s = vm.session;
  if (s && s.outcome === 'in-progress' && fatalFailure(s)) return vm.closeAt;
  if (s && s.outcome === 'in-progress' && knownFromLogOnly(s)) return s.start + config.resumeWaitMs;
  if (!s || s.outcome === 'in-progress') return null;
  if (s.outcome === 'failed' || s.outcome === 'cancelled' || s.outcome === 'lost')
    return Number.NEGATIVE_INFINITY;
  const end = s.end ?? s.start;
  if (s.role === 'source') return vm.closeAt ?? end + SOURCE_CLOSE_DELAY_MS;
  return s.windowEnd ?? end + resumeWait(config);
}

/** How long a completed destination waits for its RESUME before its window ends anyway. */
export const resumeWait = (config: CorrelatorConfig): number =>
  config.resumeObservable ? config.resumeWaitMs : config.windowMs;

/**
 * A lower bound of every open session's close deadline, per state. `expire` runs on every input, and
 * walking every VM each time costs, on a host with 500 VMs, 500 checks and a key list per line. A
 * deadline moves only through its own VM's inputs (`noteDeadline` after each) and goes away when the
 * session closes or is evicted (the bound stays a lower bound); a state without a bound (new, or
 * restored from a snapshot) is walked once to get one.
 */
const earliestDeadline = new WeakMap<CorrelatorState, number>();

/** After an input to `vm`: its deadline may be earlier than every other. */
export function noteDeadline(state: CorrelatorState, vm: VmState, config: CorrelatorConfig): void {
  const bound = earliestDeadline.get(state);
  if (bound === undefined) return;
  const d = closeDeadline(vm, config);
  if (d !== null && d < bound) earliestDeadline.set(state, d);
}

/** Close every finished session whose window (destination) or reply grace (source) has elapsed. */
export function expire(
  state: CorrelatorState,
  now: number,
  config: CorrelatorConfig,
  effects: Effect[],
): void {
  const bound = earliestDeadline.get(state);
  if (bound !== undefined && now < bound) return;
  let next = Number.POSITIVE_INFINITY;
  for (const name in state.vms) {
    const vm = state.vms[name];
    if (!vm) continue;
    const deadline = closeDeadline(vm, config);
    if (deadline === null) continue;
    if (now >= deadline) closeFinished(vm, effects);
    else if (deadline < next) next = deadline;
  }
  earliestDeadline.set(state, next);
}

/** Close a session whose time is up; a log-only destination arrived if nothing said otherwise. */
export function closeFinished(vm: VmState, effects: Effect[]): void {
  const s = vm.session;
  const fatal = s && s.outcome === 'in-progress' ? fatalFailure(s) : undefined;
  // QEMU aborted and nothing told when it died or whether the migration had completed first.
  if (fatal) return failSession(vm, 'failed', fatal.time, effects);
  if (s && s.outcome === 'in-progress' && knownFromLogOnly(s)) arrived(vm, effects);
  closeSession(vm, effects);
}
