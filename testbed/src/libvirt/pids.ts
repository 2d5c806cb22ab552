import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Each harness host runs in its own PID namespace (so that everything it starts dies with it), and
 * libvirt's pid files (`/run/libvirt/qemu/VM.pid`) hold pids of that namespace. These helpers map
 * them to this machine's pids by reading `/proc/PID/status` (`NSpid:` lists the pid in every
 * namespace, outermost first).
 */

function numericDirs(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process went away while we looked
  }
}

/** The children of `pid` (by the parent pid in `/proc/*\/stat`). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const p of numericDirs()) {
    const stat = read(`/proc/${p}/stat`);
    if (!stat) continue;
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid) out.push(p);
  }
  return out;
}

/** The PID namespace of a process (`pid:[4026532…]`), or null if it is gone. */
export function pidNamespace(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
}

/** This machine's pid of the process that has pid `nsPid` inside the namespace of `nsMember`. */
export function hostPidOf(nsMember: number, nsPid: number): number | null {
  const ns = pidNamespace(nsMember);
  if (ns === null) return null;
  for (const p of numericDirs()) {
    if (pidNamespace(p) !== ns) continue;
    const status = read(`/proc/${p}/status`);
    const ids = status && /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
    if (ids && Number(ids[ids.length - 1]) === nsPid) return p;
  }
  return null;
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}
