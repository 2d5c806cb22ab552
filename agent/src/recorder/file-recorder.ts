import { ERROR_TYPES, STAGES } from '@switchover/model';
import { readFile } from 'node:fs/promises';
import type { Observation, Session } from '@switchover/model';
import type { CorrelatorState } from '../correlator/types.js';
import { encodeLine, RecorderReader } from './format.js';
import { Placement, type LineKind } from './placement.js';
import { Segments } from './segments.js';
import type { Recorder, RecorderHealth, RecorderLoad } from './types.js';

export interface FileRecorderOptions {
  /** Created if missing. */
  stateDir: string;
  /** Total size cap over all segments. Default 64 MiB. */
  maxBytes?: number;
  /** Size at which a segment is closed and a new one started. Default maxBytes / 8 (at least 4 snapshots). */
  segmentBytes?: number;
  /** Sessions kept in memory for `sessions()`. Default 5000 (most recently updated win). */
  maxSessions?: number;
  /** Observations `load()` returns as `recent` (for skipping what an input delivers again). Default 10 000. */
  recentObservations?: number;
  /** Wall clock for the `at` field of each line. */
  now?: () => number;
  /** Bytes on disk after every change, for `switchover_recorder_bytes`. */
  onBytes?: (bytes: number) => void;
  /** A named failure, logged once and counted once by the caller. */
  onError?: (stage: string, errorType: string, err: unknown) => void;
  /** Every failed write, counted only: `onHealth` says once when writing stops and starts working again. */
  onWriteFailed?: (stage: string, errorType: string) => void;
  /** The state directory stopped or started taking writes. */
  onHealth?: (health: RecorderHealth) => void;
  /** Something the operator should know that is not a failure (a cap lowered to fit the filesystem). */
  onWarning?: (message: string) => void;
}

export const DEFAULT_RECORDER_MAX_BYTES = 64 * 1024 * 1024;
/** Input positions wait at most this long for the recorder's fsync (one fsync serves every waiter). */
export const SYNC_INTERVAL_MS = 200;
const STAGE = STAGES.recorder;
const ERRORS = ERROR_TYPES.recorder;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The flight recorder: JSON lines in `recorder-NNNNNN.jsonl` segments. Every write goes through one
 * promise chain, so lines land in call order. Each segment begins with a copy of the latest snapshot,
 * so deleting the oldest segments to honour the cap never loses the state a restart needs; a segment
 * holds at least four snapshots' worth, so copies never dominate (with 300 VMs they used to make the
 * recorder twice its cap). It never takes more than half of its filesystem, so it cannot fill the
 * disk by itself; a disk full anyway is met by deleting its own oldest segments, and a read-only,
 * full or failing one is reported (`health()`, `onHealth`) and retried with every write.
 */
export class FileRecorder implements Recorder {
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly o: FileRecorderOptions;
  private readonly segs: Segments;
  private readonly placement: Placement;
  private queue: Promise<void> = Promise.resolve();
  private opened = false;
  /** The latest snapshot line (header of the next segment). */
  private lastState: string | null = null;
  /** The latest snapshot without its input counter: an unchanged state is not written again. */
  private lastStateKey: string | null = null;
  /** An observation append failed since the last good snapshot: what was handled is not all on disk. */
  private gap = false;
  private state: RecorderHealth;
  private readonly live = new Map<string, Session>();
  /** Sessions whose latest version could not be written: written again once the directory takes writes. */
  private readonly unsaved = new Set<string>();
  private stopped = false;
  private nextSync: Promise<boolean> | null = null;
  private lastSync = 0;

  constructor(options: FileRecorderOptions) {
    this.o = options;
    const maxBytes = options.maxBytes ?? DEFAULT_RECORDER_MAX_BYTES;
    this.maxSessions = options.maxSessions ?? 5000;
    this.now = options.now ?? Date.now;
    this.segs = new Segments(options.stateDir);
    this.placement = new Placement(this.segs, {
      maxBytes,
      segmentBytes: Math.max(1, options.segmentBytes ?? Math.floor(maxBytes / 8)),
      fail: (type, err) => this.fail(type, err),
      count: (type) => this.o.onWriteFailed?.(STAGE, type),
      ...(options.onWarning ? { warn: options.onWarning } : {}),
    });
    this.state = { writable: true, error: null, since: this.now() };
  }

  appendObservations(obs: readonly Observation[]): Promise<void> {
    if (obs.length === 0) return this.enqueue(async () => {});
    const at = this.now();
    return this.write(obs.map((o) => encodeLine({ t: 'obs', at, obs: o })).join(''), 'obs');
  }

  appendSession(session: Session): Promise<void> {
    this.remember(session);
    return this.write(encodeLine({ t: 'session', at: this.now(), session }), 'session').then(
      () => void this.unsaved.delete(session.id),
      (err: unknown) => {
        this.unsaved.add(session.id);
        throw err;
      },
    );
  }

  snapshot(state: CorrelatorState): Promise<void> {
    // Ticks bump `seq` every 250 ms: compare without it, or an idle agent rewrites the same state forever.
    const key = JSON.stringify({ ...state, seq: 0 });
    if (key === this.lastStateKey && !this.gap && this.state.writable) return this.enqueue(async () => {});
    const line = encodeLine({ t: 'state', at: this.now(), state });
    return this.write(line, 'state').then(() => {
      this.lastStateKey = key;
    });
  }

  /** Reads every segment, oldest first. Call once at start-up, before the pipeline runs. */
  load(): Promise<RecorderLoad> {
    return this.enqueue(async () => {
      const reader = new RecorderReader(false, this.o.recentObservations ?? 10_000);
      try {
        await this.open();
      } catch (err) {
        this.fail(ERRORS.read, err);
      }
      for (const seg of this.segs.list) {
        const text = await readFile(this.segs.path(seg.n), 'utf8').catch((err: unknown) => {
          this.fail(ERRORS.read, err);
          return '';
        });
        reader.addText(text);
      }
      const content = reader.result();
      if (content.badLines > 0)
        this.fail(ERRORS.tornLine, new Error(`${content.badLines} unreadable recorder line(s) skipped`));
      for (const s of content.sessions) this.remember(s);
      const { state, sessions, sinceSnapshot, recent } = content;
      return { state, sessions, sinceSnapshot, recent };
    });
  }

  sessions(): Session[] {
    return [...this.live.values()];
  }

  /**
   * Not queued behind the writes: everything the caller handed off before asking is in the file
   * already (its appends resolved), so an fsync started now covers it, and a line that detects a
   * failure must not wait for a position's fsync. Callers share one fsync per SYNC_INTERVAL_MS: each
   * sync occupies a thread the log inputs read with. A sync that races a segment roll fails and the
   * caller asks again later.
   */
  durable(): Promise<boolean> {
    if (this.gap || !this.state.writable || this.stopped) return Promise.resolve(false);
    this.nextSync ??= new Promise<boolean>((resolve) => {
      const wait = Math.max(0, this.lastSync + SYNC_INTERVAL_MS - Date.now());
      setTimeout(() => {
        this.nextSync = null; // later callers wait for the next one: this one may start before their data
        this.lastSync = Date.now();
        this.segs.sync().then(
          () => resolve(!this.gap && this.state.writable),
          () => resolve(false),
        );
      }, wait).unref();
    });
    return this.nextSync;
  }

  health(): RecorderHealth {
    return { ...this.state };
  }

  /** Waits for every queued write and forces the current segment to disk. */
  flush(): Promise<void> {
    return this.enqueue(() => this.segs.sync());
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.flush();
    } catch (err) {
      this.fail(ERRORS.flush, err);
    }
    this.stopped = true;
    await this.queue.catch(() => {});
    await this.segs.close();
  }

  /** Total bytes of all segments. */
  bytes(): number {
    return this.segs.bytes;
  }

  private remember(s: Session): void {
    this.live.delete(s.id);
    this.live.set(s.id, s);
    if (this.live.size > this.maxSessions) {
      const oldest = this.live.keys().next().value;
      if (oldest !== undefined) {
        this.live.delete(oldest);
        this.unsaved.delete(oldest);
      }
    }
  }

  private write(text: string, kind: LineKind): Promise<void> {
    return this.enqueue(async () => {
      try {
        await this.open();
        // Set when its turn comes, not when asked: a segment rolled for an earlier line must not start
        // with a state that already holds that line.
        if (kind === 'state') this.lastState = text;
        await this.placement.place(text, kind, this.lastState);
      } catch (err) {
        if (kind === 'obs') this.gap = true;
        this.o.onWriteFailed?.(STAGE, this.opened ? ERRORS.write : ERRORS.init);
        this.setHealth(false, err);
        throw err;
      }
      if (kind === 'state') this.gap = false;
      this.setHealth(true, null);
      await this.writeUnsaved();
      this.report();
    });
  }

  /** After a failing stretch: the sessions that changed meanwhile, so `/api/migrations` and review keep them. */
  private async writeUnsaved(): Promise<void> {
    for (const id of [...this.unsaved]) {
      const session = this.live.get(id);
      this.unsaved.delete(id);
      if (!session) continue;
      try {
        await this.placement.place(
          encodeLine({ t: 'session', at: this.now(), session }),
          'session',
          this.lastState,
        );
      } catch {
        this.unsaved.add(id);
        return;
      }
    }
  }

  /** Runs `task` after every earlier one; the chain carries on whether it succeeds or not. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.stopped) throw new Error('recorder stopped');
      return task();
    };
    const result = this.queue.then(run, run);
    this.queue = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /** Learns the existing segments once; a failure is retried with the next write (the directory may come back). */
  private async open(): Promise<void> {
    if (this.opened) return;
    try {
      const text = await this.segs.open();
      // The last segment starts with a snapshot copy and holds every later one: the newest is in it.
      const states = text.split('\n').filter((l) => l.startsWith('{"t":"state"'));
      for (let i = states.length - 1; i >= 0 && this.lastState === null; i--) {
        try {
          JSON.parse(states[i] as string);
          this.lastState = `${states[i]}\n`;
        } catch {
          // torn: try the one before
        }
      }
      await this.placement.fitFilesystem();
      this.opened = true;
      this.report();
    } catch (err) {
      await this.segs.reset();
      throw err;
    }
  }

  private setHealth(writable: boolean, err: unknown): void {
    if (writable === this.state.writable) {
      if (!writable) this.state.error = message(err);
      return;
    }
    this.state = { writable, error: writable ? null : message(err), since: this.now() };
    if (writable) this.placement.resetReports();
    this.o.onHealth?.(this.health());
  }

  private report(): void {
    this.o.onBytes?.(this.bytes());
  }

  private fail(errorType: string, err: unknown): void {
    this.o.onError?.(STAGE, errorType, err);
  }
}
