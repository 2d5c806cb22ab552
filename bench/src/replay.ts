import type { Role, SideOutcome } from '@switchover/model';
import {
  flush,
  initialState,
  transition,
  DEFAULT_CORRELATOR_CONFIG,
  type CorrelatorState,
  type Effect,
} from '@switchover/agent';
import { decode } from '@switchover/agent';
import { parseEntry } from '@switchover/agent';
import { PidVmCache } from '@switchover/agent';
import { LineSplitter } from '@switchover/agent';
import type { LogLineRecord } from '@switchover/agent';

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
 * The agent's journald path without the child process and the sinks: `journalctl -o json` bytes →
 * `LineSplitter` → `parseEntry` → pid→VM cache → one `log-line` record per message line → `decode()`
 * → `transition()`. Mirrors `JournaldSource.handleLine` and `Pipeline` step for step, so its speed is
 * the agent's decode + correlate speed. `now` is the journal's own time (the replay runs faster than
 * the journal was written), so windows open and close as they did live.
 */
export class JournalReplay {
  readonly tally = newTally();
  private readonly splitter = new LineSplitter();
  // Journal files from elsewhere: pids mean nothing in this /proc (as with `--directory`).
  private readonly cache = new PidVmCache(undefined);
  private state: CorrelatorState = initialState();
  private now = Number.NEGATIVE_INFINITY;
  private readonly config = DEFAULT_CORRELATOR_CONFIG;

  constructor(private readonly host: string) {}

  async push(chunk: Buffer): Promise<void> {
    for (const line of this.splitter.push(chunk)) await this.entry(line.text);
  }

  /** End of input: the journal is complete, so every window elapses. */
  finish(): ReplayTally {
    const last = this.splitter.flush();
    if (last) this.tally.badJson += 1; // journalctl always ends its lines
    this.collect(flush(this.state, Number.POSITIVE_INFINITY, this.config).effects);
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
    const e = res.entry;
    if (e.lines === null) {
      t.nullMessages += 1;
      return;
    }
    if (e.lines.length === 0) return;
    const vm = await this.cache.resolve(e.pid, e.bootId, e.cmdline);
    if (e.realtimeMs !== undefined && e.realtimeMs > this.now) this.now = e.realtimeMs;
    for (const text of e.lines) {
      t.lines += 1;
      const r: LogLineRecord = {
        kind: 'log-line',
        host: this.host,
        vm,
        arrival: this.now,
        origin: { kind: 'journald' },
        text,
      };
      if (e.realtimeMs !== undefined) r.transportTime = e.realtimeMs;
      const d = decode(r);
      t[d.status] += 1;
      for (const observation of d.observations) {
        t.observations += 1;
        const step = transition(this.state, { kind: 'observation', observation }, this.now, this.config);
        this.state = step.state;
        if (step.effects.length) this.collect(step.effects);
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
