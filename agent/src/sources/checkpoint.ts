import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * One JSON checkpoint file in the agent's state directory (journal cursor, file positions).
 *
 * Writes are atomic (tmp file + fsync + rename) so a crash leaves either the old or the new value,
 * never a torn file. Saves are coalesced: while one write is in flight only the newest pending value
 * is kept, so a source may call `save()` after every hand-off without queueing a write per record.
 * Callers save only *after* the record was handed off; coalescing only drops intermediate values,
 * so the file never runs ahead of what was recorded.
 */
export class CheckpointFile<T> {
  private pending: { value: T | (() => T) } | null = null;
  private writing: Promise<void> | null = null;
  private lastError: unknown = null;

  constructor(
    readonly file: string,
    /** Called when a write fails; the next save retries. */
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  static in<T>(stateDir: string, name: string, onError?: (err: unknown) => void): CheckpointFile<T> {
    return new CheckpointFile<T>(path.join(stateDir, name), onError);
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

  /** Wait until every value saved so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
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
