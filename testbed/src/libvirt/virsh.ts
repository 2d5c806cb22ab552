import type { ChildProcess } from 'node:child_process';
import { spawnOwned } from '../spawn.js';

export const VIRSH = '/usr/bin/virsh';

/** The environment every libvirt program here runs with, as systemd would give it: no caller PATH, C locale. */
export const CLEAN_ENV: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

/** A client URI that reaches one host's libvirtd by its socket (no TCP, no ssh). */
export const socketUri = (socket: string): string => `qemu+unix:///system?socket=${socket}`;

export interface VirshResult {
  args: readonly string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

/** virsh failed: the message carries its arguments and stderr. */
export class VirshError extends Error {
  constructor(readonly result: VirshResult) {
    super(`virsh ${result.args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    this.name = 'VirshError';
  }
}

/** Start `virsh -c URI ARGS…` (dies with this process). */
export function spawnVirsh(uri: string, args: readonly string[]): ChildProcess {
  return spawnOwned(VIRSH, ['-c', uri, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: CLEAN_ENV });
}

/** Run virsh to completion; never rejects (the caller decides what a non-zero exit means). */
export function runVirsh(uri: string, args: readonly string[]): Promise<VirshResult> {
  return new Promise((resolve) => {
    const child = spawnVirsh(uri, args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', (err) => resolve({ args, code: null, stdout, stderr: stderr + String(err) }));
    child.once('close', (code) => resolve({ args, code, stdout, stderr }));
  });
}

/** Run virsh and reject with a VirshError unless it exits 0. */
export async function virshOk(uri: string, args: readonly string[]): Promise<VirshResult> {
  const r = await runVirsh(uri, args);
  if (r.code !== 0) throw new VirshError(r);
  return r;
}
