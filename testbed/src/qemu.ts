import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnOwned } from './spawn.js';

export interface QemuOptions {
  binary?: string;
  name: string;
  /** Default: a random one. Give both sides of a migration the same. */
  uuid?: string;
  ramMb?: number;
  /** QMP sockets (absolute paths): the orchestrator's first, then the agents'. */
  qmpSockets: string[];
  /** Destination: `-incoming tcp:127.0.0.1:PORT`. */
  incomingPort?: number;
  /** Start paused (`-S`), as libvirt starts a destination: the VM runs only after `cont`. */
  paused?: boolean;
  /** QEMU's stderr is appended here (the role of libvirt's /var/log/libvirt/qemu/NAME.log); default: kept in memory. */
  logFile?: string;
  /** Trace events to enable with the log backend (written to the same stderr). */
  traces?: string[];
  /** `-msg timestamp=on` (libvirt passes it; Proxmox's qemu-server does not). Default true. */
  timestamps?: boolean;
  /**
   * QEMU's stderr is this stream instead (a journald stdout stream after its header, as pve-qemu's
   * `sd_journal_stream_fd("QEMU", …)`); wins over `logFile`.
   */
  stderr?: Socket;
  /** Rewrites the command before it runs (e.g. a VM scope's `wrap`, entering a cgroup first). */
  wrap?: (command: string, args: readonly string[]) => { command: string; args: string[] };
  extraArgs?: string[];
}

export interface QemuProcess {
  pid: number;
  process: ChildProcess;
  uuid: string;
  /** stderr captured in memory (empty when it goes to `logFile`). */
  stderr(): string;
  /** Resolves with the exit code (null after a signal) when QEMU exits. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 3 s; resolves once QEMU is gone. */
  kill(): Promise<void>;
}

/**
 * A real QEMU with TCG (runs anywhere, no KVM needed), 64 MiB and no devices: enough to migrate for
 * real. It dies with its parent (PDEATHSIG), so an interrupted demo or test leaves no QEMU behind.
 * Resolves once every QMP socket exists.
 */
export async function startQemu(o: QemuOptions): Promise<QemuProcess> {
  const uuid = o.uuid ?? randomUUID();
  const args = [
    ...['-machine', 'pc', '-nographic', '-nodefaults', '-accel', 'tcg'],
    ...['-m', `${o.ramMb ?? 64}M`, '-name', `guest=${o.name}`, '-uuid', uuid],
    ...(o.timestamps === false ? [] : ['-msg', 'timestamp=on']),
    ...o.qmpSockets.flatMap((s) => ['-qmp', `unix:${s},server=on,wait=off`]),
    ...(o.traces ?? []).flatMap((t) => ['-trace', `enable=${t}`]),
    ...(o.paused ? ['-S'] : []),
    ...(o.incomingPort !== undefined ? ['-incoming', `tcp:127.0.0.1:${o.incomingPort}`] : []),
    ...(o.extraArgs ?? []),
  ];
  const fd = o.logFile && !o.stderr ? openSync(o.logFile, 'a') : null;
  const cmd = o.wrap
    ? o.wrap(o.binary ?? 'qemu-system-x86_64', args)
    : { command: o.binary ?? 'qemu-system-x86_64', args };
  const child = spawnOwned(cmd.command, cmd.args, {
    stdio: ['ignore', fd ?? 'ignore', o.stderr ?? fd ?? 'pipe'],
  });
  if (fd !== null) closeSync(fd);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  let gone = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  }).finally(() => (gone = true));
  const kill = async (): Promise<void> => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 15_000;
  while (!o.qmpSockets.every((s) => existsSync(s))) {
    if (gone || Date.now() > deadline) {
      await kill();
      throw new Error(`QEMU ${o.name} did not create its QMP sockets${stderr ? `: ${stderr}` : ''}`);
    }
    await sleep(20);
  }
  return { pid: child.pid as number, process: child, uuid, stderr: () => stderr, exited, kill };
}
