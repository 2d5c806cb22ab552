import { describe, expect, it } from 'vitest';
import { decode } from '../../src/decoders/index.js';
import { ARRIVAL, logLine, one, status, utc } from './helpers.js';

/** The three log-backend prefixes: ≤10.0 with `-msg timestamp=on`, 10.1+ with it, and without. */
const PREFIXES = [
  {
    name: '≤10.0 tid@sec.usec',
    prefix: '14585@1795702027.943773:',
    time: 1795702027943.773,
    timeSource: 'event',
  },
  {
    name: '10.1+ ISO',
    prefix: '2025-07-21T18:43:28.089815Z ',
    time: utc('2025-07-21T18:43:28.089815Z'),
    timeSource: 'event',
  },
  { name: 'bare', prefix: '', time: ARRIVAL, timeSource: 'arrival' },
] as const;

const CASES: [string, string, Record<string, unknown>][] = [
  ['migration status', 'migrate_set_state new state active', { kind: 'migration-status', status: 'active' }],
  [
    'migration status completed',
    'migrate_set_state new state completed',
    { kind: 'migration-status', status: 'completed' },
  ],
  [
    '9.1+ set_state attempt, PCI address',
    'vfio_migration_set_state  (0000:3b:00.1) new state RUNNING, recover state ERROR',
    { kind: 'vfio-attempt', device: '0000:3b:00.1', target: 'RUNNING' },
  ],
  [
    '9.1+ set_state attempt, QOM id, P2P',
    'vfio_migration_set_state  (hostdev0) new state RUNNING_P2P, recover state ERROR',
    { kind: 'vfio-attempt', device: 'hostdev0', target: 'RUNNING_P2P' },
  ],
  [
    '8.0–9.0 set_state (after success)',
    'vfio_migration_set_state  (0000:3b:00.1) state RUNNING',
    { kind: 'vfio-state', device: '0000:3b:00.1', state: 'RUNNING', via: 'trace' },
  ],
  [
    '8.0–9.0 set_state P2P',
    'vfio_migration_set_state  (hostdev0) state RUNNING_P2P',
    { kind: 'vfio-state', device: 'hostdev0', state: 'RUNNING_P2P', via: 'trace' },
  ],
  [
    '9.1+ set_device_state',
    'vfio_migration_set_device_state  (0000:3b:00.1) state RUNNING',
    { kind: 'vfio-state', device: '0000:3b:00.1', state: 'RUNNING', via: 'trace' },
  ],
  [
    '9.1+ set_device_state RESUMING',
    'vfio_migration_set_device_state  (hostdev0) state RESUMING',
    { kind: 'vfio-state', device: 'hostdev0', state: 'RESUMING', via: 'trace' },
  ],
  ['RP shut 0', 'source_return_path_thread_shut 0x0', { kind: 'return-path', event: 'shut', value: 0 }],
  ['RP shut 1', 'source_return_path_thread_shut 0x1', { kind: 'return-path', event: 'shut', value: 1 }],
  [
    'RP bad end (trailing space)',
    'source_return_path_thread_bad_end ',
    { kind: 'return-path', event: 'error', message: 'bad end' },
  ],
  [
    'RP bad end (journald stripped)',
    'source_return_path_thread_bad_end',
    { kind: 'return-path', event: 'error', message: 'bad end' },
  ],
  // Captured from QEMU 7.2.22 migrating to tcp:127.0.0.1:PORT (`-trace enable=migration_socket_*`).
  [
    'outgoing migration connection (source), IPv4',
    'migration_socket_outgoing_connected hostname=127.0.0.1',
    { kind: 'migration-peer', peer: '127.0.0.1' },
  ],
  [
    'outgoing migration connection (source), DNS name',
    'migration_socket_outgoing_connected hostname=kvm-fra1-a19.example.net',
    { kind: 'migration-peer', peer: 'kvm-fra1-a19.example.net' },
  ],
  [
    'outgoing migration connection (source), IPv6',
    'migration_socket_outgoing_connected hostname=fe80::1%eth0',
    { kind: 'migration-peer', peer: 'fe80::1%eth0' },
  ],
  [
    'migrate_error (9.1+)',
    'migrate_error error=Sibling indicated error 1',
    { kind: 'qemu-error', message: 'Sibling indicated error 1' },
  ],
  [
    'migrate_fd_error (≤9.0)',
    'migrate_fd_error error=Unable to write to socket: Broken pipe',
    { kind: 'qemu-error', message: 'Unable to write to socket: Broken pipe' },
  ],
];

describe('trace lines', () => {
  for (const p of PREFIXES) {
    for (const [name, body, expected] of CASES) {
      it(`${p.name}: ${name}`, () => {
        const text = p.prefix + body;
        const o = one(logLine(text));
        expect(o).toMatchObject({ ...expected, time: p.time, timeSource: p.timeSource, raw: text });
      });
    }
    it(`${p.name}: irrelevant and 7.2 numeric events are ignored`, () => {
      for (const body of [
        'vfio_migration_set_state  (0000:3b:00.1) state 2',
        'loadvm_state_setup ',
        'loadvm_state_setup',
        'savevm_state_iterate ',
        'migrate_set_state new state bogus',
        'vfio_migration_set_device_state  (0000:3b:00.1) state UNKNOWN STATE',
        'source_return_path_thread_pong 0x1',
        // A unix: URI has no host; 11.0 dropped the argument; anything else is not a host name.
        'migration_socket_outgoing_connected hostname=(null)',
        'migration_socket_outgoing_connected ',
        'migration_socket_outgoing_connected hostname=',
        'migration_socket_outgoing_connected hostname=a b',
        'migration_socket_incoming_accepted ',
      ]) {
        expect(status(logLine(p.prefix + body)), body).toBe('ignored');
      }
    });
  }

  it('a bare first word that is not a known trace name is not a trace', () => {
    expect(status(logLine('migrate_set_statex new state active'))).toBe('ignored');
    expect(status(logLine('load average is high'))).toBe('ignored');
    expect(status(logLine('systemd_thing new state active'))).toBe('ignored');
  });

  it('the ISO form accepts unknown snake_case names (ignored) and keeps prog lines as errors', () => {
    expect(status(logLine('2025-07-21T18:43:28.089815Z vfio_some_future_event  (hostdev0) x 1'))).toBe(
      'ignored',
    );
    expect(one(logLine('2025-07-21T18:43:28.089815Z qemu-system-x86_64: Something broke'))).toMatchObject({
      kind: 'qemu-error',
      message: 'Something broke',
    });
  });

  it('the tid timestamp keeps microseconds', () => {
    const o = one(logLine('14584@1795702027.000001:source_return_path_thread_shut 0x0'));
    expect(o.time).toBeCloseTo(1795702027000.001, 3);
  });

  it('10.1+ ISO trace and error_report share the clock', () => {
    const a = decode(
      logLine(
        '2025-07-21T18:43:28.089815Z vfio_migration_set_state  (0000:3b:00.1) new state RUNNING, recover state ERROR',
      ),
    );
    const b = decode(
      logLine(
        '2025-07-21T18:43:28.089815Z qemu-system-x86_64: 0000:3b:00.1: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error',
      ),
    );
    expect(a.observations[0]!.time).toBe(b.observations[0]!.time);
  });
});
