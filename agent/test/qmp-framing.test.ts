import { describe, expect, it } from 'vitest';
import { isReadOnlyCommand } from '../src/sources/qmp/allowlist.js';
import { Backoff } from '../src/lib/backoff.js';
import { LineFramer } from '../src/sources/qmp/framing.js';

describe('LineFramer', () => {
  it('splits CRLF and LF lines and buffers partial lines across chunks', () => {
    const f = new LineFramer();
    const a = f.push(Buffer.from('{"a":1}\r\n{"b":'));
    const b = f.push(Buffer.from('2}\n\r\n{"c":3}'));
    const c = f.push(Buffer.from('\r\n'));
    expect([...a.messages, ...b.messages, ...c.messages].map((m) => m.message)).toEqual([
      { a: 1 },
      { b: 2 },
      { c: 3 },
    ]);
    expect(c.messages[0]!.raw).toBe('{"c":3}');
  });

  it('never corrupts a multi-byte UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('{"desc":"Gerät — ✓"}\r\n', 'utf8');
    const f = new LineFramer();
    const out = [];
    for (let i = 0; i < bytes.length; i++) out.push(...f.push(bytes.subarray(i, i + 1)).messages);
    expect(out.map((m) => m.message)).toEqual([{ desc: 'Gerät — ✓' }]);
  });

  it('drops an oversize line up to its end, reports it once, and parses the next line', () => {
    const f = new LineFramer(64);
    const r1 = f.push(Buffer.from(`{"x":"${'y'.repeat(50)}`));
    const r2 = f.push(Buffer.from('y'.repeat(100)));
    const r3 = f.push(Buffer.from('"}\r\n{"ok":true}\r\n'));
    expect(r1.issues).toEqual([]);
    expect(r2.issues).toEqual([{ kind: 'oversize', bytesSoFar: 156, maxLineBytes: 64 }]);
    expect(r3.issues).toEqual([]);
    expect(r3.messages.map((m) => m.message)).toEqual([{ ok: true }]);
  });

  it('handles an oversize line that ends inside the chunk that overflows it', () => {
    const f = new LineFramer(16);
    const r = f.push(Buffer.from(`${'z'.repeat(40)}\n{"n":1}\n`));
    expect(r.issues).toHaveLength(1);
    expect(r.messages.map((m) => m.message)).toEqual([{ n: 1 }]);
  });

  it('reports garbage and non-object JSON and skips blank lines', () => {
    const r = new LineFramer().push(Buffer.from('\r\nnope\r\n[1]\r\n"s"\r\n{"ok":1}\r\n'));
    expect(r.issues.map((i) => i.kind)).toEqual(['garbage', 'garbage', 'garbage']);
    expect(r.messages).toHaveLength(1);
  });
});

describe('allowlist', () => {
  it('allows only qmp_capabilities, query-*, qom-list and qom-get', () => {
    for (const ok of [
      'qmp_capabilities',
      'query-status',
      'query-migrate-capabilities',
      'qom-list',
      'qom-get',
    ]) {
      expect(isReadOnlyCommand(ok)).toBe(true);
    }
    for (const no of [
      'migrate',
      'cont',
      'quit',
      'stop',
      'human-monitor-command',
      'qom-set',
      'query',
      'query-',
      'xquery-status',
      'migrate-set-capabilities',
      'device_del',
    ]) {
      expect(isReadOnlyCommand(no)).toBe(false);
    }
  });
});

describe('Backoff', () => {
  it('grows the ceiling exponentially up to max with full jitter, and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 5000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => b.next())).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999]);
    b.reset();
    expect(b.next()).toBe(99);
    const zero = new Backoff({ random: () => 0 });
    expect(zero.next()).toBe(0);
  });

  it('rejects a nonsensical configuration at construction', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 500, maxMs: 100 })).toThrow(RangeError);
  });
});
