import type { DataFrame, Field } from '@grafana/data';

/**
 * Frame access by meaning (STYLE §8): fields are found by name, never by index, and values are
 * coerced explicitly because Tempo declares every attribute column `string` while the cells may hold
 * numbers, booleans, numeric strings or `undefined`.
 */

export function fieldByName(frame: DataFrame, name: string): Field | undefined {
  return frame.fields.find((f) => f.name === name || f.config?.displayNameFromDS === name);
}

export function hasFields(frame: DataFrame, names: readonly string[]): boolean {
  return names.every((n) => fieldByName(frame, n) !== undefined);
}

export function missingFields(frame: DataFrame, names: readonly string[]): string[] {
  return names.filter((n) => fieldByName(frame, n) === undefined);
}

export function asString(v: unknown): string | null {
  if (v === undefined || v === null) {
    return null;
  }
  if (typeof v === 'string') {
    return v === '' ? null : v;
  }
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    return String(v);
  }
  return null;
}

export function asNumber(v: unknown): number | null {
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : null;
  }
  if (typeof v === 'bigint') {
    return Number(v);
  }
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Epoch ms from a number, a numeric string, an ISO date string or a Date. */
export function asTime(v: unknown): number | null {
  const n = asNumber(v);
  if (n !== null) {
    return n;
  }
  if (v instanceof Date) {
    return v.getTime();
  }
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

export function asBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') {
    return v;
  }
  if (typeof v === 'number') {
    return v !== 0;
  }
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') {
      return true;
    }
    if (s === 'false' || s === '0') {
      return false;
    }
  }
  return null;
}

/** The value of `name` in row `i`, or undefined when the frame has no such field. */
export function cell(frame: DataFrame, name: string, i: number): unknown {
  return fieldByName(frame, name)?.values[i];
}
