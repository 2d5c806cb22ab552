import type { DataFrame } from '@grafana/data';
import {
  pairSessions,
  REQUIRED_TABLE_FIELDS,
  sessionsFromRows,
  type Migration,
  type Session,
  type TableRow,
} from '@switchover/model';
import {
  isProgressFrame,
  isSpansFrame,
  isTraceFrame,
  isTracesFrame,
  SEARCH_SPAN_FIELDS,
  spansFromSearchFrame,
  spansFromTraceFrame,
  spansFromTracesFrame,
  type SpanRecord,
} from './tempo';
import { REQUIRED_SPAN_ATTRS, sessionsFromSpans, type TraceRef } from './sessionsFromSpans';
import { isTableFrame, missingTableFields, rowsFromTableFrame } from './table';

/** What the panel could not use, and which fields it needs instead. */
export interface SchemaProblem {
  frame: string;
  missing: string[];
}

export interface PanelModel {
  migrations: Migration[];
  traces: Map<string, TraceRef>;
  /** Non-empty when frames arrived but none could be read: the panel shows the expected schema. */
  problems: SchemaProblem[];
  /** Number of frames that were read (excludes ignored progress frames). */
  framesRead: number;
}

/** Everything the panel accepts, for the "expected fields" message. */
export const EXPECTED_SCHEMA = {
  tempoSpans: [...SEARCH_SPAN_FIELDS, ...REQUIRED_SPAN_ATTRS],
  table: [...REQUIRED_TABLE_FIELDS],
} as const;

const frameLabel = (f: DataFrame, i: number): string => f.name || f.refId || `frame ${i + 1}`;

/**
 * Frames → paired migrations. Each frame is recognised by what it contains (Tempo `Spans`, `Traces`
 * with nested spansets, trace-by-ID `Trace`, or the sessions table), never by position or refId.
 * Sessions from all frames are paired together, so a Tempo query and a table can feed one panel.
 */
export function buildModel(frames: readonly DataFrame[], skewMs: number): PanelModel {
  const spans: SpanRecord[] = [];
  const rows: TableRow[] = [];
  const problems: SchemaProblem[] = [];
  let framesRead = 0;
  frames.forEach((f, i) => {
    if (isProgressFrame(f) || f.fields.length === 0) {
      return;
    }
    if (isTraceFrame(f)) {
      spans.push(...spansFromTraceFrame(f));
    } else if (isTracesFrame(f)) {
      spans.push(...spansFromTracesFrame(f));
    } else if (isSpansFrame(f)) {
      spans.push(...spansFromSearchFrame(f));
    } else if (isTableFrame(f)) {
      const missing = missingTableFields(f);
      if (missing.length > 0) {
        problems.push({ frame: frameLabel(f, i), missing });
        return;
      }
      rows.push(...rowsFromTableFrame(f));
    } else {
      problems.push({ frame: frameLabel(f, i), missing: [...EXPECTED_SCHEMA.table] });
      return;
    }
    framesRead++;
  });
  const fromSpans = sessionsFromSpans(spans);
  if (spans.length > 0 && fromSpans.sessions.length === 0 && fromSpans.incomplete > 0) {
    problems.push({ frame: 'Tempo spans', missing: [...REQUIRED_SPAN_ATTRS] });
  }
  const sessions: Session[] = [...fromSpans.sessions, ...sessionsFromRows(rows)];
  return {
    migrations: pairSessions(sessions, { skewMs }),
    traces: fromSpans.traces,
    problems,
    framesRead,
  };
}
