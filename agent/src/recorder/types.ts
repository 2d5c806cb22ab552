import type { Observation, Session } from '@switchover/model';
import type { CorrelatorState } from '../correlator/types.js';
import type { RecordedObservation } from './format.js';

/** What a restart resumes from. */
export interface RecorderLoad {
  /** The last snapshot, or null. */
  state: CorrelatorState | null;
  /** Every session recorded (latest version of each id), oldest first. */
  sessions: Session[];
  /** Observations recorded after that snapshot: replayed on start, so nothing handled before a crash is forgotten. */
  sinceSnapshot: RecordedObservation[];
  /** The latest observations recorded: an input resuming from a saved position may deliver them again. */
  recent: Observation[];
}

/** Whether the state directory takes the recorder's writes. */
export interface RecorderHealth {
  writable: boolean;
  /** Why not (the last error), null while writable. */
  error: string | null;
  /** Since when (epoch ms). */
  since: number;
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
  load(): Promise<RecorderLoad>;
  /** Sessions currently known (recorded + live updates), latest version per id. */
  sessions(): Session[];
  /**
   * True once everything recorded so far is on disk (fsync), false while observations are being
   * lost (an append failed since the last good snapshot): inputs save their positions only then.
   */
  durable(): Promise<boolean>;
  health(): RecorderHealth;
  flush(): Promise<void>;
  stop(): Promise<void>;
}
