import { createSession, type DeviceLane, type PhaseName, type Session } from './session.js';
import { isVfioState } from './qemu.js';
import type { Role, SideOutcome } from './verdict.js';

/**
 * The flat table of sessions and segments: what the agent serves at `/api/migrations?format=table`
 * and what the panel reads from a JSON data source or a CSV. One row per session, phase, device
 * segment, marker (STOP / RESUME) and device failure; fields are read by name.
 */
export const TABLE_FIELDS = {
  sessionId: 'session_id',
  host: 'host',
  vm: 'vm',
  vmUuid: 'vm_uuid',
  role: 'role',
  outcome: 'outcome',
  closed: 'closed',
  kind: 'kind',
  name: 'name',
  state: 'state',
  start: 'start',
  end: 'end',
  text: 'text',
} as const;

/** The fields without which no timeline can be drawn. */
export const REQUIRED_TABLE_FIELDS = ['session_id', 'host', 'vm', 'role', 'kind', 'start'] as const;

export const ROW_KINDS = ['session', 'phase', 'device', 'marker', 'failure'] as const;
export type RowKind = (typeof ROW_KINDS)[number];

export interface TableRow {
  session_id: string;
  host: string;
  vm: string;
  vm_uuid: string | null;
  role: Role;
  outcome: SideOutcome;
  closed: boolean;
  kind: RowKind;
  /** phase name, device address, marker name (`STOP`, `RESUME`) or failed device */
  name: string;
  /** device state for `device` rows, target state for `failure` rows */
  state: string | null;
  /** epoch ms */
  start: number;
  end: number | null;
  /** raw QEMU line of a failure */
  text: string | null;
}

export function sessionToRows(s: Session): TableRow[] {
  const base = {
    session_id: s.id,
    host: s.host,
    vm: s.vm,
    vm_uuid: s.vmUuid,
    role: s.role,
    outcome: s.outcome,
    closed: s.closed,
  };
  const rows: TableRow[] = [
    { ...base, kind: 'session', name: s.vm, state: null, start: s.start, end: s.end, text: null },
  ];
  for (const p of s.phases)
    rows.push({ ...base, kind: 'phase', name: p.name, state: null, start: p.start, end: p.end, text: null });
  if (s.stopTime !== null)
    rows.push({
      ...base,
      kind: 'marker',
      name: 'STOP',
      state: null,
      start: s.stopTime,
      end: null,
      text: null,
    });
  if (s.resumeTime !== null)
    rows.push({
      ...base,
      kind: 'marker',
      name: 'RESUME',
      state: null,
      start: s.resumeTime,
      end: null,
      text: null,
    });
  for (const d of s.devices) {
    for (const seg of d.segments)
      rows.push({
        ...base,
        kind: 'device',
        name: d.device,
        state: seg.state,
        start: seg.start,
        end: seg.end,
        text: null,
      });
    if (d.failure)
      rows.push({
        ...base,
        kind: 'failure',
        name: d.device,
        state: d.failure.target ?? null,
        start: d.failure.time,
        end: null,
        text: d.failure.raw,
      });
  }
  return rows;
}

/** Rebuild sessions from table rows (rows of unknown sessions or kinds are skipped). */
export function sessionsFromRows(rows: readonly TableRow[]): Session[] {
  const byId = new Map<string, Session>();
  const lane = (s: Session, device: string): DeviceLane => {
    let l = s.devices.find((d) => d.device === device);
    if (!l) s.devices.push((l = { device, segments: [] }));
    return l;
  };
  for (const r of rows) {
    if (r.kind !== 'session') continue;
    const s = createSession({ host: r.host, vm: r.vm, vmUuid: r.vm_uuid, role: r.role, start: r.start });
    Object.assign(s, { id: r.session_id, end: r.end, outcome: r.outcome, closed: r.closed });
    byId.set(r.session_id, s);
  }
  for (const r of rows) {
    const s = byId.get(r.session_id);
    if (!s) continue;
    switch (r.kind) {
      case 'session':
        break;
      case 'phase':
        s.phases.push({ name: r.name as PhaseName, start: r.start, end: r.end });
        break;
      case 'marker':
        if (r.name === 'STOP') s.stopTime = r.start;
        else if (r.name === 'RESUME') s.resumeTime = r.start;
        break;
      case 'device':
        lane(s, r.name).segments.push({
          state: r.state && isVfioState(r.state) ? r.state : 'UNKNOWN',
          start: r.start,
          end: r.end,
          source: 'event',
        });
        break;
      case 'failure':
        lane(s, r.name).failure = {
          device: r.name,
          ...(r.state && isVfioState(r.state) ? { target: r.state } : {}),
          time: r.start,
          raw: r.text ?? '',
          fatal: false,
          origin: { kind: 'file' },
        };
        break;
    }
  }
  return [...byId.values()];
}
