import type { DataFrame } from '@grafana/data';
import {
  REQUIRED_TABLE_FIELDS,
  ROLES,
  ROW_KINDS,
  SIDE_OUTCOMES,
  TABLE_FIELDS,
  type Role,
  type RowKind,
  type SideOutcome,
  type TableRow,
} from '@switchover/model';
import { asBool, asString, asTime, fieldByName } from './values';

/** A frame is meant as the sessions table when it names sessions and row kinds. */
export const isTableFrame = (f: DataFrame): boolean =>
  fieldByName(f, TABLE_FIELDS.sessionId) !== undefined || fieldByName(f, TABLE_FIELDS.kind) !== undefined;

const oneOf = <T extends string>(list: readonly T[], v: string | null): v is T =>
  v !== null && (list as readonly string[]).includes(v);

/**
 * The flat table of `model/src/table.ts` (agent `/api/migrations?format=table`, a JSON data source or
 * a TestData CSV) as TableRows. Cells are coerced (a CSV gives strings, JSON gives numbers or ISO
 * dates); a row with an unknown kind or role, or no start, is skipped rather than guessed.
 */
export function rowsFromTableFrame(frame: DataFrame): TableRow[] {
  const F = TABLE_FIELDS;
  const rows: TableRow[] = [];
  // Look each field up once per frame, not once per cell: tables of 500 migrations have ~15k rows.
  const fields = new Map(Object.values(F).map((n) => [n, fieldByName(frame, n)]));
  for (let i = 0; i < frame.length; i++) {
    const get = (name: string): unknown => fields.get(name as never)?.values[i];
    const kind = asString(get(F.kind));
    const role = asString(get(F.role));
    const start = asTime(get(F.start));
    const sessionId = asString(get(F.sessionId));
    if (!oneOf<RowKind>(ROW_KINDS, kind) || !oneOf<Role>(ROLES, role) || start === null || sessionId === null) {
      continue;
    }
    const outcome = asString(get(F.outcome));
    rows.push({
      session_id: sessionId,
      host: asString(get(F.host)) ?? 'unknown-host',
      vm: asString(get(F.vm)) ?? '',
      vm_uuid: asString(get(F.vmUuid)),
      role,
      outcome: oneOf<SideOutcome>(SIDE_OUTCOMES, outcome) ? outcome : 'in-progress',
      closed: asBool(get(F.closed)) ?? outcome !== 'in-progress',
      kind,
      name: asString(get(F.name)) ?? '',
      state: asString(get(F.state)),
      start,
      end: asTime(get(F.end)),
      text: asString(get(F.text)),
    });
  }
  return rows;
}

export const missingTableFields = (frame: DataFrame): string[] =>
  REQUIRED_TABLE_FIELDS.filter((n) => fieldByName(frame, n) === undefined);
