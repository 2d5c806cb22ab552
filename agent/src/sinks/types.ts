import type { Observation, Session } from '@switchover/model';
import type { CorrelatorState, Effect } from '../correlator/types.js';

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
}

/**
 * The flight recorder: append-only, size-capped, in the state directory. Observations are appended
 * before the correlator sees them (so a cursor saved afterwards never skips one); sessions whenever
 * they change; the correlator state is snapshotted so a restart resumes open sessions.
 */
export interface Recorder {
  appendObservations(obs: readonly Observation[]): Promise<void>;
  appendSession(session: Session): Promise<void>;
  snapshot(state: CorrelatorState): Promise<void>;
  /** Last snapshot and every session recorded (latest version of each id), oldest first. */
  load(): Promise<{ state: CorrelatorState | null; sessions: Session[] }>;
  /** Sessions currently known (recorded + live updates), latest version per id. */
  sessions(): Session[];
  flush(): Promise<void>;
  stop(): Promise<void>;
}
