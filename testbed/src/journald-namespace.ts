import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { packagedBinary } from './debian.js';
import { spawnOwned } from './spawn.js';
import { until } from './wait.js';

/**
 * A real standalone `systemd-journald NAMESPACE` (no systemd as PID 1 needed; root for its
 * directories). One stream connection stays open, since a namespaced journald exits when idle.
 * `stop()` kills it and removes the namespace's runtime and journal directories.
 */
export interface JournaldNamespace {
  readonly namespace: string;
  /** The stdout stream socket: connect, send the 7-line header, then each line is an entry. */
  readonly stdoutSocket: string;
  /** The syslog socket (`dev-log`). */
  readonly devLog: string;
  /**
   * A connected stream socket after the header, usable as a child's stdout/stderr (`stdio: [.., s, s]`):
   * each line is then an entry with the writing process's real `_PID`/`_COMM`/`_CMDLINE`.
   */
  openStream(identifier?: string, header?: StreamOptions): Promise<net.Socket>;
  /** Lines as entries of this process (its `_PID`). */
  writeLines(lines: readonly string[], identifier?: string, header?: StreamOptions): Promise<void>;
  /**
   * Lines attributed to another live process: util-linux `logger --id=PID` sends SCM_CREDENTIALS with
   * that pid (root), so journald stamps the entry with its `_PID`, `_COMM` and `_CMDLINE` as if that
   * process had logged it. Used for VFIO lines "printed" by a QEMU that has no VFIO device.
   */
  writeAsPid(pid: number, lines: readonly string[], identifier?: string, priority?: string): Promise<void>;
  /** Every entry currently in the namespace (`journalctl -o json`, not following). */
  entries(): Record<string, unknown>[];
  /** The namespace as a responder exports it: `journalctl -o FORMAT` (json, short, short-iso, …). */
  exportAs(format: string, env?: NodeJS.ProcessEnv): string;
  stop(): Promise<void>;
}

export const journaldBinary = (): string | undefined => packagedBinary('systemd', 'systemd-journald');

/** Why a standalone journald cannot run here, or null when it can. */
export function journaldUnavailable(): string | null {
  if (!journaldBinary()) return 'systemd-journald not found';
  if (process.getuid?.() !== 0) return 'a journald namespace needs root';
  if (!existsSync('/usr/bin/journalctl')) return 'journalctl not found';
  return null;
}

/**
 * The stream header's optional fields. `unit` is what the service manager would send for a unit's
 * output; journald records it as `_SYSTEMD_UNIT` only when the writer's own cgroup names none.
 */
export interface StreamOptions {
  unit?: string;
  /** syslog priority of every line (pve-qemu uses LOG_ERR, 3). Default 6. */
  priority?: number;
}

/** The stdout-stream header: identifier, unit, priority, level prefix, forward to syslog/kmsg/console. */
export const streamHeader = (identifier: string, o: StreamOptions = {}): string =>
  `${identifier}\n${o.unit ?? ''}\n${o.priority ?? 6}\n0\n0\n0\n0\n`;

function connect(socketPath: string, identifier: string, header: StreamOptions = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // journald shuts its write side at once: without allowHalfOpen Node would close ours too.
    const s = net.createConnection({ path: socketPath, allowHalfOpen: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      s.write(streamHeader(identifier, header), (err) => (err ? reject(err) : resolve(s)));
    });
  });
}

export async function startJournald(prefix = 'swt'): Promise<JournaldNamespace> {
  const bin = journaldBinary();
  if (!bin) throw new Error('systemd-journald not found');
  // Never a name that looks like an option: `systemd-journald --help` starts a namespace called `--help`.
  const namespace = `${prefix}${process.pid}x${Math.floor(Math.random() * 1e6)}`;
  const runDir = `/run/systemd/journal.${namespace}`;
  const stdoutSocket = path.join(runDir, 'stdout');
  const devLog = path.join(runDir, 'dev-log');
  const daemon: ChildProcess = spawnOwned(bin, [namespace], { stdio: ['ignore', 'ignore', 'pipe'] });
  let daemonErr = '';
  daemon.stderr?.on('data', (c: Buffer) => (daemonErr = (daemonErr + c.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => daemon.once('close', () => r()));
  const streams: net.Socket[] = [];

  const stop = async (): Promise<void> => {
    for (const s of streams) s.destroy();
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGTERM');
      const t = setTimeout(() => daemon.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    await rm(runDir, { recursive: true, force: true });
    for (const base of ['/var/log/journal', '/run/log/journal']) {
      if (!existsSync(base)) continue;
      for (const d of readdirSync(base))
        if (d.endsWith(`.${namespace}`)) await rm(path.join(base, d), { recursive: true, force: true });
    }
  };

  const openStream = async (
    identifier = 'qemu-system-x86_64',
    header?: StreamOptions,
  ): Promise<net.Socket> => {
    const s = await connect(stdoutSocket, identifier, header);
    streams.push(s);
    return s;
  };

  try {
    await until(
      'the journald sockets',
      10_000,
      () => {
        if (daemon.exitCode !== null) throw new Error(`journald exited: ${daemonErr.trim()}`);
        return existsSync(stdoutSocket) && existsSync(devLog);
      },
      25,
    );
    await openStream('switchover-testbed-keepalive');
  } catch (err) {
    await stop();
    throw daemon.exitCode !== null ? new Error(`journald exited: ${daemonErr.trim()}`) : err;
  }

  return {
    namespace,
    stdoutSocket,
    devLog,
    openStream,
    async writeLines(lines, identifier = 'qemu-system-x86_64', header) {
      const s = await connect(stdoutSocket, identifier, header);
      await new Promise<void>((resolve, reject) =>
        s.end(lines.map((l) => `${l}\n`).join(''), () => resolve()).once('error', reject),
      );
    },
    async writeAsPid(pid, lines, identifier = 'qemu-system-x86_64', priority = 'user.notice') {
      for (const line of lines) {
        await new Promise<void>((resolve, reject) =>
          execFile(
            'logger',
            ['-u', devLog, `--id=${pid}`, '-p', priority, '-t', identifier, '--', line],
            (err) => (err ? reject(err) : resolve()),
          ),
        );
      }
    },
    exportAs(format, env = process.env) {
      return execFileSync('journalctl', [`--namespace=${namespace}`, '--merge', '-o', format, '--no-pager'], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        env,
      });
    },
    entries() {
      const out = execFileSync(
        'journalctl',
        [`--namespace=${namespace}`, '--merge', '-o', 'json', '--no-pager'],
        {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      return out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    stop,
  };
}
