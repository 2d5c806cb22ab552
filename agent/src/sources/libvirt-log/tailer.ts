import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
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
const CHUNK = 64 * 1024;

export type LineSink = (line: SplitLine) => Promise<void>;

/** Hash of up to `len` bytes at `at`, and how many there were (fewer at EOF: a stat may be stale). */
async function hashBytes(fh: fsp.FileHandle, len: number, at = 0): Promise<{ len: number; hash: string }> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, at);
  return {
    len: bytesRead,
    hash: createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex').slice(0, 32),
  };
}

/** Hash of exactly `len` bytes at `at`; a shorter file yields a hash no full read can match. */
async function fingerprint(fh: fsp.FileHandle, len: number, at = 0): Promise<string> {
  const h = await hashBytes(fh, len, at);
  return h.len === len ? h.hash : `short:${h.len}`;
}

/** Hash of the bytes just before `offset` (empty at 0). */
function tailHashAt(fh: fsp.FileHandle, offset: number): Promise<string> {
  const len = Math.min(FINGERPRINT_BYTES, offset);
  return fingerprint(fh, len, offset - len);
}

/** A file in `dir` with the given device and inode (a log renamed by rotation), if any. */
export async function findByInode(
  dir: string,
  id: { dev: number; ino: number },
): Promise<string | undefined> {
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const st = await fsp.stat(file).catch(() => undefined);
    if (st && st.dev === id.dev && st.ino === id.ino) return file;
  }
  return undefined;
}

/** Counts `\n` bytes before `end` (to number lines when starting in the middle of a file). */
async function countLines(fh: fsp.FileHandle, end: number): Promise<number> {
  const buf = Buffer.alloc(1024 * 1024);
  let n = 0;
  for (let pos = 0; pos < end; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) break;
    for (let i = buf.indexOf(0x0a, 0); i !== -1 && i < bytesRead; i = buf.indexOf(0x0a, i + 1)) n++;
    pos += bytesRead;
  }
  return n;
}

/**
 * Follows one open file (one inode). The fd keeps following the inode after a rename, which is how
 * the rest of a rotated file is read. Truncation (copytruncate) is detected by the size falling
 * below the read position *or* the first bytes changing (new lines may already have refilled the
 * file past the old position when we look).
 */
export class FileTailer {
  private readPos: number;
  private committed: number;
  private line: number;
  private fpLen: number;
  private fpHash: string;
  private tailHash: string;
  /** The offset `tailHash` was computed at. */
  private tailHashPos: number;
  private readonly splitter: LineSplitter;
  private readonly buf = Buffer.alloc(CHUNK);
  /** Last time a read found new bytes (for the rotation grace period). */
  lastGrowth: number;

  private constructor(
    readonly path: string,
    private readonly fh: fsp.FileHandle,
    readonly dev: number,
    readonly ino: number,
    start: { offset: number; line: number; fpLen: number; fpHash: string; tailHash: string },
    maxLineBytes: number | undefined,
    onOversize: (line: number) => void,
    now: number,
  ) {
    this.readPos = this.committed = start.offset;
    this.line = start.line;
    this.fpLen = start.fpLen;
    this.fpHash = start.fpHash;
    this.tailHash = start.tailHash;
    this.tailHashPos = start.offset;
    this.lastGrowth = now;
    this.splitter = new LineSplitter({
      maxLineBytes,
      startOffset: start.offset,
      startLine: start.line,
      onOversize: (i) => onOversize(i.line),
    });
  }

  /**
   * Opens `file` at the beginning, at its end, or at a saved position (used only when it is the same
   * file: same device, inode and first bytes, and not shorter than the offset; otherwise from 0).
   */
  static async open(
    file: string,
    start: 'beginning' | 'end' | FilePosition,
    opts: { maxLineBytes?: number; onOversize: (file: string, line: number) => void; now: number },
  ): Promise<{ tailer: FileTailer; resumed: boolean }> {
    const fh = await fsp.open(file, 'r');
    try {
      const st = await fh.stat();
      const { len: fpLen, hash: fpHash } = await hashBytes(fh, Math.min(FINGERPRINT_BYTES, st.size));
      let pos = { offset: 0, line: 0, fpLen, fpHash, tailHash: await tailHashAt(fh, 0) };
      let resumed = false;
      if (start === 'end') {
        pos = {
          ...pos,
          offset: st.size,
          line: await countLines(fh, st.size),
          tailHash: await tailHashAt(fh, st.size),
        };
      } else if (start !== 'beginning') {
        const same =
          start.dev === st.dev &&
          start.ino === st.ino &&
          st.size >= start.offset &&
          (start.fpLen === 0 ||
            (start.fpLen <= st.size && (await fingerprint(fh, start.fpLen)) === start.fpHash)) &&
          (start.tailHash === undefined || (await tailHashAt(fh, start.offset)) === start.tailHash);
        if (same) {
          pos = {
            offset: start.offset,
            line: start.line,
            fpLen,
            fpHash,
            tailHash: await tailHashAt(fh, start.offset),
          };
          resumed = true;
        }
      }
      const t = new FileTailer(
        file,
        fh,
        st.dev,
        st.ino,
        pos,
        opts.maxLineBytes,
        (line) => opts.onOversize(file, line),
        opts.now,
      );
      return { tailer: t, resumed };
    } catch (err) {
      await fh.close();
      throw err;
    }
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
    // The tail hash describes `committed` only when it was computed there.
    if (this.committed === this.tailHashPos) p.tailHash = this.tailHash;
    return p;
  }

  /**
   * Reads everything up to EOF and hands off each complete line in order; the position moves past a
   * line only after `sink` resolved for it, then `onCommit` is called (the caller checkpoints there).
   * Returns whether the file had been truncated.
   */
  async read(
    sink: LineSink,
    onCommit: () => void,
    now: number,
  ): Promise<{ truncated: boolean; lines: number }> {
    let truncated = false;
    const st = await this.fh.stat();
    if (
      st.size < this.readPos ||
      (this.fpLen > 0 && (await fingerprint(this.fh, this.fpLen)) !== this.fpHash) ||
      (await tailHashAt(this.fh, this.readPos)) !== this.tailHash
    ) {
      truncated = true;
      this.readPos = this.committed = this.line = 0;
      this.tailHash = await tailHashAt(this.fh, 0);
      this.tailHashPos = 0;
      this.splitter.reset(0, 0);
      this.fpLen = 0;
      onCommit();
    }
    if (this.fpLen < FINGERPRINT_BYTES && st.size > this.fpLen) {
      // Count only the bytes really there: the file may have been truncated since the stat.
      const fp = await hashBytes(this.fh, FINGERPRINT_BYTES);
      this.fpLen = fp.len;
      this.fpHash = fp.hash;
    }
    let lines = 0;
    const from = this.readPos;
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.readPos);
      if (bytesRead === 0) break;
      this.readPos += bytesRead;
      this.lastGrowth = now;
      // Copy: the splitter may keep a partial line across reads and `buf` is reused.
      for (const l of this.splitter.push(Buffer.from(this.buf.subarray(0, bytesRead)))) {
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
    if (this.readPos !== from) {
      this.tailHash = await tailHashAt(this.fh, this.readPos);
      this.tailHashPos = this.readPos;
      onCommit();
    }
    return { truncated, lines };
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
