/** The correlator: a pure state machine from observations to session effects (see transition.ts). */
export { transition, flush, type FlushResult } from './transition.js';
export { initialState, normalizeState } from './vms.js';
export * from './types.js';
