import { describe, expect, it } from 'vitest';
import { ARRIVAL, VM, logLine, one, status, utc } from './helpers.js';

const WITH_PREFIX = [
  '',
  'qemu-system-x86_64: ',
  '2018-04-05T21:48:43.153347Z qemu-system-x86_64: ',
  '2018-04-05T21:48:43Z qemu-kvm: ',
];

describe('destination load failures', () => {
  const cases: [string, boolean][] = [
    ['load of migration failed: Operation not permitted', true],
    ['load of migration failed: No such device: Failed to load vmstate version_id: 1, ret: -19', true],
    ["error while loading state for instance 0x0 of device '0000:00:04.0/virtio-blk'", false],
    ['error while loading state section id 2(ram)', false],
    [
      "Unknown savevm section or instance 'vfio' 0. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices",
      false,
    ],
    ['Unknown savevm section 3', false],
    ['Load state of device 0000:00:05.0/vfio failed', false],
    ['Size mismatch: pc.ram: 0x4000000 != 0x8000000: Invalid argument', false],
    ['Not a migration stream', false],
    ['Unsupported migration stream version', false],
    ['Configuration section missing', false],
    ["savevm: unsupported version 5 for '0000:00:05.0/vfio' v4", false],
    ['0000:3b:00.1: Unknown tag 0xffffffffef100005', false],
    ['hostdev0: Failed to load device config space', false],
  ];
  for (const prefix of WITH_PREFIX) {
    it.each(cases)(`${JSON.stringify(prefix)} %s`, (msg, final) => {
      const o = one(logLine(prefix + msg));
      expect(o).toMatchObject({ kind: 'load-failure', message: msg, final });
      expect(o.timeSource).toBe(prefix.startsWith('2018') ? 'event' : 'arrival');
    });
  }
  it('times the real 2018 excerpt from its prefix', () => {
    const o = one(
      logLine(
        '2018-04-05T21:48:43.153347Z qemu-system-x86_64: load of migration failed: Operation not permitted',
      ),
    );
    expect(o.time).toBe(utc('2018-04-05T21:48:43.153347Z'));
  });
});

describe('source return-path errors', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['Sibling indicated error 1', { value: 1, message: 'Sibling indicated error 1' }],
    ['RP: Sibling indicated error 1', { value: 1, message: 'Sibling indicated error 1' }],
    ['Channel error: Input/output error', { message: 'Channel error: Input/output error' }],
    [
      'RP: Received invalid message 0x0009 length 0x0004',
      { message: 'Received invalid message 0x0009 length 0x0004' },
    ],
    [
      'Received invalid message 0x0009 length 0x0004',
      { message: 'Received invalid message 0x0009 length 0x0004' },
    ],
    [
      "Received 'SHUT' message (0x0001) withincorrect length 8 expecting 4",
      { message: "Received 'SHUT' message (0x0001) withincorrect length 8 expecting 4" },
    ],
    [
      'Failed reading data for message 0x0004 read 3 expected 12',
      { message: 'Failed reading data for message 0x0004 read 3 expected 12' },
    ],
  ];
  for (const prefix of WITH_PREFIX) {
    it.each(cases)(`${JSON.stringify(prefix)} %s`, (msg, expected) => {
      expect(one(logLine(prefix + msg))).toMatchObject({ kind: 'return-path', event: 'error', ...expected });
    });
  }
});

describe('other QEMU lines', () => {
  it('keeps prog-prefixed errors as qemu-error', () => {
    expect(one(logLine('qemu-system-x86_64: Switchover is interrupted'))).toMatchObject({
      kind: 'qemu-error',
      message: 'Switchover is interrupted',
    });
    expect(
      one(logLine("2026-01-01T00:00:00.5Z qemu-kvm: invalid runstate transition: 'running' -> 'inmigrate'")),
    ).toMatchObject({
      kind: 'qemu-error',
      time: utc('2026-01-01T00:00:00.500Z'),
    });
  });
  it.each([
    'char device redirected to /dev/pts/3 (label charserial0)',
    '2024-11-19T03:27:27.864557Z qemu-system-x86_64: terminating on signal 15 from pid 1733 (/usr/sbin/virtqemud)',
    'qemu-kvm: terminating on signal 15 from pid 279229 (/usr/sbin/virtqemud)',
    "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.vmx [bit 5]",
    'Some unrelated text: with a colon',
    'kernel: vfio-pci 0000:3b:00.1: enabling device',
    '-msg timestamp=on',
  ])('ignores %s', (text) => {
    expect(status(logLine(text))).toBe('ignored');
  });
});

describe("libvirt's own lines", () => {
  it('starting up: process-start with M.m.u, also when the package follows directly', () => {
    const a = one(
      logLine(
        '2024-11-19 03:26:41.024+0000: starting up libvirt version: 10.8.0, qemu version: 9.1.1, kernel: 6.8.0-48-generic, hostname: a19',
      ),
    );
    expect(a).toMatchObject({
      kind: 'process-start',
      qemuVersion: '9.1.1',
      time: utc('2024-11-19T03:26:41.024Z'),
      timeSource: 'event',
    });
    const b = one(
      logLine(
        '2025-01-01 10:00:00.123+0000: starting up libvirt version: 10.10.0, package: 3.el9 (builder@centos.org, 2024-12-20-13:49:58, ), qemu version: 9.1.0qemu-kvm-9.1.0-9.el9, kernel: 5.14.0, hostname: dst01',
      ),
    );
    expect(b).toMatchObject({ kind: 'process-start', qemuVersion: '9.1.0' });
  });
  it('shutting down: process-stop with the reason (to end of line)', () => {
    expect(one(logLine('2024-11-19 03:27:27.863+0000: shutting down, reason=migrated'))).toMatchObject({
      kind: 'process-stop',
      reason: 'migrated',
    });
    expect(one(logLine('2024-11-19 03:27:27.863+0000: shutting down, reason=from snapshot'))).toMatchObject({
      reason: 'from snapshot',
    });
  });
  it('initiating migration', () => {
    expect(one(logLine('2024-11-19 03:26:48.530+0000: initiating migration'))).toMatchObject({
      kind: 'migration-initiated',
      time: utc('2024-11-19T03:26:48.530Z'),
    });
  });
  it.each([
    '2024-11-19 03:26:41.024+0000: Domain id=21 is tainted: host-cpu',
    '2024-11-19 03:26:41.024+0000: Starting external device: TPM Emulator',
  ])('ignores %s', (text) => expect(status(logLine(text))).toBe('ignored'));
});

describe('libvirt command-line continuation lines', () => {
  it('-name guest=NAME,debug-threads=on names the VM from the line', () => {
    const o = one(logLine('-name guest=ml-train-2,debug-threads=on \\', { vm: undefined }));
    expect(o).toMatchObject({
      kind: 'vm-identity',
      vm: { name: 'ml-train-2' },
      timeSource: 'arrival',
      time: ARRIVAL,
    });
    expect(one(logLine('-name plain-vm \\')).vm).toEqual({ name: 'plain-vm' });
    expect(one(logLine("-name 'guest=a,,b c,debug-threads=on' \\")).vm).toEqual({ name: 'a,b c' });
  });
  it('-uuid adds the UUID to the VM', () => {
    expect(one(logLine('-uuid f59da17c-95ce-44e4-8f08-26b65c9ad8f5 \\')).vm).toEqual({
      ...VM,
      uuid: 'f59da17c-95ce-44e4-8f08-26b65c9ad8f5',
    });
  });
  it('-incoming marks a destination', () => {
    expect(one(logLine('-incoming defer \\'))).toMatchObject({ kind: 'vm-identity', incoming: true });
    expect(one(logLine('-incoming tcp:0.0.0.0:49152 \\'))).toMatchObject({
      kind: 'vm-identity',
      incoming: true,
    });
  });
  it('vfio-pci -device gives QOM id → host address (JSON and key=value syntax)', () => {
    const json = `-device '{"driver":"vfio-pci","host":"0000:06:12.1","id":"hostdev0","bus":"pci.7","addr":"0x0"}' \\`;
    expect(one(logLine(json))).toMatchObject({ kind: 'vm-identity', devices: { hostdev0: '0000:06:12.1' } });
    expect(
      one(logLine('-device vfio-pci,host=0000:06:12.1,id=hostdev1,bus=pci.0,addr=0x5 \\')),
    ).toMatchObject({ devices: { hostdev1: '0000:06:12.1' } });
  });
  it.each([
    'LC_ALL=C \\',
    '/usr/bin/qemu-system-x86_64 \\',
    '-S \\',
    `-device '{"driver":"virtio-net-pci","netdev":"hostnet0","id":"net0"}' \\`,
    `-blockdev '{"driver":"file","filename":"/srv/a.qcow2"}' \\`,
  ])('ignores %s', (text) => expect(status(logLine(text))).toBe('ignored'));
  it('offline: untimed identity lines are bounded by their neighbours', () => {
    expect(one(logLine('-incoming defer \\', { neighbours: { before: 10, after: 20 } }))).toMatchObject({
      time: 10,
      latest: 20,
      timeSource: 'bounded',
    });
  });
});
