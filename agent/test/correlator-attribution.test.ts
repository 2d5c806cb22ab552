import { describe, expect, it } from 'vitest';
import type { Effect } from '../src/correlator/index.js';
import { at, Harness, ob } from './correlator-helpers.js';

const VM = 'ml-train-2';
const DEV = '0000:e1:00.4';
const MIN = 60_000;

const unattributed = (effects: Effect[]) => effects.filter((e) => e.kind === 'unattributed');

/** A healthy destination whose RESUME is at `resume`. */
function healthyDestination(h: Harness, setup: number, resume: number): void {
  h.feedAll([
    ob.identity(VM, setup - 1000, { incoming: true }),
    ob.status(VM, 'setup', setup),
    ob.status(VM, 'active', setup + 100),
    ob.status(VM, 'completed', resume - 77),
    ob.resume(VM, resume),
  ]);
}

describe('correlator: attributing failure lines to windows', () => {
  it('a failure line 30 min after RESUME is unattributed (with ticks, and without any tick in between)', () => {
    for (const ticking of [true, false]) {
      const h = new Harness();
      const resume = 10_000_000;
      healthyDestination(h, resume - 40_000, resume);
      if (ticking) h.tick(resume + 31_000);
      const late = resume + 30 * MIN;
      const fx = h.feed(ob.failure(VM, DEV, late), late);
      expect(unattributed(fx)).toHaveLength(1);
      expect(fx.some((e) => e.kind === 'device-failure')).toBe(false);
      const s = h.closed()[0]!;
      expect(s.outcome).toBe('completed');
      expect(s.devices).toEqual([]);
    }
  });

  it('an exact (live) failure line with no window at all is unattributed immediately', () => {
    const h = new Harness();
    const fx = h.feed(ob.failure(VM, DEV, 20_000_000), 20_000_000);
    expect(fx).toEqual([expect.objectContaining({ kind: 'unattributed', reason: 'outside-window' })]);
    expect(h.state.pending).toEqual([]);
  });

  it('offline: an untimed line with no later timed neighbour (latest null), printed by the incoming QEMU before its events, belongs to its migration', () => {
    // A libvirt destination log (as in fixtures/review/libvirt-silent-9.1) whose failure line is its last
    // line; the only timed neighbour is the `tainted` line at 03:26:41.024. The incoming process (its
    // `-incoming` command line) is the destination of one migration from its start, so the line is
    // attributed to it at once.
    const h = new Harness();
    const tainted = at('2024-11-19T03:26:41.024Z');
    const resume = 1731986847494.954;
    h.feed(ob.processStart(VM, tainted - 1));
    expect(h.kinds(h.feed(ob.identity(VM, tainted - 1, { incoming: true })))).toEqual(['session-opened']);
    const claimed = h.feed(ob.failure(VM, DEV, tainted, { timeSource: 'bounded', latest: null }));
    expect(h.kinds(claimed)).toEqual(['device-state', 'device-failure']);
    expect(h.state.pending).toEqual([]);

    const opened = h.feed(ob.status(VM, 'setup', 1731986808366.274));
    expect(h.kinds(opened)).toEqual(['phase-changed']);
    h.feed(ob.status(VM, 'active', at('2024-11-19T03:26:48.511Z')));
    const done = h.feed(ob.status(VM, 'completed', at('2024-11-19T03:27:27.417Z')));
    expect(h.session(done).outcome).toBe('completed-with-device-failure');
    h.feed(ob.resume(VM, resume));
    // The failure is re-timed to RESUME: a RUNNING transition happens when the VM starts.
    const s = h.session(done);
    expect(s.devices[0]?.failure?.time).toBe(resume);
    expect(s.devices[0]?.segments[0]?.start).toBe(resume);
    expect(s.evidence.find((e) => e.kind === 'vfio-failure')?.time).toBe(resume);
    const end = h.flush();
    expect(h.kinds(end.effects)).toEqual(['session-closed']);
    expect(end.open).toEqual([]);
    expect(h.closed()[0]?.outcome).toBe('completed-with-device-failure');
  });

  it('a bounded stale line (latest before the migration) is never attributed', () => {
    const h = new Harness();
    const setup = 30_000_000;
    // printed between two timed lines 3 h before the migration
    const fx = h.feed(
      ob.failure(VM, DEV, setup - 3 * 60 * MIN, {
        timeSource: 'bounded',
        latest: setup - 3 * 60 * MIN + 1000,
      }),
    );
    expect(fx).toEqual([]); // still claimable while `now` is near it
    healthyDestination(h, setup, setup + 20_000);
    const gone = unattributed(h.effects);
    expect(gone).toHaveLength(1);
    expect(h.flush().effects.map((e) => e.kind)).toEqual(['session-closed']);
    expect(h.closed()[0]?.outcome).toBe('completed');
    expect(h.closed()[0]?.devices).toEqual([]);
  });

  it('a bounded stale line that arrives after its bounds (live) is unattributed at once', () => {
    const h = new Harness();
    const t = 40_000_000;
    const fx = h.feed(ob.failure(VM, DEV, t - 10 * MIN, { timeSource: 'bounded', latest: t - 9 * MIN }), t);
    expect(unattributed(fx)).toHaveLength(1);
  });

  it('a bounded line whose bounds straddle the window is attributed; at flush leftover pending lines are unattributed', () => {
    const h = new Harness();
    const resume = 50_000_000;
    healthyDestination(h, resume - 40_000, resume);
    const fx = h.feed(
      ob.failure(VM, DEV, resume - 1000, { timeSource: 'bounded', latest: resume + 500 }),
      resume + 400,
    );
    expect(fx.some((e) => e.kind === 'device-failure')).toBe(true);
    // Another VM's untimed line with an open bound: no window ever opens for it.
    h.feed(ob.failure('other-vm', DEV, resume, { timeSource: 'bounded', latest: null }), resume + 401);
    const end = h.flush();
    expect(h.kinds(end.effects)).toEqual(['session-closed', 'unattributed']);
    expect(h.closed()[0]?.outcome).toBe('completed-with-device-failure');
  });

  it('pending is bounded: the oldest line is dropped as unattributed', () => {
    const h = new Harness({ windowMs: 30_000, resumeWaitMs: 600_000, maxOpenSessions: 10, maxPending: 2 });
    const t = 60_000_000;
    for (let i = 0; i < 3; i++)
      h.feed(ob.failure(`vm${i}`, DEV, t + i, { timeSource: 'bounded', latest: null }));
    expect(h.state.pending.map((p) => p.obs.vm.name)).toEqual(['vm1', 'vm2']);
    expect(unattributed(h.effects)).toEqual([
      expect.objectContaining({
        reason: 'pending-full',
        observation: expect.objectContaining({ vm: { name: 'vm0' } }),
      }),
    ]);
  });

  it('two VMs at once stay apart: a failure of one never touches the other', () => {
    const h = new Harness();
    const t = 70_000_000;
    h.feedAll([
      ob.identity('src-vm', t - 10, { runState: 'running' }),
      ob.identity('dst-vm', t - 10, { runState: 'inmigrate' }),
      ob.status('src-vm', 'setup', t),
      ob.status('dst-vm', 'active', t + 1),
      ob.pass('src-vm', 1, t + 2),
      ob.status('src-vm', 'active', t + 3),
      ob.stop('src-vm', t + 900),
      ob.status('src-vm', 'completed', t + 1000),
      ob.resume('dst-vm', t + 1001),
      ob.status('dst-vm', 'completed', t + 1001.05),
    ]);
    const fx = h.feed(ob.failure('dst-vm', DEV, t + 1200), t + 1200);
    expect(fx.every((e) => !('session' in e) || e.session.vm === 'dst-vm')).toBe(true);
    h.flush();
    const byVm = Object.fromEntries(h.closed().map((s) => [s.vm, s]));
    expect(byVm['src-vm']?.role).toBe('source');
    expect(byVm['src-vm']?.outcome).toBe('completed');
    expect(byVm['src-vm']?.devices).toEqual([]);
    expect(byVm['dst-vm']?.role).toBe('destination');
    expect(byVm['dst-vm']?.outcome).toBe('completed-with-device-failure');
  });

  it('a failure line on the source side is evidence of that side, not a silent destination failure', () => {
    const h = new Harness();
    const t = 80_000_000;
    h.feedAll([ob.status('vm1', 'setup', t), ob.pass('vm1', 1, t + 1), ob.status('vm1', 'active', t + 2)]);
    const fx = h.feed(ob.failure('vm1', DEV, t + 500, { target: 'STOP_COPY', form: 'errno-9.1' }), t + 500);
    expect(fx.map((e) => e.kind)).toEqual(['device-state']);
    expect(h.session().role).toBe('source');
  });
});
