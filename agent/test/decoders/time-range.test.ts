/**
 * Issue 9.3: wire-possible huge timestamps (QMP `seconds` ≥ 1e305, virsh `at 9999…`, absurd ISO,
 * libvirt and trace prefixes) became Infinity or dates `Date` cannot print: sessions stuck with
 * `start: null`, and `review` crashing in `Date#toISOString`. Such records are now `unknown`
 * (counted and skipped) at the decoder; nothing downstream ever sees the time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Observation } from '@switchover/model';
import { initialState, transition, DEFAULT_CORRELATOR_CONFIG } from '../../src/correlator/index.js';
import { decode, isPlausibleTime, lineTimestamp, TIME_RANGE_MS } from '../../src/decoders/index.js';
import type { RawRecord } from '../../src/records/types.js';
import { logLine, qmpEvent, status, virshLine } from './helpers.js';

const FAILURE =
  '0000:3b:00.1: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: x';

describe('absurd times are rejected at the decoder', () => {
  it('defines the plausible range once: from the epoch to 2100, and every time in it prints', () => {
    expect(TIME_RANGE_MS.min).toBe(0);
    expect(new Date(TIME_RANGE_MS.max).toISOString()).toBe('2100-01-01T00:00:00.000Z');
    for (const t of [NaN, Infinity, -Infinity, -1, TIME_RANGE_MS.max, 8.64e15 + 1])
      expect(isPlausibleTime(t), String(t)).toBe(false);
    for (const t of [0, Date.UTC(2025, 6, 21), TIME_RANGE_MS.max - 1]) expect(isPlausibleTime(t)).toBe(true);
  });

  it.each([
    ['QMP seconds 1e305 (1e308 ms)', { seconds: 1e305, microseconds: 0 }],
    ['QMP seconds 1e306 (Infinity ms)', { seconds: 1e306, microseconds: 0 }],
    ['QMP seconds past Date (year 275760+)', { seconds: 9e12, microseconds: 0 }],
    ['QMP seconds in 2200', { seconds: Date.UTC(2200, 0, 1) / 1000, microseconds: 0 }],
    ['QMP microseconds 1e308', { seconds: 1_700_000_000, microseconds: 1e308 }],
  ])('%s → unknown', (_name, timestamp) => {
    expect(status(qmpEvent({ event: 'STOP', timestamp }))).toBe('unknown');
    expect(status(qmpEvent({ event: 'MIGRATION', data: { status: 'setup' }, timestamp }))).toBe('unknown');
  });

  it.each([
    ['virsh at 9999…', "event STOP at 99999999999999999999999999.000000 for domain 'vm1': <null>"],
    ['virsh at 1e12 s', "event STOP at 1000000000000.000000 for domain 'vm1': <null>"],
    ['virsh --timestamp year 9999', "9999-12-31 23:59:59.999+0000: event STOP for domain 'vm1': <null>"],
    ['virsh --timestamp year 0001', "0001-01-01 00:00:00.000+0000: event STOP for domain 'vm1': <null>"],
  ])('%s → unknown', (_name, text) => {
    expect(status(virshLine(text))).toBe('unknown');
  });

  it.each([
    ['ISO year 9999', `9999-12-31T23:59:59.999999Z qemu-system-x86_64: ${FAILURE}`],
    [
      'ISO year 0050 (Date.UTC would read it as 1950)',
      `0050-01-01T00:00:00.000000Z qemu-system-x86_64: ${FAILURE}`,
    ],
    ['ISO 10.1+ trace, year 5000', '5000-01-01T00:00:00.000000Z migrate_set_state new state active'],
    ['tid trace, 12-digit seconds', '41@999999999999.000000:migrate_set_state new state active'],
    ['libvirt year 9999', '9999-01-01 00:00:00.000+0000: shutting down, reason=migrated'],
  ])('%s → unknown, and not read as an untimed line either', (_name, text) => {
    expect(status(logLine(text))).toBe('unknown');
    expect(lineTimestamp(text)).toBeNull();
  });

  it('an untimed line takes no absurd transport time or neighbour', () => {
    expect(status(logLine(FAILURE, { transportTime: Infinity }))).toBe('unknown');
    expect(status(logLine(FAILURE, { transportTime: 1e20 }))).toBe('unknown');
    expect(status(logLine(FAILURE, { neighbours: { before: 1e300, after: null } }))).toBe('unknown');
    expect(status(logLine(FAILURE, { neighbours: { before: 1000, after: 1e300 } }))).toBe('unknown');
    expect(status(logLine(FAILURE, { arrival: NaN }))).toBe('unknown');
    // The plausible neighbours of the same line still time it.
    expect(
      decode(logLine(FAILURE, { neighbours: { before: 1000, after: 2000 } })).observations[0],
    ).toMatchObject({
      time: 1000,
      latest: 2000,
    });
  });

  it('plausible times still decode as before', () => {
    const t = { seconds: 1_753_122_905, microseconds: 917_608 };
    expect(decode(qmpEvent({ event: 'STOP', timestamp: t })).observations[0]!.time).toBe(
      1_753_122_905_917.608,
    );
    expect(decode(qmpEvent({ event: 'STOP', timestamp: { seconds: -1, microseconds: -1 } })).status).toBe(
      'decoded',
    );
  });

  it('no session is opened with an unprintable start (the correlator never sees the time)', () => {
    const records: RawRecord[] = [
      qmpEvent({
        event: 'MIGRATION',
        data: { status: 'setup' },
        timestamp: { seconds: 1e306, microseconds: 0 },
      }),
      qmpEvent({
        event: 'MIGRATION',
        data: { status: 'active' },
        timestamp: { seconds: 1_753_122_905, microseconds: 0 },
      }),
    ];
    let state = initialState();
    for (const r of records)
      for (const observation of decode(r).observations) {
        state = transition(
          state,
          { kind: 'observation', observation },
          1_753_122_906_000,
          DEFAULT_CORRELATOR_CONFIG,
        ).state;
      }
    const session = state.vms.vm1?.session;
    expect(session?.start).toBe(1_753_122_905_000);
    expect(JSON.parse(JSON.stringify(session)).start).toBe(1_753_122_905_000);
  });
});

/** Any number a wire format could carry, with the edges drawn often. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 0, -1, 1e305, 1e306, 8.64e15, 8.64e15 + 1, TIME_RANGE_MS.max),
  fc.integer({ min: 0, max: 4_200_000_000 }).map((s) => s * 1000),
);
const digitRun = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 40 });
const year = fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0'));

const records: fc.Arbitrary<RawRecord> = fc.oneof(
  fc
    .record({ seconds: anyNumber, microseconds: anyNumber, arrival: anyNumber })
    .map(({ seconds, microseconds, arrival }) =>
      qmpEvent(
        { event: 'MIGRATION', data: { status: 'active' }, timestamp: { seconds, microseconds } },
        { arrival },
      ),
    ),
  fc
    .tuple(digitRun, fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 9 }))
    .map(([sec, usec]) => virshLine(`event STOP at ${sec}.${usec} for domain 'vm1': <null>`)),
  year.map((y) => virshLine(`${y}-06-01 12:00:00.000+0000: event STOP for domain 'vm1': <null>`)),
  year.map((y) => logLine(`${y}-06-01T12:00:00.123456Z qemu-system-x86_64: ${FAILURE}`)),
  year.map((y) => logLine(`${y}-06-01 12:00:00.000+0000: initiating migration`)),
  digitRun.map((sec) => logLine(`7@${sec.slice(0, 12)}.000001:migrate_set_state new state active`)),
  fc
    .record({ transportTime: anyNumber, arrival: anyNumber })
    .map(({ transportTime, arrival }) => logLine(FAILURE, { transportTime, arrival })),
  fc
    .record({ before: fc.option(anyNumber), after: fc.option(anyNumber) })
    .map((neighbours) => logLine(FAILURE, { neighbours })),
);

const printable = (t: number | null | undefined): boolean =>
  t === null || t === undefined || (isPlausibleTime(t) && new Date(t).toISOString().length === 24);

describe('property: every observation has a plausible, printable time', () => {
  it('for any time a wire format can carry, decode never throws and never lets an absurd time through', () => {
    fc.assert(
      fc.property(records, (r) => {
        const res = decode(r);
        expect(['decoded', 'ignored', 'unknown']).toContain(res.status);
        for (const o of res.observations as Observation[]) {
          expect(printable(o.time), `time ${o.time} of ${JSON.stringify(r)}`).toBe(true);
          expect(printable(o.latest), `latest ${o.latest}`).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('lineTimestamp is null or plausible for any timed form', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          year.map((y) => `${y}-06-01T12:00:00Z x`),
          year.map((y) => `${y}-06-01 12:00:00.000+0000: x`),
          digitRun.map((s) => `1@${s.slice(0, 12)}.000000:x`),
          fc
            .tuple(digitRun, digitRun)
            .map(([s, u]) => `event X at ${s}.${u.slice(0, 9)} for domain 'a': <null>`),
        ),
        (text) => printable(lineTimestamp(text)),
      ),
      { numRuns: 2000 },
    );
  });
});
