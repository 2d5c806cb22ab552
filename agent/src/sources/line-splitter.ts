/**
 * Byte-level line splitter shared by every line-oriented source.
 *
 * Splitting happens on `\n` bytes *before* decoding, so a multi-byte UTF-8 character cut across two
 * chunks is decoded whole (string-level splitting of `chunk.toString()` would turn both halves into
 * U+FFFD). Each line reports the absolute byte offset just past its `\n`, which is what file tailers
 * persist as their position.
 */

export interface SplitLine {
  /** The line without its `\n` (a trailing `\r` is kept: QMP-style CRLF is the decoder's business). */
  text: string;
  /** Absolute byte offset just past this line's `\n`. */
  end: number;
  /** 1-based line number counted from the splitter's start line. */
  line: number;
}

export interface LineSplitterOptions {
  /** Longest line accepted, in bytes (without the `\n`). Default 1 MiB. */
  maxLineBytes?: number;
  /** Called once per oversize line, when it is first seen to be too long; the line is skipped. */
  onOversize?: (info: { start: number; line: number; bytesSeen: number }) => void;
  /** Byte offset of the first byte fed in (a tailer resuming at a saved position). */
  startOffset?: number;
  /** Line number of the line before the first one fed in (0 = file start). */
  startLine?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const NL = 0x0a;

export class LineSplitter {
  private readonly max: number;
  private readonly onOversize: LineSplitterOptions['onOversize'];
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Inside an oversize line: drop bytes until the next `\n`. */
  private skipping = false;
  /** Bytes of the current line received so far (kept or skipped), for offset bookkeeping. */
  private tailBytes = 0;
  private lineStart: number;
  private lineNo: number;

  constructor(opts: LineSplitterOptions = {}) {
    this.max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.onOversize = opts.onOversize;
    this.lineStart = opts.startOffset ?? 0;
    this.lineNo = opts.startLine ?? 0;
  }

  /** Offset just past the last complete line (skipped oversize lines included). */
  get consumed(): number {
    return this.lineStart;
  }

  /** Lines completed so far (skipped oversize lines included), counted from the start line. */
  get linesConsumed(): number {
    return this.lineNo;
  }

  /** Bytes of the current incomplete line held back (0 while skipping an oversize line). */
  get pendingBytes(): number {
    return this.partBytes;
  }

  push(chunk: Buffer): SplitLine[] {
    const out: SplitLine[] = [];
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NL, from);
      const stop = nl === -1 ? chunk.length : nl;
      if (!this.skipping) {
        if (this.partBytes + (stop - from) > this.max) {
          this.skipping = true;
          this.onOversize?.({
            start: this.lineStart,
            line: this.lineNo + 1,
            bytesSeen: this.partBytes + (stop - from),
          });
          this.parts = [];
          this.partBytes = 0;
        } else if (stop > from) {
          this.parts.push(chunk.subarray(from, stop));
          this.partBytes += stop - from;
        }
      }
      if (nl === -1) {
        // Keep the partial tail; remember how far the held-back bytes reach for offset bookkeeping.
        this.tailBytes += chunk.length - from;
        break;
      }
      const lineBytes = this.tailBytes + (nl - from) + 1;
      this.tailBytes = 0;
      const end = this.lineStart + lineBytes;
      this.lineNo += 1;
      if (!this.skipping) {
        const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
        out.push({ text: buf.toString('utf8'), end, line: this.lineNo });
      }
      this.skipping = false;
      this.parts = [];
      this.partBytes = 0;
      this.lineStart = end;
      from = nl + 1;
    }
    return out;
  }

  /**
   * The held-back partial line as a final line (the stream ended without a trailing `\n`), or
   * undefined. Only for streams that cannot be resumed: a resumable reader must re-read it instead.
   */
  flush(): SplitLine | undefined {
    const skipped = this.skipping;
    const tail = this.partBytes > 0 && !skipped ? Buffer.concat(this.parts, this.partBytes) : undefined;
    const end = this.lineStart + this.tailBytes;
    const line = this.lineNo + 1;
    this.reset(end, this.tailBytes > 0 ? line : this.lineNo);
    return tail ? { text: tail.toString('utf8'), end, line } : undefined;
  }

  /** Forget the partial line (the stream it came from is gone) and restart counting at `offset`. */
  reset(offset = 0, line = 0): void {
    this.parts = [];
    this.partBytes = 0;
    this.tailBytes = 0;
    this.skipping = false;
    this.lineStart = offset;
    this.lineNo = line;
  }
}
