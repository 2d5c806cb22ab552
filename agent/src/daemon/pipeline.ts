import type { Observation, Session } from '@switchover/model';
import { decode as defaultDecode } from '../decoders/index.js';
import { initialState, transition } from '../correlator/index.js';
import {
  DEFAULT_CORRELATOR_CONFIG,
  type CorrelatorConfig,
  type CorrelatorState,
  type Effect,
} from '../correlator/types.js';
import type { Decode } from '../decoders/types.js';
import type { Logger } from '../log.js';
import type { EffectSink, Recorder, SelfMetrics } from '../sinks/types.js';
import type { RawRecord } from '../sources/types.js';

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
 * Sources → decoders → recorder → correlator → sinks, one record at a time. `ingest()` resolves once the
 * record's observations are in the flight recorder and its effects handed to the sinks, so a source
 * may checkpoint (journal cursor, file offset) right after it.
 */
export class Pipeline {
  private state: CorrelatorState = initialState();
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: () => number;
  private readonly decode: Decode;
  private readonly config: CorrelatorConfig;
  private readonly listeners = new Set<(effects: readonly Effect[]) => void>();

  constructor(private readonly deps: PipelineDeps) {
    this.clock = deps.clock ?? Date.now;
    this.decode = deps.decode ?? defaultDecode;
    this.config = { ...DEFAULT_CORRELATOR_CONFIG, ...deps.correlator };
  }

  /** Resume from the recorder's last snapshot; re-announces open sessions so sinks count them as in progress. */
  async restore(): Promise<number> {
    const { state } = await this.deps.recorder.load();
    if (!state) return 0;
    this.state = state;
    const open = Object.values(state.vms)
      .map((v) => v.session)
      .filter((s): s is Session => s !== null);
    this.dispatch(open.map((session) => ({ kind: 'session-opened', session })));
    return open.length;
  }

  ingest(record: RawRecord): Promise<void> {
    const input = record.origin.kind;
    this.deps.self.recordSeen(input);
    const result = this.decode(record);
    if (result.status === 'unknown') this.deps.self.unknownRecord(input);
    if (result.observations.length === 0) return this.queue;
    const next = this.queue.then(() => this.process(result.observations));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Advance time: closes destination windows that elapsed. */
  tick(): Promise<void> {
    this.queue = this.queue.then(() => this.step({ kind: 'tick' })).catch(() => undefined);
    return this.queue;
  }

  /** Wait for everything queued, then persist the correlator state. */
  async drain(): Promise<void> {
    await this.queue;
    await this.snapshot();
  }

  async snapshot(): Promise<void> {
    try {
      await this.deps.recorder.snapshot(this.state);
    } catch (err) {
      this.failed('recorder', 'snapshot_failed', err);
    }
  }

  onEffects(listener: (effects: readonly Effect[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  openSessions(): Session[] {
    return Object.values(this.state.vms)
      .map((v) => v.session)
      .filter((s): s is Session => s !== null);
  }

  private async process(observations: Observation[]): Promise<void> {
    try {
      await this.deps.recorder.appendObservations(observations);
    } catch (err) {
      // The recorder is a copy for later review; live detection must go on without it.
      this.failed('recorder', 'append_failed', err);
    }
    for (const observation of observations) await this.step({ kind: 'observation', observation });
  }

  private async step(input: Parameters<typeof transition>[1]): Promise<void> {
    let effects: Effect[];
    try {
      const r = transition(this.state, input, this.clock(), this.config);
      this.state = r.state;
      effects = r.effects;
    } catch (err) {
      this.failed('correlator', 'transition_failed', err);
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
        this.failed('recorder', 'append_failed', err);
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
        this.failed('sink', 'handle_failed', err);
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
