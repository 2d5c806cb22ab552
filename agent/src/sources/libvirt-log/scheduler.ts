import { watch as fsWatch, type FSWatcher } from 'node:fs';
import type { Clock } from '../../lib/clock.js';

/**
 * When to read: an fs.watch `change` event reads the one file that changed (an append is read within
 * milliseconds, and an idle host costs nothing); other events (a file created, renamed, removed)
 * and every `pollMs` run a scan of the directory (inotify is silent on NFS and some overlays, so the
 * poll is the safety net, not the engine). Work never overlaps; a request during work runs one more
 * scan after it, so an event arriving meanwhile is not lost. Nothing here ever rejects.
 */
export class ScanScheduler {
  private timer: unknown;
  private watcher: FSWatcher | undefined;
  private running = false;
  private current: Promise<void> | undefined;
  /** Work asked for while other work ran: a scan, and files that changed. */
  private scanWanted = false;
  private readonly changed = new Set<string>();

  constructor(
    private readonly scan: () => Promise<void>,
    private readonly o: {
      clock: Clock;
      pollMs: number;
      dir: string;
      /** `fs.watch`, or null for polling only. */
      watch: typeof fsWatch | null;
      onWatchError: (err: unknown) => void;
      /** A scan or read that threw: reported, and the next one runs as planned (nothing is thrown). */
      onScanError?: (err: unknown) => void;
      /**
       * Read one known file right away on its `change` event, instead of a scan of the whole
       * directory (which costs a stat per followed file); false when the file is not known.
       */
      readOne?: (name: string) => Promise<boolean>;
    },
  ) {}

  /** Runs the first scan and starts the poll timer. */
  async start(): Promise<void> {
    this.running = true;
    await this.request();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    await this.current;
  }

  /** Scan now, or once more after the work in progress; resolves when that scan ran. */
  request(): Promise<void> {
    this.scanWanted = true;
    return this.kick();
  }

  /** One more scan after the current work, without waiting for it (a read that has more to do). */
  requestLater(): void {
    void this.request();
  }

  /** An append to one file: read just that file (after the work in progress, if any). */
  private requestOne(name: string): Promise<void> {
    if (!this.o.readOne) return this.request();
    this.changed.add(name);
    return this.kick();
  }

  private kick(): Promise<void> {
    this.current ??= this.drain().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  private async drain(): Promise<void> {
    const report = (err: unknown): void => this.o.onScanError?.(err);
    while (this.running && (this.scanWanted || this.changed.size > 0)) {
      if (this.scanWanted) {
        // A scan reads every changed file too.
        this.scanWanted = false;
        this.changed.clear();
        await this.scan().catch(report);
        continue;
      }
      const name = this.changed.values().next().value as string;
      this.changed.delete(name);
      const known = await this.o.readOne!(name).catch((err: unknown) => (report(err), true));
      if (!known) this.scanWanted = true;
    }
  }

  /** Watch the directory once it exists (called after each successful listing). */
  ensureWatch(): void {
    if (this.watcher || !this.running || this.o.watch === null) return;
    try {
      this.watcher = this.o.watch(
        this.o.dir,
        (event, name) =>
          void (event === 'change' && typeof name === 'string' ? this.requestOne(name) : this.request()),
      );
      this.watcher.on('error', (err) => {
        this.o.onWatchError(err);
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.o.onWatchError(err);
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.o.clock.setTimeout(() => {
      void this.request().finally(() => this.schedule());
    }, this.o.pollMs);
  }
}
