import { didYouMean } from '../lib/closest.js';

/**
 * The type checks the configuration schema is written in. Each takes a value and its dotted path,
 * returns the value when it is right, and otherwise records a problem at that path (where the value
 * came from, file line or environment variable, is added when the problem is printed).
 */
export type Json = unknown;
export interface Problem {
  /** Dotted setting path (`http.port`); '' for the whole configuration. */
  path: string;
  message: string;
  /** The environment variable the value came from, when the path alone does not tell. */
  variable?: string;
}
export type Check = (value: Json, path: string, problems: Problem[]) => Json;

export const isObj = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: Json): string => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));
const bad = (problems: Problem[], path: string, message: string): undefined =>
  void problems.push({ path, message });

export const str: Check = (v, p, e) =>
  typeof v === 'string' && v.length > 0 ? v : bad(e, p, `expected a non-empty string, got ${show(v)}`);
export const optStr: Check = (v, p, e) => (v === null ? null : str(v, p, e));
export const bool: Check = (v, p, e) =>
  typeof v === 'boolean' ? v : bad(e, p, `expected true or false, got ${show(v)}`);
export const int =
  (min: number, max: number): Check =>
  (v, p, e) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? v
      : bad(e, p, `expected a whole number from ${min} to ${max}, got ${show(v)}`);
export const num =
  (min: number, max: number): Check =>
  (v, p, e) =>
    typeof v === 'number' && v >= min && v <= max
      ? v
      : bad(e, p, `expected a number from ${min} to ${max}, got ${show(v)}`);
export const oneOf =
  (values: readonly string[]): Check =>
  (v, p, e) =>
    typeof v === 'string' && values.includes(v)
      ? v
      : bad(
          e,
          p,
          `expected one of ${values.join(', ')}, got ${show(v)}${typeof v === 'string' ? didYouMean(v, values) : ''}`,
        );
export const strList: Check = (v, p, e) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0)
    ? v
    : bad(e, p, `expected a list of non-empty strings, got ${show(v)}`);
/** An IANA zone (`Europe/Vienna`) or a fixed offset (`+02:00`, `UTC`), as the runtime knows it. */
export const timeZone: Check = (v, p, e) => {
  if (typeof v !== 'string' || v === '') return str(v, p, e);
  if (v === 'UTC' || /^[+-][0-9]{2}:?[0-9]{2}$/.test(v)) return v;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return v;
  } catch {
    return bad(
      e,
      p,
      `unknown time zone ${show(v)} (an IANA name such as Europe/Vienna, or an offset such as +02:00)`,
    );
  }
};

export const strMap: Check = (v, p, e) =>
  isObj(v) && Object.values(v).every((x) => typeof x === 'string')
    ? v
    : bad(e, p, `expected a map of strings, got ${show(v)}`);

/**
 * A mapping with known keys. Unknown keys are problems (a typo must not pass silently) that name
 * the closest known key; `required` keys must be present (a `tls` without its `keyFile`). The result
 * holds the known keys only.
 */
export const obj =
  (shape: Record<string, Check>, nullable = false, required: readonly string[] = []): Check =>
  (v, p, e) => {
    if (v === null && nullable) return null;
    if (!isObj(v)) return bad(e, p, `expected a mapping, got ${show(v)}`);
    const out: Record<string, Json> = {};
    const known = Object.keys(shape);
    for (const k of Object.keys(v)) {
      const at = p ? `${p}.${k}` : k;
      // hasOwn: a key such as `constructor` must not find Object's own members.
      if (!Object.hasOwn(shape, k)) {
        const hint = didYouMean(k, known);
        bad(e, at, hint ? `unknown setting${hint}` : `unknown setting (known: ${known.join(', ')})`);
        continue;
      }
      out[k] = shape[k]!(v[k], at, e);
    }
    for (const k of required) if (!Object.hasOwn(v, k)) bad(e, p ? `${p}.${k}` : k, 'missing');
    return out;
  };
