import { pairSessions } from '@switchover/model';
import { layoutMigration, segmentCount, skewNotes } from './timeline';
import { migrationPair } from '../../tests/fixtures/sessions';

const T0 = Date.UTC(2025, 0, 1, 10);
const one = (spec: Parameters<typeof migrationPair>[0]) => pairSessions(migrationPair(spec))[0]!;
const OPTS = { alignment: 'absolute' as const, showDevices: true, skewNoteMs: 1000 };

describe('layoutMigration', () => {
  it('draws a source and a destination lane on one axis, with STOP, RESUME, downtime and device lanes', () => {
    const row = layoutMigration(one({ vm: 'g', t0: T0, kind: 'silent' }), OPTS);
    expect(row.lanes.map((l) => [l.kind, l.role, l.label])).toEqual([
      ['side', 'source', 'source'],
      ['side', 'destination', 'destination'],
      ['device', 'source', '0000:3b:00.2'],
      ['device', 'destination', '0000:3b:00.2'],
    ]);
    const [src, dst, , dstDev] = row.lanes;
    const stop = src!.markers.find((m) => m.kind === 'stop')!;
    const resume = dst!.markers.find((m) => m.kind === 'resume')!;
    expect(resume.left).toBeGreaterThan(stop.left);
    expect(src!.downtime!.left).toBeCloseTo(stop.left, 6);
    expect(dst!.downtime!.left + dst!.downtime!.width).toBeCloseTo(resume.left, 6);
    const failure = dstDev!.markers[0]!;
    expect(failure.kind).toBe('failure');
    expect(failure.raw).toContain('Failed setting device state to RUNNING');
    for (const l of row.lanes) {
      for (const s of l.segments) {
        expect(s.left).toBeGreaterThanOrEqual(0);
        expect(s.left + s.width).toBeLessThanOrEqual(1.0000001);
      }
    }
    expect(row.ticks.length).toBeGreaterThan(2);
  });

  it('moves failure markers onto the side lane when devices are hidden', () => {
    const row = layoutMigration(one({ vm: 'g', t0: T0, kind: 'silent' }), { ...OPTS, showDevices: false });
    expect(row.lanes).toHaveLength(2);
    expect(row.lanes[1]!.markers.map((m) => m.kind)).toEqual(['resume', 'failure']);
  });

  it('switchover alignment puts source STOP and destination RESUME at 0 and so cancels clock skew', () => {
    const m = one({ vm: 'g', t0: T0, kind: 'healthy', skewMs: -3000 });
    const abs = layoutMigration(m, OPTS);
    const rel = layoutMigration(m, { ...OPTS, alignment: 'switchover' });
    const stopAt = (r: typeof abs) => r.lanes[0]!.markers.find((x) => x.kind === 'stop')!.left;
    const resumeAt = (r: typeof abs) => r.lanes[1]!.markers.find((x) => x.kind === 'resume')!.left;
    expect(resumeAt(abs)).toBeLessThan(stopAt(abs)); // skewed: RESUME drawn before STOP
    expect(resumeAt(rel)).toBeCloseTo(stopAt(rel), 6);
    expect(rel.domain.from).toBeLessThan(0);
    expect(rel.domain.to).toBeGreaterThan(0);
  });

  it('notes skewed clocks only beyond the threshold', () => {
    expect(skewNotes(one({ vm: 'g', t0: T0, skewMs: -3000 }), 1000)).toEqual([
      'Destination started 2.9 s before the source: host clocks are probably skewed',
      'Destination RESUME is 3.0 s before source STOP: host clocks are skewed',
    ]);
    expect(skewNotes(one({ vm: 'g', t0: T0, skewMs: -500 }), 1000)).toEqual([]);
    expect(skewNotes(one({ vm: 'g', t0: T0, skewMs: 4000 }), 100)[0]).toMatch(/after the source/);
  });

  it('lays out a one-sided (unverified) migration and counts segments', () => {
    const row = layoutMigration(one({ vm: 'g', t0: T0, kind: 'unverified' }), OPTS);
    expect(row.lanes.map((l) => l.role)).toEqual(['source', 'source']);
    expect(segmentCount([row])).toBe(4 + 3);
  });
});
