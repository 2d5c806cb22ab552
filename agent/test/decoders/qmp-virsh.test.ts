import { describe, expect, it } from 'vitest';
import { decode, parseVirshLine } from '../../src/decoders/index.js';
import type { QmpReplyRecord } from '../../src/records/types.js';
import { ARRIVAL, HOST, VM, one, qmpEvent, status, utc, virshLine } from './helpers.js';

const TS = { seconds: 1754930101, microseconds: 123456 };
const T = 1754930101123.456;

describe('QMP events', () => {
  it.each([
    [
      { event: 'MIGRATION', data: { status: 'completed' } },
      { kind: 'migration-status', status: 'completed' },
    ],
    [
      { event: 'MIGRATION', data: { status: 'postcopy-device' } },
      { kind: 'migration-status', status: 'postcopy-device' },
    ],
    [
      { event: 'MIGRATION_PASS', data: { pass: 3 } },
      { kind: 'migration-pass', pass: 3 },
    ],
    [{ event: 'STOP' }, { kind: 'vm-stop' }],
    [{ event: 'RESUME' }, { kind: 'vm-resume' }],
    [
      { event: 'SHUTDOWN', data: { guest: false, reason: 'host-signal' } },
      { kind: 'shutdown', reason: 'host-signal' },
    ],
    [
      {
        event: 'VFIO_MIGRATION',
        data: {
          'device-id': 'hostdev0',
          'qom-path': '/machine/peripheral/hostdev0',
          'device-state': 'running-p2p',
        },
      },
      { kind: 'vfio-state', device: 'hostdev0', state: 'RUNNING_P2P', via: 'event' },
    ],
    [
      {
        event: 'VFIO_MIGRATION',
        data: {
          'device-id': '',
          'qom-path': '/machine/peripheral-anon/device[2]',
          'device-state': 'resuming',
        },
      },
      { kind: 'vfio-state', device: '/machine/peripheral-anon/device[2]', state: 'RESUMING' },
    ],
  ] as const)('%j', (ev, expected) => {
    const o = one(qmpEvent({ ...ev, timestamp: TS } as never));
    expect(o).toMatchObject({
      ...expected,
      host: HOST,
      vm: VM,
      time: T,
      timeSource: 'event',
      origin: { kind: 'qmp' },
    });
    expect(JSON.parse(o.raw!)).toMatchObject({ event: ev.event, timestamp: TS });
  });

  it('uses arrival when QEMU sent -1 or no timestamp', () => {
    expect(one(qmpEvent({ event: 'RESUME', timestamp: { seconds: -1, microseconds: -1 } }))).toMatchObject({
      time: ARRIVAL,
      timeSource: 'arrival',
    });
    expect(one(qmpEvent({ event: 'STOP' }))).toMatchObject({ time: ARRIVAL, timeSource: 'arrival' });
  });

  it('ignores other events and rejects malformed ones', () => {
    expect(status(qmpEvent({ event: 'RTC_CHANGE', data: { offset: 1 }, timestamp: TS }))).toBe('ignored');
    expect(status(qmpEvent({ event: 'MIGRATION', data: { status: 'sideways' }, timestamp: TS }))).toBe(
      'unknown',
    );
    expect(status(qmpEvent({ event: 'MIGRATION', timestamp: TS }))).toBe('unknown');
    expect(
      status(qmpEvent({ event: 'VFIO_MIGRATION', data: { 'device-id': 'x', 'device-state': 'sideways' } })),
    ).toBe('unknown');
    expect(status(qmpEvent(null as never))).toBe('unknown');
    expect(status(qmpEvent({ event: 42 } as never))).toBe('unknown');
    expect(status(qmpEvent({ event: 'RESUME' }, { vm: undefined }))).toBe('unknown');
  });
});

const reply = (command: string, result: unknown, vm: QmpReplyRecord['vm'] | null = VM): QmpReplyRecord => ({
  kind: 'qmp-reply',
  host: HOST,
  vm: vm ?? undefined,
  arrival: ARRIVAL,
  origin: { kind: 'qmp' },
  command,
  result,
});

describe('QMP replies', () => {
  it('query-migrate → migration-info', () => {
    const o = one(
      reply('query-migrate', {
        status: 'completed',
        'total-time': 1530,
        downtime: 38,
        'setup-time': 12,
        vfio: { transferred: 1048576 },
        ram: {},
      }),
    );
    expect(o).toEqual({
      kind: 'migration-info',
      status: 'completed',
      totalTimeMs: 1530,
      downtimeMs: 38,
      setupTimeMs: 12,
      vfioTransferredBytes: 1048576,
      host: HOST,
      vm: VM,
      time: ARRIVAL,
      timeSource: 'arrival',
      origin: { kind: 'qmp' },
      raw: expect.any(String),
    });
    expect(
      one(reply('query-migrate', { status: 'failed', 'error-desc': 'Sibling indicated error 1' })),
    ).toMatchObject({ errorDesc: 'Sibling indicated error 1' });
    expect(status(reply('query-migrate', {}))).toBe('ignored');
    expect(status(reply('query-migrate', 'nope'))).toBe('unknown');
  });
  it('query-status, query-version, query-name, query-uuid, capabilities, vfio-devices → vm-identity', () => {
    expect(one(reply('query-status', { status: 'inmigrate', running: false }))).toMatchObject({
      kind: 'vm-identity',
      runState: 'inmigrate',
    });
    expect(
      one(reply('query-version', { qemu: { major: 7, minor: 2, micro: 22 }, package: 'Debian' })),
    ).toMatchObject({ qemuVersion: '7.2.22' });
    expect(one(reply('query-name', { name: 'dst' }, null)).vm).toEqual({ name: 'dst' });
    expect(one(reply('query-name', { name: 'other' })).vm).toEqual(VM);
    expect(one(reply('query-uuid', { UUID: 'f59da17c-95ce-44e4-8f08-26b65c9ad8f5' })).vm).toEqual({
      ...VM,
      uuid: 'f59da17c-95ce-44e4-8f08-26b65c9ad8f5',
    });
    expect(
      one(
        reply('query-migrate-capabilities', [
          { capability: 'events', state: true },
          { capability: 'return-path', state: false },
        ]),
      ),
    ).toMatchObject({ capabilities: { events: true, 'return-path': false } });
    expect(one(reply('vfio-devices', { hostdev0: '0000:3b:00.1' }))).toMatchObject({
      kind: 'vm-identity',
      devices: { hostdev0: '0000:3b:00.1' },
    });
    expect(status(reply('query-pci', []))).toBe('ignored');
    expect(status(reply('query-version', { qemu: 'x' }))).toBe('unknown');
    expect(status(reply('query-uuid', { UUID: 'x' }, null))).toBe('unknown');
  });
});

describe('virsh qemu-monitor-event lines', () => {
  it('parses both forms, quoted and unquoted domains, <null>, -1', () => {
    expect(
      parseVirshLine(
        `2024-11-19 03:26:48.581+0000: event MIGRATION for domain 'ml-train-2': {"status":"setup"}`,
      ),
    ).toEqual({
      event: 'MIGRATION',
      domain: 'ml-train-2',
      timeMs: utc('2024-11-19T03:26:48.581Z'),
      data: { status: 'setup' },
    });
    expect(
      parseVirshLine(`event MIGRATION at 1731986808.366274 for domain 'ml-train-2': {"status":"setup"}`),
    ).toEqual({
      event: 'MIGRATION',
      domain: 'ml-train-2',
      timeMs: 1731986808366.274,
      data: { status: 'setup' },
    });
    expect(parseVirshLine('event RESUME at -1.000000 for domain ml-train-2: <null>')).toEqual({
      event: 'RESUME',
      domain: 'ml-train-2',
      timeMs: null,
      data: null,
    });
    expect(parseVirshLine(`event STOP for domain 'my vm: x': <null>`)).toMatchObject({
      domain: 'my vm: x',
      timeMs: null,
    });
    expect(parseVirshLine(`event MIGRATION at 1.5 for domain 'a': {"status":`)).toBeNull();
    expect(parseVirshLine('events received: 5')).toBeNull();
  });

  it('decodes like the QMP event, with the domain as the VM', () => {
    const a = one(virshLine(`2024-11-19 03:27:27.495+0000: event RESUME for domain 'ml-train-2': <null>`));
    expect(a).toMatchObject({
      kind: 'vm-resume',
      vm: { name: 'ml-train-2' },
      time: utc('2024-11-19T03:27:27.495Z'),
      timeSource: 'event',
    });
    const b = one(
      virshLine(`event MIGRATION at 1731986847.417454 for domain 'ml-train-2': {"status":"completed"}`, {
        vm: { name: 'ml-train-2', uuid: 'u' },
      }),
    );
    expect(b).toMatchObject({
      kind: 'migration-status',
      status: 'completed',
      vm: { name: 'ml-train-2', uuid: 'u' },
      time: 1731986847417.454,
    });
    const c = one(virshLine('event STOP at -1.000000 for domain guest1: <null>'));
    expect(c).toMatchObject({
      kind: 'vm-stop',
      vm: { name: 'guest1' },
      time: ARRIVAL,
      timeSource: 'arrival',
      raw: 'event STOP at -1.000000 for domain guest1: <null>',
    });
    const d = one(
      virshLine(
        `event VFIO_MIGRATION at 1754930101.120001 for domain 'g': {"device-id":"hostdev0","qom-path":"/machine/peripheral/hostdev0","device-state":"running"}`,
      ),
    );
    expect(d).toMatchObject({ kind: 'vfio-state', device: 'hostdev0', state: 'RUNNING', via: 'event' });
  });

  it('trailers and other events are ignored; garbage is unknown', () => {
    for (const t of ['event loop interrupted', 'event loop timed out', 'events received: 15', ''])
      expect(status(virshLine(t)), t).toBe('ignored');
    expect(
      status(
        virshLine(
          `2024-11-19 03:54:33.648+0000: event RESET for domain 'ml-train-2': {"guest":true,"reason":"guest-reset"}`,
        ),
      ),
    ).toBe('ignored');
    expect(
      status(virshLine(`2025-01-01 10:00:42.917+0000: event 'job-completed' for domain 'guest1':`)),
    ).toBe('ignored');
    expect(status(virshLine(`event MIGRATION for domain 'a': {"status":`))).toBe('unknown');
    expect(status(virshLine('hello world'))).toBe('unknown');
    expect(decode(virshLine(`event MIGRATION for domain 'a': {"status":"bogus"}`)).status).toBe('unknown');
  });
});
