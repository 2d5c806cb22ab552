import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Starts a real QEMU 7.2 (tcg, no devices, no display) with one or more QMP monitors, the way
 * reference/test-environment.md describes. Add `-S` through `extraArgs` to keep the guest paused.
 */
export interface StartQemuOptions {
  dir: string;
  name: string;
  /** Adds `-incoming tcp:127.0.0.1:PORT` (a destination). */
  incomingPort?: number;
  ramMb?: number;
  uuid?: string;
  extraArgs?: string[];
  /** Socket paths; relative ones are taken inside `dir`. */
  qmpSockets: string[];
}

export interface QemuHandle {
  pid: number;
  process: ChildProcess;
  uuid: string;
  /** Absolute socket paths, in the order given. */
  sockets: string[];
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

export const QEMU_BINARY = '/usr/bin/qemu-system-x86_64';
const SETPRIV = '/usr/bin/setpriv';

export async function startQemu(opts: StartQemuOptions): Promise<QemuHandle> {
  const uuid = opts.uuid ?? randomUUID();
  const sockets = opts.qmpSockets.map((s) => path.resolve(opts.dir, s));
  const args = [
    '-machine',
    'pc',
    '-nographic',
    '-nodefaults',
    '-accel',
    'tcg',
    '-m',
    `${opts.ramMb ?? 64}M`,
    '-name',
    `guest=${opts.name}`,
    '-uuid',
    uuid,
    '-msg',
    'timestamp=on',
    ...sockets.flatMap((s) => ['-qmp', `unix:${s},server=on,wait=off`]),
    ...(opts.incomingPort !== undefined ? ['-incoming', `tcp:127.0.0.1:${opts.incomingPort}`] : []),
    ...(opts.extraArgs ?? []),
  ];
  // setpriv execs QEMU in place (same pid) with PDEATHSIG: a crashed test run leaves no QEMU behind.
  const [cmd, cmdArgs] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'KILL', '--', QEMU_BINARY, ...args]]
    : [QEMU_BINARY, args];
  const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  const stop = async (): Promise<void> => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 15_000;
  while (!sockets.every((s) => existsSync(s))) {
    if (gone || Date.now() > deadline) {
      await stop();
      throw new Error(`QEMU ${opts.name} did not create its QMP sockets: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { pid: child.pid!, process: child, uuid, sockets, stderr: () => stderr, exited, stop };
}

/** A free TCP port on loopback (for `-incoming`). */
export { freePort } from '../../src/demo/wait.js';
