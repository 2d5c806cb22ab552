import type { Effect } from '../correlator/types.js';

/** Consumes the correlator's effects. Sinks never throw into the pipeline: failures are named events. */
export interface EffectSink {
  handle(effects: readonly Effect[], now: number): void;
  stop(): Promise<void>;
}

/** The agent's own health, exported with the `switchover_` prefix. */
export interface SelfMetrics {
  recordSeen(input: string): void;
  unknownRecord(input: string): void;
  error(stage: string, errorType: string): void;
  sourceUp(input: string, instance: string, up: boolean): void;
  journalLag(seconds: number): void;
  openSessions(n: number): void;
  /** An observation already recorded before a restart, delivered again by an input: skipped. */
  duplicate(input: string): void;
}
