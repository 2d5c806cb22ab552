/**
 * What a journald namespace really records for a VM's unit, and the Proxmox source following it:
 * - a process in a real `qemu.slice/<VMID>.scope` cgroup gets `_SYSTEMD_UNIT`, `_SYSTEMD_SLICE` and
 *   `_SYSTEMD_CGROUP` from journald itself, as qemu-server's scopes do on a node;
 * - without such a cgroup, the stdout stream header's unit field becomes `_SYSTEMD_UNIT` (journald's
 *   fallback when the writer's cgroup names no unit) and nothing else: no `UNIT=`, no slice.
 * Either way the source attributes the lines to the VM, and a config arriving under the node
 * after an incoming start ends the migration.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createVmScope,
  journaldUnavailable,
  startJournald,
  until as untilValue,
  vmScopeUnavailable,
  type JournaldNamespace,
} from '@switchover/testbed';
import { silentLogger } from '../src/lib/log.js';
import type { ProxmoxRecord, RawRecord } from '../src/records/types.js';
import { ProxmoxSource } from '../src/sources/proxmox/proxmox-source.js';
import type { SourceCallbacks } from '../src/sources/types.js';
import { until } from './helpers/until.js';

let ns: JournaldNamespace;
let dir: string;
const vmid = String(8000 + Math.floor(Math.random() * 900));

function source(records: RawRecord[], pollIntervalMs = 100) {
  const cb: SourceCallbacks = { record: (r) => void records.push(r), status: () => {}, error: () => {} };
  return new ProxmoxSource(
    {
      host: 'pve2',
      stateDir: path.join(dir, 'state'),
      timeZone: 'UTC',
      tasksDir: path.join(dir, 'tasks'),
      pveDir: path.join(dir, 'etc-pve'),
      namespace: ns.namespace,
      startAt: 'all',
      pollIntervalMs,
    },
    cb,
    { logger: silentLogger },
  );
}

describe.skipIf(journaldUnavailable() !== null)('a VM unit in a real journald namespace', () => {
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sw-pve-jd-'));
    for (const n of ['pve1', 'pve2'])
      mkdirSync(path.join(dir, 'pve', 'nodes', n, 'qemu-server'), { recursive: true });
    mkdirSync(path.join(dir, 'etc-pve'));
    mkdirSync(path.join(dir, 'tasks'));
    symlinkSync(path.join(dir, 'pve', 'nodes'), path.join(dir, 'etc-pve', 'nodes'));
    symlinkSync(
      path.join(dir, 'pve', 'nodes', 'pve2', 'qemu-server'),
      path.join(dir, 'etc-pve', 'qemu-server'),
    );
    writeFileSync(path.join(dir, 'pve', 'nodes', 'pve1', 'qemu-server', `${vmid}.conf`), 'name: web01\n');
    ns = await startJournald('swpvejd');
  });
  afterEach(async () => {
    await ns.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the stream header unit: journald records it as _SYSTEMD_UNIT only; the source names the VM', async () => {
    const records: RawRecord[] = [];
    const src = source(records);
    await src.start();
    try {
      await ns.writeLines(['kvm: header-unit line'], 'QEMU', { unit: `${vmid}.scope`, priority: 3 });
      await until(() => records.length >= 1);
      const e = ns.entries().find((x) => x.MESSAGE === 'kvm: header-unit line')!;
      expect(e).toMatchObject({
        SYSLOG_IDENTIFIER: 'QEMU',
        PRIORITY: '3',
        _TRANSPORT: 'stdout',
        _SYSTEMD_UNIT: `${vmid}.scope`,
      });
      expect(e.UNIT).toBeUndefined();
      expect(e._SYSTEMD_SLICE).toBeUndefined();
      expect(records[0]).toMatchObject({
        kind: 'log-line',
        text: 'kvm: header-unit line',
        vm: { name: 'web01', uuid: vmid },
      });
    } finally {
      await src.stop();
    }
  });

  it.skipIf(vmScopeUnavailable() !== null)(
    'a process in qemu.slice/<VMID>.scope: journald derives unit, slice and cgroup; an incoming start then the config move',
    async () => {
      const scope = createVmScope(vmid);
      const records: RawRecord[] = [];
      const src = source(records);
      await src.start();
      const stream = await ns.openStream('QEMU', { priority: 3 });
      const w = scope.wrap('/bin/sh', ['-c', 'echo "kvm: from the scope" >&2; sleep 0.5']);
      const child = spawn(w.command, w.args, { stdio: ['ignore', 'ignore', stream] });
      try {
        await new Promise((r) => child.once('exit', r));
        await until(() => records.some((r) => (r as { text?: string }).text === 'kvm: from the scope'));
        const e = ns.entries().find((x) => x.MESSAGE === 'kvm: from the scope')!;
        expect(e).toMatchObject({
          _SYSTEMD_UNIT: `${vmid}.scope`,
          _SYSTEMD_SLICE: 'qemu.slice',
          _SYSTEMD_CGROUP: `/qemu.slice/${vmid}.scope`,
          _COMM: 'sh',
        });
        expect(records.find((r) => (r as { text?: string }).text === 'kvm: from the scope')?.vm).toEqual({
          name: 'web01',
          uuid: vmid,
        });

        // qm's start line for an incoming VM (its command line says --migratedfrom), then the move.
        const qm = path.join(dir, 'qm');
        writeFileSync(qm, '#!/bin/sh\nsleep 30 &\nwait\n', { mode: 0o755 });
        const q = spawn('/bin/sh', [qm, 'start', vmid, '--migratedfrom', 'pve1'], {
          stdio: 'ignore',
          detached: true,
        });
        try {
          await untilValue('qm', 5000, () => q.pid);
          await new Promise((r) => setTimeout(r, 50));
          await ns.writeAsPid(
            q.pid!,
            [`VM ${vmid} started with PID 4242 using pve-qemu-kvm_9.2.0-5.`],
            'qm',
            'daemon.info',
          );
          await until(() => records.some((r) => r.kind === 'proxmox' && r.migratedFrom === 'pve1'));
        } finally {
          process.kill(-q.pid!, 'SIGKILL');
        }
        await new Promise((r) => setTimeout(r, 300));
        expect(records.some((r) => r.kind === 'proxmox' && r.from === 'config-moved')).toBe(false);
        const conf = (n: string) => path.join(dir, 'pve', 'nodes', n, 'qemu-server', `${vmid}.conf`);
        writeFileSync(conf('pve2'), 'name: web01\n');
        rmSync(conf('pve1'));
        await until(() => records.some((r) => r.kind === 'proxmox' && r.from === 'config-moved'));
        const moved = records.find((r) => r.kind === 'proxmox' && r.from === 'config-moved') as ProxmoxRecord;
        expect(moved).toMatchObject({
          vm: { name: 'web01', uuid: vmid },
          origin: { kind: 'proxmox-config' },
        });
      } finally {
        await src.stop();
        stream.destroy();
        scope.remove();
      }
    },
  );

  // Regression: qmeventd's cleanup of the source VM (journal, read at once) came before the task log's
  // `migration status: completed` (polled), and the source side ended `failed`.
  it('a VM process end is handed on only after the task log lines written before it', async () => {
    const sub = path.join(dir, 'tasks', 'A');
    mkdirSync(sub);
    const task = path.join(sub, `UPID:pve2:0000ABCD:0001F00D:6B0F7E0A:qmigrate:${vmid}:root@pam:`);
    writeFileSync(task, `2026-12-02 02:10:18 starting migration of VM ${vmid} to node 'pve1' (10.0.0.1)\n`);
    const records: RawRecord[] = [];
    const src = source(records, 60_000); // the task log is polled once a minute here
    await src.start();
    try {
      await until(() => records.length >= 1);
      writeFileSync(task, `2026-12-02 02:10:21 migration status: completed\n`, { flag: 'a' });
      await ns.writeLines([`Starting cleanup for ${vmid}`], 'qmeventd');
      await until(() => records.length >= 3);
      expect(records.map((r) => (r as ProxmoxRecord).text)).toEqual([
        `2026-12-02 02:10:18 starting migration of VM ${vmid} to node 'pve1' (10.0.0.1)`,
        '2026-12-02 02:10:21 migration status: completed',
        `Starting cleanup for ${vmid}`,
      ]);
    } finally {
      await src.stop();
    }
  });
});
