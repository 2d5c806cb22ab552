import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * One JSON checkpoint file in the agent's state directory (journal cursor, file positions).
 *
 * Writes are atomic (tmp file + fsync + rename) so a crash leaves either the old or the new value,
 * never a torn file. Saves are coalesced: while one write is in flight only the newest pending value
 * is kept, so a source may call `save()` after every hand-off without queueing a write per record.
 * Callers save only *after* the record was handed off; coalescing only drops intermediate values.
 * With a `gate` (the flight recorder's `durable()`), a value is written only once everything handed
 * off before it is on disk: while the recorder cannot write, positions stay where they were, and a
 * restart reads those records again instead of forgetting them.
 */
export class CheckpointFile<T> {
  private pending: { value: T | (() => T) } | null = null;
  private writing: Promise<void> | null = null;
  private lastError: unknown = null;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    readonly file: string,
    /** Called when a write fails; the next save retries. */
    private readonly onError: (err: unknown) => void = () => {},
    /** Resolves true when the value may be written; false holds it (retried every `retryMs`). */
    private readonly gate?: () => Promise<boolean>,
    private readonly retryMs = 1000,
  ) {}

  static in<T>(
    stateDir: string,
    name: string,
    onError?: (err: unknown) => void,
    gate?: () => Promise<boolean>,
  ): CheckpointFile<T> {
    return new CheckpointFile<T>(path.join(stateDir, name), onError, gate);
  }

  /** The saved value, `undefined` when none exists. Throws on unreadable or corrupt JSON. */
  async load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return JSON.parse(text) as T;
  }

  /**
   * Persist `value` (or a newer one saved meanwhile). Resolves once it is on disk; never rejects.
   * A function is called only when its value is about to be written: a caller saving after every
   * hand-off then builds one value per write, not one per call.
   */
  save(value: T | (() => T)): Promise<void> {
    this.pending = { value };
    if (!this.writing) this.writing = this.drain();
    return this.writing;
  }

  /** Wait until every value saved so far is on disk (or held back by the gate), and stop retrying. */
  async flush(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    if (this.pending && !this.writing) this.writing = this.drain();
    while (this.writing) await this.writing;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  /** Whether a value is held back by the gate. */
  get held(): boolean {
    return this.pending !== null && this.writing === null;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        if (this.gate && !(await this.gate().catch(() => false))) {
          this.retry ??= setTimeout(() => {
            this.retry = null;
            if (this.pending && !this.writing) this.writing = this.drain();
          }, this.retryMs).unref();
          return;
        }
        if (!this.pending) return;
        const { value: v } = this.pending;
        this.pending = null;
        const value = typeof v === 'function' ? (v as () => T)() : v;
        try {
          await this.write(value);
          this.lastError = null;
        } catch (err) {
          // Report a failing disk once per streak, not once per record.
          if (this.lastError === null) this.onError(err);
          this.lastError = err;
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private async write(value: T): Promise<void> {
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fh = await fsp.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(value));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, this.file);
  }
}
