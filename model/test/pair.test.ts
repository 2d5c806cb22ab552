import { describe, expect, it } from 'vitest';
import { createSession, pairSessions, verdictOf, type Session, type SideOutcome } from '../src/index.js';

const T0 = Date.UTC(2024, 10, 19, 3, 26, 48);

function side(
  role: 'source' | 'destination',
  outcome: SideOutcome,
  opts: {
    vm?: string;
    uuid?: string | null;
    host?: string;
    start?: number;
    end?: number | null;
    closed?: boolean;
    failed?: string[];
  } = {},
): Session {
  const s = createSession({
    host: opts.host ?? (role === 'source' ? 'src-host' : 'dst-host'),
    vm: opts.vm ?? 'vm1',
    vmUuid: opts.uuid ?? null,
    role,
    start: opts.start ?? T0,
  });
  s.outcome = outcome;
  s.end =
    opts.end === undefined ? (outcome === 'in-progress' ? null : (opts.start ?? T0) + 40_000) : opts.end;
  s.closed = opts.closed ?? outcome !== 'in-progress';
  for (const device of opts.failed ?? [])
    s.devices.push({
      device,
      segments: [],
      failure: {
        device,
        time: T0,
        raw: `${device}: Failed setting device state`,
        fatal: false,
        origin: { kind: 'file' },
      },
    });
  return s;
}

describe('verdictOf', () => {
  const cases: Array<[SideOutcome | null, SideOutcome | null, string]> = [
    ['completed', 'completed', 'succeeded'],
    ['completed', 'completed-with-device-failure', 'silent-destination-failure'],
    [null, 'completed-with-device-failure', 'silent-destination-failure'],
    ['failed', 'failed', 'failed'],
    ['failed', null, 'failed'],
    [null, 'failed', 'failed'],
    ['cancelled', 'failed', 'cancelled'],
    ['cancelled', null, 'cancelled'],
    ['completed', null, 'unverified'],
    [null, 'completed', 'unverified'],
    ['in-progress', 'in-progress', 'in-progress'],
    ['in-progress', null, 'in-progress'],
    ['completed', 'in-progress', 'in-progress'],
    ['failed', 'completed-with-device-failure', 'failed'],
  ];
  it.each(cases)('source %s + destination %s -> %s', (src, dst, verdict) => {
    expect(verdictOf(src ? side('source', src) : null, dst ? side('destination', dst) : null)).toBe(verdict);
  });

  it('a destination that failed before the source completed is a loud failure; one that died after it is lost', () => {
    const src = side('source', 'completed', { end: T0 + 40_000 });
    expect(verdictOf(src, side('destination', 'failed', { end: T0 + 20_000 }))).toBe('failed');
    // Died at the switchover or after it (within the skew allowance): the source has quit, the VM runs nowhere.
    expect(verdictOf(src, side('destination', 'failed', { end: T0 + 40_000 }))).toBe('destination-lost');
    expect(verdictOf(src, side('destination', 'failed', { end: T0 + 38_000 }))).toBe('destination-lost');
    expect(verdictOf(src, side('destination', 'failed', { end: T0 + 38_000 }), 1000)).toBe('failed');
    // A rejected stream is always before the switchover, whatever the clocks say.
    const rejected = side('destination', 'failed', { end: T0 + 40_000 });
    rejected.evidence.push({
      time: T0,
      text: 'load of migration failed: Invalid argument',
      origin: { kind: 'file' },
      kind: 'load-failure',
    });
    expect(verdictOf(src, rejected)).toBe('failed');
    // The destination saw its own completion and then its QEMU die: lost, whatever the source says.
    expect(verdictOf(null, side('destination', 'lost'))).toBe('destination-lost');
    // …unless the source shows the VM is still there: cancelled, failed, or resumed after completion.
    expect(verdictOf(side('source', 'cancelled'), side('destination', 'lost'))).toBe('cancelled');
    const resumed = side('source', 'completed', { end: T0 + 40_000 });
    resumed.resumeTime = T0 + 40_007;
    expect(verdictOf(resumed, side('destination', 'lost'))).toBe('failed');
    expect(verdictOf(resumed, side('destination', 'failed', { end: T0 + 40_005 }))).toBe('failed');
  });

  it('keeps a completed destination in progress while its attribution window is open', () => {
    expect(verdictOf(side('source', 'completed'), side('destination', 'completed', { closed: false }))).toBe(
      'in-progress',
    );
  });
});

describe('pairSessions', () => {
  it('pairs the two sides of one migration and names the failed destination device', () => {
    const src = side('source', 'completed', { uuid: 'F59DA17C-95CE-44E4-8F08-26B65C9AD8F5' });
    const dst = side('destination', 'completed-with-device-failure', {
      vm: 'renamed',
      uuid: 'f59da17c-95ce-44e4-8f08-26b65c9ad8f5',
      start: T0 - 160,
      failed: ['0000:e1:00.4'],
    });
    const [m, ...rest] = pairSessions([dst, src]);
    expect(rest).toHaveLength(0);
    expect(m).toMatchObject({
      verdict: 'silent-destination-failure',
      failedDevices: ['0000:e1:00.4'],
      source: src,
      destination: dst,
      startOffsetMs: -160,
    });
  });

  it('allows clock skew between hosts but not beyond the allowance', () => {
    const src = side('source', 'completed', { start: T0, end: T0 + 1000 });
    const dstSkewed = side('destination', 'completed', { start: T0 + 3000, end: T0 + 4000 });
    expect(pairSessions([src, dstSkewed])).toHaveLength(1);
    expect(pairSessions([src, dstSkewed], { skewMs: 1000 })).toHaveLength(2);
  });

  it('keeps two VMs migrating at once between the same hosts apart', () => {
    const a = side('source', 'completed', { vm: 'a' });
    const b = side('source', 'completed', { vm: 'b', start: T0 + 5 });
    const aDst = side('destination', 'completed', { vm: 'a', start: T0 + 3 });
    const bDst = side('destination', 'completed-with-device-failure', {
      vm: 'b',
      start: T0 + 1,
      failed: ['0000:3b:00.1'],
    });
    const ms = pairSessions([a, bDst, b, aDst]);
    expect(ms.map((m) => [m.vm, m.verdict, m.source?.vm, m.destination?.vm])).toEqual([
      ['b', 'silent-destination-failure', 'b', 'b'],
      ['a', 'succeeded', 'a', 'a'],
    ]);
  });

  it('keeps back-to-back migrations of one VM apart', () => {
    const first = side('source', 'completed', { start: T0, end: T0 + 10_000 });
    const second = side('source', 'completed', { start: T0 + 60_000, end: T0 + 70_000, host: 'dst-host' });
    const firstDst = side('destination', 'completed', { start: T0 - 100, end: T0 + 10_050 });
    const secondDst = side('destination', 'completed', {
      start: T0 + 59_900,
      end: T0 + 70_050,
      host: 'src-host',
    });
    const ms = pairSessions([secondDst, first, second, firstDst]);
    expect(ms).toHaveLength(2);
    expect(ms.every((m) => m.verdict === 'succeeded')).toBe(true);
    expect(ms.find((m) => m.source === first)?.destination).toBe(firstDst);
  });

  it('leaves a source seen alone unverified and a destination alone with its own verdict', () => {
    const ms = pairSessions([
      side('source', 'completed', { vm: 'only-src' }),
      side('destination', 'failed', { vm: 'only-dst' }),
    ]);
    expect(ms.map((m) => [m.vm, m.verdict, m.source === null, m.destination === null])).toEqual([
      ['only-dst', 'failed', true, false],
      ['only-src', 'unverified', false, true],
    ]);
  });

  it('returns nothing for nothing', () => {
    expect(pairSessions([])).toEqual([]);
  });

  it('never pairs two sessions of one host (a save and a restore), and leaves out what was no migration', () => {
    const save = side('source', 'completed', { host: 'hv-a' });
    const restore = side('destination', 'completed', { host: 'hv-a', start: T0 + 1000 });
    expect(
      pairSessions([save, restore]).map((m) => [m.source?.host ?? null, m.destination?.host ?? null]),
    ).toEqual([
      [null, 'hv-a'],
      ['hv-a', null],
    ]);
    save.notMigration = 'save';
    expect(pairSessions([save]).length).toBe(0);
  });

  it('puts a lost destination first', () => {
    const ms = pairSessions([
      side('source', 'completed', { vm: 'a' }),
      side('destination', 'completed-with-device-failure', { vm: 'a' }),
      side('source', 'completed', { vm: 'b' }),
      side('destination', 'lost', { vm: 'b' }),
    ]);
    expect(ms.map((m) => [m.vm, m.verdict])).toEqual([
      ['b', 'destination-lost'],
      ['a', 'silent-destination-failure'],
    ]);
  });
});
