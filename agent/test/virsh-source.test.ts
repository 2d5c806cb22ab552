/**
 * The virsh event relay. Unit tests drive VirshSource with an injected spawn (no process); the rest
 * runs the real `virsh qemu-monitor-event --loop` against a real libvirt 9.0 host (testbed), through a
 * real migration and a real libvirtd restart.
 */
import { EventEmitter } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  childrenOf,
  EventWatcher,
  libvirtUnavailable,
  migrate,
  migrationStatus,
  normaliseEventLine,
  startLibvirtHosts,
  type LibvirtHosts,
} from '@switchover/testbed';
import { ERROR_TYPES } from '@switchover/model';
import { silentLogger } from '../src/lib/log.js';
import { VirshSource, virshArgs } from '../src/sources/virsh/virsh-source.js';
import type { SpawnFn } from '../src/sources/child-process.js';
import type { RawRecord, VirshLineRecord } from '../src/records/types.js';
import type { SourceCallbacks, SourceStatus } from '../src/sources/types.js';
import { until } from './helpers/until.js';

const quiet = silentLogger;

function collector() {
  const records: VirshLineRecord[] = [];
  const statuses: SourceStatus[] = [];
  const errors: { stage: string; type: string; err: unknown }[] = [];
  const cb: SourceCallbacks = {
    record: (r: RawRecord) => void records.push(r as VirshLineRecord),
    status: (s) => void statuses.push(s),
    error: (stage, type, err) => void errors.push({ stage, type, err }),
  };
  return { records, statuses, errors, cb };
}

describe('virshArgs', () => {
  it('builds `[-c URI] qemu-monitor-event --loop [--timestamp]`', () => {
    expect(virshArgs({ host: 'h' })).toEqual(['qemu-monitor-event', '--loop']);
    expect(virshArgs({ host: 'h', uri: 'qemu:///system', timestamp: true })).toEqual([
      '-c',
      'qemu:///system',
      'qemu-monitor-event',
      '--loop',
      '--timestamp',
    ]);
  });
});

describe('VirshSource with an injected spawn', () => {
  /** A child that prints `out` (maybe without a final newline) and `err`, then exits 1. */
  function scripted(out: string, err: string): { spawn: SpawnFn; argv: string[][] } {
    const argv: string[][] = [];
    const spawn: SpawnFn = (command, args) => {
      argv.push([command, ...args]);
      const child = Object.assign(new EventEmitter(), {
        pid: 4242,
        exitCode: null as number | null,
        signalCode: null as NodeJS.Signals | null,
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        kill(signal: NodeJS.Signals = 'SIGTERM') {
          close(null, signal);
          return true;
        },
      });
      const close = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.exitCode = code;
        child.signalCode = signal;
        child.emit('close', code, signal);
      };
      setImmediate(() => {
        child.stderr.end(err);
        child.stdout.end(out);
        child.stdout.once('end', () => close(1, null));
      });
      return child as unknown as ChildProcess;
    };
    return { spawn, argv };
  }

  it('keeps a last line printed without a newline, reports the exit with stderr, and restarts', async () => {
    const last = "event SHUTDOWN at 1731988500.000001 for domain 'x': <null>";
    const { spawn, argv } = scripted(
      `event RESUME at 1731986847.494954 for domain 'ml-train-2': <null>\n${last}`,
      'error: Disconnected from qemu:///system due to end of file\n',
    );
    const c = collector();
    const src = new VirshSource({ host: 'h', virsh: '/usr/bin/virsh', uri: 'qemu:///system' }, c.cb, {
      logger: quiet,
      spawn,
      backoff: { initialMs: 10, maxMs: 20 },
    });
    await src.start();
    try {
      await until(() => c.records.length >= 4);
    } finally {
      await src.stop();
    }
    expect(c.records.slice(0, 2).map((r) => r.text)).toEqual([
      "event RESUME at 1731986847.494954 for domain 'ml-train-2': <null>",
      last,
    ]);
    expect(argv[0]).toEqual(['/usr/bin/virsh', '-c', 'qemu:///system', 'qemu-monitor-event', '--loop']);
    expect(src.starts).toBeGreaterThanOrEqual(2);
    const exit = c.errors.find((e) => e.type === ERROR_TYPES.virsh.childExit);
    expect(String(exit?.err)).toContain('Disconnected from qemu:///system');
    expect(c.statuses.map((s) => s.up).slice(0, 4)).toEqual([false, true, false, true]);
  });
});

const unavailable = libvirtUnavailable();

describe.skipIf(unavailable !== null)(
  `VirshSource on a real libvirt host${unavailable ? ` (${unavailable})` : ''}`,
  () => {
    let hosts: LibvirtHosts;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchover-virsh-'));
      hosts = await startLibvirtHosts();
      await hosts.a.defineAndStart({ name: 'vm-relay', uuid: '2d7c4b1e-5a60-4f38-9e21-0c3b5a6d7e01' });
    }, 60_000);
    afterAll(async () => {
      await hosts?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('relays exactly what virsh prints, in both forms, and restarts virsh when libvirtd restarts', async () => {
      const sources = [false, true].map((timestamp) => {
        const c = collector();
        const src = new VirshSource(
          { host: 'hv-a', virsh: '/usr/bin/virsh', uri: hosts.a.uri, timestamp },
          c.cb,
          {
            logger: quiet,
            backoff: { initialMs: 100, maxMs: 300 },
          },
        );
        return { c, src, timestamp };
      });
      for (const s of sources) await s.src.start();
      // A responder's own capture of the same host, for comparison.
      const watcher = await EventWatcher.start(hosts.a.uri, join(dir, 'hv-a.events.txt'), {
        timestamp: true,
      });
      try {
        expect((await migrate(hosts.a, hosts.b, 'vm-relay', { mode: 'p2p' })).code).toBe(0);
        await watcher.waitFor('completed on hv-a', migrationStatus('vm-relay', 'completed'));
        await watcher.stop();
        const captured = readFileSync(join(dir, 'hv-a.events.txt'), 'utf8')
          .split('\n')
          .filter((l) => l.includes("for domain 'vm-relay'"));
        expect(captured.length).toBeGreaterThanOrEqual(7);
        for (const { c, timestamp } of sources) {
          await until(() => c.records.length >= captured.length);
          const texts = c.records.map((r) => r.text);
          // Each record is one line as virsh printed it: QEMU's time (`at SEC.USEC`) or virsh's (`--timestamp`).
          for (const t of texts)
            expect(t).toMatch(
              timestamp
                ? /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: event /
                : /^event \S+ at \d+\.\d{6} /,
            );
          expect(texts.map(normaliseEventLine)).toEqual(captured.map(normaliseEventLine));
          expect(c.records[0]).toMatchObject({ kind: 'virsh-line', host: 'hv-a', origin: { kind: 'virsh' } });
        }

        // libvirtd restarts (a package upgrade): virsh loses its connection and exits; the source says
        // so, restarts it with backoff, and relays what happens afterwards.
        await hosts.a.restartLibvirtd();
        for (const { c, src } of sources) {
          await until(() => src.starts >= 2 && c.statuses.at(-1)?.up === true, 20_000);
          expect(c.errors.some((e) => e.type === ERROR_TYPES.virsh.childExit)).toBe(true);
        }
        await new Promise((r) => setTimeout(r, 1000)); // the new virsh registers for events
        const before = sources.map((s) => s.c.records.length);
        expect((await migrate(hosts.b, hosts.a, 'vm-relay', { mode: 'p2p' })).code).toBe(0);
        for (const [i, { c }] of sources.entries())
          await until(
            () => c.records.slice(before[i]).some((r) => r.text.includes('"status":"completed"')),
            20_000,
          );
      } finally {
        await watcher.stop();
        for (const s of sources) await s.src.stop();
      }
      for (const { c } of sources) expect(c.statuses.at(-1)?.up).toBe(false);
    }, 90_000);

    it('the real virsh dies with an agent process that is SIGKILLed (pdeathsig)', async () => {
      const owner = join(dir, 'owner.ts');
      const src = join(import.meta.dirname, '../src/sources/virsh/virsh-source.ts');
      writeFileSync(
        owner,
        `import { VirshSource } from ${JSON.stringify(src)};\n` +
          `const s = new VirshSource({ host: 'hv-a', virsh: '/usr/bin/virsh', uri: ${JSON.stringify(hosts.a.uri)} }, { record() {}, status() {}, error() {} }, { logger: { warn() {} } });\n` +
          `await s.start();\nsetInterval(() => {}, 1000);\n`,
      );
      const viteNode = join(import.meta.dirname, '../../node_modules/vite-node/vite-node.mjs');
      const proc = spawn(process.execPath, [viteNode, owner], {
        cwd: join(import.meta.dirname, '..'),
        stdio: 'ignore',
      });
      /** The `virsh … qemu-monitor-event` somewhere below `pid`. */
      const virshOf = (pid: number): number | undefined => {
        for (const child of childrenOf(pid)) {
          try {
            if (readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('qemu-monitor-event')) return child;
          } catch {
            // gone meanwhile
          }
          const deeper = virshOf(child);
          if (deeper !== undefined) return deeper;
        }
        return undefined;
      };
      let virsh: number | undefined;
      try {
        await until(() => (virsh = virshOf(proc.pid as number)) !== undefined, 20_000);
        expect(alive(virsh as number)).toBe(true);
        proc.kill('SIGKILL');
        await until(() => !alive(virsh as number), 5000);
      } finally {
        proc.kill('SIGKILL');
        if (virsh !== undefined && alive(virsh)) process.kill(virsh, 'SIGKILL');
      }
    }, 30_000);
  },
);
