import { ERROR_TYPES, STAGES } from '@switchover/model';
import type { Observation, Session } from '@switchover/model';
import type { CorrelatorConfig, Effect } from '../correlator/index.js';
import type { Decode } from '../decoders/index.js';
import { Ingest } from '../ingest/ingest.js';
import type { Logger } from '../lib/log.js';
import type { RawRecord } from '../records/types.js';
import type { Recorder } from '../recorder/types.js';
import type { EffectSink, SelfMetrics } from '../sinks/types.js';

export interface PipelineDeps {
  recorder: Recorder;
  sinks: EffectSink[];
  self: SelfMetrics;
  logger: Logger;
  clock?: () => number;
  decode?: Decode;
  correlator?: Partial<CorrelatorConfig>;
}

/**
 * The daemon's side of the one ingest path (`Ingest`): records arrive from the sources, their
 * observations go to the flight recorder before the correlator sees them, and the effects to the
 * sinks, one record at a time in arrival order. `ingest()` resolves once the record's observations
 * are recorded and its effects handed on, so a source may checkpoint (journal cursor, file offset)
 * right after it. Time is the agent's wall clock.
 */
export class Pipeline {
  private readonly core: Ingest;
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: () => number;
  private readonly listeners = new Set<(effects: readonly Effect[]) => void>();

  constructor(private readonly deps: PipelineDeps) {
    this.clock = deps.clock ?? Date.now;
    this.core = new Ingest(deps.correlator, deps.decode);
  }

  /** Resume from the recorder's last snapshot; re-announces open sessions so sinks count them as in progress. */
  async restore(): Promise<number> {
    const { state } = await this.deps.recorder.load();
    if (!state) return 0;
    const open = this.core.restore(state);
    this.dispatch(open.map((session) => ({ kind: 'session-opened', session })));
    return open.length;
  }

  ingest(record: RawRecord): Promise<void> {
    const input = record.origin.kind;
    this.deps.self.recordSeen(input);
    const result = this.core.decode(record);
    if (result.status === 'unknown') this.deps.self.unknownRecord(input);
    if (result.observations.length === 0) return this.queue;
    const next = this.queue.then(() => this.process(result.observations));
    this.queue = next.catch(() => undefined);
    return next;
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

  async snapshot(): Promise<void> {
    try {
      await this.deps.recorder.snapshot(this.core.snapshot());
    } catch (err) {
      this.failed(STAGES.recorder, ERROR_TYPES.recorder.snapshot, err);
    }
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

  /** One observation (or, for null, a tick) through the correlator at the wall clock's now. */
  private async step(observation: Observation | null): Promise<void> {
    let effects: Effect[];
    try {
      const now = this.clock();
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
