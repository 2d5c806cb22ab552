import { watch as fsWatch, type FSWatcher } from 'node:fs';
import type { Clock } from '../../lib/clock.js';

/**
 * When to scan the log directory: on every fs.watch event (appends inside a watched directory fire
 * `change`, so a line is read within milliseconds) and every `pollMs` (inotify is silent on NFS and
 * some overlays). Scans never overlap; a request during a scan runs one more scan after it, so an
 * event arriving mid-scan is not lost.
 */
export class ScanScheduler {
  private timer: unknown;
  private watcher: FSWatcher | undefined;
  private running = false;
  private current: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly scan: () => Promise<void>,
    private readonly o: {
      clock: Clock;
      pollMs: number;
      dir: string;
      /** `fs.watch`, or null for polling only. */
      watch: typeof fsWatch | null;
      onWatchError: (err: unknown) => void;
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

  /** Scan now, or once more after the scan in progress. */
  request(): Promise<void> {
    if (this.current) {
      this.again = true;
      return this.current;
    }
    this.current = (async () => {
      do {
        this.again = false;
        if (this.running) await this.scan();
      } while (this.again && this.running);
    })().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  /** An append to one file: read just that file, unless a scan is running (then it covers it). */
  private requestOne(name: string): Promise<void> {
    const readOne = this.o.readOne;
    if (this.current || !readOne) return this.request();
    this.current = readOne(name)
      .then(async (known) => {
        if (!known && this.running) await this.scan();
        while (this.again && this.running) {
          this.again = false;
          await this.scan();
        }
      })
      .finally(() => {
        this.current = undefined;
      });
    return this.current;
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
