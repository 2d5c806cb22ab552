import { existsSync, mkdirSync, readFileSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A Proxmox-like `qemu.slice/<VMID>.scope` cgroup for processes started by a test, without systemd.
 * journald reads each writer's cgroup and records `_SYSTEMD_CGROUP=/qemu.slice/<VMID>.scope`,
 * `_SYSTEMD_UNIT=<VMID>.scope` and `_SYSTEMD_SLICE=qemu.slice`, as on a Proxmox node, where
 * qemu-server runs every VM's QEMU in such a scope. Needs root and a writable cgroup hierarchy
 * that journald reads (cgroup v2, or the hybrid layout's `unified` one).
 */
export interface VmScope {
  readonly unit: string;
  /** Put a running process into the scope. */
  enter(pid: number): void;
  /** A shell prefix that enters the scope and then execs the command: `sh -c SCRIPT DIR cmd args…`. */
  readonly wrap: (command: string, args: readonly string[]) => { command: string; args: string[] };
  /** Remove the cgroup once its processes are gone (the slice too when empty). */
  remove(): void;
}

/** The cgroup hierarchy journald takes units from, or null when there is none to write to. */
export function cgroupRoot(): string | null {
  if (process.getuid?.() !== 0) return null;
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if (!existsSync(path.join(root, 'cgroup.controllers'))) continue;
    // The hybrid layout mounts tmpfs at /sys/fs/cgroup and v2 at unified/: only v2 has cgroup.controllers.
    return root;
  }
  return null;
}

/** Why a VM scope cannot be made here, or null when it can. */
export function vmScopeUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'creating a cgroup needs root';
  const root = cgroupRoot();
  if (!root) return 'no cgroup v2 hierarchy (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)';
  try {
    const probe = path.join(root, `switchover-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (err) {
    return `the cgroup hierarchy ${root} is not writable: ${(err as Error).message}`;
  }
  return null;
}

export function createVmScope(vmid: string): VmScope {
  const root = cgroupRoot();
  if (!root) throw new Error('no writable cgroup v2 hierarchy');
  const slice = path.join(root, 'qemu.slice');
  const unit = `${vmid}.scope`;
  const dir = path.join(slice, unit);
  mkdirSync(dir, { recursive: true });
  const procs = path.join(dir, 'cgroup.procs');
  return {
    unit,
    enter: (pid) => writeFileSync(procs, `${pid}\n`),
    wrap: (command, args) => ({
      command: '/bin/sh',
      args: ['-c', 'echo $$ > "$0"/cgroup.procs && exec "$@"', dir, command, ...args],
    }),
    remove: () => {
      for (let i = 0; i < 50; i++) {
        try {
          if (existsSync(dir)) rmdirSync(dir);
          break;
        } catch {
          // Still populated for a moment after its last process exited.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
      try {
        if (readFileSync(path.join(slice, 'cgroup.procs'), 'utf8').trim() === '') rmdirSync(slice);
      } catch {
        // Another test's VM is in the slice, or it is gone already.
      }
    },
  };
}

/**
 * A `kvm` in `dir` that runs `qemu-system-x86_64`: QEMU prints its error prefix from argv[0]'s
 * basename (`kvm: …`, as Proxmox's /usr/bin/kvm does) and the kernel names the process `kvm`.
 */
export function kvmBinary(dir: string, qemu = '/usr/bin/qemu-system-x86_64'): string {
  const link = path.join(dir, 'kvm');
  if (!existsSync(link)) symlinkSync(qemu, link);
  return link;
}
