import { describe, expect, it } from 'vitest';
import { dict, hasKey, toDict } from '../src/index.js';

const HOSTILE = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];

describe('dict: dictionaries keyed by external names', () => {
  it('stores and reads every hostile name as data and never touches Object.prototype', () => {
    const d = dict<number>();
    for (const [i, k] of HOSTILE.entries()) {
      expect(d[k]).toBeUndefined();
      d[k] = i;
    }
    expect(Object.keys(d)).toEqual(HOSTILE);
    for (const [i, k] of HOSTILE.entries()) expect(d[k]).toBe(i);
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('rebuilds a JSON-parsed object (own __proto__ key) without inheriting anything', () => {
    const parsed: unknown = JSON.parse('{"__proto__":{"polluted":1},"constructor":2}');
    const d = toDict<unknown>(parsed);
    expect(Object.getPrototypeOf(d)).toBeNull();
    expect(d['__proto__']).toEqual({ polluted: 1 });
    expect(d['constructor']).toBe(2);
    expect(d['toString']).toBeUndefined();
    expect(hasKey(d, '__proto__')).toBe(true);
    expect(hasKey(d, 'valueOf')).toBe(false);
    expect(toDict('nope')).toEqual(dict());
    expect(Object.keys(toDict([1, 2]))).toEqual([]);
  });
});
