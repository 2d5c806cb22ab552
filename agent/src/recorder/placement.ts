import { ERROR_TYPES } from '@switchover/model';
import { isNoSpace, type Segments } from './segments.js';

/** The recorder never takes more than this share of its filesystem, whatever `maxBytes` says. */
export const MAX_FILESYSTEM_SHARE = 0.5;

export type LineKind = 'obs' | 'session' | 'state';

export interface PlacementOptions {
  maxBytes: number;
  segmentBytes: number;
  /** A named failure, logged once and counted once by the caller. */
  fail: (errorType: string, err: unknown) => void;
  /** Counted only (every occurrence). */
  count: (errorType: string) => void;
  warn?: (message: string) => void;
}

const ERRORS = ERROR_TYPES.recorder;
const bytesOf = (s: string): number => Buffer.byteLength(s);
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Where each recorder line goes, and what is deleted to make room: the size cap, segment rolls with
 * the latest snapshot as header, the share of a small filesystem, and a full disk. Never deletes the
 * current segment, which holds the latest snapshot and everything recorded after it.
 */
export class Placement {
  private maxBytes: number;
  private segmentBytes: number;
  private madeRoomReported = false;
  private overCapReported = false;

  constructor(
    private readonly segs: Segments,
    private readonly o: PlacementOptions,
  ) {
    this.maxBytes = o.maxBytes;
    this.segmentBytes = o.segmentBytes;
  }

  /** A full disk may be reported again after the recorder was back to normal. */
  resetReports(): void {
    this.madeRoomReported = false;
  }

  /** Lowers the cap to half of a small filesystem (a 64 MiB cap on a 100 MiB /var would fill it). */
  async fitFilesystem(): Promise<void> {
    const fs = await this.segs.filesystemBytes();
    if (fs === null || fs <= 0) return;
    const fit = Math.floor(fs * MAX_FILESYSTEM_SHARE);
    if (fit >= this.maxBytes) return;
    this.o.warn?.(
      `recorder.maxBytes (${this.maxBytes} bytes) is more than half of the state directory's filesystem (${fs} bytes): using ${fit} bytes`,
    );
    this.segmentBytes = Math.max(1, Math.floor((this.segmentBytes * fit) / this.maxBytes));
    this.maxBytes = fit;
  }

  /** Writes one line (or a batch of observation lines); `latestState` is the header of a new segment. */
  async place(text: string, kind: LineKind, latestState: string | null): Promise<void> {
    const size = bytesOf(text);
    const current = this.segs.current;
    const header = kind === 'state' ? text : latestState;
    const headerBytes = header === null ? 0 : bytesOf(header);
    // A segment holds at least four snapshots' worth of lines (so header copies never dominate: with
    // 300 VMs they made the recorder twice its cap), and never more than the whole cap.
    const limit = Math.min(this.maxBytes, Math.max(this.segmentBytes, 4 * headerBytes));
    if (!current || (current.bytes + size > limit && current.bytes > current.header)) {
      await this.makeRoom(headerBytes + (kind === 'state' ? 0 : size));
      // A snapshot that starts a segment is its header: never written twice.
      await this.withRoom(() => this.segs.roll(header));
      if (kind !== 'state') await this.withRoom(() => this.segs.append(text));
    } else await this.withRoom(() => this.segs.append(text));
    await this.enforceCap();
  }

  /** Deletes the oldest segments (never the current one) until `incoming` more bytes fit under the cap. */
  private async makeRoom(incoming: number): Promise<void> {
    while (this.segs.bytes + incoming > this.maxBytes && (await this.dropOldest())) {
      // dropped one
    }
  }

  /** Runs a write; when the filesystem is full, deletes the recorder's own oldest segments and tries again. */
  private async withRoom(op: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        return await op();
      } catch (err) {
        if (!isNoSpace(err)) throw err;
        this.o.count(ERRORS.diskFull);
        if (!(await this.dropOldest())) throw err;
        if (!this.madeRoomReported) {
          this.madeRoomReported = true;
          this.o.fail(
            ERRORS.diskFull,
            new Error(
              `state directory full (${message(err)}): deleted the oldest recorder data to make room`,
            ),
          );
        }
      }
    }
  }

  private async dropOldest(): Promise<boolean> {
    try {
      return await this.segs.dropOldest();
    } catch (err) {
      this.o.fail(ERRORS.delete, err);
      return false;
    }
  }

  private async enforceCap(): Promise<void> {
    while (this.segs.list.length > 1 && this.segs.bytes > this.maxBytes && (await this.dropOldest())) {
      // dropped one
    }
    if (this.segs.bytes > this.maxBytes && !this.overCapReported) {
      this.overCapReported = true;
      this.o.fail(
        ERRORS.overCap,
        new Error(
          `the recorder cap (${this.maxBytes} bytes) is smaller than one segment with its snapshot (${this.segs.bytes} bytes): raise recorder.maxBytes`,
        ),
      );
    }
  }
}
