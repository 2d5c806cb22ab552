import {
  ATTRS,
  createSession,
  isVfioState,
  ROLES,
  SIDE_OUTCOMES,
  SPAN_EVENTS,
  SPANS,
  type DeviceLane,
  type PhaseName,
  type Role,
  type Session,
  type SideOutcome,
} from '@switchover/model';
import { asBool, asNumber, asString } from './values';
import type { SpanRecord } from './tempo';

/** Attributes without which spans cannot become sessions (the TraceQL `select(...)` must name them). */
export const REQUIRED_SPAN_ATTRS = [ATTRS.vmName, ATTRS.role] as const;

/** Where a session's trace lives, for the data links. */
export interface TraceRef {
  traceId: string;
  spanId: string | null;
}

export interface SpanSessions {
  sessions: Session[];
  traces: Map<string, TraceRef>;
  /** Switchover spans seen that lacked a required attribute. */
  incomplete: number;
}

const isRole = (v: string | null): v is Role => v !== null && (ROLES as readonly string[]).includes(v);
const isOutcome = (v: string | null): v is SideOutcome =>
  v !== null && (SIDE_OUTCOMES as readonly string[]).includes(v);
const ours = (name: string): boolean => name === SPANS.migration || name === SPANS.phase || name === SPANS.deviceState;

interface Group {
  root: SpanRecord | null;
  children: SpanRecord[];
}

/**
 * Source and destination root spans sit in different traces (each host exports its own), so spans
 * are grouped per host-side migration (trace, migration id, role, host) and rebuilt as model
 * Sessions; `pairSessions()` joins the two sides afterwards, exactly as `switchover review` does.
 */
export function sessionsFromSpans(spans: readonly SpanRecord[]): SpanSessions {
  const groups = new Map<string, Group>();
  let incomplete = 0;
  const seen = new Set<string>();
  for (const s of spans) {
    if (!ours(s.name)) {
      continue;
    }
    // A span can arrive twice (several spansets of one trace, or Spans + Traces frames together).
    const dedupe = `${s.traceId}|${s.spanId}|${s.name}|${s.startMs}`;
    if (s.spanId !== null && seen.has(dedupe)) {
      continue;
    }
    seen.add(dedupe);
    const vm = asString(s.attrs.get(ATTRS.vmName));
    const role = asString(s.attrs.get(ATTRS.role));
    if (vm === null || !isRole(role)) {
      incomplete++;
      continue;
    }
    const host = asString(s.attrs.get(ATTRS.hostName)) ?? 'unknown-host';
    const mid = asString(s.attrs.get(ATTRS.migrationId)) ?? '';
    const key = `${s.traceId ?? ''}|${mid}|${role}|${host}|${vm}`;
    let g = groups.get(key);
    if (!g) {
      groups.set(key, (g = { root: null, children: [] }));
    }
    if (s.name === SPANS.migration) {
      g.root = s;
    } else {
      g.children.push(s);
    }
  }
  const sessions: Session[] = [];
  const traces = new Map<string, TraceRef>();
  for (const g of groups.values()) {
    const session = toSession(g);
    sessions.push(session);
    const any = g.root ?? g.children[0];
    if (any?.traceId) {
      traces.set(session.id, { traceId: any.traceId, spanId: g.root?.spanId ?? null });
    }
  }
  return { sessions, traces, incomplete };
}

function toSession(g: Group): Session {
  const first = (g.root ?? g.children[0]) as SpanRecord;
  const a = first.attrs;
  const start = g.root ? g.root.startMs : Math.min(...g.children.map((c) => c.startMs));
  const s = createSession({
    host: asString(a.get(ATTRS.hostName)) ?? 'unknown-host',
    vm: asString(a.get(ATTRS.vmName)) as string,
    vmUuid: asString(a.get(ATTRS.vmUuid)),
    role: asString(a.get(ATTRS.role)) as Role,
    start,
    qemuVersion: asString(a.get(ATTRS.qemuVersion)),
  });
  if (g.root) {
    const r = g.root.attrs;
    const outcome = asString(r.get(ATTRS.outcome));
    s.outcome = isOutcome(outcome) ? outcome : 'in-progress';
    // A root span is exported when the agent closes the session, so anything but in-progress is final.
    s.closed = s.outcome !== 'in-progress';
    s.end = s.closed ? g.root.startMs + g.root.durationMs : null;
    s.stopTime = asNumber(r.get(ATTRS.stopTimeMs)) ?? eventTime(g.root, SPAN_EVENTS.stop);
    s.resumeTime = asNumber(r.get(ATTRS.resumeTimeMs)) ?? eventTime(g.root, SPAN_EVENTS.resume);
    s.downtimeMs = asNumber(r.get(ATTRS.downtimeMs));
    s.totalTimeMs = asNumber(r.get(ATTRS.totalTimeMs));
    s.errorDesc = asString(r.get(ATTRS.errorMessage));
  }
  for (const c of [...g.children].sort((x, y) => x.startMs - y.startMs)) {
    if (c.name === SPANS.phase) {
      const name = asString(c.attrs.get(ATTRS.phase));
      if (name !== null) {
        s.phases.push({ name: name as PhaseName, start: c.startMs, end: c.startMs + c.durationMs });
      }
    } else {
      addDeviceSpan(s, c);
    }
  }
  return s;
}

function eventTime(span: SpanRecord, name: string): number | null {
  return span.events.find((e) => e.name === name)?.timeMs ?? null;
}

function lane(s: Session, device: string): DeviceLane {
  let l = s.devices.find((d) => d.device === device);
  if (!l) {
    s.devices.push((l = { device, segments: [] }));
  }
  return l;
}

/** A device-state span is one segment; with a target state, raw line or error status it also ends in a failure. */
function addDeviceSpan(s: Session, c: SpanRecord): void {
  const device = asString(c.attrs.get(ATTRS.device));
  if (device === null) {
    return;
  }
  const l = lane(s, device);
  const end = c.startMs + c.durationMs;
  const state = asString(c.attrs.get(ATTRS.deviceState));
  if (state !== null) {
    l.segments.push({ state: isVfioState(state) ? state : 'UNKNOWN', start: c.startMs, end, source: 'event' });
  }
  const failureEvent = c.events.find((e) => e.name === SPAN_EVENTS.vfioFailure);
  const raw = asString(c.attrs.get(ATTRS.rawLine)) ?? asString(failureEvent?.fields.get(ATTRS.rawLine));
  const target = asString(c.attrs.get(ATTRS.targetState));
  if (raw === null && target === null && !c.statusError) {
    return;
  }
  l.failure = {
    device,
    ...(target !== null && isVfioState(target) ? { target } : {}),
    ...(asString(c.attrs.get(ATTRS.errorMessage)) !== null
      ? { error: asString(c.attrs.get(ATTRS.errorMessage)) as string }
      : {}),
    time: failureEvent?.timeMs ?? end,
    raw: raw ?? asString(c.attrs.get(ATTRS.errorMessage)) ?? '',
    fatal: asBool(c.attrs.get(ATTRS.fatal)) ?? false,
    origin: { kind: 'file' },
  };
}
