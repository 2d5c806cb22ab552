/**
 * `switchover review` on a Proxmox incident written here in the nodes' exact formats: the source's
 * task log (local time), the target's `journalctl -o json` with a Proxmox node's field set, and the
 * same journal as `short`, `short-precise` and `short-iso` text. The real end-to-end runs are in
 * proxmox-e2e.test.ts; this file pins formats, zones and detection.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import type { Io } from '../src/cli/usage.js';
import { parseConfig } from '../src/config/load.js';
import { detectKind } from '../src/review/detect.js';
import { parseJournalTextLine } from '../src/review/journal-text.js';
import { renderReview } from '../src/review/render-text.js';
import { review } from '../src/review/review.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sw-pve-review-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

// Vienna, CEST (+02:00): 10:27:33 local is 08:27:33Z.
const TASK = `2025-08-19 10:27:33 starting migration of VM 111 to node 'pve2' (10.7.1.221)
2025-08-19 10:27:33 starting VM 111 on remote node 'pve2'
2025-08-19 10:27:37 start remote tunnel
2025-08-19 10:27:39 starting online/live migration on unix:/run/qemu-server/111.migrate
2025-08-19 10:27:39 start migrate command to unix:/run/qemu-server/111.migrate
2025-08-19 10:27:40 migration active, transferred 18.8 MiB of 2.0 GiB VM-state, 1.5 GiB/s
2025-08-19 10:27:42 average migration speed: 689.5 MiB/s - downtime 115 ms
2025-08-19 10:27:42 migration completed, transferred 48.5 MiB VM-state
2025-08-19 10:27:42 migration status: completed
2025-08-19 10:27:44 migration finished successfully (duration 00:00:11)
TASK OK
`;
const US = (h: number, m: number, s: number, us = 0) => String(Date.UTC(2025, 7, 19, h, m, s) * 1000 + us);
const VFIO =
  '0000:3b:00.1: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error';
const DST_JSON = [
  {
    __CURSOR: 's=a;i=1',
    __REALTIME_TIMESTAMP: US(8, 27, 35, 120_000),
    _BOOT_ID: 'b2',
    SYSLOG_IDENTIFIER: 'qm',
    PRIORITY: '6',
    _TRANSPORT: 'syslog',
    _PID: '4100',
    _COMM: 'qm',
    _CMDLINE:
      '/usr/bin/perl /usr/sbin/qm start 111 --skiplock --migratedfrom pve1 --migration_type secure --stateuri unix',
    MESSAGE: 'VM 111 started with PID 4242 using pve-qemu-kvm_9.2.0-5.',
  },
  {
    __CURSOR: 's=a;i=2',
    __REALTIME_TIMESTAMP: US(8, 27, 42, 640_000),
    _BOOT_ID: 'b2',
    SYSLOG_IDENTIFIER: 'QEMU',
    PRIORITY: '3',
    _TRANSPORT: 'stdout',
    _SYSTEMD_UNIT: '111.scope',
    _SYSTEMD_SLICE: 'qemu.slice',
    _COMM: 'kvm',
    _PID: '4242',
    _CMDLINE: '/usr/bin/kvm -id 111 -name web01,debug-threads=on -no-shutdown',
    MESSAGE: VFIO,
  },
]
  .map((e) => JSON.stringify(e))
  .join('\n');
// The same two entries as journalctl prints them on the node (TZ=Europe/Vienna).
const DST_SHORT = `Aug 19 10:27:35 pve2 qm[4100]: VM 111 started with PID 4242 using pve-qemu-kvm_9.2.0-5.
Aug 19 10:27:42 pve2 QEMU[4242]: ${VFIO}
`;
const DST_PRECISE = `Aug 19 10:27:35.120000 pve2 qm[4100]: VM 111 started with PID 4242 using pve-qemu-kvm_9.2.0-5.
Aug 19 10:27:42.640000 pve2 QEMU[4242]: ${VFIO}
`;
const DST_ISO = `-- Boot 1f4a7dc2d5104d7e82e9c4da4a8a0b85 --
2025-08-19T10:27:35+0200 pve2 qm[4100]: VM 111 started with PID 4242 using pve-qemu-kvm_9.2.0-5.
2025-08-19T10:27:42+0200 pve2 QEMU[4242]: ${VFIO}
`;

describe('review of a Proxmox incident', () => {
  const task = file('UPID:pve1:00002336:028C5698:68A4353D:qmigrate:111:root@pam:', TASK);

  for (const [kind, text, detected] of [
    ['json', DST_JSON, 'journald-json'],
    ['short', DST_SHORT, 'journal-text'],
    ['short-precise', DST_PRECISE, 'journal-text'],
    ['short-iso', DST_ISO, 'journal-text'],
  ] as const) {
    it(`task log + target journal (${kind}): silent destination failure of 0000:3b:00.1`, async () => {
      const dst = file(`pve2.${kind}`, text);
      const r = await review(
        [
          { host: 'pve1', path: task },
          { host: 'pve2', path: dst },
        ],
        { timeZone: 'Europe/Vienna' },
      );
      expect(r.files.map((f) => f.kind)).toEqual(['proxmox-task-log', detected]);
      expect(r.migrations).toHaveLength(1);
      const m = r.migrations[0]!;
      expect(m).toMatchObject({
        verdict: 'silent-destination-failure',
        vmUuid: '111',
        failedDevices: ['0000:3b:00.1'],
      });
      expect(m.source).toMatchObject({
        host: 'pve1',
        outcome: 'completed',
        start: Date.UTC(2025, 7, 19, 8, 27, 33),
        downtimeMs: 115,
        peer: 'pve2',
      });
      // The line that starts the migration and names the target node is one evidence entry.
      expect(m.source!.evidence.filter((e) => e.text.includes('starting migration of VM'))).toHaveLength(1);
      expect(m.destination).toMatchObject({ host: 'pve2', outcome: 'completed-with-device-failure' });
      // The name comes from QEMU's -name where the export has command lines.
      expect(m.vm).toBe(kind === 'json' ? 'web01' : '111');
      // The VMID is shown once when it is also the only name known.
      const head = renderReview(r, { color: false })
        .split('\n')
        .find((l) => l.includes('SILENT'));
      expect(head).toMatch(kind === 'json' ? /^web01 \(111\) {2}/ : /^111 {2}/);
    });
  }

  it('read in the wrong zone, the nodes no longer line up: the time zone is not cosmetic', async () => {
    const dst = file('pve2-wrongzone.json', DST_JSON);
    const r = await review(
      [
        { host: 'pve1', path: task },
        { host: 'pve2', path: dst },
      ],
      { timeZone: 'UTC' },
    );
    // The source two hours late: no pair; the target still tells its own silent failure.
    expect(
      r.migrations.map((m) => [m.verdict, m.source?.start ?? null, m.destination?.host ?? null]),
    ).toEqual([
      ['silent-destination-failure', null, 'pve2'],
      ['unverified', Date.UTC(2025, 7, 19, 10, 27, 33), null],
    ]);
  });

  it('a line that is a status and its error is one evidence entry, kept as the status', async () => {
    const failing = file(
      'UPID:pve1:00002337:028C5699:68A4353E:qmigrate:112:root@pam:',
      [
        "2025-08-19 10:27:33 starting migration of VM 112 to node 'pve2' (10.7.1.221)",
        '2025-08-19 10:27:39 start migrate command to unix:/run/qemu-server/112.migrate',
        '2025-08-19 10:27:40 migration status error: failed - Unable to write to socket: Broken pipe',
        '2025-08-19 10:27:40 ERROR: online migrate failure - aborting',
        'TASK ERROR: migration problems',
        '',
      ].join('\n'),
    );
    const r = await review([{ host: 'pve1', path: failing }], { timeZone: 'Europe/Vienna' });
    const src = r.migrations[0]!.source!;
    expect(src).toMatchObject({ outcome: 'failed', errorDesc: 'Unable to write to socket: Broken pipe' });
    const line = src.evidence.filter((e) => e.text.includes('migration status error: failed'));
    expect(line.map((e) => e.kind)).toEqual(['migration-status']);
  });

  it('the target alone: the incoming start and the failure line are enough for the verdict', async () => {
    const r = await review([{ host: 'pve2', path: file('alone.json', DST_JSON) }], {
      timeZone: 'Europe/Vienna',
    });
    expect(r.migrations[0]).toMatchObject({ verdict: 'silent-destination-failure', source: null });
  });

  it('the CLI takes --timezone, rejects a zone it does not know, and exits 1 on the failure', async () => {
    const dst = file('cli.json', DST_JSON);
    let out = '';
    let err = '';
    const io: Io = { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, env: {} };
    expect(
      await main(
        ['review', '--host', `pve1=${task}`, '--host', `pve2=${dst}`, '--timezone', 'Europe/Vienna'],
        io,
      ),
    ).toBe(1);
    expect(out).toContain('SILENT DESTINATION FAILURE');
    expect(out).toContain('(proxmox-task-log)');
    expect(await main(['review', '--host', `pve1=${task}`, '--timezone', 'Mars/Olympus'], io)).toBe(2);
    expect(err).toContain('--timezone');
  });
});

describe('file kinds and journalctl text', () => {
  it('tells a task log and the short formats from libvirt and QEMU logs', () => {
    expect(detectKind(TASK.split('\n'))).toBe('proxmox-task-log');
    expect(detectKind(['TASK ERROR: migration aborted'])).toBeNull();
    expect(detectKind(DST_SHORT.split('\n'))).toBe('journal-text');
    expect(detectKind(DST_ISO.split('\n'))).toBe('journal-text');
    expect(detectKind(['2024-11-19 03:26:48.530+0000: starting up libvirt version: 10.0.0'])).toBe(
      'libvirt-log',
    );
  });

  it('parses short, short-precise and short-iso lines; skips separators and continuations', () => {
    const t = { timeZone: 'Europe/Vienna', year: 2025 };
    expect(parseJournalTextLine('Aug 19 10:27:35.120000 pve2 qm[4100]: VM 111 started', t)).toEqual({
      time: Date.UTC(2025, 7, 19, 8, 27, 35, 120),
      host: 'pve2',
      identifier: 'qm',
      pid: 4100,
      message: 'VM 111 started',
    });
    expect(parseJournalTextLine('2025-08-19T10:27:35-0400 h kernel: x', t)?.time).toBe(
      Date.UTC(2025, 7, 19, 14, 27, 35),
    );
    expect(parseJournalTextLine('Aug  9 10:27:35 h systemd[1]: x', t)?.time).toBe(
      Date.UTC(2025, 7, 9, 8, 27, 35),
    );
    expect(parseJournalTextLine('-- Boot 1f4a --', t)).toBeNull();
    expect(parseJournalTextLine('        continuation', t)).toBeNull();
    expect(parseJournalTextLine('Foo 19 10:27:35 h x: y', t)).toBeNull();
  });

  it('property: any line parses or is refused, never throws, never yields a non-finite time', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('', 'Aug 19 10:27:35 ', '2025-08-19T10:27:35+0200 '),
        (s, p) => {
          const e = parseJournalTextLine(p + s, { timeZone: 'Europe/Vienna', year: 2025 });
          return e === null || Number.isFinite(e.time);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('config: inputs.proxmox', () => {
  it('validates the zone and the journal location, and is enough as the only input', () => {
    const ok = parseConfig('inputs:\n  proxmox:\n    enabled: true\n    timeZone: Europe/Vienna\n', 'f', {
      hostname: 'pve1',
    });
    expect(ok.inputs.proxmox).toMatchObject({
      enabled: true,
      tasksDir: '/var/log/pve/tasks',
      pveDir: '/etc/pve',
      timeZone: 'Europe/Vienna',
    });
    const bad = (): unknown =>
      parseConfig(
        'inputs:\n  proxmox:\n    enabled: true\n    timeZone: Mars/Olympus\n    namespace: a\n    directory: /b\n',
        'f',
        { hostname: 'h' },
      );
    expect(bad).toThrow(/inputs\.proxmox\.timeZone: unknown time zone "Mars\/Olympus"/);
    expect(bad).toThrow(/inputs\.proxmox: set either directory or namespace/);
  });
});
