import type { Origin, VmRef } from '@switchover/model';
import type { JournalEntry } from './journal-entry.js';
import type { PidVmCache } from './pid-vm-cache.js';
import type { LogLineRecord } from './types.js';

/** Where an entry is in its input, and the receive time when live. */
export interface EntryAt {
  arrival?: number;
  line?: number;
}

/** The time and origin rules of one journal entry, shared by every journal reader. */
export interface EntryStamp {
  arrival: number;
  origin: Origin;
  /** journald's `__REALTIME_TIMESTAMP`: a line's time when QEMU printed none. */
  transportTime: number | undefined;
}

/**
 * Stamps the entries of one journal, in order:
 * - a line's time is journald's `__REALTIME_TIMESTAMP` (the transport time) when QEMU printed none;
 * - arrival is the agent's receive time live; offline (no `arrival`), the journal's own time so far,
 *   since a replay runs faster than the journal was written;
 * - `review` names the file (and line) for evidence.
 * Every entry goes through `stamp`, also those without lines: the journal's time moves on.
 */
export class EntryStamps {
  private lastRealtimeMs: number | undefined;

  constructor(private readonly file?: string) {}

  stamp(e: JournalEntry, at: EntryAt = {}): EntryStamp {
    const rt = e.realtimeMs;
    if (rt !== undefined && (this.lastRealtimeMs === undefined || rt > this.lastRealtimeMs))
      this.lastRealtimeMs = rt;
    const origin: Origin =
      this.file === undefined
        ? { kind: 'journald' }
        : { kind: 'journald', file: this.file, ...(at.line !== undefined ? { line: at.line } : {}) };
    return { arrival: at.arrival ?? this.lastRealtimeMs ?? 0, origin, transportTime: rt };
  }
}

/** One `log-line` record of an entry's line. */
export function logLineRecord(
  host: string,
  vm: VmRef | undefined,
  s: EntryStamp,
  text: string,
): LogLineRecord {
  const r: LogLineRecord = { kind: 'log-line', host, vm, arrival: s.arrival, origin: s.origin, text };
  if (s.transportTime !== undefined) r.transportTime = s.transportTime;
  return r;
}

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
 * One journal entry → one `log-line` record per message line, for every journal reader (the live
 * journald source, `review`, the benchmark). The VM is the entry's `_CMDLINE`, else what the same
 * (boot, pid) said before, else `fallbackVm`; times and origin as `EntryStamps` says.
 */
export class JournalRecords {
  private readonly stamps: EntryStamps;

  constructor(private readonly o: JournalRecordsOptions) {
    this.stamps = new EntryStamps(o.file);
  }

  records(e: JournalEntry, at: EntryAt = {}): Promise<LogLineRecord[]> {
    return this.stamped(e, this.stamps.stamp(e, at));
  }

  /** For a reader that stamped the entry itself and hands on the entries that are not its own. */
  async stamped(e: JournalEntry, s: EntryStamp): Promise<LogLineRecord[]> {
    if (!e.lines || e.lines.length === 0) return [];
    const vm = (await this.o.cache.resolve(e.pid, e.bootId, e.cmdline)) ?? this.o.fallbackVm;
    return e.lines.map((text) => logLineRecord(this.o.host, vm, s, text));
  }
}
