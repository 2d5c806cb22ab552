import type { Registry } from 'prom-client';
import {
  INPUTS,
  LABELS,
  LOST_LINE_REASONS,
  ROLES,
  SIDE_OUTCOMES,
  TRANSITION_RESULTS,
  VERDICTS,
  verdictOf,
  type LostLineReason,
  type Role,
  type Observation,
  type Session,
  ERROR_TYPES,
  STAGES,
} from '@switchover/model';
import type { Effect } from '../correlator/types.js';
import { createMetrics, type AgentMetrics } from './metric-defs.js';
import type { EffectSink, SelfMetrics } from './types.js';

export interface MetricsSinkOptions {
  /** The agent's own registry: never prom-client's global `register`. */
  registry: Registry;
  host: string;
  version: string;
}

/**
 * Prometheus view of the effects plus the agent's self-metrics. Label sets are bounded: here only the
 * silent-failure counter carries `vm`/`device` and the destination-lost counter `vm`/`host`, because
 * their alerts must name them; they create a
 * series only when a failure is detected (no per-VM initialisation, no label explosion). The per-VM
 * series the fleet rules pair are `VmSeries`, whose series expire.
 */
export class MetricsSink implements EffectSink, SelfMetrics {
  readonly registry: Registry;
  private readonly m: AgentMetrics;
  /** Sessions counted in `in_progress`, by id; closing an unknown id (e.g. after a restart) never goes negative. */
  private readonly openIds = new Map<string, Role>();
  /** Failed transitions already counted, so a replay of the same line after a restart counts once. */
  private readonly countedFailures = new BoundedSet(10_000);
  /** Silent failures already counted (same key), so a replayed line never pages twice. */
  private readonly countedSilent = new BoundedSet(10_000);
  /** Sessions already closed: a late or replayed effect must not count them in progress again. */
  private readonly closedIds = new BoundedSet(10_000);
  /** Lost destinations already counted (by session id): the outcome is re-announced by later updates. */
  private readonly countedLost = new BoundedSet(10_000);
  private readonly host: string;

  constructor(options: MetricsSinkOptions) {
    this.registry = options.registry;
    this.host = options.host;
    this.m = createMetrics(options.registry, options.version);
    const { role, outcome, verdict } = LABELS;
    // Bounded label sets start at zero so `increase()` sees the first event.
    for (const r of ROLES) {
      this.m.inProgress.set({ [role]: r }, 0);
      for (const o of SIDE_OUTCOMES) this.m.sessions.inc({ [role]: r, [outcome]: o }, 0);
    }
    for (const v of VERDICTS) this.m.verdicts.inc({ [verdict]: v }, 0);
    this.m.stateWritableGauge.set(1);
    for (const r of Object.values(LOST_LINE_REASONS))
      this.m.linesLost.inc({ [LABELS.input]: INPUTS.libvirtLog, [LABELS.reason]: r }, 0);
  }

  handle(effects: readonly Effect[], _now?: number): void {
    for (const e of effects) {
      try {
        this.apply(e);
      } catch {
        // A metric update can only fail on a programming error (bad label); it must not stop the pipeline.
        this.error(STAGES.metrics, ERROR_TYPES.metrics.update);
      }
    }
  }

  private apply(e: Effect): void {
    switch (e.kind) {
      case 'session-opened':
      case 'phase-changed':
      case 'outcome':
      case 'return-path':
      case 'qemu-error':
        this.track(e.session);
        if (e.kind === 'outcome' && e.session.outcome === 'lost' && this.countedLost.add(e.session.id))
          this.m.lost.inc({ [LABELS.vm]: e.session.vm, [LABELS.host]: this.host });
        if (e.kind === 'return-path') this.returnPath(e.observation);
        if (e.kind === 'qemu-error' && e.observation.kind === 'load-failure' && e.observation.final)
          this.m.loadFailures.inc();
        return;
      case 'device-state':
        this.track(e.session);
        if (e.ok) this.m.transitions.inc({ [LABELS.state]: e.state, [LABELS.result]: TRANSITION_RESULTS.ok });
        else this.failedTransition(e.session, e.device, e.state, e.observation.time);
        return;
      case 'device-failure': {
        this.track(e.session);
        const f = e.failure;
        // The failed transition itself comes as its own `device-state {ok:false}`: count only the alert here.
        if (!f.fatal && this.countedSilent.add(`${e.session.id}|${f.device}|${f.time}`))
          this.m.silent.inc({ [LABELS.vm]: e.session.vm, [LABELS.device]: f.device });
        return;
      }
      case 'session-closed':
        this.closed(e.session);
        return;
      case 'session-evicted':
        this.m.evicted.inc();
        this.m.sessions.inc({ [LABELS.role]: e.session.role, [LABELS.outcome]: e.session.outcome });
        this.untrack(e.session);
        return;
      case 'unattributed':
        return;
    }
  }

  private closed(s: Session): void {
    // A session is counted once, even if a late update (query-migrate reply, a slower input) closes it again.
    if (this.closedIds.has(s.id)) return;
    this.m.sessions.inc({ [LABELS.role]: s.role, [LABELS.outcome]: s.outcome });
    const alone = verdictOf(s.role === 'source' ? s : null, s.role === 'destination' ? s : null);
    this.m.verdicts.inc({ [LABELS.verdict]: alone });
    const ms =
      s.role === 'source' && s.totalTimeMs !== null ? s.totalTimeMs : s.end !== null ? s.end - s.start : null;
    if (ms !== null && ms >= 0) this.m.duration.observe({ [LABELS.role]: s.role }, ms / 1000);
    if (s.role === 'source' && s.downtimeMs !== null && s.downtimeMs >= 0)
      this.m.downtime.observe(s.downtimeMs / 1000);
    this.untrack(s);
  }

  private returnPath(o: Observation): void {
    if (o.kind !== 'return-path') return;
    if (o.event === 'shut')
      this.m.rpShut.inc({ [LABELS.value]: o.value === undefined ? 'unknown' : String(o.value) });
    else this.m.rpErrors.inc();
  }

  /** Counts a failed transition unless this very line was counted already; true when counted now. */
  private failedTransition(s: Session, device: string, state: string, time: number): boolean {
    if (!this.countedFailures.add(`${s.id}|${device}|${time}`)) return false;
    this.m.transitions.inc({ [LABELS.state]: state, [LABELS.result]: TRANSITION_RESULTS.failed });
    return true;
  }

  private track(s: Session): void {
    if (s.closed || this.openIds.has(s.id) || this.closedIds.has(s.id)) return;
    this.openIds.set(s.id, s.role);
    this.m.inProgress.inc({ [LABELS.role]: s.role });
  }

  private untrack(s: Session): void {
    this.closedIds.add(s.id);
    const role = this.openIds.get(s.id);
    if (role !== undefined) {
      this.openIds.delete(s.id);
      this.m.inProgress.dec({ [LABELS.role]: role });
    }
  }

  recordSeen(input: string): void {
    this.m.records.inc({ [LABELS.input]: input });
  }
  unknownRecord(input: string): void {
    this.m.unknown.inc({ [LABELS.input]: input });
  }
  error(stage: string, errorType: string): void {
    this.m.errors.inc({ [LABELS.stage]: stage, [LABELS.errorType]: errorType });
  }
  sourceUp(input: string, instance: string, up: boolean): void {
    this.m.sourceUpGauge.set({ [LABELS.input]: input, [LABELS.target]: instance }, up ? 1 : 0);
  }
  journalLag(seconds: number): void {
    this.m.lag.set(seconds);
  }
  openSessions(n: number): void {
    this.m.open.set(n);
  }
  recorderBytes(n: number): void {
    this.m.recorderBytesGauge.set(n);
  }
  stateWritable(writable: boolean): void {
    this.m.stateWritableGauge.set(writable ? 1 : 0);
  }
  duplicate(input: string): void {
    this.m.duplicates.inc({ [LABELS.input]: input });
  }
  linesLost(input: string, reason: LostLineReason, n: number): void {
    this.m.linesLost.inc({ [LABELS.input]: input, [LABELS.reason]: reason }, n);
  }

  async stop(): Promise<void> {
    // Nothing to release: the registry belongs to the caller and is scraped until the server closes.
  }
}

/** A set that forgets its oldest entries past `max` (insertion order). */
class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(k: string): boolean {
    return this.items.has(k);
  }
  /** false when `k` was already present. */
  add(k: string): boolean {
    if (this.items.has(k)) return false;
    this.items.add(k);
    if (this.items.size > this.max) {
      const oldest = this.items.values().next().value;
      if (oldest !== undefined) this.items.delete(oldest);
    }
    return true;
  }
}
