import { dict, toDict, type Observation } from '@switchover/model';
import {
  VM_STATES_PER_SESSION,
  type CorrelatorConfig,
  type CorrelatorState,
  type Effect,
  type VmState,
} from './types.js';

export function initialState(): CorrelatorState {
  return { vms: dict(), pending: [], seq: 0 };
}

function emptyVm(name: string): VmState {
  return {
    vm: { name },
    qemuVersion: null,
    roleHint: null,
    devices: dict(),
    session: null,
    roleSettled: false,
    evidenceRole: null,
    lastSeen: 0,
    lastClosed: null,
    closeAt: null,
    attempts: dict(),
    untimedFailures: dict(),
    process: null,
    afterSave: false,
    restoring: false,
    pendingPeer: null,
    incomingProcess: false,
  };
}

/**
 * A state restored from an older snapshot may lack fields added since; fill them so a restart never
 * trips over a missing member (the recorder persists whatever shape was current when it wrote).
 */
export function normalizeState(state: CorrelatorState): CorrelatorState {
  // Snapshots before pending lines carried their process held bare observations.
  state.pending = (state.pending ?? []).map((p) =>
    'obs' in p ? p : { obs: p as unknown as Observation, process: null },
  );
  state.seq ??= 0;
  // VM and device names are keys: a snapshot parsed from JSON holds them on plain objects, where
  // `__proto__` or `constructor` would not read back as data. Rebuild every name-keyed dictionary.
  state.vms = toDict(state.vms, (v, name) => {
    const vm = { ...emptyVm(name), ...(v as Partial<VmState>) };
    vm.devices = toDict(vm.devices);
    vm.attempts = toDict(vm.attempts);
    vm.untimedFailures = toDict(vm.untimedFailures);
    return vm;
  });
  return state;
}

/** The VM's state, created on first sight; keeps the UUID the observation carries. */
export function vmFor(state: CorrelatorState, obs: Observation): VmState {
  const name = obs.vm.name;
  let vm = state.vms[name];
  if (!vm) {
    vm = emptyVm(name);
    state.vms[name] = vm;
    const n = vmCounts.get(state.vms);
    if (n !== undefined) vmCounts.set(state.vms, n + 1);
  }
  vm.lastSeen = state.seq;
  if (obs.vm.uuid && !vm.vm.uuid) vm.vm.uuid = obs.vm.uuid;
  if (vm.session && vm.session.vmUuid === null && vm.vm.uuid) vm.session.vmUuid = vm.vm.uuid;
  return vm;
}

/**
 * Make room for one more session: beyond `maxOpenSessions` the session that started first is dropped
 * (a host cannot really run that many migrations; this guards against a flood of bogus input).
 */
export function evictForNewSession(
  state: CorrelatorState,
  config: CorrelatorConfig,
  effects: Effect[],
): void {
  let open = Object.values(state.vms).filter((v) => v.session !== null);
  while (open.length >= Math.max(1, config.maxOpenSessions)) {
    const oldest = open.reduce((a, b) => ((a.session?.start ?? 0) <= (b.session?.start ?? 0) ? a : b));
    const session = oldest.session;
    if (!session) break;
    oldest.session = null;
    resetSessionScratch(oldest);
    effects.push({ kind: 'session-evicted', session });
    open = open.filter((v) => v !== oldest);
  }
}

/** Per-session scratch that must not leak into the VM's next session. */
export function resetSessionScratch(vm: VmState): void {
  vm.roleSettled = false;
  vm.evidenceRole = null;
  vm.closeAt = null;
  vm.attempts = dict();
  vm.untimedFailures = dict();
  vm.incomingProcess = false;
}

/** How many VMs each state's table holds, so that the per-input cap check need not count them. */
const vmCounts = new WeakMap<CorrelatorState['vms'], number>();

/** Drop the least recently seen VMs without a session once there are too many (identity is cheap, not free). */
export function capVms(state: CorrelatorState, config: CorrelatorConfig): void {
  const max = Math.max(1, config.maxOpenSessions) * VM_STATES_PER_SESSION;
  // Runs on every input: the count is kept (vmFor adds, this removes) rather than recounted.
  let count = vmCounts.get(state.vms);
  if (count === undefined) {
    count = Object.keys(state.vms).length;
    vmCounts.set(state.vms, count);
  }
  if (count <= max) return;
  const names = Object.keys(state.vms);
  const idle = names
    .filter((n) => state.vms[n]?.session === null)
    .sort((a, b) => (state.vms[a]?.lastSeen ?? 0) - (state.vms[b]?.lastSeen ?? 0));
  // Trim to 90 % so a steady stream of new names does not sort the table on every input.
  const target = Math.floor(max * 0.9);
  for (const name of idle.slice(0, names.length - target)) delete state.vms[name];
  vmCounts.set(state.vms, Object.keys(state.vms).length);
}
