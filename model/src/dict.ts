/**
 * A dictionary keyed by names that come from outside (VM names, device names, QOM ids): it has no
 * prototype, so `__proto__`, `constructor` or `toString` are keys like any other and can neither
 * pollute `Object.prototype` nor hit an inherited member. Serialises with `JSON.stringify` as a
 * plain object; after `JSON.parse`, pass the result through `dict()` again.
 */
export type Dict<V> = Record<string, V>;

export function dict<V>(from?: Readonly<Record<string, V>> | Iterable<readonly [string, V]>): Dict<V> {
  const out = Object.create(null) as Dict<V>;
  if (!from) return out;
  const entries = Symbol.iterator in from ? from : Object.entries(from);
  for (const [k, v] of entries as Iterable<readonly [string, V]>) out[k] = v;
  return out;
}
