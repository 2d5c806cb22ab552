/**
 * fast-check generators for what the agent's inputs deliver: the real formats (libvirt's own lines,
 * trace and error_report lines, virsh event lines, QMP events and replies) with hostile VM and device
 * names and extreme times, plus the same lines cut, spliced and garbled. Iterations are small by
 * default so CI stays fast; SWITCHOVER_PROPERTY_RUNS=N runs N per property (e.g. 20000 overnight).
 */
import fc from 'fast-check';
import type { RawRecord } from '../../src/records/types.js';
import { HOSTILE_NAMES, libvirtTime, virshEvent } from '../helpers/libvirt-lines.js';

export const RUNS = Number(process.env.SWITCHOVER_PROPERTY_RUNS ?? 0) || undefined;
/** Options for `fc.assert`: `runs` by default, SWITCHOVER_PROPERTY_RUNS when set. */
export const runs = (n: number): fc.Parameters<unknown> => ({ numRuns: RUNS ?? n });

export const T0 = Date.UTC(2024, 10, 19, 3, 26, 40);

export const vmName = fc.oneof(
  fc.constantFrom(...HOSTILE_NAMES, 'vm-a', 'vm-b', 'ml-train-2'),
  fc.string({ minLength: 1, maxLength: 12 }),
);
export const deviceName = fc.constantFrom(
  '0000:e1:00.4',
  '0000:3b:00.1',
  'hostdev0',
  '__proto__',
  'constructor',
);
const status = fc.constantFrom(
  'setup',
  'active',
  'device',
  'completed',
  'failed',
  'cancelling',
  'cancelled',
  'bogus',
);
const vfioState = fc.constantFrom(
  'RUNNING',
  'RUNNING_P2P',
  'STOP',
  'STOP_COPY',
  'RESUMING',
  'ERROR',
  'PRE_COPY',
);

/** Mostly around T0 (so sessions form and windows matter), sometimes anywhere, sometimes absurd. */
export const time = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -120_000, max: 600_000 }).map((d) => T0 + d) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 4e12, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1e15, 8.64e15, 1e306, Number.MAX_SAFE_INTEGER) },
);

const sec = (ms: number): string => (ms / 1000).toFixed(6);

/** One line of QEMU's stderr or libvirt's domain log, in one of the real forms. */
export const logLine = fc.oneof(
  fc
    .tuple(
      time,
      fc.constantFrom(
        'initiating migration',
        'shutting down, reason=migrated',
        'shutting down, reason=destroyed',
        'starting up libvirt version: 10.8.0, qemu version: 9.1.1',
      ),
    )
    .map(([t, rest]) => {
      try {
        return `${libvirtTime(t)}: ${rest}`;
      } catch {
        return `2024-11-19 03:26:48.530+0000: ${rest}`;
      }
    }),
  fc
    .tuple(fc.nat(99999), time, status)
    .map(([pid, t, s]) => `${pid}@${sec(t)}:migrate_set_state new state ${s}`),
  fc
    .tuple(fc.nat(99999), time, deviceName, vfioState)
    .map(
      ([pid, t, d, s]) =>
        `${pid}@${sec(t)}:vfio_migration_set_state  (${d}) new state ${s}, recover state ERROR`,
    ),
  fc
    .tuple(fc.nat(99999), time, deviceName, vfioState)
    .map(([pid, t, d, s]) => `${pid}@${sec(t)}:vfio_migration_set_device_state  (${d}) state ${s}`),
  fc
    .tuple(deviceName, vfioState)
    .map(
      ([d, s]) =>
        `${d}: Failed setting device state to ${s}. Recover state is ERROR. Resetting device: Input/output error`,
    ),
  fc.tuple(deviceName).map(([d]) => `qemu-system-x86_64: ${d}: Failed resetting device, err: -5`),
  fc.constantFrom(
    '2024-11-19T03:27:27.864557Z qemu-system-x86_64: terminating on signal 15 from pid 1733 (/usr/sbin/virtqemud)',
    '2024-11-19T03:26:48.584Z qemu-system-x86_64: load of migration failed: Input/output error',
    'char device redirected to /dev/pts/3 (label charserial0)',
    '-name guest=ml-train-2,debug-threads=on \\',
    '-incoming defer \\',
  ),
);

/** One `virsh qemu-monitor-event` line. */
export const virshLine = fc.oneof(
  fc.tuple(vmName, status, time).map(([vm, s, t]) => virshEvent(vm, 'MIGRATION', t, { status: s })),
  fc.tuple(vmName, fc.constantFrom('STOP', 'RESUME'), time).map(([vm, e, t]) => virshEvent(vm, e, t)),
  fc
    .tuple(vmName, time)
    .map(([vm, t]) => virshEvent(vm, 'SHUTDOWN', t, { guest: false, reason: 'host-signal' })),
  fc.tuple(vmName, deviceName, vfioState, time).map(([vm, d, s, t]) =>
    virshEvent(vm, 'VFIO_MIGRATION', t, {
      'device-id': d,
      'qom-path': `/machine/peripheral/${d}`,
      state: s,
    }),
  ),
  fc.tuple(vmName, fc.jsonValue(), time).map(([vm, data, t]) => virshEvent(vm, 'MIGRATION', t, data)),
);

/** Cut, spliced or garbled: what a torn read, a binary byte or an attacker makes of a line. */
export const mangled = (line: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof(
    line,
    fc.tuple(line, fc.nat()).map(([l, n]) => l.slice(0, n % (l.length + 1))),
    fc.tuple(line, fc.nat(), fc.string({ unit: 'binary', maxLength: 8 })).map(([l, n, junk]) => {
      const at = n % (l.length + 1);
      return l.slice(0, at) + junk + l.slice(at);
    }),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );

export const qmpEvent = fc.record({
  event: fc.oneof(
    fc.constantFrom('MIGRATION', 'MIGRATION_PASS', 'STOP', 'RESUME', 'SHUTDOWN', 'VFIO_MIGRATION'),
    fc.string(),
  ),
  data: fc.oneof(
    fc.record({ status }),
    fc.record({ pass: fc.integer() }),
    fc.record({ 'device-id': deviceName, state: vfioState }),
    fc.dictionary(fc.string(), fc.jsonValue()),
  ),
  timestamp: fc.record({
    seconds: fc.oneof(
      time.map((t) => Math.floor(t / 1000)),
      fc.double(),
    ),
    microseconds: fc.integer(),
  }),
});

export const qmpReply = fc.oneof(
  fc.record({
    command: fc.constant('query-migrate'),
    result: fc.oneof(fc.record({ status, 'total-time': fc.double(), downtime: fc.double() }), fc.jsonValue()),
  }),
  fc.record({
    command: fc.constant('query-status'),
    result: fc.oneof(
      fc.record({ status: fc.constantFrom('running', 'inmigrate', 'paused') }),
      fc.jsonValue(),
    ),
  }),
  fc.record({
    command: fc.constant('query-name'),
    result: fc.oneof(fc.record({ name: vmName }), fc.jsonValue()),
  }),
  fc.record({ command: fc.constant('query-version'), result: fc.jsonValue() }),
  fc.record({
    command: fc.constant('query-migrate-capabilities'),
    result: fc.oneof(fc.array(fc.record({ capability: vmName, state: fc.boolean() })), fc.jsonValue()),
  }),
  fc.record({
    command: fc.constant('vfio-devices'),
    result: fc.oneof(fc.dictionary(vmName, deviceName), fc.jsonValue()),
  }),
);

/** Any raw record a source can hand the pipeline, for `host`, with VMs that may be hostile. */
export const rawRecord = (host = 'h'): fc.Arbitrary<RawRecord> =>
  fc.oneof(
    fc.tuple(mangled(logLine), vmName, fc.option(time, { nil: undefined }), time, fc.nat(10_000)).map(
      ([text, vm, transport, arrival, line]): RawRecord => ({
        kind: 'log-line',
        host,
        vm: { name: vm },
        arrival,
        origin: { kind: 'libvirt-log', file: `/var/log/libvirt/qemu/${vm}.log`, line },
        text,
        ...(transport !== undefined ? { transportTime: transport } : {}),
      }),
    ),
    fc.tuple(mangled(virshLine), time).map(
      ([text, arrival]): RawRecord => ({
        kind: 'virsh-line',
        host,
        arrival,
        origin: { kind: 'virsh' },
        text,
      }),
    ),
    fc.tuple(qmpEvent, vmName, time).map(
      ([event, vm, arrival]): RawRecord => ({
        kind: 'qmp-event',
        host,
        vm: { name: vm },
        arrival,
        origin: { kind: 'qmp' },
        event: event as never,
      }),
    ),
    fc.tuple(qmpReply, vmName, time).map(
      ([r, vm, arrival]): RawRecord => ({
        kind: 'qmp-reply',
        host,
        vm: { name: vm },
        arrival,
        origin: { kind: 'qmp' },
        command: r.command,
        result: r.result,
      }),
    ),
  );

const virshRecord = (text: string, arrival: number, host: string): RawRecord => ({
  kind: 'virsh-line',
  host,
  arrival,
  origin: { kind: 'virsh' },
  text,
});

/**
 * Whole migrations of a few VMs (hostile names among them), as virsh and the domain log report them:
 * a source (setup → active → STOP → completed / failed / cancelled, libvirt's lines) or a
 * destination (setup → active → completed → RESUME, maybe the VFIO failure line after it). The
 * correlator's properties need streams that do form and close sessions, not only noise.
 */
export const migrations = (host = 'h'): fc.Arbitrary<RawRecord[]> =>
  fc
    .array(
      fc.record({
        vm: fc.constantFrom(...HOSTILE_NAMES, 'vm-a', 'vm-b'),
        role: fc.constantFrom('source', 'destination'),
        start: fc.integer({ min: 0, max: 300_000 }).map((d) => T0 + d),
        length: fc.integer({ min: 10, max: 60_000 }),
        end: fc.constantFrom('completed', 'failed', 'cancelled', 'none'),
        failure: fc.boolean(),
        device: deviceName,
      }),
      { maxLength: 12 },
    )
    .map((ms) =>
      ms.flatMap((m) => {
        const out: RawRecord[] = [];
        const at = (t: number) => t + 5;
        const ev = (event: string, t: number, data: unknown = null) =>
          out.push(virshRecord(virshEvent(m.vm, event, t, data), at(t), host));
        const end = m.start + m.length;
        ev('MIGRATION', m.start, { status: 'setup' });
        ev('MIGRATION', m.start + 5, { status: 'active' });
        if (m.role === 'source') {
          out.push({
            kind: 'log-line',
            host,
            vm: { name: m.vm },
            arrival: at(m.start),
            origin: { kind: 'libvirt-log', file: `/var/log/libvirt/qemu/${m.vm}.log`, line: 1 },
            text: `${libvirtTime(m.start)}: initiating migration`,
          });
          if (m.end === 'completed') ev('STOP', end - 2);
          if (m.end !== 'none') ev('MIGRATION', end, { status: m.end });
        } else {
          if (m.end !== 'none') ev('MIGRATION', end, { status: m.end });
          if (m.end === 'completed') ev('RESUME', end + 3);
          if (m.failure)
            out.push({
              kind: 'log-line',
              host,
              vm: { name: m.vm },
              arrival: end + 10,
              origin: { kind: 'libvirt-log', file: `/var/log/libvirt/qemu/${m.vm}.log`, line: 2 },
              text: `${m.device}: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error`,
            });
        }
        return out;
      }),
    );
