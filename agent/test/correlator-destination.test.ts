import { describe, expect, it } from 'vitest';
import type { Effect } from '../src/correlator/index.js';
import { at, captureEventTime, Harness, ob, observationsFromTranscript } from './correlator-helpers.js';

const VM = 'ml-train-2';
const DEV = '0000:e1:00.4';

/** A libvirt destination in the shape of fixtures/review/libvirt-silent-9.1 (its own clock, QEMU event times). */
const LV = {
  start: at('2024-11-19T03:26:41.024Z'),
  setup: 1731986808366.274,
  active: at('2024-11-19T03:26:48.511Z'),
  completed: at('2024-11-19T03:27:27.417Z'),
  resume: 1731986847494.954,
};

function libvirtDestination(h: Harness): void {
  h.feed(ob.processStart(VM, LV.start, '9.1.1'));
  h.feed(
    ob.identity(VM, LV.start, {
      incoming: true,
      devices: { hostdev0: DEV },
      vm: { name: VM, uuid: 'f59da17c-95ce-44e4-8f08-26b65c9ad8f5' },
    }),
  );
  h.feed(ob.status(VM, 'setup', LV.setup));
  h.feed(ob.status(VM, 'active', LV.active));
  h.feed(ob.status(VM, 'completed', LV.completed));
  h.feed(ob.resume(VM, LV.resume));
}

const only = (effects: Effect[], kind: Effect['kind']) => effects.filter((e) => e.kind === kind);

describe('correlator: destination side', () => {
  it('healthy 7.2 destination (real transcript): window closes 30 s after RESUME on tick, not before', () => {
    const h = new Harness();
    const obs = observationsFromTranscript('qemu-7.2/real-migration-dst.qmp.jsonl', 'vm1').filter(
      (o) => o.kind !== 'shutdown',
    );
    h.feedAll(obs);
    const s = h.session();
    expect(s.role).toBe('destination');
    expect(s.outcome).toBe('completed');
    // 7.2 destination: no setup phase, RESUME ~50 µs before completed.
    expect(s.phases.map((p) => p.name)).toEqual(['active', 'completed']);
    const resume = captureEventTime('qemu-7.2/real-migration-dst.qmp.jsonl', 'RESUME');
    expect(s.resumeTime).toBeCloseTo(resume, 3);
    expect(s.windowEnd).toBeCloseTo(resume + 30_000, 3);
    expect(s.closed).toBe(false);
    expect(h.tick(resume + 29_999)).toEqual([]);
    const closing = h.tick(resume + 30_000);
    expect(h.kinds(closing)).toEqual(['session-closed']);
    expect(s.closed).toBe(true);
    expect(h.tick(resume + 60_000)).toEqual([]);
  });

  it('libvirt 9.1 silent failure: the bare line 230 ms after RESUME alerts at once; closes at RESUME+30 s', () => {
    const h = new Harness();
    libvirtDestination(h);
    const s = h.session(h.effects.filter((e) => 'session' in e));
    expect(s.role).toBe('destination');
    expect(s.vmUuid).toBe('f59da17c-95ce-44e4-8f08-26b65c9ad8f5');
    expect(s.qemuVersion).toBe('9.1.1');
    expect(s.outcome).toBe('completed');
    expect(s.windowEnd).toBeCloseTo(LV.resume + 30_000, 3);

    // Live: the log line has no timestamp, so it is timed at arrival.
    const arrival = LV.resume + 230;
    const fx = h.feed(ob.failure(VM, DEV, arrival), arrival);
    expect(h.kinds(fx)).toEqual(['device-state', 'device-failure', 'outcome']);
    const df = only(fx, 'device-failure')[0];
    expect(df?.kind === 'device-failure' && df.failure).toMatchObject({
      device: DEV,
      target: 'RUNNING',
      error: 'Input/output error',
      fatal: false,
    });
    expect(s.outcome).toBe('completed-with-device-failure');
    expect(s.devices).toEqual([
      expect.objectContaining({
        device: DEV,
        segments: [{ state: 'RUNNING', start: arrival, end: null, source: 'failure-line' }],
      }),
    ]);
    expect(
      s.evidence.some(
        (e) =>
          e.kind === 'vfio-failure' && e.text.startsWith(`${DEV}: Failed setting device state to RUNNING`),
      ),
    ).toBe(true);

    expect(h.tick(LV.resume + 29_000)).toEqual([]);
    expect(h.kinds(h.tick(LV.resume + 30_000))).toEqual(['session-closed']);
    expect(h.closed()[0]?.outcome).toBe('completed-with-device-failure');
  });

  it('failure before completion (7.2 autostart order): completion yields completed-with-device-failure', () => {
    const h = new Harness();
    const t = 5_000_000;
    h.feedAll([
      ob.identity('vm1', t - 10, { runState: 'inmigrate' }),
      ob.status('vm1', 'active', t),
      ob.resume('vm1', t + 15),
    ]);
    const fx = h.feed(ob.failure('vm1', '0000:3b:00.1', t + 15.02, { form: 'v1-7.2', target: undefined }));
    expect(h.kinds(fx)).toEqual(['device-state', 'device-failure']);
    expect(h.session().outcome).toBe('in-progress');
    const done = h.feed(ob.status('vm1', 'completed', t + 15.05));
    expect(h.kinds(done)).toEqual(['phase-changed', 'outcome']);
    expect(h.session().outcome).toBe('completed-with-device-failure');
    // 7.2 v1 protocol: the device state after the failure is unknown
    expect(h.session().devices[0]?.segments.at(-1)?.state).toBe('UNKNOWN');
  });

  it('RUNNING_P2P: the error line, and the 9.1+ trace pattern with no error line', () => {
    const t = 6_000_000;
    const lineOnly = new Harness();
    lineOnly.feedAll([
      ob.identity('vm1', t, { incoming: true }),
      ob.status('vm1', 'setup', t),
      ob.status('vm1', 'active', t + 5),
    ]);
    lineOnly.feedAll([ob.status('vm1', 'completed', t + 100), ob.resume('vm1', t + 200)]);
    const fx = lineOnly.feed(ob.failure('vm1', DEV, t + 201, { target: 'RUNNING_P2P' }));
    const df = only(fx, 'device-failure')[0];
    expect(df?.kind === 'device-failure' && df.failure.target).toBe('RUNNING_P2P');

    // Traces only: attempt RUNNING_P2P, then RUNNING recorded (the reset): a failure at the P2P step.
    const traces = new Harness();
    traces.feedAll([
      ob.identity('vm1', t, { incoming: true, devices: { hostdev0: DEV } }),
      ob.status('vm1', 'setup', t),
      ob.status('vm1', 'active', t + 5),
      ob.vfioState('vm1', 'hostdev0', 'RESUMING', t + 6),
      ob.status('vm1', 'completed', t + 100),
      ob.resume('vm1', t + 200),
      ob.attempt('vm1', DEV, 'RUNNING_P2P', t + 200.1),
    ]);
    const reset = traces.feed(ob.vfioState('vm1', 'hostdev0', 'RUNNING', t + 200.5));
    expect(reset.map((e) => (e.kind === 'device-state' ? `${e.kind}:${e.state}:${e.ok}` : e.kind))).toEqual([
      'device-state:RUNNING:false',
      'device-failure',
      'outcome',
    ]);
    const s = traces.session();
    expect(s.outcome).toBe('completed-with-device-failure');
    expect(s.devices).toHaveLength(1); // hostdev0 was mapped onto the host address
    expect(s.devices[0]?.device).toBe(DEV);
    expect(s.devices[0]?.segments.map((g) => [g.state, g.end !== null])).toEqual([
      ['RESUMING', true],
      ['RUNNING', false],
    ]);
    // The error line that follows is the same incident: evidence, no second alert.
    const line = traces.feed(ob.failure('vm1', DEV, t + 201, { target: 'RUNNING_P2P' }));
    expect(only(line, 'device-failure')).toHaveLength(0);
  });

  it('a healthy P2P start (attempt P2P, P2P, attempt RUNNING, RUNNING) is no failure', () => {
    const h = new Harness();
    const t = 6_500_000;
    h.feedAll([
      ob.identity('vm1', t, { incoming: true }),
      ob.status('vm1', 'setup', t),
      ob.status('vm1', 'completed', t + 100),
      ob.resume('vm1', t + 200),
    ]);
    const fx = h.feedAll([
      ob.attempt('vm1', DEV, 'RUNNING_P2P', t + 200.1),
      ob.vfioState('vm1', DEV, 'RUNNING_P2P', t + 200.2),
      ob.attempt('vm1', DEV, 'RUNNING', t + 200.3),
      ob.vfioState('vm1', DEV, 'RUNNING', t + 200.4),
    ]);
    expect(fx.every((e) => e.kind === 'device-state' && e.ok)).toBe(true);
    expect(fx).toHaveLength(2);
    expect(h.session().outcome).toBe('completed');
  });

  it('fatal hardware error (reset failed, QEMU aborts) after completion: the destination is lost (issue 8: was `failed`)', () => {
    const h = new Harness();
    libvirtDestination(h);
    h.feed(ob.failure(VM, DEV, LV.resume + 100), LV.resume + 100);
    const fx = h.feed(
      ob.failure(VM, DEV, LV.resume + 101, { form: 'reset-failed', fatal: true, target: undefined }),
      LV.resume + 101,
    );
    expect(h.kinds(fx)).toEqual(['device-state', 'outcome', 'session-closed']);
    const s = h.closed()[0]!;
    expect(s.outcome).toBe('lost');
    expect(s.devices[0]?.failure?.fatal).toBe(true);
    expect(only(h.effects, 'device-failure')).toHaveLength(1);
  });

  it('failed load: detail line is evidence, the final line fails the side; the `failed` event after opens nothing', () => {
    const h = new Harness();
    const t = 1795702045782.039;
    h.feed(ob.identity('vm1', t - 100, { runState: 'inmigrate' }));
    h.feed(ob.status('vm1', 'active', t));
    expect(
      h.feed(
        ob.loadFailure('vm1', t + 1.5, "error while loading state for instance 0x0 of device 'ram'", false),
      ),
    ).toEqual([]);
    const fx = h.feed(ob.loadFailure('vm1', t + 1.566, 'load of migration failed: Invalid argument', true));
    expect(h.kinds(fx)).toEqual(['outcome', 'session-closed']);
    expect(h.feed(ob.status('vm1', 'failed', t + 1.581))).toEqual([]);
    const s = h.closed()[0]!;
    expect(s.outcome).toBe('failed');
    expect(s.evidence.filter((e) => e.kind === 'load-failure').map((e) => e.text)).toEqual([
      "error while loading state for instance 0x0 of device 'ram'",
      'load of migration failed: Invalid argument',
    ]);
    expect(h.kinds().filter((k) => k === 'session-opened')).toHaveLength(1);
  });

  it('destination of a cancelled migration (real transcript): `failed`', () => {
    const h = new Harness();
    h.feedAll(observationsFromTranscript('qemu-7.2/cancelled-migration-dst.qmp.jsonl', 'vm1'));
    expect(h.closed().map((s) => [s.role, s.outcome])).toEqual([['destination', 'failed']]);
  });

  it('destination QEMU that exits mid-migration: `failed`', () => {
    const h = new Harness();
    h.feedAll(observationsFromTranscript('qemu-7.2/failed-migration-dst-killed-dst.qmp.jsonl', 'vm1'));
    expect(h.closed()).toHaveLength(0);
    // libvirt's `shutting down, reason=crashed`, shortly after the capture's `active`.
    const active = captureEventTime(
      'qemu-7.2/failed-migration-dst-killed-dst.qmp.jsonl',
      'MIGRATION',
      'active',
    );
    const fx = h.feed(ob.processStop('vm1', active + 54, 'crashed'));
    expect(h.kinds(fx)).toEqual(['outcome', 'session-closed']);
    expect(h.closed()[0]?.outcome).toBe('failed');
  });

  it('a new QEMU process fails a session its predecessor left in progress', () => {
    const h = new Harness();
    const t = 7_000_000;
    h.feedAll([ob.identity('vm1', t, { incoming: true }), ob.status('vm1', 'active', t + 1)]);
    const fx = h.feed(ob.processStart('vm1', t + 60_000));
    expect(h.kinds(fx)).toEqual(['outcome', 'session-closed']);
    expect(h.closed()[0]?.outcome).toBe('failed');
    expect(h.state.vms.vm1?.roleHint).toBeNull();
  });

  it('no RESUME after completion: closes resumeWaitMs after completion', () => {
    const h = new Harness({ windowMs: 30_000, resumeWaitMs: 60_000, maxOpenSessions: 10, maxPending: 10 });
    const t = 8_000_000;
    h.feedAll([
      ob.identity('vm1', t, { incoming: true }),
      ob.status('vm1', 'setup', t),
      ob.status('vm1', 'completed', t + 10),
    ]);
    expect(h.tick(t + 60_009)).toEqual([]);
    expect(h.kinds(h.tick(t + 60_010))).toEqual(['session-closed']);
    expect(h.closed()[0]?.windowEnd).toBeNull();
  });
});
