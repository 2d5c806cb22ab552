import type { Observation, Session } from '@switchover/model';
import type { CorrelatorState } from '../correlator/types.js';

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
