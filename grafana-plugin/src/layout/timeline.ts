import type { Migration, Role, Session, Verdict } from '@switchover/model';
import type { TimeAlignment } from '../types';
import { niceTicks } from './ticks';

/** Horizontal positions are fractions (0..1) of the row's time axis. */
export interface Span {
  left: number;
  width: number;
}

export interface LaneSegment extends Span {
  kind: 'phase' | 'state';
  label: string;
  /** True when the segment had no end yet and runs to the edge. */
  open: boolean;
}

export type MarkerKind = 'stop' | 'resume' | 'failure';

export interface LaneMarker {
  kind: MarkerKind;
  left: number;
  /** Epoch ms on the host's own clock. */
  time: number;
  label: string;
  /** The raw QEMU line of a failure. */
  raw?: string;
}

export interface LaneLayout {
  key: string;
  role: Role;
  kind: 'side' | 'device';
  label: string;
  host: string;
  /** The whole session on this lane. */
  extent: Span;
  segments: LaneSegment[];
  markers: LaneMarker[];
  downtime?: Span;
}

export interface RowLayout {
  id: string;
  vm: string;
  vmUuid: string | null;
  verdict: Verdict;
  migration: Migration;
  lanes: LaneLayout[];
  /** Axis range in lane time (epoch ms when absolute, ms from switchover when aligned). */
  domain: { from: number; to: number };
  ticks: Array<{ left: number; value: number }>;
  alignment: TimeAlignment;
  notes: string[];
  failedDevices: string[];
  downtimeMs: number | null;
}

export interface LayoutOptions {
  alignment: TimeAlignment;
  showDevices: boolean;
  skewNoteMs: number;
}

/**
 * A destination is prepared around the time the source starts; one that starts much later than that
 * usually means the two hosts disagree about the time, not that the migration waited.
 */
export const LATE_DESTINATION_FACTOR = 30;

const fmtMs = (ms: number): string => (Math.abs(ms) >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** Per-side shift into lane time: switchover alignment puts each side's own STOP / RESUME at 0. */
function offsets(m: Migration, alignment: TimeAlignment): { source: number; destination: number } {
  if (alignment === 'absolute') {
    return { source: 0, destination: 0 };
  }
  const src = m.source?.stopTime ?? null;
  const dst = m.destination?.resumeTime ?? null;
  const common = src ?? dst ?? m.start;
  return { source: src ?? common, destination: dst ?? common };
}

export function skewNotes(m: Migration, skewNoteMs: number): string[] {
  const notes: string[] = [];
  const off = m.startOffsetMs;
  if (off !== null && off < -skewNoteMs) {
    notes.push(`Destination started ${fmtMs(-off)} before the source: host clocks are probably skewed`);
  } else if (off !== null && off > skewNoteMs * LATE_DESTINATION_FACTOR) {
    notes.push(`Destination started ${fmtMs(off)} after the source: host clocks may be skewed`);
  }
  const stop = m.source?.stopTime ?? null;
  const resume = m.destination?.resumeTime ?? null;
  if (stop !== null && resume !== null && resume < stop - skewNoteMs) {
    notes.push(`Destination RESUME is ${fmtMs(stop - resume)} before source STOP: host clocks are skewed`);
  }
  return notes;
}

/** Every time that must fit on the axis, already shifted into lane time. */
function extentOf(s: Session, shift: number): number[] {
  const t = [s.start, s.end, s.stopTime, s.resumeTime];
  for (const p of s.phases) {
    t.push(p.start, p.end);
  }
  for (const d of s.devices) {
    for (const g of d.segments) {
      t.push(g.start, g.end);
    }
    t.push(d.failure?.time ?? null);
  }
  return t.filter((x): x is number => x !== null).map((x) => x - shift);
}

export function layoutMigration(m: Migration, opts: LayoutOptions): RowLayout {
  const off = offsets(m, opts.alignment);
  const sides: Array<[Role, Session | null, number]> = [
    ['source', m.source, off.source],
    ['destination', m.destination, off.destination],
  ];
  const all = sides.flatMap(([, s, shift]) => (s ? extentOf(s, shift) : []));
  let from = Math.min(...all);
  let to = Math.max(...all);
  if (!(to > from)) {
    to = from + 1000;
  }
  // A little room so markers at the edges stay visible.
  const pad = (to - from) * 0.02;
  from -= pad;
  to += pad;
  const x = (t: number): number => (t - from) / (to - from);
  const span = (a: number, b: number | null): Span => {
    const l = x(a);
    return { left: l, width: Math.max(0, x(b ?? to) - l) };
  };
  const downtimeMs = m.source?.downtimeMs ?? m.destination?.downtimeMs ?? null;
  const lanes: LaneLayout[] = [];
  const deviceLanes: LaneLayout[] = [];
  for (const [role, s, shift] of sides) {
    if (!s) {
      continue;
    }
    const end = s.end === null ? null : s.end - shift;
    const lane: LaneLayout = {
      key: `${m.id}/${role}`,
      role,
      kind: 'side',
      label: role,
      host: s.host,
      extent: span(s.start - shift, end),
      segments: s.phases.map((p) => ({
        kind: 'phase',
        label: p.name,
        ...span(p.start - shift, p.end === null ? end : p.end - shift),
        open: p.end === null,
      })),
      markers: [],
    };
    if (role === 'source' && s.stopTime !== null) {
      const stop = s.stopTime - shift;
      lane.markers.push({ kind: 'stop', left: x(stop), time: s.stopTime, label: 'STOP' });
      lane.downtime = span(stop, downtimeMs !== null ? stop + downtimeMs : end);
    }
    if (role === 'destination' && s.resumeTime !== null) {
      const resume = s.resumeTime - shift;
      lane.markers.push({ kind: 'resume', left: x(resume), time: s.resumeTime, label: 'RESUME' });
      if (downtimeMs !== null) {
        lane.downtime = span(resume - downtimeMs, resume);
      }
    }
    lanes.push(lane);
    for (const d of s.devices) {
      const failure: LaneMarker[] = d.failure
        ? [
            {
              kind: 'failure',
              left: x(d.failure.time - shift),
              time: d.failure.time,
              label: `${d.device}: ${d.failure.target ? `→ ${d.failure.target} failed` : 'failed'}`,
              raw: d.failure.raw,
            },
          ]
        : [];
      if (!opts.showDevices) {
        lane.markers.push(...failure);
        continue;
      }
      deviceLanes.push({
        key: `${m.id}/${role}/${d.device}`,
        role,
        kind: 'device',
        label: d.device,
        host: s.host,
        extent: span(s.start - shift, end),
        segments: d.segments.map((g) => ({
          kind: 'state',
          label: g.state,
          ...span(g.start - shift, g.end === null ? end : g.end - shift),
          open: g.end === null,
        })),
        markers: failure,
      });
    }
  }
  return {
    id: m.id,
    vm: m.vm,
    vmUuid: m.vmUuid,
    verdict: m.verdict,
    migration: m,
    lanes: [...lanes, ...deviceLanes],
    domain: { from, to },
    ticks: niceTicks(from, to).map((value) => ({ left: x(value), value })),
    alignment: opts.alignment,
    notes: skewNotes(m, opts.skewNoteMs),
    failedDevices: m.failedDevices,
    downtimeMs,
  };
}

export const segmentCount = (rows: readonly RowLayout[]): number =>
  rows.reduce((n, r) => n + r.lanes.reduce((k, l) => k + l.segments.length, 0), 0);
