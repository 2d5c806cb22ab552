import { describe, expect, it } from 'vitest';
import type { Observation } from '@switchover/model';
import { MAX_EVIDENCE, type CorrelatorState } from '../src/correlator/index.js';
import { captureReplies, Harness, ob, observationsFromTranscript } from './correlator-helpers.js';

const DEV = '0000:e1:00.4';
const small = { windowMs: 30_000, resumeWaitMs: 600_000, maxOpenSessions: 2, maxPending: 10 };

describe('correlator: state, memory bounds and role inference', () => {
  it('JSON round trip of the state mid-session, then continue: same effects and sessions as without', () => {
    const t = 1_000_000;
    const before: Observation[] = [
      ob.identity('vm1', t - 5, { incoming: true, devices: { hostdev0: DEV } }),
      ob.failure('vm1', DEV, t - 2, { timeSource: 'bounded', latest: null }),
      ob.status('vm1', 'setup', t),
      ob.status('vm1', 'active', t + 10),
      ob.status('vm1', 'completed', t + 500),
    ];
    const after: Observation[] = [
      ob.resume('vm1', t + 577),
      ob.vfioState('vm1', 'hostdev0', 'RUNNING', t + 578),
    ];

    const straight = new Harness();
    straight.feedAll(before);
    const restored = new Harness();
    restored.feedAll(before);
    const snapshot = JSON.stringify(restored.state);
    restored.state = JSON.parse(snapshot) as CorrelatorState;
    expect(restored.state).toEqual(straight.state);

    const a = [...straight.feedAll(after), ...straight.tick(t + 577 + 30_000)];
    const b = [...restored.feedAll(after), ...restored.tick(t + 577 + 30_000)];
    expect(b.map((e) => e.kind)).toEqual(a.map((e) => e.kind));
    expect(restored.closed()).toEqual(straight.closed());
    const s = restored.closed()[0]!;
    expect(s.outcome).toBe('completed-with-device-failure');
    expect(s.devices[0]?.device).toBe(DEV);
    expect(s.devices[0]?.failure?.time).toBe(t + 577);
    expect(JSON.parse(JSON.stringify(restored.state))).toEqual(restored.state);
  });

  it('a snapshot written before newer state fields existed is filled in, not tripped over', () => {
    const h = new Harness();
    h.state = {
      vms: {
        vm1: {
          vm: { name: 'vm1' },
          qemuVersion: null,
          roleHint: 'destination',
          devices: {},
          session: null,
          roleSettled: false,
        },
      },
      pending: [],
    } as unknown as CorrelatorState;
    h.feedAll([ob.status('vm1', 'active', 10), ob.resume('vm1', 20), ob.status('vm1', 'completed', 21)]);
    expect(h.session().role).toBe('destination');
    expect(h.state.vms.vm1?.attempts).toEqual({});
  });

  it('opening one session beyond maxOpenSessions evicts the oldest', () => {
    const h = new Harness(small);
    h.feed(ob.status('a', 'active', 100));
    h.feed(ob.status('b', 'active', 200));
    const fx = h.feed(ob.status('c', 'active', 300));
    expect(fx.map((e) => e.kind)).toEqual(['session-evicted', 'session-opened', 'phase-changed']);
    expect(fx[0]?.kind === 'session-evicted' && fx[0].session.vm).toBe('a');
    expect(
      Object.values(h.state.vms)
        .filter((v) => v.session)
        .map((v) => v.vm.name),
    ).toEqual(['b', 'c']);
  });

  it('VM states are capped; the least recently seen idle VMs go first', () => {
    const h = new Harness({ ...small, maxOpenSessions: 1 });
    h.feed(ob.status('busy', 'active', 1));
    for (let i = 0; i < 30; i++) h.feed(ob.identity(`idle${i}`, 10 + i, { runState: 'running' }));
    const names = Object.keys(h.state.vms);
    expect(names.length).toBeLessThanOrEqual(10);
    expect(names).toContain('busy');
    expect(names).toContain('idle29');
    expect(names).not.toContain('idle0');
  });

  it('role inference: MIGRATION_PASS makes a provisional destination a source', () => {
    const h = new Harness();
    const opened = h.feed(ob.status('vm1', 'setup', 100));
    expect(h.session(opened).role).toBe('destination');
    h.feed(ob.pass('vm1', 1, 101));
    expect(h.session().role).toBe('source');
    h.feedAll([ob.status('vm1', 'active', 102), ob.stop('vm1', 200), ob.status('vm1', 'completed', 300)]);
    expect(h.session().role).toBe('source');
    expect(h.session().windowEnd).toBeNull();
  });

  it('role inference: a 7.2 destination with no hint (active without setup) is a destination', () => {
    const h = new Harness();
    const obs = observationsFromTranscript('qemu-7.2/real-migration-dst.qmp.jsonl', 'vm1').filter(
      (o) => o.kind !== 'vm-identity',
    );
    h.feedAll(obs);
    expect(h.session().role).toBe('destination');
    expect(h.session().windowEnd).not.toBeNull();
    // A `running` query-status after completion (what the fixture's later reply says) does not flip it.
    const later = captureReplies('qemu-7.2/real-migration-dst.qmp.jsonl', 'query-status').at(-1)!;
    expect(later.value.status).toBe('running');
    h.feed(ob.identity('vm1', later.recvMs, { runState: 'running' }));
    expect(h.session().role).toBe('destination');
  });

  it('duplicate statuses (trace + event, journal replay) and stale ones change nothing', () => {
    const h = new Harness();
    h.feedAll([
      ob.identity('vm1', 1, { incoming: true }),
      ob.status('vm1', 'setup', 100),
      ob.status('vm1', 'active', 110),
    ]);
    expect(h.feed(ob.status('vm1', 'active', 110.01))).toEqual([]);
    h.feed(ob.status('vm1', 'completed', 500));
    expect(h.feed(ob.status('vm1', 'completed', 500.02))).toEqual([]);
    expect(h.feed(ob.status('vm1', 'active', 120))).toEqual([]);
    expect(h.session().phases.map((p) => p.name)).toEqual(['setup', 'active', 'completed']);
  });

  it('a new migration of the VM while the previous window is open closes the previous session first', () => {
    const h = new Harness();
    h.feedAll([
      ob.identity('vm1', 1, { incoming: true }),
      ob.status('vm1', 'active', 100),
      ob.resume('vm1', 200),
      ob.status('vm1', 'completed', 200.05),
    ]);
    const fx = h.feed(ob.status('vm1', 'setup', 10_000));
    expect(fx.map((e) => e.kind)).toEqual(['session-closed', 'session-opened', 'phase-changed']);
    h.feed(ob.pass('vm1', 1, 10_001));
    expect(h.state.vms.vm1?.session?.role).toBe('source');
  });

  it('flush leaves unfinished sessions open and returns them', () => {
    const h = new Harness();
    h.feedAll([ob.status('vm1', 'setup', 100), ob.pass('vm1', 1, 101), ob.status('vm1', 'active', 102)]);
    const end = h.flush();
    expect(end.effects).toEqual([]);
    expect(end.open.map((s) => [s.vm, s.outcome, s.closed])).toEqual([['vm1', 'in-progress', false]]);
  });

  it('evidence is capped per session, keeping the failure line', () => {
    const h = new Harness();
    h.feedAll([
      ob.identity('vm1', 1, { incoming: true }),
      ob.status('vm1', 'active', 100),
      ob.resume('vm1', 101),
    ]);
    h.feed(ob.failure('vm1', DEV, 102), 102);
    for (let i = 0; i < MAX_EVIDENCE + 50; i++) h.feed(ob.qemuError('vm1', 200 + i, `noise ${i}`));
    const ev = h.session().evidence;
    expect(ev).toHaveLength(MAX_EVIDENCE);
    expect(ev.some((e) => e.kind === 'vfio-failure')).toBe(true);
    expect(ev.at(-1)?.text).toBe(`noise ${MAX_EVIDENCE + 49}`);
  });
});

// Regression (seen with real QEMU, QMP and the log read together): the log's trace line of a state
// change is stamped a few µs *before* the QMP event, and can arrive after the QMP events closed the
// session. It must not open a phantom second migration.
describe('correlator: the same migration through a fast and a slow input', () => {
  it('a late trace line that predates the session start by µs belongs to the closed session', () => {
    const h = new Harness();
    const t = 1_795_708_628_969.534;
    h.feed(ob.status('vm1', 'active', t));
    h.feed(ob.status('vm1', 'failed', t + 3));
    h.feed(ob.status('vm1', 'active', t - 0.037), t + 60); // the trace line, read 60 ms later
    h.feed(ob.status('vm1', 'failed', t + 2.9), t + 61);
    expect(h.effects.filter((e) => e.kind === 'session-opened')).toHaveLength(1);
  });
});
