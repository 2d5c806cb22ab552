import type { Role, VmIdentityObservation } from '@switchover/model';
import type { CorrelatorConfig, VmState } from './types.js';

/**
 * The role a new session starts with: evidence seen before it opened, else the identity hint, else
 * a provisional `destination`. A 7.2–8.1 destination goes straight to `active` with nothing else to
 * tell it apart, while a source always emits `MIGRATION_PASS` right after `setup`, so guessing
 * destination is the guess the next few events correct.
 */
export function initialRole(vm: VmState): { role: Role; settled: boolean } {
  if (vm.evidenceRole) return { role: vm.evidenceRole, settled: true };
  return { role: vm.roleHint ?? 'destination', settled: false };
}

/** Change the open session's role, keeping the window consistent (only destinations have one). */
export function applyRole(vm: VmState, role: Role, config: CorrelatorConfig): void {
  const session = vm.session;
  if (!session || session.role === role) return;
  session.role = role;
  session.windowEnd =
    role === 'destination' && session.resumeTime !== null ? session.resumeTime + config.windowMs : null;
}

/**
 * Evidence of the role. The first piece settles a guessed role; later pieces do not flip it back and
 * forth, except `definitive` evidence (`MIGRATION_PASS` exists only on a source).
 */
export function settleRole(vm: VmState, role: Role, config: CorrelatorConfig, definitive = false): void {
  if (!vm.session) {
    vm.evidenceRole = role;
    return;
  }
  if (vm.roleSettled && !definitive) return;
  vm.roleSettled = true;
  applyRole(vm, role, config);
}

/** What identity says about the role of this QEMU process, if anything. */
export function roleHintOf(obs: VmIdentityObservation): Role | null {
  if (obs.incoming === true) return 'destination';
  if (obs.runState === 'inmigrate') return 'destination';
  if (obs.runState === 'running') return 'source';
  // A process started without `-incoming` can never receive a migration.
  if (obs.incoming === false && obs.runState === undefined) return 'source';
  return null;
}
