/**
 * TaskLogSource on a real tasks folder: which task logs it reads, from where, and that a restart
 * neither loses nor repeats a line.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/log.js';
import type { ProxmoxRecord, RawRecord } from '../src/records/types.js';
import { TaskLogSource } from '../src/sources/proxmox/task-log-source.js';
import type { SourceCallbacks } from '../src/sources/types.js';
import { until } from './helpers/until.js';

let dir: string;
let tasks: string;
let state: string;
const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');

function taskFile(vmid: string, startSec: number, type = 'qmigrate'): string {
  const f = path.join(
    tasks,
    hex(startSec).slice(-1),
    `UPID:pve1:0000ABCD:0001F00D:${hex(startSec)}:${type}:${vmid}:root@pam:`,
  );
  writeFileSync(f, '');
  return f;
}

function collector() {
  const records: ProxmoxRecord[] = [];
  const errors: string[] = [];
  const cb: SourceCallbacks = {
    record: (r: RawRecord) => void records.push(r as ProxmoxRecord),
    status: () => {},
    error: (stage, type) => void errors.push(`${stage}:${type}`),
  };
  return { records, errors, cb };
}

const source = (cb: SourceCallbacks) =>
  new TaskLogSource(
    { host: 'pve1', stateDir: state, tasksDir: tasks, timeZone: 'Europe/Vienna', pollIntervalMs: 50 },
    cb,
    { logger: silentLogger, names: async (id) => (id === '111' ? 'web01' : undefined) },
  );

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sw-pve-tasks-'));
  tasks = path.join(dir, 'tasks');
  state = path.join(dir, 'state');
  for (const d of '0123456789ABCDEF') mkdirSync(path.join(tasks, d), { recursive: true });
  mkdirSync(state);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('TaskLogSource', () => {
  it('first start: finished migrations are old news, a running one is read whole; other task types never', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = taskFile('100', now - 3600);
    appendFileSync(
      old,
      "2025-08-19 10:00:00 starting migration of VM 100 to node 'pve2' (10.0.0.2)\nTASK OK\n",
    );
    const running = taskFile('111', now - 10);
    appendFileSync(running, "2025-08-19 10:27:33 starting migration of VM 111 to node 'pve2' (10.0.0.2)\n");
    const start = taskFile('111', now - 5, 'qmstart');
    appendFileSync(start, '2025-08-19 10:27:30 start VM 111\n');
    const c = collector();
    const src = source(c.cb);
    await src.start();
    try {
      await until(() => c.records.length >= 1);
      appendFileSync(running, '2025-08-19 10:27:42 migration status: completed\nTASK OK\n');
      await until(() => c.records.length >= 3);
      await new Promise((r) => setTimeout(r, 200));
      expect(c.records.map((r) => r.text)).toEqual([
        "2025-08-19 10:27:33 starting migration of VM 111 to node 'pve2' (10.0.0.2)",
        '2025-08-19 10:27:42 migration status: completed',
        'TASK OK',
      ]);
      expect(c.records[0]).toMatchObject({
        kind: 'proxmox',
        from: 'task-log',
        vm: { name: 'web01', uuid: '111' },
        timeZone: 'Europe/Vienna',
        origin: { kind: 'proxmox-task', file: running, line: 1 },
      });
      // A finished log is closed.
      expect(src.files()).toEqual([]);
      expect(c.errors).toEqual([]);
    } finally {
      await src.stop();
    }
  });

  it('a restart resumes after the last line handed off; a task that started while it was down is read whole', async () => {
    const now = Math.floor(Date.now() / 1000);
    const a = taskFile('222', now);
    appendFileSync(a, "2025-08-19 10:00:00 starting migration of VM 222 to node 'pve2' (10.0.0.2)\n");
    const c = collector();
    const s1 = source(c.cb);
    await s1.start();
    await until(() => c.records.length >= 1);
    await s1.stop();
    appendFileSync(a, '2025-08-19 10:00:05 migration status: completed\nTASK OK\n');
    const b = taskFile('333', now + 2);
    appendFileSync(
      b,
      "2025-08-19 10:00:07 starting migration of VM 333 to node 'pve2' (10.0.0.2)\nTASK ERROR: migration aborted\n",
    );
    const c2 = collector();
    const s2 = source(c2.cb);
    await s2.start();
    try {
      await until(() => c2.records.length >= 4);
      await new Promise((r) => setTimeout(r, 200));
      expect(c2.records.map((r) => `${r.vm?.uuid} ${r.text}`).sort()).toEqual(
        [
          "333 2025-08-19 10:00:07 starting migration of VM 333 to node 'pve2' (10.0.0.2)",
          '333 TASK ERROR: migration aborted',
          '222 2025-08-19 10:00:05 migration status: completed',
          '222 TASK OK',
        ].sort(),
      );
      expect(c2.records.find((r) => r.vm?.uuid === '333')?.vm).toEqual({ name: '333', uuid: '333' });
    } finally {
      await s2.stop();
    }
  });

  it('a missing tasks folder is one counted error, and the source keeps polling until it appears', async () => {
    rmSync(tasks, { recursive: true, force: true });
    const c = collector();
    const src = source(c.cb);
    await src.start();
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(c.errors).toEqual(['proxmox-tasks:scan_failed']);
      for (const d of '0123456789ABCDEF') mkdirSync(path.join(tasks, d), { recursive: true });
      const f = taskFile('444', Math.floor(Date.now() / 1000));
      appendFileSync(f, "2025-08-19 10:00:00 starting migration of VM 444 to node 'pve2' (10.0.0.2)\n");
      await until(() => c.records.length >= 1);
    } finally {
      await src.stop();
    }
  });
});
