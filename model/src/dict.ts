/**
 * Dictionaries keyed by external names (VM names, device names, QOM ids, capability names): these
 * come from tenants and other programs, so they never key a plain object, where `__proto__` would
 * replace the prototype and `constructor` or `toString` would read inherited members. A dictionary
 * has a null prototype: every key is an own data property, and a missing key reads `undefined`.
 */
export type Dict<T> = Record<string, T>;

/** An empty dictionary, or one with the given entries. */
export function dict<T>(entries?: Iterable<readonly [string, T]>): Dict<T> {
  const d = Object.create(null) as Dict<T>;
  // defineProperty, not assignment: `d['__proto__'] = v` is a data property only because d has no
  // prototype; keep it one even if a caller hands in an object that has.
  if (entries)
    for (const [k, v] of entries)
      Object.defineProperty(d, k, { value: v, writable: true, enumerable: true, configurable: true });
  return d;
}

/**
 * A dictionary with the own enumerable entries of `value` (a plain object, e.g. from `JSON.parse`,
 * which defines `__proto__` as an own property); anything that is not an object gives an empty one.
 * `map` converts each value (validation of restored data).
 */
export function toDict<T>(value: unknown, map: (v: unknown, key: string) => T = (v) => v as T): Dict<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return dict<T>();
  return dict(Object.entries(value).map(([k, v]) => [k, map(v, k)] as const));
}

/** Whether `d` has `key` as its own entry (safe on plain objects too). */
export const hasKey = (d: object, key: string): boolean => Object.prototype.hasOwnProperty.call(d, key);
