/**
 * Property: every decoder (log line, virsh line, QMP event, QMP reply) is total over what its input
 * can deliver, real formats and garbage alike: it never throws, answers one of its three statuses,
 * and what it decodes is attributed (a host, a VM named by a string, a number for the time).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/decoders/index.js';
import type { RawRecord } from '../../src/records/types.js';
import { rawRecord, runs } from './arbitraries.js';

const STATUSES = new Set(['decoded', 'ignored', 'unknown']);

const seenKinds = new Set<string>();
const seenStatuses = new Set<string>();

function checkResult(r: RawRecord): void {
  const res = decode(r);
  seenStatuses.add(res.status);
  for (const o of res.observations) seenKinds.add(o.kind);
  expect(STATUSES.has(res.status)).toBe(true);
  if (res.status !== 'decoded') expect(res.observations).toHaveLength(0);
  for (const o of res.observations) {
    expect(o.host).toBe(r.host);
    expect(typeof o.vm.name).toBe('string');
    expect(typeof o.time).toBe('number');
    expect(typeof o.kind).toBe('string');
  }
}

describe('decoders (property)', () => {
  it('never throw and attribute what they decode, whatever the record', () => {
    fc.assert(fc.property(rawRecord(), checkResult), runs(3000));
    // The generators reach the real formats, not only garbage: a property that decodes nothing proves nothing.
    expect([...seenStatuses].sort()).toEqual(['decoded', 'ignored', 'unknown']);
    for (const k of [
      'migration-status',
      'vm-resume',
      'vfio-failure',
      'vfio-state',
      'migration-initiated',
      'vm-identity',
      'migration-info',
    ])
      expect(seenKinds).toContain(k);
  });

  it('never throw on records whose fields have the wrong types (a bug upstream must not crash the pipeline)', () => {
    const anything = fc.anything();
    fc.assert(
      fc.property(
        fc.constantFrom('log-line', 'virsh-line', 'qmp-event', 'qmp-reply', 'other'),
        anything,
        anything,
        anything,
        (kind, text, event, result) => {
          const r = {
            kind,
            host: 'h',
            arrival: 0,
            origin: { kind: 'qmp' },
            text,
            event,
            result,
            command: text,
          } as never;
          expect(() => decode(r)).not.toThrow();
        },
      ),
      runs(2000),
    );
  });
});
