/**
 * JournaldSource against a real standalone systemd-journald namespace and a real QEMU 7.2.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_TYPES } from '@switchover/model';
import { silentLogger } from '../src/lib/log.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { JournaldSource } from '../src/sources/journald/journald-source.js';
import { spawnDyingWithParent, type SpawnFn } from '../src/sources/child-process.js';
import type { LogLineRecord, RawRecord } from '../src/records/types.js';
import type { SourceCallbacks } from '../src/sources/types.js';
import { journaldUnavailable, startJournald, type JournaldNamespace } from '@switchover/testbed';
import { until } from './helpers/until.js';

const quiet = silentLogger;
const hasQemu = existsSync('/usr/bin/qemu-system-x86_64');

function collector(delayMs = 0) {
  const records: LogLineRecord[] = [];
  const errors: { stage: string; type: string; err: unknown }[] = [];
  const cb: SourceCallbacks = {
    record: async (r: RawRecord) => {
      if (delayMs) await new Promise((res) => setTimeout(res, delayMs));
      records.push(r as LogLineRecord);
    },
    status: () => {},
    error: (stage, type, err) => void errors.push({ stage, type, err }),
  };
  return { records, errors, cb };
}

/** Minimal QMP client: greeting, capabilities, one command. */
async function qmp(socketPath: string, commands: object[]): Promise<void> {
  await until(() => existsSync(socketPath), 10_000);
  const s = net.createConnection(socketPath);
  let buf = '';
  const replies: unknown[] = [];
  s.on('data', (c) => {
    buf += c.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
      buf = buf.slice(i + 1);
      if ('return' in msg || 'error' in msg) replies.push(msg);
    }
  });
  await new Promise((r) => s.once('connect', r));
  for (const [n, cmd] of [{ execute: 'qmp_capabilities' }, ...commands].entries()) {
    s.write(JSON.stringify(cmd) + '\n');
    await until(() => replies.length > n, 10_000);
  }
  s.end();
}

describe.skipIf(journaldUnavailable() !== null)('JournaldSource with a real journald', () => {
  let ns: JournaldNamespace;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sw-jd-live-'));
    ns = await startJournald();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await ns.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasQemu)(
    'receives a real QEMU stderr and injected VFIO lines live, attributed by _PID',
    async () => {
      const c = collector();
      const src = new JournaldSource(
        {
          host: 'dst1',
          stateDir: dir,
          namespace: ns.namespace,
          startAt: 'all',
          matches: ['SYSLOG_IDENTIFIER=qemu-system-x86_64'],
        },
        c.cb,
        { logger: quiet },
      );
      await src.start();
      try {
        const stream = await ns.openStream('qemu-system-x86_64');
        const qmpPath = path.join(dir, 'q.qmp');
        // prettier-ignore
        const qemu = spawn('qemu-system-x86_64', ['-machine', 'pc', '-nographic', '-nodefaults', '-accel', 'tcg', '-m', '64M',
        '-name', 'guest=jtest', '-uuid', '6d1f0c2a-1111-4222-8333-944445555666', '-msg', 'timestamp=on',
        '-trace', 'enable=migrate_set_state', '-S', '-qmp', `unix:${qmpPath},server=on,wait=off`],
        { stdio: ['ignore', 'ignore', stream] });
        children.push(qemu);
        // A migration to a pipe makes QEMU print its migrate_set_state trace lines to stderr.
        await qmp(qmpPath, [{ execute: 'migrate', arguments: { uri: 'exec:cat > /dev/null' } }]);
        await until(() => c.records.some((r) => r.text.includes('migrate_set_state new state completed')));

        const vfio = [
          '0000:3b:00.1: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error',
          '0000:3b:00.1: Failed to set device state 0x1',
        ];
        await ns.writeAsPid(qemu.pid!, vfio);
        await ns.writeLines(['not from qemu'], 'qemu-system-x86_64');
        await until(
          () =>
            c.records.some((r) => r.text === 'not from qemu') &&
            vfio.every((v) => c.records.some((r) => r.text === v)),
        );

        const jtest = { name: 'jtest', uuid: '6d1f0c2a-1111-4222-8333-944445555666' };
        const traces = c.records.filter((r) => r.text.includes(':migrate_set_state new state '));
        expect(traces.map((r) => r.text.split('new state ')[1])).toEqual(['setup', 'active', 'completed']);
        for (const r of traces) {
          expect(r.vm).toEqual(jtest);
          expect(r.origin).toEqual({ kind: 'journald' });
          expect(Math.abs(r.transportTime! - Date.now())).toBeLessThan(60_000);
        }
        for (const v of vfio) expect(c.records.find((r) => r.text === v)?.vm).toEqual(jtest);
        expect(c.records.find((r) => r.text === 'not from qemu')?.vm).toBeUndefined();
        expect(src.lagSeconds()).toBeGreaterThanOrEqual(0);
        expect(src.lagSeconds()).toBeLessThan(30);
        expect(c.errors).toEqual([]);
        qemu.kill('SIGTERM');
      } finally {
        await src.stop();
      }
    },
  );

  it("startAt 'now' skips what is already in the journal and follows new entries", async () => {
    await ns.writeLines(['old entry'], 'nowtest');
    // journald stores stream lines asynchronously: wait until the old entry is in the journal.
    await until(() => ns.entries().some((e) => e.MESSAGE === 'old entry'));
    const c = collector();
    const src = new JournaldSource(
      { host: 'h', stateDir: dir, namespace: ns.namespace, matches: ['SYSLOG_IDENTIFIER=nowtest'] },
      c.cb,
      { logger: quiet },
    );
    await src.start();
    try {
      // journalctl seeks to the tail at start-up, which takes longer on a loaded machine: probe
      // until one probe arrives, so the source is following, then write the entry under test.
      for (let i = 0; !c.records.some((r) => r.text.startsWith('probe ')); i++) {
        if (i === 100) throw new Error('journalctl never followed the namespace');
        await ns.writeLines([`probe ${i}`], 'nowtest');
        await new Promise((r) => setTimeout(r, 100));
      }
      await ns.writeLines(['new entry'], 'nowtest');
      await until(() => c.records.some((r) => r.text === 'new entry'));
      await new Promise((r) => setTimeout(r, 300));
      const texts = c.records.map((r) => r.text);
      expect(texts).not.toContain('old entry');
      expect(texts.filter((t) => !t.startsWith('probe '))).toEqual(['new entry']);
    } finally {
      await src.stop();
    }
  });

  // A fault test that stays (issue 9): journalctl killed again and again at random points while
  // entries keep arriving; each restart resumes after the last handed-off cursor.
  it('journalctl killed repeatedly at random points: every line exactly once, in order', async () => {
    const N = 600;
    const c = collector(1);
    const started: ChildProcess[] = [];
    const spawnSpy: SpawnFn = (cmd, args, opts) => {
      const child = spawnDyingWithParent(cmd, args, opts);
      started.push(child);
      return child;
    };
    const src = new JournaldSource(
      {
        host: 'h',
        stateDir: dir,
        namespace: ns.namespace,
        startAt: 'all',
        matches: ['SYSLOG_IDENTIFIER=killtest'],
      },
      c.cb,
      { logger: quiet, spawn: spawnSpy, backoff: { initialMs: 50, maxMs: 100 } },
    );
    await src.start();
    const lines = Array.from({ length: N }, (_, i) => `kill-test line ${String(i).padStart(4, '0')}`);
    const KILLS = 6;
    try {
      for (let k = 0; k < KILLS; k++) {
        await ns.writeLines(lines.slice((k * N) / KILLS, ((k + 1) * N) / KILLS), 'killtest');
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 150));
        const running = started.at(-1);
        if (running && running.exitCode === null) running.kill('SIGKILL');
        await until(() => started.length > k + 1 || c.records.length >= N, 10_000);
      }
      await until(() => c.records.length >= N, 20_000);
      await new Promise((r) => setTimeout(r, 500)); // room for duplicates to show up
      expect(c.records.map((r) => r.text)).toEqual(lines);
      expect(started.length).toBeGreaterThanOrEqual(KILLS);
      expect(c.errors.every((e) => e.type === ERROR_TYPES.journald.childExit)).toBe(true);
    } finally {
      await src.stop();
    }
  });

  it('journalctl killed mid-stream is restarted after the cursor: every line exactly once; a new source resumes', async () => {
    const N = 300;
    const c = collector(2); // a slow consumer leaves output buffered in the pipe when the kill lands
    const started: { child: ChildProcess; args: readonly string[] }[] = [];
    const spawnSpy: SpawnFn = (cmd, args, opts) => {
      const child = spawnDyingWithParent(cmd, args, opts);
      started.push({ child, args });
      return child;
    };
    const cfg = {
      host: 'h',
      stateDir: dir,
      namespace: ns.namespace,
      startAt: 'all' as const,
      matches: ['SYSLOG_IDENTIFIER=numtest'],
    };
    const deps = { logger: quiet, spawn: spawnSpy, backoff: { initialMs: 100, maxMs: 300 } };
    const src = new JournaldSource(cfg, c.cb, deps);
    await src.start();
    const lines = Array.from({ length: N }, (_, i) => `numbered line ${String(i).padStart(4, '0')}`);
    try {
      await ns.writeLines(lines.slice(0, 150), 'numtest');
      await until(() => c.records.length >= 40);
      started[0]!.child.kill('SIGKILL');
      const atKill = c.records.length;
      expect(atKill).toBeLessThan(150); // the kill lands with entries still unread
      await ns.writeLines(lines.slice(150), 'numtest');
      await until(() => c.records.length >= N);
      await new Promise((r) => setTimeout(r, 500)); // room for duplicates to show up
      expect(started.length).toBeGreaterThanOrEqual(2);
      expect(started[1]!.args.some((a) => a.startsWith('--after-cursor='))).toBe(true);
      // Regression: without --lines=all next to --after-cursor, journalctl --follow skipped all but
      // the last 10 entries of the backlog after the cursor.
      expect(c.records.map((r) => r.text)).toEqual(lines);
      expect(c.errors.map((e) => e.type)).toEqual([ERROR_TYPES.journald.childExit]);
    } finally {
      await src.stop();
    }

    // A whole new source on the same state dir continues after the saved cursor.
    const more = ['after restart 1', 'after restart 2'];
    await ns.writeLines(more, 'numtest');
    const c2 = collector();
    const src2 = new JournaldSource(cfg, c2.cb, deps);
    await src2.start();
    try {
      await until(() => c2.records.length >= 2);
      await new Promise((r) => setTimeout(r, 500));
      expect(c2.records.map((r) => r.text)).toEqual(more);
      expect(started.at(-1)!.args.some((a) => a.startsWith('--after-cursor='))).toBe(true);
    } finally {
      await src2.stop();
    }
    for (const s of started) expect(s.child.exitCode !== null || s.child.signalCode !== null).toBe(true);
  });
});
