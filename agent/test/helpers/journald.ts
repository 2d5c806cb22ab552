/**
 * A real standalone systemd-journald in its own namespace, for tests (see
 * shared/reference/test-environment.md §journald). `startJournald()` starts the daemon, waits for
 * its sockets and keeps one stream connection open (a namespaced journald exits when idle);
 * `stop()` kills it and removes the namespace's journal and runtime directories.
 */
import { spawn, execFileSync, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

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

export function journaldBinary(): string | undefined {
  try {
    const out = execFileSync('dpkg', ['-L', 'systemd'], { encoding: 'utf8' });
    return out.split('\n').find((l) => l.endsWith('/systemd-journald'));
  } catch {
    return ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) => existsSync(p));
  }
}

/** Whether a standalone journald can run here (binary present, root for the namespace dirs). */
export function journaldAvailable(): boolean {
  return journaldBinary() !== undefined && process.getuid?.() === 0 && existsSync('/usr/bin/journalctl');
}

const HEADER = (identifier: string): string => `${identifier}\n\n6\n0\n0\n0\n0\n`;

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function connect(socketPath: string, identifier: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // journald shuts down its write side at once: without allowHalfOpen Node would close ours too.
    const s = net.createConnection({ path: socketPath, allowHalfOpen: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      s.write(HEADER(identifier), (err) => (err ? reject(err) : resolve(s)));
    });
  });
}

export async function startJournald(prefix = 'swt'): Promise<JournaldNamespace> {
  const bin = journaldBinary();
  if (!bin) throw new Error('systemd-journald not found');
  const namespace = `${prefix}${process.pid}x${Math.floor(Math.random() * 1e6)}`;
  const runDir = `/run/systemd/journal.${namespace}`;
  const stdoutSocket = path.join(runDir, 'stdout');
  const devLog = path.join(runDir, 'dev-log');
  const daemon: ChildProcess = spawn(bin, [namespace], { stdio: ['ignore', 'ignore', 'pipe'] });
  let daemonErr = '';
  daemon.stderr?.on('data', (c: Buffer) => (daemonErr += c.toString()));
  const exited = new Promise<void>((r) => daemon.once('close', () => r()));
  const streams: net.Socket[] = [];

  const cleanup = async (): Promise<void> => {
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
      for (const d of readdirSync(base)) {
        if (d.endsWith(`.${namespace}`)) await rm(path.join(base, d), { recursive: true, force: true });
      }
    }
  };

  try {
    await waitFor(
      () => (existsSync(stdoutSocket) && existsSync(devLog)) || daemon.exitCode !== null,
      10_000,
      'journald sockets',
    );
    if (daemon.exitCode !== null) throw new Error(`journald exited: ${daemonErr}`);
    streams.push(await connect(stdoutSocket, 'switchover-test-keepalive'));
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
