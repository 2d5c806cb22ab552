import { ERROR_TYPES, STAGES } from '@switchover/model';
import type { Observation, Session } from '@switchover/model';
import type { CorrelatorConfig, Effect } from '../correlator/index.js';
import type { Decode } from '../decoders/index.js';
import { Ingest } from '../ingest/ingest.js';
import type { Logger } from '../lib/log.js';
import type { RawRecord } from '../records/types.js';
import type { Recorder } from '../recorder/types.js';
import type { EffectSink, SelfMetrics } from '../sinks/types.js';
import { RestartDuplicates } from './duplicates.js';

export interface PipelineDeps {
  recorder: Recorder;
  sinks: EffectSink[];
  self: SelfMetrics;
  logger: Logger;
  clock?: () => number;
  decode?: Decode;
  correlator?: Partial<CorrelatorConfig>;
  /** How long after start observations an input delivers again are recognised as recorded before (ms). */
  duplicateTtlMs?: number;
}

export interface Restored {
  /** Open sessions in the snapshot. */
  sessions: number;
  /** Observations recorded after the snapshot, handled again. */
  replayed: number;
}

/**
 * The daemon's side of the one ingest path (`Ingest`): records arrive from the sources, their
 * observations go to the flight recorder before the correlator sees them, and the effects to the
 * sinks, one record at a time in arrival order. `ingest()` resolves once the record's observations
 * are recorded and its effects handed on, so a source may checkpoint (journal cursor, file offset)
 * right after it, once `durable()` says the recorder has it on disk. Time is the agent's wall clock.
 *
 * A restart loses nothing and counts nothing twice: `restore()` resumes the last snapshot and
 * replays, through the same correlator, every observation recorded after it (a migration that ended
 * between the snapshot and a crash is closed and counted); observations the inputs then deliver a
 * second time (read again from a position saved just before the crash) are skipped and counted.
 */
export class Pipeline {
  private core: Ingest;
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: () => number;
  private readonly listeners = new Set<(effects: readonly Effect[]) => void>();
  private readonly duplicates: RestartDuplicates;

  constructor(private readonly deps: PipelineDeps) {
    this.clock = deps.clock ?? Date.now;
    this.core = new Ingest(deps.correlator, deps.decode);
    this.duplicates = new RestartDuplicates(deps.duplicateTtlMs);
  }

  /**
   * Resume from the recorder: the last snapshot (open sessions are re-announced so sinks count them
   * as in progress), then every observation recorded after it, at the time it was first handled.
   * Call before the inputs start.
   */
  async restore(): Promise<Restored> {
    const { state, sinceSnapshot, recent } = await this.deps.recorder.load();
    let sessions = 0;
    if (state) {
      let open: Session[] = [];
      try {
        open = this.core.restore(state);
      } catch (err) {
        // A snapshot this version cannot use (damaged, or from elsewhere): start empty, say so.
        this.failed(STAGES.recorder, ERROR_TYPES.recorder.read, err);
        this.core = new Ingest(this.deps.correlator, this.deps.decode);
      }
      this.dispatch(open.map((session) => ({ kind: 'session-opened', session })));
      sessions = open.length;
    }
    for (const { at, obs } of sinceSnapshot) await this.step(obs, at);
    this.duplicates.seed(recent, this.clock());
    if (sinceSnapshot.length > 0) await this.step(null);
    // Also the first write: a read-only or full state directory shows at start, not 5 s later.
    await this.snapshot();
    return { sessions, replayed: sinceSnapshot.length };
  }

  ingest(record: RawRecord): Promise<void> {
    const input = record.origin.kind;
    this.deps.self.recordSeen(input);
    const result = this.core.decode(record);
    if (result.status === 'unknown') this.deps.self.unknownRecord(input);
    let observations = result.observations;
    if (this.duplicates.size > 0 && observations.length > 0) {
      const now = this.clock();
      observations = observations.filter((o) => !this.duplicates.take(o, now));
      for (let i = observations.length; i < result.observations.length; i++) this.deps.self.duplicate(input);
    }
    if (observations.length === 0) return this.queue;
    const next = this.queue.then(() => this.process(observations));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Whether everything handed off so far is on disk: inputs save their positions only then. */
  durable(): Promise<boolean> {
    return this.deps.recorder.durable();
  }

  /** Advance time: closes destination windows that elapsed. */
  tick(): Promise<void> {
    this.queue = this.queue.then(() => this.step(null)).catch(() => undefined);
    return this.queue;
  }

  /** Wait for everything queued, then persist the correlator state. */
  async drain(): Promise<void> {
    await this.queue;
    await this.snapshot();
  }

  /**
   * Persist the correlator state, in turn with the records: a snapshot taken while a record's
   * observations were recorded but not yet correlated would sit after them in the recorder without
   * holding them, and a restart would skip them.
   */
  snapshot(): Promise<void> {
    const next = this.queue.then(async () => {
      try {
        await this.deps.recorder.snapshot(this.core.snapshot());
      } catch (err) {
        this.failed(STAGES.recorder, ERROR_TYPES.recorder.snapshot, err);
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  onEffects(listener: (effects: readonly Effect[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  openSessions(): Session[] {
    return this.core.openSessions();
  }

  private async process(observations: Observation[]): Promise<void> {
    try {
      await this.deps.recorder.appendObservations(observations);
    } catch (err) {
      // The recorder is a copy for later review; live detection must go on without it.
      this.failed(STAGES.recorder, ERROR_TYPES.recorder.append, err);
    }
    for (const observation of observations) await this.step(observation);
  }

  /** One observation (or, for null, a tick) through the correlator at `now` (default: the wall clock). */
  private async step(observation: Observation | null, at?: number): Promise<void> {
    let effects: Effect[];
    try {
      const now = at ?? this.clock();
      effects = observation ? this.core.observe(observation, now) : this.core.tick(now);
    } catch (err) {
      this.failed(STAGES.correlator, ERROR_TYPES.correlator.transition, err);
      return;
    }
    if (effects.length === 0) return;
    this.dispatch(effects);
    const changed = new Set<Session>();
    for (const e of effects) if ('session' in e && e.kind !== 'device-state') changed.add(e.session);
    for (const s of changed) {
      try {
        await this.deps.recorder.appendSession(s);
      } catch (err) {
        this.failed(STAGES.recorder, ERROR_TYPES.recorder.append, err);
      }
    }
  }

  private dispatch(effects: readonly Effect[]): void {
    const now = this.clock();
    for (const e of effects)
      if (e.kind === 'unattributed')
        this.deps.logger.info('failure line outside every migration window', {
          line: e.observation.raw,
          reason: e.reason,
        });
    for (const sink of this.deps.sinks) {
      try {
        sink.handle(effects, now);
      } catch (err) {
        this.failed(STAGES.sink, ERROR_TYPES.sink.handle, err);
      }
    }
    for (const l of this.listeners) l(effects);
    this.deps.self.openSessions(this.openSessions().length);
  }

  private failed(stage: string, errorType: string, err: unknown): void {
    this.deps.self.error(stage, errorType);
    this.deps.logger.error(`${stage} ${errorType.replace(/_/g, ' ')}`, {
      err: err instanceof Error ? err.message : String(err),
    });
  }
}
