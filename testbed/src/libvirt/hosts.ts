import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnOwned } from '../spawn.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { LibvirtHost } from './host.js';
import {
  DEFAULT_HOSTS,
  HOST_INIT_SCRIPT,
  kvmNode,
  prepareHost,
  writeHostsFile,
  type HostIdentity,
} from './host-setup.js';
import { alive, childrenOf } from './pids.js';
import { CLEAN_ENV } from './virsh.js';

export interface LibvirtHosts {
  /** The two hosts (`hv-a`, `hv-b` unless renamed). */
  readonly a: LibvirtHost;
  readonly b: LibvirtHost;
  /** The temporary directory that holds everything (removed by `stop()` unless `keep`). */
  readonly dir: string;
  /** Milliseconds from the call until both daemons answered. */
  readonly startupMs: number;
  /** Kill every daemon and QEMU of both hosts, drop their namespaces, remove the directory. */
  stop(): Promise<void>;
}

export interface LibvirtHostsOptions {
  /** Parent of the temporary directory (default: the OS temp dir). It must not lie under /run. */
  parent?: string;
  /** Keep the directory after `stop()` (for looking at a failed run). */
  keep?: boolean;
  identities?: readonly [HostIdentity, HostIdentity];
  /** Default 60 s: the first start of a libvirtd probes QEMU's capabilities. */
  timeoutMs?: number;
}

interface Started {
  child: ChildProcess;
  /** This machine's pid of the namespace init, once known. */
  init: number | null;
  output: string;
  exited: Promise<void>;
}

/**
 * Start one host: `unshare` a PID, mount and UTS namespace (the first host also a network namespace
 * with only `lo`; the second enters it with `nsenter`, so both share one loopback) and run the init
 * script as PID 1. `setpriv --pdeathsig` (spawnOwned) kills `unshare` with us, and `--kill-child`
 * kills the init with `unshare`: nothing survives the test process.
 */
function startHost(dir: string, h: HostIdentity, netOf: number | null): Started {
  const unshare = [
    '/usr/bin/unshare',
    ...['--pid', '--fork', '--kill-child', '--mount-proc', '--mount', '--uts', '--propagation', 'private'],
    ...(netOf === null ? ['--net'] : []),
    '/bin/bash',
    '-c',
    HOST_INIT_SCRIPT,
    'switchover-host-init',
    dir,
    h.name,
    netOf === null ? 'net' : 'shared',
  ];
  const [cmd, args] =
    netOf === null
      ? [unshare[0] as string, unshare.slice(1)]
      : ['/usr/bin/nsenter', [`--net=/proc/${netOf}/ns/net`, '--', ...unshare]];
  const child = spawnOwned(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: CLEAN_ENV });
  const s: Started = {
    child,
    init: null,
    output: '',
    exited: new Promise((r) => child.once('close', () => r())),
  };
  const keep = (d: Buffer): void => void (s.output = (s.output + d.toString('utf8')).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return s;
}

async function stopHost(s: Started): Promise<void> {
  // Killing the namespace's init makes the kernel kill every other process in it (daemons, QEMUs);
  // unshare then reaps the init and exits, so no zombie is left behind.
  if (s.init !== null && alive(s.init)) process.kill(s.init, 'SIGKILL');
  else if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
  await s.exited;
  clearTimeout(timer);
}

/** Poll until `probe` returns a value; unlike `until`, an error thrown by the probe ends the wait at once. */
async function poll<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null> | T | null,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Two real libvirt 9.0 daemons on this machine acting as two hypervisors that migrate to each other. */
export async function startLibvirtHosts(o: LibvirtHostsOptions = {}): Promise<LibvirtHosts> {
  const t0 = Date.now();
  const ids = o.identities ?? DEFAULT_HOSTS;
  const dir = mkdtempSync(join(o.parent ?? tmpdir(), 'switchover-libvirt-'));
  const started: Started[] = [];
  const stop = async (): Promise<void> => {
    for (const s of started) {
      try {
        await stopHost(s);
      } catch {
        // each host on its own: one failing to stop must not keep the other alive
      }
    }
    if (!o.keep) await rm(dir, { recursive: true, force: true });
  };
  const failed = (s: Started, what: string): Error =>
    new Error(`libvirt host: ${what}${s.output.trim() ? `\n${s.output.trim()}` : ''}`);
  try {
    writeHostsFile(dir, ids);
    kvmNode(dir);
    const roots = ids.map((h) => prepareHost(dir, h));
    const initOf = async (s: Started, name: string): Promise<number> =>
      poll(`${name}'s namespace init`, 10_000, () => {
        if (s.child.exitCode !== null) throw failed(s, `${name} exited during start-up`);
        return childrenOf(s.child.pid as number)[0] ?? null;
      });
    const first = startHost(dir, ids[0], null);
    started.push(first);
    first.init = await initOf(first, ids[0].name);
    const second = startHost(dir, ids[1], first.init);
    started.push(second);
    second.init = await initOf(second, ids[1].name);
    const hosts = ids.map(
      (h, i) => new LibvirtHost(h, roots[i] as string, () => started[i]?.init ?? null),
    ) as [LibvirtHost, LibvirtHost];
    await Promise.all(
      hosts.map((h, i) =>
        poll(`${h.name}'s libvirtd`, o.timeoutMs ?? 60_000, async () => {
          const s = started[i] as Started;
          if (s.child.exitCode !== null || (s.init !== null && !alive(s.init)))
            throw failed(s, `${h.name} died during start-up`);
          if (!existsSync(join(h.root, 'run', 'libvirt-sock'))) return null;
          return (await h.virsh(['version'])).code === 0 ? true : null;
        }),
      ),
    );
    return { a: hosts[0], b: hosts[1], dir, startupMs: Date.now() - t0, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
