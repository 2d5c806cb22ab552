import { describe, expect, it } from 'vitest';
import {
  captureEventTime,
  captureReplies,
  Harness,
  ob,
  observationsFromTranscript,
} from './correlator-helpers.js';

const VM = 'vm1';

describe('correlator: source side (real QEMU 7.2 transcripts)', () => {
  it('healthy source: setup, pass, active, STOP, completed, then query-migrate closes it with downtime', () => {
    const h = new Harness();
    const obs = observationsFromTranscript('qemu-7.2/real-migration-src.qmp.jsonl', VM);
    h.feedAll(obs);

    const opened = h.effects.find((e) => e.kind === 'session-opened');
    expect(opened).toBeDefined();
    const s = h.session();
    expect(s.role).toBe('source');
    expect(s.outcome).toBe('completed');
    expect(s.phases.map((p) => p.name)).toEqual(['setup', 'active', 'completed']);
    // A phase ends when the next starts.
    expect(s.phases[0]?.end).toBe(s.phases[1]?.start);
    // Times and figures as QEMU reported them in the capture: its STOP and `completed` events, and
    // the `query-migrate` reply after completion.
    const file = 'qemu-7.2/real-migration-src.qmp.jsonl';
    const [info] = captureReplies(file, 'query-migrate').map((r) => r.value);
    expect(s.stopTime).toBeCloseTo(captureEventTime(file, 'STOP'), 3);
    expect(s.end).toBeCloseTo(captureEventTime(file, 'MIGRATION', 'completed'), 3);
    expect(info?.status).toBe('completed');
    expect(s.downtimeMs).toBe(info?.downtime);
    expect(s.totalTimeMs).toBe(info?.['total-time']);
    expect(s.setupTimeMs).toBe(info?.['setup-time']);
    expect([s.downtimeMs, s.totalTimeMs, s.setupTimeMs].every((v) => typeof v === 'number')).toBe(true);
    expect(s.closed).toBe(true);
    // outcome first, then the close: and the close carries the downtime (metrics observe it there).
    const kinds = h.kinds().filter((k) => k === 'outcome' || k === 'session-closed');
    expect(kinds).toEqual(['outcome', 'session-closed']);
    const closedIdx = h.kinds().indexOf('session-closed');
    const infoIdx = obs.findIndex((o) => o.kind === 'migration-info');
    expect(infoIdx).toBeGreaterThan(0);
    expect(h.effects.filter((e) => e.kind === 'session-closed')).toHaveLength(1);
    expect(closedIdx).toBe(h.effects.length - 1);
    expect(s.evidence.map((e) => e.kind)).toEqual([
      'migration-status',
      'migration-status',
      'vm-stop',
      'migration-status',
    ]);
  });

  it('a completed source without a query-migrate reply closes 2 s later on tick, not before', () => {
    const h = new Harness();
    const obs = observationsFromTranscript('qemu-7.2/real-migration-src.qmp.jsonl', VM).filter(
      (o) => o.kind !== 'migration-info',
    );
    const completed = obs.find((o) => o.kind === 'migration-status' && o.status === 'completed');
    h.feedAll(obs.filter((o) => o.time <= (completed?.time ?? 0)));
    expect(h.tick((completed?.time ?? 0) + 1999)).toEqual([]);
    expect(h.kinds(h.tick((completed?.time ?? 0) + 2000))).toEqual(['session-closed']);
  });

  it('source failed: closes at once; the later query-migrate error-desc updates the closed session', () => {
    const h = new Harness();
    h.feedAll(observationsFromTranscript('qemu-7.2/failed-migration-ram-mismatch-src.qmp.jsonl', VM));
    const closed = h.closed();
    expect(closed).toHaveLength(1);
    const s = closed[0]!;
    expect(s.role).toBe('source');
    expect(s.outcome).toBe('failed');
    expect(s.errorDesc).toBe('Unable to write to socket: Bad file descriptor');
    expect(
      s.evidence.some((e) => e.kind === 'migration-info' && e.text.includes('Bad file descriptor')),
    ).toBe(true);
    // failed -> outcome, closed; reply -> outcome again (same session); the SHUTDOWN afterwards opens nothing.
    expect(h.kinds()).toEqual([
      'session-opened',
      'phase-changed',
      'phase-changed',
      'outcome',
      'session-closed',
      'outcome',
    ]);
  });

  it('source cancelled: cancelling then cancelled gives outcome cancelled', () => {
    const h = new Harness();
    h.feedAll(observationsFromTranscript('qemu-7.2/cancelled-migration-src.qmp.jsonl', VM));
    const s = h.closed()[0]!;
    expect(s.outcome).toBe('cancelled');
    expect(s.role).toBe('source');
    expect(s.phases.map((p) => p.name)).toEqual(['setup', 'active', 'cancelling']);
    expect(s.phases.at(-1)?.end).toBe(s.end);
    // the mid-migration query-migrate (1 s in, before migrate_cancel) was applied while active
    const [during] = captureReplies('qemu-7.2/cancelled-migration-src.qmp.jsonl', 'query-migrate');
    expect(during?.value.status).toBe('active');
    expect(s.totalTimeMs).toBe(during?.value['total-time']);
    expect(s.totalTimeMs).toBeGreaterThanOrEqual(1000);
  });

  it('return path: SHUT value while running, the error printed after `failed` lands on the closed session', () => {
    const h = new Harness();
    const t = 1_000_000;
    h.feedAll([ob.status(VM, 'setup', t), ob.pass(VM, 1, t + 1), ob.status(VM, 'active', t + 2)]);
    const shut = h.feed(ob.returnPath(VM, t + 100, 'shut', { value: 1 }));
    expect(h.kinds(shut)).toEqual(['return-path']);
    h.feed(ob.status(VM, 'failed', t + 101));
    const err = h.feed(ob.returnPath(VM, t + 102, 'error', { message: 'Sibling indicated error 1' }));
    expect(h.kinds(err)).toEqual(['return-path']);
    const s = h.closed()[0]!;
    expect(s.returnPath).toEqual({ shut: 1, error: 'Sibling indicated error 1' });
    expect(s.evidence.filter((e) => e.kind === 'return-path')).toHaveLength(2);
  });

  it('libvirt source: `initiating migration` before setup settles the role; `shutting down, reason=migrated` closes it', () => {
    const h = new Harness();
    const t = 2_000_000;
    h.feed(ob.initiated(VM, t - 50));
    const opened = h.feed(ob.status(VM, 'setup', t));
    expect(h.session(opened).role).toBe('source');
    h.feedAll([
      ob.status(VM, 'active', t + 3),
      ob.stop(VM, t + 900),
      ob.status(VM, 'pre-switchover', t + 900),
      ob.status(VM, 'device', t + 901),
    ]);
    h.feed(ob.status(VM, 'completed', t + 1000));
    expect(h.closed()).toHaveLength(0);
    const closing = h.feed(ob.processStop(VM, t + 1373, 'migrated'));
    expect(h.kinds(closing)).toEqual(['session-closed']);
    const s = h.closed()[0]!;
    expect(s.outcome).toBe('completed');
    expect(s.phases.map((p) => p.name)).toEqual(['setup', 'active', 'pre-switchover', 'device', 'completed']);
  });

  it('a source QEMU that exits mid-migration fails its side', () => {
    const h = new Harness();
    const t = 3_000_000;
    h.feedAll([ob.status(VM, 'setup', t), ob.pass(VM, 1, t + 1), ob.status(VM, 'active', t + 2)]);
    h.feed(ob.shutdown(VM, t + 50));
    expect(h.closed()[0]?.outcome).toBe('failed');
  });
});

describe('correlator: a source seen only through libvirt’s log', () => {
  it('`initiating migration` opens the session and `shutting down, reason=migrated` completes it', () => {
    const h = new Harness();
    h.feed(ob.initiated(VM, 1000));
    h.feed(ob.processStop(VM, 40_000, 'migrated'));
    const closed = h.effects.filter((e) => e.kind === 'session-closed');
    expect(closed).toHaveLength(1);
    expect(closed[0]?.session).toMatchObject({
      role: 'source',
      outcome: 'completed',
      start: 1000,
      end: 40_000,
    });
  });

  it('a source process that dies during the migration failed it', () => {
    const h = new Harness();
    h.feed(ob.initiated(VM, 1000));
    h.feed(ob.processStop(VM, 5000, 'crashed'));
    expect(h.effects.find((e) => e.kind === 'session-closed')?.session.outcome).toBe('failed');
  });

  it('with QMP events too, the libvirt line joins the session the events open', () => {
    const h = new Harness();
    h.feed(ob.status(VM, 'setup', 1000));
    h.feed(ob.initiated(VM, 1001));
    h.feed(ob.status(VM, 'active', 1002));
    expect(h.effects.filter((e) => e.kind === 'session-opened')).toHaveLength(1);
    expect(h.session().role).toBe('source');
  });
});
