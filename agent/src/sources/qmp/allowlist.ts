import { QmpForbiddenCommandError } from './errors.js';

/**
 * The agent never changes a VM (DESIGN.md, safety rules): only these commands may reach a socket.
 * `qom-get` only calls property getters, and vfio-pci's getters only read.
 */
const EXACT = new Set(['qmp_capabilities', 'qom-list', 'qom-get']);

export function isReadOnlyCommand(command: string): boolean {
  return EXACT.has(command) || /^query-[a-z0-9-]+$/.test(command);
}

/** Throws `QmpForbiddenCommandError` for anything outside the allowlist. */
export function assertReadOnly(command: string): void {
  if (!isReadOnlyCommand(command)) throw new QmpForbiddenCommandError(command);
}
