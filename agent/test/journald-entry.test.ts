import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEntry } from '../src/records/journal-entry.js';
import { FIXTURES } from './helpers/fixtures.js';

/** What parseEntry must give: the same as reading the fields after a full JSON.parse. */
function viaFullParse(line: string) {
  const o = JSON.parse(line) as Record<string, unknown>;
  const wrapped = JSON.stringify({ ...o, __PAD__: ['x', 'y'] }); // an array field forces the full parser
  return parseEntry(wrapped);
}

const TRICKY = [
  {
    MESSAGE: 'quote " and backslash \\ and "_PID":"9" inside',
    _PID: '42',
    __REALTIME_TIMESTAMP: '1795702811235566',
    __CURSOR: 's=1;i=2',
  },
  {
    MESSAGE: 'ends with a backslash \\',
    _CMDLINE: 'qemu-system-x86_64 -name guest=vm\\1,debug-threads=on -uuid 0f',
    _PID: '7',
  },
  { OBJECT_PID: '1', MESSAGE: 'x', X_MESSAGE: 'not me', _BOOT_ID: 'b' },
  { MESSAGE: null, _PID: '3' },
  { MESSAGE: 'unicode é ✓ \u0001 control', __REALTIME_TIMESTAMP: '1' },
  { MESSAGE: 'line1\nline2\n', _PID: '5' },
  { _PID: '5' },
];

describe('parseEntry fast path', () => {
  it.each(TRICKY.map((o) => [JSON.stringify(o)]))('reads %s exactly as a full parse would', (line) => {
    expect(parseEntry(line)).toEqual(viaFullParse(line));
  });

  it('agrees with a full parse on every real journalctl line of the fixtures', () => {
    const lines = [
      'journald-standalone-real-qemu-migration.jsonl',
      'journalctl-json-qemu-src-trace.jsonl',
      'journalctl-json-edge-cases-all.jsonl',
    ]
      .flatMap((f) => readFileSync(`${FIXTURES}/qemu-7.2/${f}`, 'utf8').split('\n'))
      .filter(Boolean);
    expect(lines.length).toBeGreaterThan(50);
    for (const line of lines) expect(parseEntry(line)).toEqual(viaFullParse(line));
  });

  it('still rejects what is not one JSON object', () => {
    expect(parseEntry('{"MESSAGE":"cut short')).toEqual({ ok: false, reason: 'json' });
    expect(parseEntry('["MESSAGE"]')).toEqual({ ok: false, reason: 'not-object' });
  });
});
