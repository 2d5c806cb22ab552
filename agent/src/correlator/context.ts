import type { CorrelatorConfig, CorrelatorState, Effect, VmState } from './types.js';

/** What every observation handler works on: one input, one VM, the effects collected so far. */
export interface Ctx {
  state: CorrelatorState;
  vm: VmState;
  now: number;
  config: CorrelatorConfig;
  effects: Effect[];
}
