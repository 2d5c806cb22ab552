/**
 * QMP framing: one JSON object per line. QEMU ends lines with CRLF (`monitor_puts_locked()` turns
 * every `\n` into `\r\n`); a test server or proxy may send bare LF, so both are accepted.
 *
 * Lines are split on bytes and decoded only when complete, so a multi-byte UTF-8 character split
 * across two socket reads is never corrupted.
 *
 * Oversize lines: once a line passes `maxLineBytes` its bytes are dropped as they arrive (memory
 * stays bounded) until its terminating newline, one `oversize` issue is reported, and the lines
 * after it are parsed normally. The connection is kept: a huge event is not worth losing the
 * monitor for. If the dropped line was a reply, the call waiting for it ends by its timeout.
 */

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export type FramingIssue =
  | { kind: 'oversize'; bytesSoFar: number; maxLineBytes: number }
  | { kind: 'garbage'; line: string; reason: string };

export interface FramedMessage {
  /** The parsed JSON object. */
  message: Record<string, unknown>;
  /** The line as received, without its line ending. */
  raw: string;
}

const LF = 0x0a;

export class LineFramer {
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** True while dropping the rest of an oversize line. */
  private discarding = false;

  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /** Feed one chunk; returns the complete messages it finished and the issues it met, in order. */
  push(chunk: Buffer): { messages: FramedMessage[]; issues: FramingIssue[] } {
    const messages: FramedMessage[] = [];
    const issues: FramingIssue[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.discarding) {
        if (nl !== -1) this.discarding = false;
      } else if (this.partsBytes + (end - start) > this.maxLineBytes) {
        issues.push({
          kind: 'oversize',
          bytesSoFar: this.partsBytes + (end - start),
          maxLineBytes: this.maxLineBytes,
        });
        this.parts = [];
        this.partsBytes = 0;
        this.discarding = nl === -1;
      } else if (nl === -1) {
        this.parts.push(chunk.subarray(start, end));
        this.partsBytes += end - start;
      } else {
        const line =
          this.parts.length === 0
            ? chunk.subarray(start, end)
            : Buffer.concat([...this.parts, chunk.subarray(start, end)]);
        this.parts = [];
        this.partsBytes = 0;
        parseLine(line, messages, issues);
      }
      if (nl === -1) break;
      start = nl + 1;
    }
    return { messages, issues };
  }
}

function parseLine(bytes: Buffer, messages: FramedMessage[], issues: FramingIssue[]): void {
  let raw = bytes.toString('utf8');
  if (raw.endsWith('\r')) raw = raw.slice(0, -1);
  if (raw.trim() === '') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    issues.push({ kind: 'garbage', line: clip(raw), reason: (err as Error).message });
    return;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    issues.push({ kind: 'garbage', line: clip(raw), reason: 'not a JSON object' });
    return;
  }
  messages.push({ message: parsed as Record<string, unknown>, raw });
}

/** Issues carry a bounded excerpt: a garbage line can be arbitrarily long. */
function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
