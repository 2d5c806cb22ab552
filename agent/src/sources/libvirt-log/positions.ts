import { CheckpointFile } from '../checkpoint.js';
import type { FilePosition } from './tailer.js';

/**
 * At most five checkpoint writes a second (each is a write and an fsync of every position): opening
 * 500 files, or reading 10k lines a second, would otherwise rewrite the file as fast as the disk
 * syncs. The saved positions are then up to this much older than the hand-offs, never newer.
 */
const MIN_INTERVAL_MS = 200;

interface Checkpoint {
  version: 1;
  files: Record<string, FilePosition>;
}

/**
 * The libvirt log source's checkpoint: where each followed file was handed off up to. Saved after
 * hand-offs, coalesced to one collection of positions per write (a line-by-line collection of 500
 * positions would cost more than reading the lines). Saved positions of files not open yet wait
 * here until the file is opened, and are dropped for files that are gone.
 */
export class PositionStore {
  private readonly file: CheckpointFile<Checkpoint>;
  private readonly saved = new Map<string, FilePosition>();
  private queued = false;
  private closed = false;
  private lastWrite = 0;
  private timer: NodeJS.Timeout | undefined;
  /** No checkpoint existed: the very first start on this host. */
  firstStart = false;

  constructor(
    stateDir: string,
    /** The positions of the files followed now. */
    private readonly current: () => Iterable<[string, { position(): FilePosition }]>,
    private readonly onError: (kind: 'read' | 'write', err: unknown) => void,
    /** Whether everything handed off so far is recorded (the flight recorder's `durable()`). */
    gate?: () => Promise<boolean>,
  ) {
    this.file = CheckpointFile.in(
      stateDir,
      'libvirt-log-positions.json',
      (err) => onError('write', err),
      gate,
    );
  }

  async load(): Promise<void> {
    try {
      const cp = await this.file.load();
      if (cp === undefined) this.firstStart = true;
      else for (const [f, p] of Object.entries(cp.files ?? {})) this.saved.set(f, p);
    } catch (err) {
      this.onError('read', err);
      this.firstStart = true;
    }
  }

  /** The saved position of `file`, until its tailer is open and owns it (`forget`). */
  get(file: string): FilePosition | undefined {
    return this.saved.get(file);
  }

  forget(file: string): void {
    this.saved.delete(file);
  }

  /** Files that are gone: their saved positions would otherwise be carried forever. */
  keepOnly(present: ReadonlySet<string>): void {
    for (const f of [...this.saved.keys()]) if (!present.has(f)) this.saved.delete(f);
  }

  /**
   * Checkpoint soon: the positions are collected when the file is about to be written, so however
   * many hand-offs (or 500 files opened one after the other) come meanwhile, there is one
   * collection per write.
   */
  save(): void {
    if (this.queued || this.closed) return;
    this.queued = true;
    const wait = this.lastWrite + MIN_INTERVAL_MS - Date.now();
    const write = (): void => {
      this.timer = undefined;
      void this.file.save(() => {
        this.queued = false;
        this.lastWrite = Date.now();
        return this.snapshot();
      });
    };
    if (wait <= 0) write();
    else this.timer = setTimeout(write, wait);
  }

  /** The last save, written before this resolves; later saves are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    void this.file.save(this.snapshot());
    await this.file.flush();
  }

  private snapshot(): Checkpoint {
    const files: Record<string, FilePosition> = Object.fromEntries(this.saved);
    for (const [f, t] of this.current()) files[f] = t.position();
    return { version: 1, files };
  }
}
