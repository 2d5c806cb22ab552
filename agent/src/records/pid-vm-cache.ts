import type { VmRef } from '@switchover/model';
import { vmFromCmdline } from './qemu-cmdline.js';

/** Reads a live process's argv; undefined when the process is gone or unreadable. */
export type CmdlineReader = (pid: number) => Promise<string[] | undefined>;

/**
 * `_PID` → VM. journald attaches `_CMDLINE` while the process lives, but drops it for lines it reads
 * after the process exited (and for some transports); the last answer per (boot, pid) fills those in.
 * Bounded: the oldest entry is dropped past `max` (Map keeps insertion order).
 */
export class PidVmCache {
  private readonly map = new Map<string, { vm: VmRef | null; cmdline?: string }>();

  constructor(
    /** undefined: never look at /proc (journal files from another host or boot). */
    private readonly readCmdline: CmdlineReader | undefined,
    /** This boot's id (no dashes); entries of other boots never consult /proc. */
    private readonly localBootId?: string,
    private readonly max = 4096,
  ) {}

  async resolve(
    pid: number | undefined,
    bootId: string | undefined,
    cmdline: string | undefined,
  ): Promise<VmRef | undefined> {
    if (pid === undefined) return cmdline ? vmFromCmdline(cmdline) : undefined;
    const key = `${bootId ?? ''}:${pid}`;
    if (cmdline !== undefined) {
      // Every entry of a process repeats its command line: parse it once per (boot, pid), again
      // only when it changes (a reused pid).
      const hit = this.map.get(key);
      if (hit?.cmdline === cmdline) return hit.vm ?? undefined;
      const vm = vmFromCmdline(cmdline) ?? null;
      this.put(key, vm, cmdline);
      return vm ?? undefined;
    }
    const known = this.map.get(key);
    if (known) return known.vm ?? undefined;
    if (!this.readCmdline) return undefined;
    if (bootId && this.localBootId && bootId !== this.localBootId) return undefined;
    const argv = await this.readCmdline(pid);
    // A process we cannot read now may become readable later (race at start-up): cache only answers.
    if (!argv) return undefined;
    const vm = vmFromCmdline(argv) ?? null;
    this.put(key, vm);
    return vm ?? undefined;
  }

  get size(): number {
    return this.map.size;
  }

  private put(key: string, vm: VmRef | null, cmdline?: string): void {
    this.map.delete(key);
    this.map.set(key, cmdline === undefined ? { vm } : { vm, cmdline });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}
