/**
 * Proxmox VE lines: the `qmigrate` task log (QemuMigrate.pm / AbstractMigrate.pm formats, local time)
 * and the VM lifecycle lines of a node's journal, plus Proxmox's `kvm: ` prefix on QEMU's own lines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Observation } from '@switchover/model';
import { decode } from '../../src/decoders/index.js';
import { localToEpoch } from '../../src/records/local-time.js';
import type { ProxmoxRecord } from '../../src/records/types.js';
import { logLine } from './helpers.js';

const VM = { name: 'web01', uuid: '111' };
const task = (text: string, timeZone = 'Europe/Vienna'): ProxmoxRecord => ({
  kind: 'proxmox',
  from: 'task-log',
  host: 'pve1',
  vm: VM,
  arrival: 0,
  origin: { kind: 'proxmox-task', file: 'UPID:pve1:…', line: 1 },
  text,
  timeZone,
});
const kinds = (os: Observation[]) =>
  os.map((o) =>
    o.kind === 'migration-status'
      ? `status:${o.status}`
      : o.kind === 'migration-info'
        ? `info:${o.errorDesc ?? ''}${o.downtimeMs ?? ''}`
        : o.kind === 'process-stop'
          ? `stop:${o.reason}`
          : o.kind === 'migration-peer'
            ? `peer:${o.peer}`
            : o.kind,
  );

// Verbatim from moosefs/pve-moosefs#45 (PVE 9, success) and #16 (completed, then a cleanup error).
const PUBLISHED_OK = `2025-08-19 10:27:33 starting migration of VM 111 to node 'mfspve01' (10.7.1.221)
2025-08-19 10:27:33 starting VM 111 on remote node 'mfspve01'
2025-08-19 10:27:37 start remote tunnel
2025-08-19 10:27:39 ssh tunnel ver 1
2025-08-19 10:27:39 starting online/live migration on unix:/run/qemu-server/111.migrate
2025-08-19 10:27:39 set migration capabilities
2025-08-19 10:27:39 migration downtime limit: 100 ms
2025-08-19 10:27:39 migration cachesize: 256.0 MiB
2025-08-19 10:27:39 set migration parameters
2025-08-19 10:27:39 start migrate command to unix:/run/qemu-server/111.migrate
2025-08-19 10:27:40 migration active, transferred 18.8 MiB of 2.0 GiB VM-state, 1.5 GiB/s
2025-08-19 10:27:42 average migration speed: 689.5 MiB/s - downtime 115 ms
2025-08-19 10:27:42 migration completed, transferred 48.5 MiB VM-state
2025-08-19 10:27:42 migration status: completed
2025-08-19 10:27:43 stopping migration dbus-vmstate helpers`;
const PUBLISHED_PROBLEMS = `2025-05-20 18:46:43 migration status: completed
can't unmap MooseFS device '/images/142/vm-142-disk-2': device not found
2025-05-20 18:46:44 ERROR: Cleanup after stopping VM failed - volume deactivation failed: …
2025-05-20 18:46:46 ERROR: migration finished with problems (duration 00:00:21)
TASK ERROR: migration problems`;

describe('Proxmox task log lines', () => {
  it('reads a real published successful migration: start, QEMU statuses, downtime, completion', () => {
    const obs = PUBLISHED_OK.split('\n').flatMap((l) => decode(task(l)).observations);
    expect(kinds(obs)).toEqual([
      'migration-initiated',
      'peer:mfspve01',
      'status:active',
      'info:115',
      'status:completed',
      'status:completed',
    ]);
    // Local time of the node: 10:27:33 in Vienna (CEST, +02:00) is 08:27:33 UTC.
    expect(new Date(obs[0]!.time).toISOString()).toBe('2025-08-19T08:27:33.000Z');
    expect(obs.every((o) => o.vm === VM && o.timeSource === 'event' && o.host === 'pve1')).toBe(true);
  });

  it('cleanup problems after `completed` say nothing new about the migration', () => {
    const obs = PUBLISHED_PROBLEMS.split('\n').flatMap((l) => decode(task(l)).observations);
    expect(kinds(obs)).toEqual(['status:completed']);
  });

  it('every ending QemuMigrate.pm / AbstractMigrate.pm writes', () => {
    const one = (l: string) => kinds(decode(task(`2026-01-10 12:00:00 ${l}`)).observations);
    expect(one("migration in status 'setup' - waiting for transition")).toEqual(['status:setup']);
    expect(one("migration in status 'cancelling' - waiting for transition")).toEqual(['status:cancelling']);
    expect(one('migration device, transferred 1.0 GiB of 2.0 GiB VM-state, 1.0 GiB/s')).toEqual([
      'status:device',
    ]);
    expect(one('migration status error: failed - Unable to write to socket: Broken pipe')).toEqual([
      'info:Unable to write to socket: Broken pipe',
      'status:failed',
    ]);
    expect(one('migration status error: cancelled')).toEqual(['status:cancelled']);
    expect(one('ERROR: online migrate failure - aborting')).toEqual(['status:failed']);
    expect(one('ERROR: online migrate failure - interrupted by signal')).toEqual(['status:cancelled']);
    expect(one('ERROR: online migrate failure - too many query migrate failures - aborting')).toEqual([
      'info:too many query migrate failures - aborting',
      'status:failed',
    ]);
    expect(
      one(
        "ERROR: migration aborted (duration 00:00:01): can't migrate VM which uses local devices: hostpci0",
      ),
    ).toEqual(["info:can't migrate VM which uses local devices: hostpci0", 'status:failed']);
    expect(one('ERROR: migration aborted (duration 00:00:03): interrupted by signal')).toEqual([
      'info:interrupted by signal',
      'status:cancelled',
    ]);
    expect(one('migration finished successfully (duration 00:00:21)')).toEqual(['stop:migrated']);
    for (const quiet of ['migrate_cancel', 'aborting phase 2 - cleanup resources', 'migration status: bogus'])
      expect(one(quiet)).toEqual([]);
    expect(decode(task('TASK OK')).status).toBe('ignored');
  });

  it('names the target node as the peer only when it is a host name', () => {
    const one = (l: string) => kinds(decode(task(`2026-01-10 12:00:00 ${l}`)).observations);
    expect(one("starting migration of VM 100 to node 'pve-2.example' (10.0.0.2)")).toEqual([
      'migration-initiated',
      'peer:pve-2.example',
    ]);
    for (const node of ['', 'a b', 'x{y="z"}', 'n\u0000'])
      expect(one(`starting migration of VM 100 to node '${node}' (10.0.0.2)`)).toEqual([
        'migration-initiated',
      ]);
  });

  it('reads local time with daylight saving: the repeated hour at its first occurrence', () => {
    const at = (l: string, z: string) => new Date(decode(task(l, z)).observations[0]!.time).toISOString();
    const line = (t: string) => `${t} migration status: completed`;
    expect(at(line('2025-01-19 10:27:33'), 'Europe/Vienna')).toBe('2025-01-19T09:27:33.000Z');
    expect(at(line('2025-10-26 02:30:00'), 'Europe/Vienna')).toBe('2025-10-26T00:30:00.000Z');
    expect(at(line('2025-10-26 03:30:00'), 'Europe/Vienna')).toBe('2025-10-26T02:30:00.000Z');
    expect(at(line('2025-11-02 01:30:00'), 'America/New_York')).toBe('2025-11-02T05:30:00.000Z');
    expect(at(line('2025-01-01 00:00:00'), '+05:30')).toBe('2024-12-31T18:30:00.000Z');
    expect(at(line('2025-01-01 00:00:00'), 'UTC')).toBe('2025-01-01T00:00:00.000Z');
    // An impossible date is no time at all.
    expect(decode(task('2025-13-01 00:00:00 migration status: completed')).status).toBe('ignored');
  });

  it('property: a local stamp of any instant reads back as that second, in any zone', () => {
    const zones = ['Europe/Vienna', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2037, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const sec = Math.floor(ms / 1000) * 1000;
          const p = new Map(
            new Intl.DateTimeFormat('en-US', {
              timeZone: zone,
              hourCycle: 'h23',
              year: 'numeric',
              month: 'numeric',
              day: 'numeric',
              hour: 'numeric',
              minute: 'numeric',
              second: 'numeric',
            })
              .formatToParts(sec)
              .map((x) => [x.type, Number(x.value)]),
          );
          const back = localToEpoch(
            zone,
            p.get('year')!,
            p.get('month')!,
            p.get('day')!,
            p.get('hour')!,
            p.get('minute')!,
            p.get('second')!,
          );
          // Equal, except in a repeated hour, where the first occurrence (earlier) is taken.
          return back === sec || (back < sec && sec - back <= 3_600_000);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: any text never throws and never yields an observation without the record VM', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('Europe/Vienna', 'Nope/Zone', '+99:99'),
        (s, z) => {
          for (const text of [s, `2025-08-19 10:27:33 ${s}`, `2025-08-19 10:27:33 migration ${s}`]) {
            const r = decode(task(text, z));
            if (r.observations.some((o) => o.vm !== VM || !Number.isFinite(o.time))) return false;
          }
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('Proxmox journal lines', () => {
  const journal = (text: string, extra: Partial<ProxmoxRecord> = {}): ProxmoxRecord => ({
    kind: 'proxmox',
    from: 'journal',
    host: 'pve2',
    vm: VM,
    arrival: 5,
    transportTime: 1_700_000_000_123.5,
    origin: { kind: 'journald' },
    text,
    ...extra,
  });

  it("`qm start --migratedfrom`'s line starts an incoming QEMU; without it a plain start", () => {
    const line = 'VM 111 started with PID 4242 using pve-qemu-kvm_9.2.0-5.';
    const [inc] = decode(journal(line, { migratedFrom: 'pve1' })).observations;
    expect(inc).toMatchObject({
      kind: 'process-start',
      incoming: true,
      qemuVersion: '9.2.0',
      time: 1_700_000_000_123.5,
    });
    expect(decode(journal(line)).observations[0]).toMatchObject({ kind: 'process-start', incoming: false });
  });

  it("qmeventd's cleanup and the scope's end stop the process; other lines are not Proxmox's", () => {
    expect(decode(journal('Starting cleanup for 111')).observations[0]).toMatchObject({
      kind: 'process-stop',
    });
    expect(decode(journal('Finished cleanup for 111')).status).toBe('ignored');
    expect(
      decode(
        journal('111.scope: Deactivated successfully.', { messageId: '7ad2d189f7e94e70a38c781354912448' }),
      ).observations[0],
    ).toMatchObject({ kind: 'process-stop', reason: 'scope ended' });
  });

  it('the config arriving under this node completes the incoming migration', () => {
    const r = decode(journal('/etc/pve/qemu-server/111.conf: moved here', { from: 'config-moved' }));
    expect(r.observations[0]).toMatchObject({ kind: 'migration-status', status: 'completed' });
  });

  it("QEMU's `kvm: ` prefix is QEMU's where the source says the line is (Proxmox's /usr/bin/kvm), never elsewhere", () => {
    const kvm = (text: string) => logLine(text, { qemuProgram: 'kvm' });
    expect(
      decode(kvm('kvm: load of migration failed: Operation not permitted')).observations[0],
    ).toMatchObject({
      kind: 'load-failure',
      final: true,
    });
    // The four lines of the Proxmox load failure Fiona Ebner posted (qemu-devel, 2024-05-17).
    const lines = [
      'kvm: Features 0x1c0010130afffa7 unsupported. Allowed features: 0x10179bfffe7',
      'kvm: Failed to load virtio-net:virtio',
      "kvm: error while loading state for instance 0x0 of device '0000:00:12.0/virtio-net'",
      'kvm: load of migration failed: Operation not permitted',
    ];
    expect(lines.map((l) => decode(kvm(l)).observations[0]?.kind)).toEqual([
      'qemu-error',
      'qemu-error',
      'load-failure',
      'load-failure',
    ]);
    expect(decode(kvm('kvmx: load of migration failed: x')).status).toBe('ignored');
    // The kernel's kvm module prints `kvm: …` too: from an ordinary journal line it is nobody's QEMU.
    expect(
      decode(logLine('kvm: vcpu 3: requested 1200 ns lapic timer period limited to 200000 ns')).status,
    ).toBe('ignored');
  });
});
