/**
 * Sessions and effects shaped like the correlator's, for the sink tests. Times are from the real
 * QEMU 7.2 capture era (2023 and later, i.e. before the test process started: that matters for
 * OpenTelemetry, which treats small epoch numbers as performance.now() offsets).
 */
import { createSession, type Observation, type Session } from '@switchover/model';
import type { Effect } from '../src/correlator/types.js';

export const T0 = Date.UTC(2024, 4, 2, 10, 0, 0); // 2024-05-02T10:00:00Z
export const FAILURE_LINE =
  'qemu-system-x86_64: vfio_migration_set_state: 0000:3b:00.1: Failed setting device state to RUNNING, err: Input/output error';

const clone = <T>(x: T): T => structuredClone(x);

/** A source session that completed after `ms` with downtime. */
export function sourceSession(host = 'hv-a', vm = 'vm1'): Session[] {
  const s = createSession({
    host,
    vm,
    vmUuid: '11111111-2222-3333-4444-555555555555',
    role: 'source',
    start: T0,
    qemuVersion: '7.2.22',
  });
  const steps: Session[] = [clone(s)];
  s.phases.push({ name: 'setup', start: T0, end: T0 + 20 });
  s.peer = 'hv-b.example.net'; // trace migration_socket_outgoing_connected, right after setup
  steps.push(clone(s));
  s.phases.push({ name: 'active', start: T0 + 20, end: null });
  steps.push(clone(s));
  s.phases[1]!.end = T0 + 1200;
  s.stopTime = T0 + 1150;
  s.phases.push({ name: 'completed', start: T0 + 1200, end: null });
  Object.assign(s, {
    end: T0 + 1200,
    outcome: 'completed',
    totalTimeMs: 1180,
    downtimeMs: 42,
    setupTimeMs: 20,
  });
  s.returnPath.shut = 0;
  steps.push(clone(s));
  s.closed = true;
  steps.push(clone(s));
  return steps;
}

const obs = (
  o: Partial<Observation> & Pick<Observation, 'kind'>,
  host: string,
  vm: string,
  time: number,
): Observation =>
  ({
    host,
    vm: { name: vm },
    time,
    timeSource: 'event',
    origin: { kind: 'libvirt-log', file: '/var/log/libvirt/qemu/vm1.log' },
    ...o,
  }) as Observation;

/** Effects of a source that completes normally, ending with `session-closed`. */
export function sourceEffects(host = 'hv-a', vm = 'vm1'): Effect[] {
  const [s0, s1, s2, s3, s4] = sourceSession(host, vm) as [Session, Session, Session, Session, Session];
  const rp = obs(
    { kind: 'return-path', event: 'shut', value: 0, raw: 'source_return_path_thread_shut 0x0' },
    host,
    vm,
    T0 + 1210,
  );
  return [
    { kind: 'session-opened', session: s0 },
    { kind: 'phase-changed', session: s1, phase: s1.phases[0]! },
    { kind: 'phase-changed', session: s2, phase: s2.phases[1]! },
    { kind: 'outcome', session: s3 },
    { kind: 'return-path', session: s3, observation: rp },
    { kind: 'session-closed', session: s4 },
  ];
}

/**
 * The destination of the silent failure: incoming, RESUMING, completes, RESUME, then the VFIO device
 * fails RESUMING→RUNNING and QEMU resets it (state RUNNING after the reset).
 */
export function silentDestinationEffects(host = 'hv-b', vm = 'vm1', device = '0000:3b:00.1'): Effect[] {
  const s = createSession({ host, vm, role: 'destination', start: T0 + 5, qemuVersion: '7.2.22' });
  const out: Effect[] = [{ kind: 'session-opened', session: clone(s) }];
  s.phases.push({ name: 'active', start: T0 + 5, end: null });
  out.push({ kind: 'phase-changed', session: clone(s), phase: s.phases[0]! });
  const resuming = obs({ kind: 'vfio-state', device, state: 'RESUMING', via: 'trace' }, host, vm, T0 + 10);
  s.devices.push({ device, segments: [{ state: 'RESUMING', start: T0 + 10, end: null, source: 'trace' }] });
  out.push({
    kind: 'device-state',
    session: clone(s),
    device,
    state: 'RESUMING',
    ok: true,
    observation: resuming,
  });
  s.phases[0]!.end = T0 + 1201;
  s.phases.push({ name: 'completed', start: T0 + 1201, end: null });
  s.resumeTime = T0 + 1201;
  Object.assign(s, { end: T0 + 1201, outcome: 'completed' });
  out.push({ kind: 'outcome', session: clone(s) });
  const failObs = obs(
    {
      kind: 'vfio-failure',
      device,
      target: 'RUNNING',
      error: 'Input/output error',
      form: 'err-8.0',
      fatal: false,
      raw: FAILURE_LINE,
    },
    host,
    vm,
    T0 + 1202,
  );
  const failure = {
    device,
    target: 'RUNNING' as const,
    error: 'Input/output error',
    time: T0 + 1202,
    raw: FAILURE_LINE,
    fatal: false,
    origin: failObs.origin,
  };
  const lane = s.devices[0]!;
  lane.segments[0]!.end = T0 + 1202;
  lane.segments.push({ state: 'RUNNING', start: T0 + 1202, end: null, source: 'failure-line' });
  lane.failure = failure;
  s.outcome = 'completed-with-device-failure';
  s.evidence.push({ time: T0 + 1202, text: FAILURE_LINE, origin: failObs.origin, kind: 'vfio-failure' });
  // As the correlator reports a failure line: the failed transition, then the (destination) failure.
  out.push({
    kind: 'device-state',
    session: clone(s),
    device,
    state: 'RUNNING',
    ok: false,
    observation: failObs,
  });
  out.push({ kind: 'device-failure', session: clone(s), failure, observation: failObs });
  s.windowEnd = T0 + 31_201;
  s.closed = true;
  out.push({ kind: 'session-closed', session: clone(s) });
  return out;
}

/** A destination whose incoming stream fails to load (a loud failure). */
export function loadFailureEffects(host = 'hv-c', vm = 'vm2'): Effect[] {
  const s = createSession({ host, vm, role: 'destination', start: T0 + 100 });
  const out: Effect[] = [{ kind: 'session-opened', session: clone(s) }];
  const raw = 'qemu-system-x86_64: load of migration failed: Input/output error';
  const lf = obs(
    { kind: 'load-failure', message: 'load of migration failed: Input/output error', final: true, raw },
    host,
    vm,
    T0 + 900,
  );
  Object.assign(s, {
    end: T0 + 900,
    outcome: 'failed',
    errorDesc: 'load of migration failed: Input/output error',
  });
  out.push({ kind: 'qemu-error', session: clone(s), observation: lf });
  out.push({ kind: 'outcome', session: clone(s) });
  s.closed = true;
  out.push({ kind: 'session-closed', session: clone(s) });
  return out;
}
