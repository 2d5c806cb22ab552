/**
 * Issue 8: a libvirt domain log as QEMU process lifetimes, enough for a verdict without migration
 * events; and the destination lost after the switchover. Each host runs its own correlator (as the
 * agent and `review` do); the two hosts' sessions are then paired by the model.
 */
import { describe, expect, it } from 'vitest';
import { pairSessions, type Observation, type Session, type Verdict } from '@switchover/model';
import { Harness, ob } from './correlator-helpers.js';

const VM = 'vm-one';
const DEV = '0000:3b:00.1';
const T = Date.UTC(2026, 11, 2, 1, 0, 0);

/** The source side of a libvirt migration as its domain log tells it. */
function sourceLog(t: number, outcome: 'migrated' | 'none'): Observation[] {
  const out = [
    ob.processStart(VM, t - 60_000),
    ob.identity(VM, t - 60_000, { incoming: false }),
    ob.initiated(VM, t),
  ];
  if (outcome === 'migrated') out.push(ob.processStop(VM, t + 5000, 'migrated'));
  return out;
}

/** An incoming QEMU started just before the source initiates (libvirt's Prepare phase). */
const incoming = (t: number): Observation[] => [
  ob.processStart(VM, t - 400),
  ob.identity(VM, t - 400, { incoming: true }),
];

/** Every session a host's correlator produced, once its input ended. */
function sessions(list: Observation[]): Session[] {
  const h = new Harness({ windowMs: 30_000, resumeWaitMs: 600_000, maxOpenSessions: 100, maxPending: 100 });
  h.feedAll(list);
  const { open } = h.flush();
  const byId = new Map<string, Session>();
  for (const e of h.effects) if ('session' in e) byId.set(e.session.id, e.session);
  for (const s of open) byId.set(s.id, s);
  return [...byId.values()];
}

function verdicts(src: Observation[], dst: Observation[]): Array<[Verdict, string[]]> {
  const a = sessions(src).map((s) => ({ ...s, host: 'hv-a' }));
  const b = sessions(dst).map((s) => ({ ...s, host: 'hv-b' }));
  return pairSessions([...a, ...b]).map((m) => [m.verdict, m.failedDevices]);
}

describe('domain logs alone', () => {
  it('healthy: the incoming QEMU ran on, the source says reason=migrated → succeeded', () => {
    expect(verdicts(sourceLog(T, 'migrated'), incoming(T))).toEqual([['succeeded', []]]);
  });

  it('the failure line printed by the incoming QEMU is its migration’s, whatever its time → silent-destination-failure', () => {
    const dst = [...incoming(T), ob.failure(VM, DEV, T - 400, { timeSource: 'bounded', latest: null })];
    expect(verdicts(sourceLog(T, 'migrated'), dst)).toEqual([['silent-destination-failure', [DEV]]]);
  });

  it('a rejected stream (load failure, reason=failed) → failed, and the source is still in progress', () => {
    const dst = [
      ...incoming(T),
      ob.loadFailure(VM, T + 300, 'load of migration failed: Invalid argument', true),
      ob.processStop(VM, T + 310, 'failed'),
    ];
    expect(verdicts(sourceLog(T, 'none'), dst)).toEqual([['failed', []]]);
  });

  it('the destination QEMU killed mid-migration → failed', () => {
    expect(verdicts(sourceLog(T, 'none'), [...incoming(T), ob.processStop(VM, T + 1000, 'crashed')])).toEqual(
      [['failed', []]],
    );
  });

  it('the destination QEMU died after the source quit (hardware error, then crashed) → destination-lost', () => {
    const dst = [
      ...incoming(T),
      ob.failure(VM, DEV, T - 400, { timeSource: 'bounded', latest: null }),
      ob.failure(VM, DEV, T - 400, {
        timeSource: 'bounded',
        latest: null,
        form: 'hardware-error',
        fatal: true,
      }),
      ob.processStop(VM, T + 5300, 'crashed'),
    ];
    expect(verdicts(sourceLog(T, 'migrated'), dst)).toEqual([['destination-lost', [DEV]]]);
  });

  it('ping-pong A→B→A: a process that was a destination and then migrates on completed its incoming migration', () => {
    const b = [...incoming(T), ob.initiated(VM, T + 60_000), ob.processStop(VM, T + 65_000, 'migrated')];
    const a = [...sourceLog(T, 'migrated'), ...incoming(T + 60_000)];
    const s = sessions(b);
    expect(s.map((x) => [x.role, x.outcome])).toEqual([
      ['destination', 'completed'],
      ['source', 'completed'],
    ]);
    expect(verdicts(a, b)).toEqual([
      ['succeeded', []],
      ['succeeded', []],
    ]);
  });

  it('two `initiating migration` in one process: the earlier attempt ended unseen and is a failure of its own', () => {
    const s = sessions([
      ...sourceLog(T, 'none'),
      ob.initiated(VM, T + 30_000),
      ob.processStop(VM, T + 35_000, 'migrated'),
    ]);
    expect(s.map((x) => x.outcome)).toEqual(['failed', 'completed']);
  });

  it('a failure line of an earlier (non-incoming) QEMU never belongs to the next incoming migration', () => {
    const dst = [
      ob.processStart(VM, T - 3_600_000),
      ob.identity(VM, T - 3_600_000, { incoming: false }),
      ob.failure(VM, DEV, T - 3_600_000, { timeSource: 'bounded', latest: T - 400 }),
      ob.processStop(VM, T - 3_000_000, 'destroyed'),
      ...incoming(T),
    ];
    expect(verdicts(sourceLog(T, 'migrated'), dst)).toEqual([['succeeded', []]]);
  });

  it('a live destination known only from its log closes as arrived once resumeWait has passed', () => {
    const h = new Harness({ windowMs: 30_000, resumeWaitMs: 60_000, maxOpenSessions: 10, maxPending: 10 });
    h.feedAll(incoming(T));
    expect(h.tick(T + 30_000)).toEqual([]);
    const fx = h.tick(T + 60_000);
    expect(h.kinds(fx)).toEqual(['outcome', 'session-closed']);
    expect(h.closed()[0]?.outcome).toBe('completed');
  });

  it('the guest shutting down in an incoming process means its migration had arrived', () => {
    const s = sessions([...incoming(T), ob.processStop(VM, T + 20_000, 'shutdown')]);
    expect(s.map((x) => [x.role, x.outcome])).toEqual([['destination', 'completed']]);
  });
});

describe('migration events and domain logs together', () => {
  const dstEvents = (t: number): Observation[] => [
    ...incoming(t),
    ob.status(VM, 'setup', t),
    ob.status(VM, 'active', t + 10),
    ob.status(VM, 'completed', t + 4000),
    ob.resume(VM, t + 4050),
  ];

  it('the destination QEMU crashing inside the window after completion: lost, from the destination alone', () => {
    const s = sessions([...dstEvents(T), ob.processStop(VM, T + 5000, 'crashed')]);
    expect(s.map((x) => x.outcome)).toEqual(['lost']);
    expect(pairSessions(s).map((m) => m.verdict)).toEqual(['destination-lost']);
  });

  it('a QMP SHUTDOWN with host-error inside the window: lost; a crash after the window is not this migration’s', () => {
    const shutdown = { ...ob.shutdown(VM, T + 6000), reason: 'host-error' } as Observation;
    expect(sessions([...dstEvents(T), shutdown]).map((x) => x.outcome)).toEqual(['lost']);
    expect(
      sessions([...dstEvents(T), ob.processStop(VM, T + 4050 + 31_000, 'crashed')]).map((x) => x.outcome),
    ).toEqual(['completed']);
  });

  it('a deliberate stop inside the window (virsh destroy: SHUTDOWN host-signal, reason=destroyed) is no loss; an end with no reason is', () => {
    const stop = (reason: string) => ({ ...ob.shutdown(VM, T + 6000), reason }) as Observation;
    expect(
      sessions([...dstEvents(T), stop('host-signal'), ob.processStop(VM, T + 6010, 'destroyed')]).map(
        (x) => x.outcome,
      ),
    ).toEqual(['completed']);
    // Proxmox's qmeventd cleans up after any QEMU exit and says nothing of why.
    expect(
      sessions([...dstEvents(T), ob.processStop(VM, T + 6000, 'qmeventd cleanup')]).map((x) => x.outcome),
    ).toEqual(['lost']);
  });

  it('virsh save then restore: neither is a migration', () => {
    const host = [
      ob.processStart(VM, T - 60_000),
      ob.identity(VM, T - 60_000, { incoming: false }),
      ob.stop(VM, T),
      ob.status(VM, 'setup', T + 10),
      ob.pass(VM, 1, T + 11),
      ob.status(VM, 'active', T + 12),
      ob.status(VM, 'completed', T + 60),
      ob.processStop(VM, T + 90, 'saved'),
      // `virsh restore`: a new QEMU with `-incoming defer`, fed from the file.
      ob.processStart(VM, T + 400),
      ob.identity(VM, T + 400, { incoming: true }),
      ob.status(VM, 'setup', T + 900),
      ob.status(VM, 'active', T + 901),
      ob.status(VM, 'completed', T + 1000),
      ob.resume(VM, T + 1010),
    ];
    const s = sessions(host);
    expect(s.map((x) => [x.role, x.notMigration ?? null])).toEqual([['source', 'save']]);
    expect(pairSessions(s)).toEqual([]);
  });

  it('libvirt rolled the switchover back (the source RESUMEs after completing): the VM stays on the source → failed', () => {
    const src = [
      ...sourceLog(T, 'none'),
      ob.status(VM, 'setup', T + 5),
      ob.pass(VM, 1, T + 6),
      ob.status(VM, 'active', T + 7),
      ob.stop(VM, T + 3000),
      ob.status(VM, 'completed', T + 3100),
      ob.resume(VM, T + 3107),
    ];
    const dst = [
      ...dstEvents(T),
      ob.failure(VM, DEV, T + 4060, { form: 'hardware-error', fatal: true, target: undefined }),
      ob.processStop(VM, T + 4070, 'failed'),
    ];
    expect(sessions(dst).map((x) => x.outcome)).toEqual(['lost']);
    expect(verdicts(src, dst)).toEqual([['failed', [DEV]]]);
  });

  it('without an input that can deliver RESUME, a completed destination waits windowMs, not resumeWaitMs', () => {
    const h = new Harness({ windowMs: 30_000, resumeWaitMs: 600_000, resumeObservable: false });
    h.feedAll([...incoming(T), ob.status(VM, 'active', T + 10), ob.status(VM, 'completed', T + 4000)]);
    expect(h.tick(T + 33_000)).toEqual([]);
    expect(h.kinds(h.tick(T + 34_000))).toEqual(['session-closed']);
  });
});
