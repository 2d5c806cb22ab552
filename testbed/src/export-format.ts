/**
 * Journal Export Format (systemd's `journal-export` format, read by `systemd-journal-remote -`):
 * one `FIELD=value\n` per field, an empty line after each entry. A value that holds a newline or is
 * not text goes in the binary form `FIELD\n<u64 LE length><bytes>\n`, so multi-line and non-UTF-8
 * messages survive exactly as journald would have stored them.
 */

export type ExportValue = string | Buffer;
export type ExportEntry = ReadonlyArray<readonly [field: string, value: ExportValue]>;

/** Accumulates entries into buffers of about `chunkBytes`, for writing to a pipe with backpressure. */
export class ExportEncoder {
  private text = '';
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly chunkBytes = 1 << 20) {}

  add(entry: ExportEntry): void {
    for (const [field, value] of entry) {
      if (typeof value === 'string' && !value.includes('\n')) {
        this.text += `${field}=${value}\n`;
        continue;
      }
      const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(data.length));
      this.text += `${field}\n`;
      this.cut();
      this.push(len);
      this.push(data);
      this.text += '\n';
    }
    this.text += '\n';
  }

  /** Whether a chunk's worth is ready. */
  get full(): boolean {
    return this.bytes + this.text.length >= this.chunkBytes;
  }

  /** Everything accumulated so far, as one buffer; the encoder starts empty again. */
  take(): Buffer {
    this.cut();
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return out;
  }

  private cut(): void {
    if (this.text === '') return;
    this.push(Buffer.from(this.text, 'utf8'));
    this.text = '';
  }

  private push(b: Buffer): void {
    this.parts.push(b);
    this.bytes += b.length;
  }
}
