import type { RawRecord } from '../records/types.js';

/** Health of one input, as exported by `switchover_source_up`. */
export interface SourceStatus {
  input: string;
  instance: string;
  up: boolean;
}

/**
 * A running input. Sources never import sinks: they emit records and status through the callbacks
 * they are constructed with, and `stop()` releases everything they started.
 */
export interface Source {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SourceCallbacks {
  record(r: RawRecord): void | Promise<void>;
  status(s: SourceStatus): void;
  /** A named failure: logged once and counted once with `stage` and `error_type`. */
  error(stage: string, errorType: string, err: unknown): void;
  /**
   * Whether everything handed off so far is durably recorded. Inputs that save positions (journal
   * cursor, file offsets) save them only when this says so: a position must never run ahead of what
   * a restart can recover.
   */
  durable?(): Promise<boolean>;
}
