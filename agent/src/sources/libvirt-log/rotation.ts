import path from 'node:path';
import { LOST_LINE_REASONS, type LostLineReason } from '@switchover/model';
import {
  findByInode,
  generationsOf,
  gzipStartsWith,
  idOf,
  readGzip,
  type Generation,
} from './generations.js';
import { FileTailer, type FilePosition, type TailerOptions, type Truncation } from './tailer.js';
import type { SplitLine } from '../line-splitter.js';

/** What the rotation logic needs from the source that follows the files. */
export interface RotationHost {
  /** Every tailer open now (current files and renamed-away ones in their grace period). */
  followed(): FileTailer[];
  tailerOptions(): TailerOptions;
  /** Reads `t` to its end with its lines under `logPath`, then keeps it for the grace period. */
  drain(t: FileTailer, logPath: string, keep: boolean): Promise<void>;
  emit(logPath: string, line: SplitLine): Promise<void>;
  error(type: string, err: unknown): void;
  lost(reason: LostLineReason, lines: number): void;
  warn(msg: string, fields: Record<string, unknown>): void;
}

/**
 * Generations are ordered by mtime; "after X" includes what is within this of X (two copies can be
 * made in the same millisecond, and a float of epoch ms cannot hold much finer). What was already
 * read is recognised by device and inode, so nothing is read twice for it.
 */
const MTIME_SLACK_MS = 1;

/** Closed generations remembered (a few per domain log between rotations is plenty). */
const MAX_CONSUMED = 1024;

/**
 * Rotation and truncation of domain logs, so that a line is read once whatever happened to its
 * file: every generation written since the followed file was opened is read in order (a backlog
 * read can outlast several rotations, and they can happen while the agent is down), a gzip-compressed
 * one too (from where the agent stopped in that content), and a truncated file's copy from the
 * agent's position. What cannot be read is counted.
 */
export class Rotations {
  /** Where reading stopped in files no longer open (closed after the grace period), by device+inode. */
  private readonly consumed = new Map<string, FilePosition>();
  /** Per domain log, the mtime of the newest generation read: older ones are not listed again. */
  private readonly drainedTo = new Map<string, number>();

  constructor(
    private readonly host: RotationHost,
    private readonly errors: { truncated: string; unreadable: string; open: string },
  ) {}

  /** A tailer is closed: a later drain of the same generation resumes where it stopped. */
  remember(t: FileTailer): void {
    this.consumed.delete(idOf(t));
    this.consumed.set(idOf(t), t.position());
    if (this.consumed.size > MAX_CONSUMED) this.consumed.delete(this.consumed.keys().next().value as string);
  }

  /** `logFile`'s followed inode was replaced: read the generations written since `sinceMs`. */
  async afterRotation(logFile: string, sinceMs: number): Promise<void> {
    await this.drainGenerations(logFile, sinceMs, undefined);
  }

  /**
   * The saved position of `logFile` does not fit what is there now (`opened`, read from 0): it was
   * rotated while the agent was down (finish its inode from the saved offset, or its compressed
   * copy, then the generations after it), or truncated (its copy holds the lines after the offset).
   */
  async whileDown(logFile: string, saved: FilePosition, opened: FileTailer): Promise<void> {
    // Same inode: truncated (or deleted, and the inode number given to the new file).
    if (saved.dev === opened.dev && saved.ino === opened.ino) {
      if (await this.afterTruncation(logFile, { before: saved, seenSize: saved.offset }, null)) return;
    } else {
      const other = await findByInode(path.dirname(logFile), saved);
      if (other) {
        const { tailer, resumed } = await FileTailer.open(other, saved, this.host.tailerOptions());
        if (!resumed) return void (await tailer.close());
        await this.host.drain(tailer, logFile, true);
        await this.afterRotation(logFile, tailer.openedMtimeMs);
        return;
      }
    }
    // The inode is gone: compressed and removed? That copy starts with the same first bytes.
    for (const g of await generationsOf(logFile, { known: this.known(), newerThanMs: -Infinity })) {
      if (g.compression !== 'gz' || !(await gzipStartsWith(g.file, saved).catch(() => false))) continue;
      this.consumed.set(idOf(saved), saved);
      await this.readCompressed(logFile, g);
      await this.afterRotation(logFile, g.mtimeMs);
      return;
    }
    // Deleted (a VM undefined and defined again): whether anything was left unread cannot be told.
    this.host.warn('the log file of a saved position is gone; reading the new one from its start', {
      file: logFile,
    });
  }

  /**
   * `logFile` was truncated under the agent. Its copy (a generation with the same first bytes and,
   * at the agent's offset, the same bytes before it) has the lines that were past the agent's
   * position; copies made before it since `sinceMs` (null: none) and after it hold whole contents
   * the agent never saw when it was behind more than one truncation. All are read, in order. Bytes
   * the agent saw that no copy has are gone: one lost range.
   */
  async afterTruncation(logFile: string, t: Truncation, sinceMs: number | null): Promise<boolean> {
    let copy: { g: Generation; position: FilePosition } | undefined;
    for (const g of await generationsOf(logFile, { known: this.known(), newerThanMs: -Infinity })) {
      if (g.compression !== null || g.size < t.before.offset) continue;
      const position = { ...t.before, dev: g.dev, ino: g.ino };
      const opened = await FileTailer.open(g.file, position, this.host.tailerOptions()).catch(
        () => undefined,
      );
      await opened?.tailer.close();
      if (opened?.resumed) {
        copy = { g, position };
        break;
      }
    }
    if (copy) {
      const since = sinceMs ?? copy.g.mtimeMs - MTIME_SLACK_MS;
      await this.drainGenerations(logFile, Math.min(since, copy.g.mtimeMs - MTIME_SLACK_MS), copy);
    }
    const recoveredTo = copy ? Math.max(t.before.offset, copy.g.size) : t.before.offset;
    if (t.seenSize > recoveredTo) {
      const err = new Error(
        `${logFile}: truncated with ${t.seenSize - recoveredTo} bytes past the agent's position that no copy holds`,
      );
      this.host.error(this.errors.truncated, err);
      this.host.lost(LOST_LINE_REASONS.truncated, 1);
    }
    return copy !== undefined;
  }

  /**
   * Every generation of `logFile` modified after `sinceMs` (and after the last one drained) that is
   * not followed, oldest first; listed again after each, since more can appear while one is read.
   * A generation read before resumes where it stopped; `resume` says where to start in one more.
   */
  private async drainGenerations(
    logFile: string,
    sinceMs: number,
    resume: { g: Generation; position: FilePosition } | undefined,
  ): Promise<void> {
    let anchor = Math.max(sinceMs, this.drainedTo.get(logFile) ?? -Infinity);
    if (resume) anchor = Math.min(anchor, resume.g.mtimeMs - MTIME_SLACK_MS);
    const done = new Set<string>();
    for (;;) {
      const known = this.known();
      for (const id of done) known.add(id);
      const [g] = await generationsOf(logFile, { known, newerThanMs: anchor });
      if (!g) return;
      done.add(idOf(g));
      if (g.compression !== null) await this.readCompressed(logFile, g);
      else {
        const start = resume && idOf(resume.g) === idOf(g) ? resume.position : this.consumed.get(idOf(g));
        if (!start) this.host.warn('reading a rotated log generation not opened before', { file: g.file });
        const opened = await FileTailer.open(g.file, start ?? 'beginning', this.host.tailerOptions()).catch(
          (err: unknown) => void this.host.error(this.errors.open, err),
        );
        // A resume position that does not fit (the generation changed) reads it whole.
        if (opened) await this.host.drain(opened.tailer, logFile, true);
      }
      anchor = Math.max(anchor, g.mtimeMs - MTIME_SLACK_MS);
      this.drainedTo.delete(logFile);
      this.drainedTo.set(logFile, anchor);
      if (this.drainedTo.size > MAX_CONSUMED)
        this.drainedTo.delete(this.drainedTo.keys().next().value as string);
    }
  }

  private known(): Set<string> {
    return new Set(this.host.followed().map(idOf));
  }

  /** Where reading stopped in the content that starts with these bytes, if the agent read it. */
  private knownStart(fpHash: string, fpLen: number): FilePosition | undefined {
    const positions = [...this.host.followed().map((t) => t.position()), ...this.consumed.values()];
    return positions.find((p) => p.fpLen === fpLen && p.fpHash === fpHash);
  }

  private async readCompressed(logFile: string, g: Generation): Promise<void> {
    if (g.compression === 'gz') {
      try {
        const r = await readGzip(g.file, (l) => this.host.emit(logFile, l), {
          onOversize: () => this.host.lost(LOST_LINE_REASONS.tooLong, 1),
          knownStart: (hash, len) => this.knownStart(hash, len),
        });
        if (r.lines > 0)
          this.host.warn('read a compressed log generation', {
            file: g.file,
            lines: r.lines,
            from: r.skippedTo,
          });
        // Read once: its inode is remembered like a closed generation's, by its (compressed) size.
        this.consumed.set(idOf(g), { dev: g.dev, ino: g.ino, offset: g.size, line: 0, fpLen: 0, fpHash: '' });
        return;
      } catch {
        // A gzip still being written, or corrupt: as unreadable as any other compression.
      }
    }
    this.host.error(this.errors.unreadable, new Error(`${g.file}: cannot read this compressed generation`));
    this.host.lost(LOST_LINE_REASONS.unreadable, 1);
  }
}
