import { type DataFrame, FieldType } from '@grafana/data';
import { asNumber, asString, cell, fieldByName, hasFields } from './values';

/** One span, whichever Tempo frame it came from; times in epoch ms. */
export interface SpanRecord {
  traceId: string | null;
  spanId: string | null;
  name: string;
  startMs: number;
  durationMs: number;
  /** Span attributes (resource attributes merged under them: span attributes win). */
  attrs: Map<string, unknown>;
  statusError: boolean;
  events: SpanEventRecord[];
}

export interface SpanEventRecord {
  name: string;
  timeMs: number;
  fields: Map<string, unknown>;
}

/** Columns of the `Spans` table and of nested `Traces` frames that are not span attributes. */
const SEARCH_FIXED = new Set(['traceIdHidden', 'traceService', 'traceName', 'spanID', 'time', 'name', 'duration']);
export const SEARCH_SPAN_FIELDS = ['spanID', 'time', 'name', 'duration'] as const;
export const TRACE_FIELDS = ['spanID', 'operationName', 'startTime', 'duration'] as const;

export const isProgressFrame = (f: DataFrame): boolean =>
  f.name === 'Streaming Progress' || f.refId === 'streaming-progress';

export const isTraceFrame = (f: DataFrame): boolean =>
  f.name === 'Trace' || f.meta?.preferredVisualisationType === 'trace' || hasFields(f, TRACE_FIELDS);

export const isTracesFrame = (f: DataFrame): boolean => f.fields.some((x) => x.type === FieldType.nestedFrames);

export const isSpansFrame = (f: DataFrame): boolean => hasFields(f, SEARCH_SPAN_FIELDS);

/** Rows of a `Spans` table or of one nested spanset frame: `time` ms, `duration` ns. */
export function spansFromSearchFrame(frame: DataFrame): SpanRecord[] {
  const attrFields = frame.fields.filter((f) => !SEARCH_FIXED.has(f.name));
  const out: SpanRecord[] = [];
  for (let i = 0; i < frame.length; i++) {
    const startMs = asNumber(cell(frame, 'time', i));
    if (startMs === null) {
      continue;
    }
    const attrs = new Map<string, unknown>();
    for (const f of attrFields) {
      const v = f.values[i];
      if (v !== undefined && v !== null && v !== '') {
        attrs.set(f.config?.displayNameFromDS ?? f.name, v);
      }
    }
    const status = asString(attrs.get('status'));
    out.push({
      traceId: asString(cell(frame, 'traceIdHidden', i)),
      spanId: asString(cell(frame, 'spanID', i)),
      name: asString(cell(frame, 'name', i)) ?? '',
      startMs,
      durationMs: (asNumber(cell(frame, 'duration', i)) ?? 0) / 1e6,
      attrs,
      statusError: status === 'error',
      events: [],
    });
  }
  return out;
}

/** A `Traces` frame: one row per trace, each holding its spansets as nested frames. */
export function spansFromTracesFrame(frame: DataFrame): SpanRecord[] {
  const nested = frame.fields.find((f) => f.type === FieldType.nestedFrames);
  const traceIds = fieldByName(frame, 'traceID');
  const out: SpanRecord[] = [];
  if (!nested) {
    return out;
  }
  for (let i = 0; i < frame.length; i++) {
    const sets: unknown = nested.values[i];
    if (!Array.isArray(sets)) {
      continue;
    }
    for (const sub of sets as DataFrame[]) {
      for (const s of spansFromSearchFrame(sub)) {
        out.push({ ...s, traceId: s.traceId ?? asString(traceIds?.values[i]) });
      }
    }
  }
  return out;
}

interface KeyValue {
  key?: unknown;
  value?: unknown;
}

function keyValues(v: unknown, into: Map<string, unknown>): void {
  const list = typeof v === 'string' ? safeJson(v) : v;
  if (!Array.isArray(list)) {
    return;
  }
  for (const kv of list as KeyValue[]) {
    const key = asString(kv?.key);
    if (key !== null && kv.value !== undefined && kv.value !== null) {
      into.set(key, kv.value);
    }
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** The trace-by-ID `Trace` frame: `startTime` and `duration` both ms; attributes as `[{key, value}]`. */
export function spansFromTraceFrame(frame: DataFrame): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (let i = 0; i < frame.length; i++) {
    const startMs = asNumber(cell(frame, 'startTime', i));
    if (startMs === null) {
      continue;
    }
    const attrs = new Map<string, unknown>();
    keyValues(cell(frame, 'serviceTags', i), attrs);
    keyValues(cell(frame, 'tags', i), attrs);
    out.push({
      traceId: asString(cell(frame, 'traceID', i)),
      spanId: asString(cell(frame, 'spanID', i)),
      name: asString(cell(frame, 'operationName', i)) ?? '',
      startMs,
      durationMs: asNumber(cell(frame, 'duration', i)) ?? 0,
      attrs,
      // OTLP status code 2 = error
      statusError: asNumber(cell(frame, 'statusCode', i)) === 2,
      events: eventsOf(cell(frame, 'logs', i)),
    });
  }
  return out;
}

/** Span events; the newest Grafana puts the event name in `name`, older ones in a `message` field. */
function eventsOf(v: unknown): SpanEventRecord[] {
  const list = typeof v === 'string' ? safeJson(v) : v;
  if (!Array.isArray(list)) {
    return [];
  }
  const out: SpanEventRecord[] = [];
  for (const e of list as Array<{ timestamp?: unknown; name?: unknown; fields?: unknown }>) {
    const timeMs = asNumber(e?.timestamp);
    if (timeMs === null) {
      continue;
    }
    const fields = new Map<string, unknown>();
    keyValues(e.fields, fields);
    out.push({ name: asString(e.name) ?? asString(fields.get('message')) ?? '', timeMs, fields });
  }
  return out;
}
