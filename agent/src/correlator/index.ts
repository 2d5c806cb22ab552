/**
 * The correlator: a pure state machine from observations to session effects (see transition.ts).
 * One state per host: VMs are keyed by name alone (libvirt names are unique per host), so an offline
 * review of two hosts runs one state for each and pairs the sessions afterwards (`pairSessions`).
 */
export { transition, flush, type FlushResult } from './transition.js';
export { initialState, normalizeState } from './vms.js';
export * from './types.js';
