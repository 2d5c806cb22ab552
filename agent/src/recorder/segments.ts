import { mkdir, open, readdir, readFile, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SEGMENT_PATTERN, segmentName } from './format.js';

export interface Segment {
  n: number;
  /** Bytes known to be in the file (a failed append is truncated back to this). */
  bytes: number;
  /** Bytes of the snapshot copy the segment starts with (0: none). */
  header: number;
}

/** Errors that mean "the filesystem has no room", where dropping our own oldest data helps. */
export const isNoSpace = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
};

/**
 * The recorder's segment files `recorder-NNNNNN.jsonl` in one directory: the oldest first, the last
 * one open for appending. Knows each file's size, so a partial append (ENOSPC mid-write) is cut back
 * and never leaves a torn line behind. No policy: the recorder decides when to roll and what to drop.
 */
export class Segments {
  readonly list: Segment[] = [];
  private handle: FileHandle | null = null;

  constructor(readonly dir: string) {}

  /** Learns the existing segments and opens the last one; a torn last line gets its newline. Returns the last segment's text. */
  async open(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((f) => SEGMENT_PATTERN.test(f)).sort();
    this.list.length = 0;
    for (const name of names) {
      const n = Number(SEGMENT_PATTERN.exec(name)?.[1]);
      this.list.push({ n, bytes: (await stat(join(this.dir, name))).size, header: 0 });
    }
    const last = this.list.at(-1);
    if (!last) return '';
    const text = await readFile(this.path(last.n), 'utf8');
    if (text.startsWith('{"t":"state"'))
      last.header = Buffer.byteLength(text.slice(0, text.indexOf('\n') + 1));
    this.handle = await open(this.path(last.n), 'a');
    if (text.length > 0 && !text.endsWith('\n')) await this.append('\n');
    return text;
  }

  get current(): Segment | undefined {
    return this.list.at(-1);
  }

  get bytes(): number {
    return this.list.reduce((sum, s) => sum + s.bytes, 0);
  }

  path(n: number): string {
    return join(this.dir, segmentName(n));
  }

  /** Appends to the current segment; on failure the file is cut back to its known size, then the error is thrown. */
  async append(text: string): Promise<void> {
    const seg = this.current;
    if (!this.handle || !seg) throw new Error('recorder has no open segment');
    try {
      await this.handle.appendFile(text, 'utf8');
    } catch (err) {
      await this.handle.truncate(seg.bytes).catch(() => {});
      throw err;
    }
    seg.bytes += Buffer.byteLength(text);
  }

  /**
   * Starts a new segment beginning with `header` (the latest snapshot line), after syncing the old
   * one. All or nothing: when the header cannot be written the new file is removed and the old
   * segment stays current.
   */
  async roll(header: string | null): Promise<void> {
    const prev = this.current;
    const n = (prev?.n ?? 0) + 1;
    if (this.handle) {
      await this.handle.sync().catch(() => {});
      await this.handle.close().catch(() => {});
      this.handle = null;
    }
    try {
      this.handle = await open(this.path(n), 'a');
      this.list.push({ n, bytes: 0, header: 0 });
      if (header !== null) {
        await this.append(header);
        (this.current as Segment).header = Buffer.byteLength(header);
      }
    } catch (err) {
      await this.handle?.close().catch(() => {});
      this.handle = null;
      if (this.current?.n === n) this.list.pop();
      await unlink(this.path(n)).catch(() => {});
      if (prev) this.handle = await open(this.path(prev.n), 'a').catch(() => null);
      throw err;
    }
  }

  /** Deletes the oldest segment unless it is the current one; false when there is nothing to drop. */
  async dropOldest(): Promise<boolean> {
    if (this.list.length < 2) return false;
    const oldest = this.list[0] as Segment;
    await unlink(this.path(oldest.n));
    this.list.shift();
    return true;
  }

  /** Size of the filesystem the segments live on (bytes), or null when it cannot be told. */
  async filesystemBytes(): Promise<number | null> {
    try {
      const st = await statfs(this.dir);
      return st.blocks * st.bsize;
    } catch {
      return null;
    }
  }

  /** Forces the current segment to disk. */
  async sync(): Promise<void> {
    await this.handle?.sync();
  }

  async close(): Promise<void> {
    await this.handle?.close().catch(() => {});
    this.handle = null;
  }

  /** Forget everything (after a failed open: the next write starts over). */
  async reset(): Promise<void> {
    await this.close();
    this.list.length = 0;
  }
}
