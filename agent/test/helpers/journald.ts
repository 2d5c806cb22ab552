/**
 * A real standalone systemd-journald in its own namespace, for tests (see
 * shared/reference/test-environment.md §journald). `startJournald()` starts the daemon, waits for
 * its sockets and keeps one stream connection open (a namespaced journald exits when idle);
 * `stop()` kills it and removes the namespace's journal and runtime directories.
 */
import { execFileSync, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  journaldBinary,
  startJournald as startNamespace,
  streamHeader,
} from '../../src/bench/journald-namespace.js';
import { until } from '../../src/demo/wait.js';

export { journaldBinary };

export interface JournaldNamespace {
  readonly namespace: string;
  /** The stdout stream socket: connect, send the 7-line header, then write lines. */
  readonly stdoutSocket: string;
  /** The syslog socket (`dev-log`). */
  readonly devLog: string;
  /**
   * A connected stream socket after the header, usable as a child's stdout/stderr (`stdio: [.., s, s]`):
   * each line is then an entry with the writing process's real `_PID`/`_COMM`/`_CMDLINE`.
   */
  openStream(identifier?: string): Promise<net.Socket>;
  /** Lines as entries of the test process itself (its `_PID`). */
  writeLines(lines: readonly string[], identifier?: string): Promise<void>;
  /**
   * Lines attributed to another live process: util-linux `logger --id=PID` sends SCM_CREDENTIALS with
   * that pid (root), so journald stamps the entry with its `_PID`, `_COMM` and `_CMDLINE` as if that
   * process had logged it. Used for VFIO lines "printed" by a QEMU that has no VFIO device.
   */
  writeAsPid(pid: number, lines: readonly string[], identifier?: string): Promise<void>;
  /** Every entry currently in the namespace (`journalctl -o json`, not following). */
  entries(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Whether a standalone journald can run here (binary present, root for the namespace dirs). */
export function journaldAvailable(): boolean {
  return journaldBinary() !== undefined && process.getuid?.() === 0 && existsSync('/usr/bin/journalctl');
}

function connect(socketPath: string, identifier: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // journald shuts down its write side at once: without allowHalfOpen Node would close ours too.
    const s = net.createConnection({ path: socketPath, allowHalfOpen: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      s.write(streamHeader(identifier), (err) => (err ? reject(err) : resolve(s)));
    });
  });
}

export async function startJournald(prefix = 'swt'): Promise<JournaldNamespace> {
  // The daemon's lifecycle (namespace, keep-alive stream, clean-up) is the benchmark's; tests add writers.
  const base = await startNamespace(prefix);
  const { namespace, stdoutSocket } = base;
  const devLog = path.join(path.dirname(stdoutSocket), 'dev-log');
  const streams: net.Socket[] = [];
  const cleanup = async (): Promise<void> => {
    for (const s of streams) s.destroy();
    await base.stop();
  };
  try {
    await until('the journald syslog socket', 10_000, () => existsSync(devLog), 25);
  } catch (err) {
    await cleanup();
    throw err;
  }

  const ns: JournaldNamespace = {
    namespace,
    stdoutSocket,
    devLog,
    async openStream(identifier = 'qemu-system-x86_64') {
      const s = await connect(stdoutSocket, identifier);
      streams.push(s);
      return s;
    },
    async writeLines(lines, identifier = 'qemu-system-x86_64') {
      const s = await connect(stdoutSocket, identifier);
      await new Promise<void>((resolve, reject) =>
        s.end(lines.map((l) => `${l}\n`).join(''), () => resolve()).once('error', reject),
      );
    },
    async writeAsPid(pid, lines, identifier = 'qemu-system-x86_64') {
      for (const line of lines) {
        await new Promise<void>((resolve, reject) =>
          execFile('logger', ['-u', devLog, `--id=${pid}`, '-t', identifier, '--', line], (err) =>
            err ? reject(err) : resolve(),
          ),
        );
      }
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
    stop: cleanup,
  };
  return ns;
}
