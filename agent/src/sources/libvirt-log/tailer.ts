import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { LineSplitter, type SplitLine } from '../line-splitter.js';

/** A persisted position: which file (device + inode + first bytes) and how far it was handed off. */
export interface FilePosition {
  dev: number;
  ino: number;
  /** Byte offset just past the last line handed off. */
  offset: number;
  /** Lines before `offset`. */
  line: number;
  /** How many leading bytes `fpHash` covers (up to FINGERPRINT_BYTES; fewer while the file is short). */
  fpLen: number;
  fpHash: string;
  /** Hash of the FINGERPRINT_BYTES before `offset`: catches a truncated file refilled past `offset` with lines that begin alike. */
  tailHash?: string;
}

export const FINGERPRINT_BYTES = 64;
/** Read size, and the most one `read()` hands off before it lets other files have a turn. */
export const CHUNK_BYTES = 64 * 1024;
export const DEFAULT_READ_BUDGET_BYTES = 4 * 1024 * 1024;

export type LineSink = (line: SplitLine) => Promise<void>;

/** The hash of FilePosition's `fpHash` and `tailHash`. */
export const fingerprintOf = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 32);
const hash = fingerprintOf;

/** Up to `len` bytes at `at` (fewer at EOF: a stat may be stale). */
async function bytesAt(fh: fsp.FileHandle, len: number, at: number): Promise<Buffer<ArrayBufferLike>> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, at);
  return buf.subarray(0, bytesRead);
}

/** The FINGERPRINT_BYTES before `offset` (fewer near the start). */
const tailAt = (fh: fsp.FileHandle, offset: number): Promise<Buffer<ArrayBufferLike>> => {
  const len = Math.min(FINGERPRINT_BYTES, offset);
  return bytesAt(fh, len, offset - len);
};

/** Counts `\n` bytes before `end` (to number lines when starting in the middle of a file). */
async function countLines(fh: fsp.FileHandle, end: number): Promise<number> {
  const buf = Buffer.alloc(Math.min(1024 * 1024, Math.max(1, end)));
  let n = 0;
  for (let pos = 0; pos < end; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) break;
    for (let i = buf.indexOf(0x0a, 0); i !== -1 && i < bytesRead; i = buf.indexOf(0x0a, i + 1)) n++;
    pos += bytesRead;
  }
  return n;
}

interface StartAt {
  offset: number;
  line: number;
  fpLen: number;
  fpHash: string;
  tail: Buffer<ArrayBufferLike>;
}

/** What a truncated file held before: enough to find its copy (copytruncate) and resume there. */
export interface Truncation {
  /** The old content's identity and how far it was handed off, as a position to resume a copy at. */
  before: Omit<FilePosition, 'dev' | 'ino'>;
  /** The largest size seen of the old content: bytes past `before.offset` up to it were never read. */
  seenSize: number;
}

export interface ReadResult {
  truncation: Truncation | null;
  lines: number;
  /** The budget ran out before EOF: call again. */
  more: boolean;
}

export interface TailerOptions {
  maxLineBytes?: number;
  onOversize: (file: string, line: number) => void;
  now: number;
  /** Read buffer; a source reading its files one at a time shares one (500 files need not hold 500). */
  buffer?: Buffer;
}

/**
 * Follows one open file (one inode). The fd keeps following the inode after a rename, which is how
 * the rest of a rotated file is read. Idle costs one fstat: nothing is read or hashed while the size
 * stays put. When it grew, the bytes just before the read position are compared with the ones read
 * there; a size below the position or different bytes mean truncation (copytruncate: new lines may
 * already have refilled the file past the old position when we look).
 */
export class FileTailer {
  private readPos: number;
  private committed: number;
  private line: number;
  private fpLen: number;
  private fpHash: string;
  /** The bytes before `readPos`, as read; hashed only when a position is saved. */
  private tail: Buffer<ArrayBufferLike>;
  private tailHashCache: { pos: number; hash: string } | undefined;
  private seenSize: number;
  private readonly splitter: LineSplitter;
  private readonly buf: Buffer;
  /** Last time a read found new bytes (for the rotation grace period). */
  lastGrowth: number;

  private constructor(
    readonly path: string,
    private readonly fh: fsp.FileHandle,
    readonly dev: number,
    readonly ino: number,
    /** The file's mtime when it was opened: rotated generations written later are newer. */
    readonly openedMtimeMs: number,
    start: StartAt,
    opts: TailerOptions,
  ) {
    this.readPos = this.committed = this.seenSize = start.offset;
    this.line = start.line;
    this.fpLen = start.fpLen;
    this.fpHash = start.fpHash;
    this.tail = start.tail;
    this.lastGrowth = opts.now;
    this.buf = opts.buffer ?? Buffer.alloc(CHUNK_BYTES);
    this.splitter = new LineSplitter({
      maxLineBytes: opts.maxLineBytes,
      startOffset: start.offset,
      startLine: start.line,
      onOversize: (i) => opts.onOversize(this.path, i.line),
    });
  }

  /**
   * Opens `file` at the beginning, at its end, or at a saved position (used only when it is the same
   * file: same device, inode and first bytes, and not shorter than the offset; otherwise from 0).
   */
  static async open(
    file: string,
    start: 'beginning' | 'end' | FilePosition,
    opts: TailerOptions,
  ): Promise<{ tailer: FileTailer; resumed: boolean }> {
    const fh = await fsp.open(file, 'r');
    try {
      const st = await fh.stat();
      const first = await bytesAt(fh, Math.min(FINGERPRINT_BYTES, st.size), 0);
      let pos: StartAt = {
        offset: 0,
        line: 0,
        fpLen: first.length,
        fpHash: hash(first),
        tail: Buffer.alloc(0),
      };
      let resumed = false;
      if (start === 'end') {
        pos = {
          ...pos,
          offset: st.size,
          line: await countLines(fh, st.size),
          tail: await tailAt(fh, st.size),
        };
      } else if (start !== 'beginning') {
        const tail = st.size >= start.offset ? await tailAt(fh, start.offset) : undefined;
        const same =
          start.dev === st.dev &&
          start.ino === st.ino &&
          tail !== undefined &&
          (start.fpLen === 0 ||
            (start.fpLen <= st.size && hash(first.subarray(0, start.fpLen)) === start.fpHash)) &&
          (start.tailHash === undefined || hash(tail) === start.tailHash);
        if (same) {
          pos = { offset: start.offset, line: start.line, fpLen: first.length, fpHash: hash(first), tail };
          resumed = true;
        }
      }
      return { tailer: new FileTailer(file, fh, st.dev, st.ino, st.mtimeMs, pos, opts), resumed };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Bytes consumed so far (a size equal to it means nothing new). */
  get offset(): number {
    return this.readPos;
  }

  position(): FilePosition {
    const p: FilePosition = {
      dev: this.dev,
      ino: this.ino,
      offset: this.committed,
      line: this.line,
      fpLen: this.fpLen,
      fpHash: this.fpHash,
    };
    // The tail describes `committed` only when everything read was handed off.
    if (this.committed === this.readPos) {
      if (this.tailHashCache?.pos !== this.readPos)
        this.tailHashCache = { pos: this.readPos, hash: hash(this.tail) };
      p.tailHash = this.tailHashCache.hash;
    }
    return p;
  }

  /**
   * Reads up to EOF (or `budget` bytes) and hands off each complete line in order; the position
   * moves past a line only after `sink` resolved for it, then `onCommit` is called (the caller
   * checkpoints there). A truncation is returned as soon as it is seen, with what the old content
   * was (so that its copy can be read first); the next call reads the file again from 0.
   */
  async read(
    sink: LineSink,
    onCommit: () => void,
    now: number,
    budget = DEFAULT_READ_BUDGET_BYTES,
  ): Promise<ReadResult> {
    const st = await this.fh.stat();
    if (st.size === this.readPos) return { truncation: null, lines: 0, more: false };
    if (st.size < this.readPos) return { truncation: this.restart(onCommit), lines: 0, more: true };
    this.seenSize = Math.max(this.seenSize, st.size);
    if (this.fpLen < FINGERPRINT_BYTES && st.size > this.fpLen) {
      // Count only the bytes really there: the file may have been truncated since the stat.
      const first = await bytesAt(this.fh, FINGERPRINT_BYTES, 0);
      this.fpLen = first.length;
      this.fpHash = hash(first);
    }
    let lines = 0;
    const from = this.readPos;
    for (;;) {
      if (this.readPos - from >= budget) return { truncation: null, lines, more: true };
      const { bytesRead } = await this.fh.read(this.buf, 0, this.buf.length, this.readPos);
      if (bytesRead === 0) return { truncation: null, lines, more: false };
      // The bytes before the position must still be those read there, checked after this read: a
      // truncation refilled past the position would otherwise hand on the middle of other lines.
      if (this.readPos > 0 && !(await tailAt(this.fh, this.readPos)).equals(this.tail))
        return { truncation: this.restart(onCommit), lines, more: true };
      this.readPos += bytesRead;
      this.lastGrowth = now;
      // Copy: the splitter may keep a partial line across reads, and the buffer is shared.
      const chunk = Buffer.from(this.buf.subarray(0, bytesRead));
      this.tail = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - FINGERPRINT_BYTES))]);
      if (this.tail.length > FINGERPRINT_BYTES)
        this.tail = this.tail.subarray(this.tail.length - FINGERPRINT_BYTES);
      for (const l of this.splitter.push(chunk)) {
        await sink(l);
        this.committed = l.end;
        this.line = l.line;
        lines++;
        onCommit();
      }
      // Oversize lines are skipped without a sink call: the position still moves past them.
      if (this.splitter.consumed > this.committed) {
        this.committed = this.splitter.consumed;
        this.line = this.splitter.linesConsumed;
        onCommit();
      }
    }
  }

  /** The file was truncated: say what it held, and start over at 0. */
  private restart(onCommit: () => void): Truncation {
    const truncation: Truncation = {
      before: {
        offset: this.committed,
        line: this.line,
        fpLen: this.fpLen,
        fpHash: this.fpHash,
        // The last bytes read describe `committed` only when no partial line was held back.
        ...(this.committed === this.readPos ? { tailHash: hash(this.tail) } : {}),
      },
      seenSize: this.seenSize,
    };
    this.readPos = this.committed = this.line = this.seenSize = 0;
    this.tail = Buffer.alloc(0);
    this.splitter.reset(0, 0);
    this.fpLen = 0;
    onCommit();
    return truncation;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
