import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface QemuOptions {
  binary?: string;
  name: string;
  uuid: string;
  ramMb?: number;
  /** QMP sockets: the first is the orchestrator's, the rest the agents'. */
  qmpSockets: string[];
  /** Destination: `-incoming tcp:127.0.0.1:PORT`. */
  incomingPort?: number;
  /** Start paused (`-S`), as libvirt starts a destination: the VM runs only after `cont`. */
  paused?: boolean;
  /** QEMU's stderr is appended here (the role of libvirt's /var/log/libvirt/qemu/NAME.log). */
  logFile: string;
  /** Trace events to enable with the log backend (written to the same stderr). */
  traces?: string[];
}

export interface QemuProcess {
  process: ChildProcess;
  /** Resolves with the exit code when QEMU exits. */
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

/** A real QEMU with TCG (runs anywhere, no KVM needed), 64 MiB and no devices: enough to migrate for real. */
export function startQemu(o: QemuOptions): QemuProcess {
  const args = [
    '-machine',
    'pc',
    '-nographic',
    '-nodefaults',
    '-accel',
    'tcg',
    '-m',
    `${o.ramMb ?? 64}M`,
    '-name',
    `guest=${o.name}`,
    '-uuid',
    o.uuid,
    '-msg',
    'timestamp=on',
    ...o.qmpSockets.flatMap((s) => ['-qmp', `unix:${s},server=on,wait=off`]),
    ...(o.traces ?? []).flatMap((t) => ['-trace', `enable=${t}`]),
    ...(o.paused ? ['-S'] : []),
    ...(o.incomingPort !== undefined ? ['-incoming', `tcp:127.0.0.1:${o.incomingPort}`] : []),
  ];
  const fd = openSync(o.logFile, 'a');
  const child = spawn(o.binary ?? 'qemu-system-x86_64', args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  return {
    process: child,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
