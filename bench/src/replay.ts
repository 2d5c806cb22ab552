import type { Role, SideOutcome } from '@switchover/model';
import {
  Ingest,
  JournalRecords,
  LineSplitter,
  parseEntry,
  PidVmCache,
  Replay,
  type Effect,
} from '@switchover/agent';

export interface ReplayTally {
  entries: number;
  badJson: number;
  /** Entries whose MESSAGE journald left out (null). */
  nullMessages: number;
  lines: number;
  decoded: number;
  ignored: number;
  unknown: number;
  observations: number;
  sessionsOpened: number;
  sessionsClosed: Record<Role, Partial<Record<SideOutcome, number>>>;
  /** `device-failure` effects on a destination that are not fatal: what the silent-failure counter counts. */
  silentFailures: number;
  unattributed: number;
  evicted: number;
}

const newTally = (): ReplayTally => ({
  entries: 0,
  badJson: 0,
  nullMessages: 0,
  lines: 0,
  decoded: 0,
  ignored: 0,
  unknown: 0,
  observations: 0,
  sessionsOpened: 0,
  sessionsClosed: { source: {}, destination: {} },
  silentFailures: 0,
  unattributed: 0,
  evicted: 0,
});

/**
 * The agent's journald path without the child process and the sinks, through the product's own code:
 * `journalctl -o json` bytes → `LineSplitter` → `parseEntry` → `JournalRecords` (VM and time rules) →
 * `Ingest` (decoders → correlator). So its speed is the agent's decode + correlate speed. Time is the
 * journal's own (`Replay`: the replay runs faster than the journal was written), so windows open and
 * close as they did live.
 */
export class JournalReplay {
  readonly tally = newTally();
  private readonly splitter = new LineSplitter();
  private readonly ingest = new Ingest();
  private readonly replay = new Replay(this.ingest);
  private readonly toRecords: JournalRecords;

  constructor(host: string) {
    // Journal files from elsewhere: pids mean nothing in this /proc (as with `--directory`).
    this.toRecords = new JournalRecords({ host, cache: new PidVmCache(undefined) });
  }

  async push(chunk: Buffer): Promise<void> {
    for (const line of this.splitter.push(chunk)) await this.entry(line.text);
  }

  /** End of input: the journal is complete, so every window elapses. */
  finish(): ReplayTally {
    const last = this.splitter.flush();
    if (last) this.tally.badJson += 1; // journalctl always ends its lines
    this.collect(this.replay.end().effects);
    return this.tally;
  }

  private async entry(text: string): Promise<void> {
    const t = this.tally;
    t.entries += 1;
    const res = parseEntry(text);
    if (!res.ok) {
      t.badJson += 1;
      return;
    }
    if (res.entry.lines === null) {
      t.nullMessages += 1;
      return;
    }
    for (const record of await this.toRecords.records(res.entry)) {
      t.lines += 1;
      const d = this.ingest.decode(record);
      t[d.status] += 1;
      for (const observation of d.observations) {
        t.observations += 1;
        const effects = this.replay.observe(observation);
        if (effects.length) this.collect(effects);
      }
    }
  }

  private collect(effects: readonly Effect[]): void {
    const t = this.tally;
    for (const e of effects) {
      switch (e.kind) {
        case 'session-opened':
          t.sessionsOpened += 1;
          break;
        case 'session-closed': {
          const byOutcome = t.sessionsClosed[e.session.role];
          byOutcome[e.session.outcome] = (byOutcome[e.session.outcome] ?? 0) + 1;
          break;
        }
        case 'device-failure':
          if (e.session.role === 'destination' && !e.failure.fatal) t.silentFailures += 1;
          break;
        case 'unattributed':
          t.unattributed += 1;
          break;
        case 'session-evicted':
          t.evicted += 1;
          break;
        default:
          break;
      }
    }
  }
}
