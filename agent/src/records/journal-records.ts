import type { VmRef } from '@switchover/model';
import type { JournalEntry } from './journal-entry.js';
import type { PidVmCache } from './pid-vm-cache.js';
import type { LogLineRecord } from './types.js';

export interface JournalRecordsOptions {
  host: string;
  /** `_PID` → VM, with or without `/proc` (journal files from elsewhere: without). */
  cache: PidVmCache;
  /** The VM of entries that name none (offline review of one VM's journal); live: none, such lines are unknown. */
  fallbackVm?: VmRef;
  /** `review`: the file the entries come from, for evidence. */
  file?: string;
}

/**
 * One journal entry → one `log-line` record per message line. The rules every journal reader shares
 * (the live journald source, `review`, the benchmark):
 * - the VM is the entry's `_CMDLINE`, else what the same (boot, pid) said before, else `fallbackVm`;
 * - a line's time is journald's `__REALTIME_TIMESTAMP` (the transport time) when QEMU printed none;
 * - arrival is the agent's receive time live; offline (no `arrival`), the journal's own time so far,
 *   since a replay runs faster than the journal was written.
 */
export class JournalRecords {
  private lastRealtimeMs: number | undefined;

  constructor(private readonly o: JournalRecordsOptions) {}

  async records(e: JournalEntry, at: { arrival?: number; line?: number } = {}): Promise<LogLineRecord[]> {
    const rt = e.realtimeMs;
    if (rt !== undefined && (this.lastRealtimeMs === undefined || rt > this.lastRealtimeMs))
      this.lastRealtimeMs = rt;
    if (!e.lines || e.lines.length === 0) return [];
    const vm = (await this.o.cache.resolve(e.pid, e.bootId, e.cmdline)) ?? this.o.fallbackVm;
    const arrival = at.arrival ?? this.lastRealtimeMs ?? 0;
    const origin =
      this.o.file === undefined
        ? { kind: 'journald' as const }
        : {
            kind: 'journald' as const,
            file: this.o.file,
            ...(at.line !== undefined ? { line: at.line } : {}),
          };
    return e.lines.map((text) => {
      const r: LogLineRecord = { kind: 'log-line', host: this.o.host, vm, arrival, origin, text };
      if (rt !== undefined) r.transportTime = rt;
      return r;
    });
  }
}
