import { ERROR_TYPES, STAGES } from '@switchover/model';
import { mkdir, open, readdir, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Observation, Session } from '@switchover/model';
import type { CorrelatorState } from '../correlator/types.js';
import { encodeLine, RecorderReader, SEGMENT_PATTERN, segmentName } from './format.js';
import type { Recorder } from './types.js';

export interface FileRecorderOptions {
  /** Created if missing. */
  stateDir: string;
  /** Total size cap over all segments. Default 64 MiB. */
  maxBytes?: number;
  /** Size at which a segment is closed and a new one started. Default maxBytes / 8. */
  segmentBytes?: number;
  /** Sessions kept in memory for `sessions()`. Default 5000 (most recently updated win). */
  maxSessions?: number;
  /** Wall clock for the `at` field of each line. */
  now?: () => number;
  /** Bytes on disk after every change, for `switchover_recorder_bytes`. */
  onBytes?: (bytes: number) => void;
  /** A named failure (logged once and counted once by the caller). */
  onError?: (stage: string, errorType: string, err: unknown) => void;
}

export const DEFAULT_RECORDER_MAX_BYTES = 64 * 1024 * 1024;
const STAGE = STAGES.recorder;
const ERRORS = ERROR_TYPES.recorder;

interface Segment {
  n: number;
  bytes: number;
}

/**
 * The flight recorder: JSON lines in `recorder-NNNNNN.jsonl` segments. Every write goes through one
 * promise chain, so lines land in call order even though each append is asynchronous. Each segment
 * begins with a copy of the latest snapshot, so deleting the oldest segments to honour the size cap
 * never loses the open sessions.
 */
export class FileRecorder implements Recorder {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly opts: FileRecorderOptions;
  private queue: Promise<void> = Promise.resolve();
  private segments: Segment[] = [];
  private handle: FileHandle | null = null;
  private lastState: string | null = null;
  private readonly live = new Map<string, Session>();
  private ready: Promise<void> | null = null;
  private stopped = false;

  constructor(options: FileRecorderOptions) {
    this.opts = options;
    this.dir = options.stateDir;
    this.maxBytes = options.maxBytes ?? DEFAULT_RECORDER_MAX_BYTES;
    this.segmentBytes = Math.max(1, options.segmentBytes ?? Math.floor(this.maxBytes / 8));
    this.maxSessions = options.maxSessions ?? 5000;
    this.now = options.now ?? Date.now;
  }

  appendObservations(obs: readonly Observation[]): Promise<void> {
    if (obs.length === 0) return this.enqueue(async () => {});
    const at = this.now();
    return this.write(obs.map((o) => encodeLine({ t: 'obs', at, obs: o })).join(''));
  }

  appendSession(session: Session): Promise<void> {
    this.remember(session);
    return this.write(encodeLine({ t: 'session', at: this.now(), session }));
  }

  snapshot(state: CorrelatorState): Promise<void> {
    const line = encodeLine({ t: 'state', at: this.now(), state });
    return this.enqueue(async () => {
      this.lastState = line;
      await this.writeNow(line).catch((err: unknown) => this.failed(ERRORS.write, err));
    });
  }

  /** Reads every segment, oldest first. Call once at start-up, before the pipeline runs. */
  load(): Promise<{ state: CorrelatorState | null; sessions: Session[] }> {
    return this.enqueue(async () => {
      const reader = new RecorderReader(false);
      for (const seg of this.segments) {
        const text = await readFile(join(this.dir, segmentName(seg.n)), 'utf8').catch((err: unknown) => {
          this.fail(ERRORS.read, err);
          return '';
        });
        reader.addText(text);
      }
      const content = reader.result();
      if (content.badLines > 0)
        this.fail(ERRORS.tornLine, new Error(`${content.badLines} unreadable recorder line(s) skipped`));
      for (const s of content.sessions) this.remember(s);
      return { state: content.state, sessions: content.sessions };
    });
  }

  sessions(): Session[] {
    return [...this.live.values()];
  }

  /** Waits for every queued write and forces the current segment to disk. */
  flush(): Promise<void> {
    return this.enqueue(async () => {
      await this.handle?.sync();
    });
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
    await this.handle?.close().catch(() => {});
    this.handle = null;
  }

  /** Total bytes of all segments. */
  bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  private remember(s: Session): void {
    this.live.delete(s.id);
    this.live.set(s.id, s);
    if (this.live.size > this.maxSessions) {
      const oldest = this.live.keys().next().value;
      if (oldest !== undefined) this.live.delete(oldest);
    }
  }

  private write(text: string): Promise<void> {
    return this.enqueue(() => this.writeNow(text).catch((err: unknown) => this.failed(ERRORS.write, err)));
  }

  /** Reports a failure once here, then rejects: callers must not count it again. */
  private failed(errorType: string, err: unknown): never {
    this.fail(errorType, err);
    throw err;
  }

  /**
   * Runs `task` after every earlier one. The returned promise rejects if the task fails (so a caller
   * that checkpoints after recording does not), but the chain itself carries on with the next task.
   */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.stopped) throw new Error('recorder stopped');
      this.ready ??= this.init().catch((err: unknown) => {
        this.ready = null; // try again with the next write: the directory may come back
        this.failed(ERRORS.init, err);
      });
      await this.ready;
      return task();
    };
    const result = this.queue.then(run, run);
    this.queue = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /** Learns the existing segments; a segment a crash left without a final newline gets one, so the torn line stays alone. */
  private async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((f) => SEGMENT_PATTERN.test(f)).sort();
    for (const name of names) {
      const n = Number(SEGMENT_PATTERN.exec(name)?.[1]);
      this.segments.push({ n, bytes: (await stat(join(this.dir, name))).size });
    }
    const last = this.segments.at(-1);
    if (!last) return this.report();
    const text = await readFile(join(this.dir, segmentName(last.n)), 'utf8');
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
    this.handle = await open(join(this.dir, segmentName(last.n)), 'a');
    if (text.length > 0 && !text.endsWith('\n')) await this.append('\n');
    this.report();
  }

  private async writeNow(text: string): Promise<void> {
    const current = this.segments.at(-1);
    const headerBytes = this.lastState === null ? 0 : Buffer.byteLength(this.lastState);
    const size = Buffer.byteLength(text);
    // Roll only a segment that holds more than its snapshot header: a snapshot bigger than a segment must not loop.
    if (!current || (current.bytes + size > this.segmentBytes && current.bytes > headerBytes))
      await this.roll();
    await this.append(text);
    await this.enforceCap();
    this.report();
  }

  private async roll(): Promise<void> {
    const n = (this.segments.at(-1)?.n ?? 0) + 1;
    await this.handle?.close();
    this.handle = await open(join(this.dir, segmentName(n)), 'a');
    this.segments.push({ n, bytes: 0 });
    if (this.lastState !== null) await this.append(this.lastState);
  }

  private async append(text: string): Promise<void> {
    const seg = this.segments.at(-1);
    if (!this.handle || !seg) throw new Error('recorder has no open segment');
    await this.handle.appendFile(text, 'utf8');
    seg.bytes += Buffer.byteLength(text);
  }

  private async enforceCap(): Promise<void> {
    while (this.segments.length > 1 && this.bytes() > this.maxBytes) {
      const oldest = this.segments.shift() as Segment;
      await unlink(join(this.dir, segmentName(oldest.n))).catch((err: unknown) =>
        this.fail(ERRORS.delete, err),
      );
    }
  }

  private report(): void {
    this.opts.onBytes?.(this.bytes());
  }

  private fail(errorType: string, err: unknown): void {
    this.opts.onError?.(STAGE, errorType, err);
  }
}
