/**
 * Destinations seen only through their process (Proxmox's target node): the session opens at the
 * incoming QEMU's start; completion and RESUME are inferred (correlator/incoming.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Observation, Session } from '@switchover/model';
import { Ingest, Replay } from '../src/ingest/ingest.js';
import type { Effect } from '../src/correlator/index.js';

const VM = { name: 'web01', uuid: '111' };
const T = 1_760_000_000_000;
const base = (time: number) => ({
  host: 'pve2',
  vm: VM,
  time,
  timeSource: 'arrival' as const,
  origin: { kind: 'journald' as const },
});
const o = {
  start: (time: number, incoming = true): Observation => ({
    ...base(time),
    kind: 'process-start',
    incoming,
    raw: 'VM 111 started with PID 4242 using pve-qemu-kvm_9.2.0-5.',
  }),
  stop: (time: number): Observation => ({ ...base(time), kind: 'process-stop', reason: 'qmeventd cleanup' }),
  completed: (time: number): Observation => ({
    ...base(time),
    kind: 'migration-status',
    status: 'completed',
  }),
  failure: (time: number, target: 'RUNNING' | 'RUNNING_P2P' | 'STOP' = 'RUNNING'): Observation => ({
    ...base(time),
    kind: 'vfio-failure',
    device: '0000:3b:00.1',
    target,
    form: 'errno-9.1',
    fatal: false,
    error: 'Input/output error',
  }),
  load: (time: number): Observation => ({
    ...base(time),
    kind: 'load-failure',
    message: 'load of migration failed: Invalid argument',
    final: true,
  }),
};

/** Replays observations; returns every session seen and the effects. */
function run(obs: Observation[], windowMs = 30_000) {
  const replay = new Replay(new Ingest({ windowMs }));
  const effects: Effect[] = [];
  for (const x of obs) effects.push(...replay.observe(x));
  const end = replay.end();
  effects.push(...end.effects);
  const sessions = new Map<string, Session>();
  for (const e of effects) if ('session' in e) sessions.set(e.session.id, e.session);
  for (const s of end.open) sessions.set(s.id, s);
  return { sessions: [...sessions.values()], effects, open: end.open };
}

describe('correlator: incoming process (no QEMU migration events)', () => {
  it('a start failure of a device means the migration had completed: silent failure, window from there', () => {
    const { sessions, effects } = run([o.start(T), o.failure(T + 9_000)]);
    expect(sessions).toHaveLength(1);
    const s = sessions[0]!;
    expect(s).toMatchObject({
      role: 'destination',
      outcome: 'completed-with-device-failure',
      start: T,
      end: T + 9_000,
      resumeTime: T + 9_000,
      windowEnd: T + 39_000,
      closed: true,
    });
    expect(effects.filter((e) => e.kind === 'device-failure')).toHaveLength(1);
  });

  it('completion learnt from elsewhere is also RESUME: a later failure in the window counts, one after it does not', () => {
    const inWindow = run([o.start(T), o.completed(T + 8_000), o.failure(T + 8_200)]).sessions[0]!;
    expect(inWindow).toMatchObject({ outcome: 'completed-with-device-failure', resumeTime: T + 8_000 });
    const late = run([o.start(T), o.completed(T + 8_000), o.failure(T + 8_000 + 31_000)], 30_000);
    expect(late.sessions[0]).toMatchObject({ outcome: 'completed', windowEnd: T + 38_000 });
    expect(late.effects.some((e) => e.kind === 'unattributed')).toBe(true);
  });

  it('the process ends before completion (cancel, a failed load): the destination failed', () => {
    expect(run([o.start(T), o.stop(T + 3_000)]).sessions[0]).toMatchObject({
      outcome: 'failed',
      end: T + 3_000,
    });
    expect(run([o.start(T), o.load(T + 2_000), o.stop(T + 2_100)]).sessions[0]).toMatchObject({
      outcome: 'failed',
      end: T + 2_000,
    });
  });

  it('a healthy incoming process with no completion: nothing invented while it runs, arrived (end unknown) at the end of input', () => {
    const ingest = new Ingest({ windowMs: 30_000 });
    ingest.observe(o.start(T), T);
    expect(ingest.openSessions()).toMatchObject([
      { outcome: 'in-progress', role: 'destination', phases: [] },
    ]);
    // Nothing failed it by the end of its input: its VM ran there (pairing with the source says the rest).
    const r = run([o.start(T)]);
    expect(r.open).toEqual([]);
    expect(r.sessions).toMatchObject([{ outcome: 'completed', role: 'destination', end: null, phases: [] }]);
  });

  it('a plain start opens nothing, and a failure line of a VM with no session is never attributed', () => {
    const r = run([o.start(T, false), o.failure(T + 1_000)]);
    expect(r.sessions).toEqual([]);
    expect(r.effects.filter((e) => e.kind === 'unattributed')).toHaveLength(1);
  });

  it('a failure to reach a state other than RUNNING does not complete anything', () => {
    const ingest = new Ingest({ windowMs: 30_000 });
    ingest.observe(o.start(T), T);
    ingest.observe(o.failure(T + 1_000, 'STOP'), T + 1_000);
    expect(ingest.openSessions()).toMatchObject([{ outcome: 'in-progress', end: null, phases: [] }]);
  });

  it('a second incoming start (a ping-pong back) closes the first session and opens its own', () => {
    const r = run([
      o.start(T),
      o.completed(T + 5_000),
      o.stop(T + 60_000),
      o.start(T + 120_000),
      o.completed(T + 125_000),
    ]);
    expect(r.sessions.map((s) => [s.start, s.outcome])).toEqual([
      [T, 'completed'],
      [T + 120_000, 'completed'],
    ]);
  });
});
