import { context, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTRS,
  SPAN_EVENTS,
  SPANS,
  type DeviceFailure,
  type Observation,
  type Session,
  ERROR_TYPES,
  STAGES,
} from '@switchover/model';
import type { Effect } from '../correlator/types.js';
import { failureAttributes, failureMessage, hr, rootAttributes, sessionKeys } from './span-attributes.js';
import type { EffectSink } from './types.js';

export interface SpanSinkOptions {
  tracer: Tracer;
  /** Open root spans kept at most; beyond it the oldest is ended with an error. Default 1000. */
  maxOpen?: number;
  onError?: (stage: string, errorType: string, err: unknown) => void;
}

interface Child {
  span: Span;
  start: number;
  ended: boolean;
}

/** One session's spans. Everything is diffed against the session snapshot each effect carries. */
interface OpenTrace {
  root: Span;
  start: number;
  /** Latest time anything happened: the root never ends before its last event. */
  last: number;
  phases: Map<number, Child>;
  /** `${device}#${segment index}` */
  segments: Map<string, Child>;
  /** Devices whose failure already has its device span (a segment or a synthesized one). */
  failureSpans: Set<string>;
  stopTime: number | null;
  resumeTime: number | null;
  outcome: string;
  /** A device failure's message outranks other errors in the root status. */
  error: 'device' | 'other' | null;
}

/**
 * OpenTelemetry view of the effects: one `qemu.migration` root per session, children per phase and
 * per device segment, span events for everything QEMU said. Times are QEMU's, never the export time.
 */
export class SpanSink implements EffectSink {
  private readonly tracer: Tracer;
  private readonly maxOpen: number;
  private readonly open = new Map<string, OpenTrace>();
  /** Ended sessions: a late effect must not start a second root for them. */
  private readonly ended = new Set<string>();
  private readonly onError: SpanSinkOptions['onError'];

  constructor(options: SpanSinkOptions) {
    this.tracer = options.tracer;
    this.maxOpen = options.maxOpen ?? 1000;
    this.onError = options.onError;
  }

  handle(effects: readonly Effect[], now: number): void {
    for (const e of effects) {
      try {
        this.apply(e, now);
      } catch (err) {
        this.onError?.(STAGES.spans, ERROR_TYPES.spans.update, err);
      }
    }
  }

  private apply(e: Effect, now: number): void {
    if (e.kind === 'unattributed') return;
    const t = this.traceOf(e.session);
    if (!t) return;
    this.sync(t, e.session);
    switch (e.kind) {
      case 'session-opened':
      case 'phase-changed':
      case 'outcome':
        return;
      case 'device-state':
        this.event(t, SPAN_EVENTS.vfioState, e.observation.time, {
          [ATTRS.device]: e.device,
          [ATTRS.deviceState]: e.state,
          ...raw(e.observation),
        });
        if (!e.ok) this.fail(t, 'other', `VFIO device ${e.device} failed transition to ${e.state}`);
        return;
      case 'device-failure':
        this.event(
          t,
          SPAN_EVENTS.vfioFailure,
          e.failure.time,
          failureAttributes(e.failure, e.observation.raw),
        );
        this.fail(t, 'device', failureMessage(e.failure));
        // Normally the session's lane already carries the failure (done by sync); if not, from the effect.
        this.unknownStateFailure(t, e.session, e.failure, e.observation.raw);
        return;
      case 'return-path': {
        const o = e.observation;
        const a: Attributes = { ...raw(o) };
        if (o.kind === 'return-path' && o.value !== undefined) a[ATTRS.returnPathShut] = o.value;
        if (o.kind === 'return-path' && o.message !== undefined) a[ATTRS.returnPathError] = o.message;
        this.event(t, SPAN_EVENTS.returnPath, o.time, a);
        return;
      }
      case 'qemu-error': {
        const o = e.observation;
        const message = 'message' in o && typeof o.message === 'string' ? o.message : (o.raw ?? 'QEMU error');
        const load = o.kind === 'load-failure';
        this.event(t, load ? SPAN_EVENTS.loadFailure : SPAN_EVENTS.qemuError, o.time, {
          [ATTRS.errorMessage]: message,
          ...raw(o),
        });
        if (load) this.fail(t, 'other', message);
        return;
      }
      case 'session-closed':
        this.finish(e.session.id, t, e.session.end ?? now);
        return;
      case 'session-evicted':
        t.error = null; // the eviction is the reason this trace ends incomplete
        this.fail(t, 'other', 'evicted');
        this.finish(e.session.id, t, e.session.end ?? now);
        return;
    }
  }

  private traceOf(s: Session): OpenTrace | null {
    const known = this.open.get(s.id);
    if (known) return known;
    if (this.ended.has(s.id)) return null;
    if (this.open.size >= this.maxOpen) {
      const [oldestId, oldest] = this.open.entries().next().value as [string, OpenTrace];
      this.fail(oldest, 'other', 'dropped: too many open migrations');
      this.finish(oldestId, oldest, oldest.last);
      this.onError?.(
        STAGES.spans,
        ERROR_TYPES.spans.tooManyOpen,
        new Error(`span sink holds ${this.maxOpen} open sessions`),
      );
    }
    const root = this.tracer.startSpan(SPANS.migration, {
      startTime: hr(s.start),
      root: true,
      attributes: rootAttributes(s),
    });
    const t: OpenTrace = {
      root,
      start: s.start,
      last: s.start,
      phases: new Map(),
      segments: new Map(),
      failureSpans: new Set(),
      stopTime: null,
      resumeTime: null,
      outcome: 'in-progress',
      error: null,
    };
    this.open.set(s.id, t);
    return t;
  }

  /** Brings the spans up to this version of the session. */
  private sync(t: OpenTrace, s: Session): void {
    t.root.setAttributes(rootAttributes(s));
    if (s.stopTime !== null && s.stopTime !== t.stopTime) {
      t.stopTime = s.stopTime;
      this.event(t, SPAN_EVENTS.stop, s.stopTime, {});
    }
    if (s.resumeTime !== null && s.resumeTime !== t.resumeTime) {
      t.resumeTime = s.resumeTime;
      this.event(t, SPAN_EVENTS.resume, s.resumeTime, {});
    }
    if (s.outcome !== t.outcome) {
      t.outcome = s.outcome;
      this.event(t, SPAN_EVENTS.status, s.end ?? t.last, { [ATTRS.status]: s.outcome });
      if (s.outcome === 'failed') this.fail(t, 'other', s.errorDesc ?? 'migration failed');
      if (s.outcome === 'lost')
        this.fail(t, 'other', 'the destination QEMU died after the migration completed');
    }
    s.phases.forEach((p, i) => {
      let c = t.phases.get(i);
      if (!c) {
        c = this.child(t, s, SPANS.phase, p.start, { [ATTRS.phase]: p.name });
        t.phases.set(i, c);
        this.event(t, SPAN_EVENTS.status, p.start, { [ATTRS.status]: p.name });
      }
      if (p.end !== null) this.endChild(t, c, p.end);
    });
    for (const lane of s.devices) {
      lane.segments.forEach((seg, i) => {
        const key = `${lane.device}#${i}`;
        let c = t.segments.get(key);
        if (!c) {
          const f = lane.failure;
          const startsFailure =
            f !== undefined &&
            !t.failureSpans.has(lane.device) &&
            (seg.source === 'failure-line' || Math.abs(seg.start - f.time) < 1);
          const attrs: Attributes = { [ATTRS.device]: lane.device, [ATTRS.deviceState]: seg.state };
          c = this.child(
            t,
            s,
            SPANS.deviceState,
            seg.start,
            startsFailure ? { ...attrs, ...failureAttributes(f, undefined) } : attrs,
          );
          if (startsFailure) {
            t.failureSpans.add(lane.device);
            c.span.setStatus({ code: SpanStatusCode.ERROR, message: failureMessage(f) });
          }
          t.segments.set(key, c);
        }
        if (seg.end !== null) this.endChild(t, c, seg.end);
      });
      if (lane.failure) this.unknownStateFailure(t, s, lane.failure, undefined);
    }
  }

  /** The failure's device span when no recorded segment starts at it: the state after QEMU's reset is unknown. */
  private unknownStateFailure(t: OpenTrace, s: Session, f: DeviceFailure, raw: string | undefined): void {
    if (t.failureSpans.has(f.device)) return;
    t.failureSpans.add(f.device);
    const c = this.child(t, s, SPANS.deviceState, f.time, {
      [ATTRS.deviceState]: 'UNKNOWN',
      ...failureAttributes(f, raw),
    });
    c.span.setStatus({ code: SpanStatusCode.ERROR, message: failureMessage(f) });
    t.segments.set(`${f.device}#failure`, c);
  }

  private child(t: OpenTrace, s: Session, name: string, start: number, attrs: Attributes): Child {
    const parent = trace.setSpan(context.active(), t.root);
    const span = this.tracer.startSpan(
      name,
      { startTime: hr(start), attributes: { ...sessionKeys(s), ...attrs } },
      parent,
    );
    t.last = Math.max(t.last, start);
    return { span, start, ended: false };
  }

  private endChild(t: OpenTrace, c: Child, end: number): void {
    if (c.ended) return;
    c.ended = true;
    c.span.end(hr(Math.max(c.start, end)));
    t.last = Math.max(t.last, end);
  }

  private event(t: OpenTrace, name: string, time: number, attrs: Attributes): void {
    t.root.addEvent(name, attrs, hr(time));
    t.last = Math.max(t.last, time);
  }

  private fail(t: OpenTrace, kind: 'device' | 'other', message: string): void {
    if (t.error === 'device' || (t.error === 'other' && kind === 'other')) return;
    t.error = kind;
    t.root.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  /** Ends every open child at `end` (or its own start) and the root no earlier than its last event. */
  private finish(id: string, t: OpenTrace, end: number): void {
    const rootEnd = Math.max(end, t.last);
    for (const c of [...t.phases.values(), ...t.segments.values()]) this.endChild(t, c, rootEnd);
    t.root.end(hr(Math.max(t.start, rootEnd, t.last)));
    this.open.delete(id);
    this.ended.add(id);
    if (this.ended.size > 10_000) this.ended.delete(this.ended.values().next().value as string);
  }

  /** Ends every open trace as it stands (agent shutdown): better a partial trace than none. */
  async stop(): Promise<void> {
    for (const [id, t] of [...this.open]) this.finish(id, t, t.last);
  }
}

const raw = (o: Observation): Attributes => (o.raw !== undefined ? { [ATTRS.rawLine]: o.raw } : {});
