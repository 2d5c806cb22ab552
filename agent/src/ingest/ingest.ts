import type { Observation, Session } from '@switchover/model';
import {
  DEFAULT_CORRELATOR_CONFIG,
  flush,
  initialState,
  normalizeState,
  transition,
  type CorrelatorConfig,
  type CorrelatorState,
  type Effect,
  type FlushResult,
} from '../correlator/index.js';
import { decode as defaultDecode, type Decode, type DecodeResult } from '../decoders/index.js';
import type { RawRecord } from '../records/types.js';

/**
 * The one road every record takes, live (the daemon), offline (`review`) and in the benchmark:
 * raw record → decoders → correlator → effects. Pure: no I/O and no clock of its own; the caller
 * says what time it is (`now`), persists what it must, and hands the effects to its sinks.
 * This is the only place outside the correlator that calls `transition()`.
 */
export class Ingest {
  private state: CorrelatorState = initialState();
  readonly config: CorrelatorConfig;

  constructor(
    config: Partial<CorrelatorConfig> = {},
    private readonly decoder: Decode = defaultDecode,
  ) {
    this.config = { ...DEFAULT_CORRELATOR_CONFIG, ...config };
  }

  /** Decoders only: what the record says (an `unknown` record is the caller's to count). */
  decode(record: RawRecord): DecodeResult {
    return this.decoder(record);
  }

  /** One observation through the correlator at `now`. */
  observe(observation: Observation, now: number): Effect[] {
    return this.step({ kind: 'observation', observation }, now);
  }

  /** Time passes: destination windows that `now` has passed close. */
  tick(now: number): Effect[] {
    return this.step({ kind: 'tick' }, now);
  }

  /** End of input (offline): every window elapses; unfinished sessions are returned as they are. */
  end(): FlushResult {
    return flush(this.state, Number.POSITIVE_INFINITY, this.config);
  }

  /** Resume from a snapshot; returns the sessions that were open in it. */
  restore(state: CorrelatorState): Session[] {
    this.state = normalizeState(state);
    return this.openSessions();
  }

  /** The state to persist (the live object: serialise it before the next input). */
  snapshot(): CorrelatorState {
    return this.state;
  }

  openSessions(): Session[] {
    return Object.values(this.state.vms)
      .map((v) => v.session)
      .filter((s): s is Session => s !== null);
  }

  private step(input: Parameters<typeof transition>[1], now: number): Effect[] {
    const r = transition(this.state, input, now, this.config);
    this.state = r.state;
    return r.effects;
  }
}

/**
 * Offline time: a replay runs faster than its input was written, so `now` is the input's own time
 * so far (the latest observation time seen), never the wall clock. Used by `review` (after merging a
 * host's files in time order) and by the benchmark (a journal, already in order).
 */
export class Replay {
  private now = Number.NEGATIVE_INFINITY;

  constructor(readonly ingest: Ingest) {}

  observe(observation: Observation): Effect[] {
    if (observation.time > this.now) this.now = observation.time;
    return this.ingest.observe(observation, this.now);
  }

  end(): FlushResult {
    return this.ingest.end();
  }
}
