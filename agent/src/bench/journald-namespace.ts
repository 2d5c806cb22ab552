import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real standalone `systemd-journald NAMESPACE` (no systemd as PID 1 needed; root for its
 * directories). One stream connection stays open, since a namespaced journald exits when idle.
 * `stop()` kills it and removes the namespace's runtime and journal directories.
 */
export interface JournaldNamespace {
  readonly namespace: string;
  /** The stdout stream socket: connect, send the 7-line header, then each line is an entry. */
  readonly stdoutSocket: string;
  stop(): Promise<void>;
}

export function journaldBinary(): string | undefined {
  try {
    const out = execFileSync('dpkg', ['-L', 'systemd'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const found = out.split('\n').find((l) => l.endsWith('/systemd-journald'));
    if (found && existsSync(found)) return found;
  } catch {
    // fall through
  }
  return ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) => existsSync(p));
}

/** Why a standalone journald cannot run here, or null when it can. */
export function journaldUnavailable(): string | null {
  if (!journaldBinary()) return 'systemd-journald not found';
  if (process.getuid?.() !== 0) return 'a journald namespace needs root';
  return null;
}

/** The stdout-stream header: identifier, unit, priority, level prefix, forward to syslog/kmsg/console. */
export const streamHeader = (identifier: string): string => `${identifier}\n\n6\n0\n0\n0\n0\n`;

export async function startJournald(prefix = 'swbench'): Promise<JournaldNamespace> {
  const bin = journaldBinary();
  if (!bin) throw new Error('systemd-journald not found');
  // Never a name that looks like an option: `systemd-journald --help` starts a namespace called `--help`.
  const namespace = `${prefix}${process.pid}x${Math.floor(Math.random() * 1e6)}`;
  const runDir = `/run/systemd/journal.${namespace}`;
  const stdoutSocket = path.join(runDir, 'stdout');
  const daemon: ChildProcess = spawn(bin, [namespace], { stdio: ['ignore', 'ignore', 'pipe'] });
  let daemonErr = '';
  daemon.stderr?.on('data', (c: Buffer) => (daemonErr = (daemonErr + c.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => daemon.once('close', () => r()));
  let keepalive: net.Socket | undefined;

  const stop = async (): Promise<void> => {
    keepalive?.destroy();
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

  try {
    const deadline = Date.now() + 10_000;
    while (!existsSync(stdoutSocket) && daemon.exitCode === null) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the journald sockets');
      await sleep(25);
    }
    if (daemon.exitCode !== null) throw new Error(`journald exited: ${daemonErr.trim()}`);
    keepalive = await new Promise<net.Socket>((resolve, reject) => {
      // journald shuts its write side at once: without allowHalfOpen Node would close ours too.
      const s = net.createConnection({ path: stdoutSocket, allowHalfOpen: true });
      s.once('error', reject);
      s.once('connect', () =>
        s.write(streamHeader('switchover-bench-keepalive'), (err) => (err ? reject(err) : resolve(s))),
      );
    });
    keepalive.on('error', () => {});
  } catch (err) {
    await stop();
    throw err;
  }
  return { namespace, stdoutSocket, stop };
}
