import fs from 'node:fs';
import path from 'node:path';
import { compileGlobs, type FileGlob } from '../../lib/glob.js';
import type { Clock } from '../../lib/clock.js';

/**
 * Finds QMP sockets by glob (`/run/switchover/*.qmp`) and follows them as they come and go.
 * Wildcards (`*`, `?`) are allowed in the last path segment only: Node 20 has no `fs.glob`, and
 * one directory per glob keeps watching cheap. `fs.watch` (inotify) makes a new socket show up
 * at once; a slow periodic rescan covers what inotify misses (a directory created later, a watch
 * that errored, network filesystems).
 */

/**
 * The safety-net rescan: inotify reports a socket as it is bound (sockets live on /run, a tmpfs),
 * so this only catches a watch that failed or a directory that appeared later.
 */
export const DEFAULT_RESCAN_MS = 10_000;

/** The QMP input's socket globs (see `compileGlobs`): every bad one named at once. */
export const parseGlobs = (globs: readonly string[]): FileGlob[] => compileGlobs(globs, 'QMP socket');

export interface DiscoveryOptions {
  globs: readonly string[];
  clock: Clock;
  /** Backup rescan period; inotify normally reports a new socket much sooner. */
  rescanMs?: number;
  onAdded(socketPath: string): void;
  onRemoved(socketPath: string): void;
  onError(errorType: string, err: unknown): void;
}

export class SocketDiscovery {
  private readonly specs: FileGlob[];
  private readonly dirs: string[];
  /** Known sockets and their inode: a socket re-created under the same name is a new QEMU. */
  private readonly known = new Map<string, number>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private timer: unknown;
  private scanning: Promise<void> | undefined;
  /** Work asked for while a scan ran: a full scan, or single paths an inotify event named. */
  private fullWanted = false;
  private readonly pendingPaths = new Set<string>();
  private stopped = false;

  constructor(private readonly opts: DiscoveryOptions) {
    this.specs = parseGlobs(opts.globs);
    this.dirs = [...new Set(this.specs.map((s) => s.dir))];
  }

  async start(): Promise<void> {
    this.ensureWatchers();
    await this.scan();
    this.tick();
  }

  /** Closes the watchers and the timer, and waits for a scan in flight (it reports nothing now). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.scanning;
  }

  /** Drop a path from the known set so the next scan reports it again if it is still there. */
  forget(socketPath: string): void {
    this.known.delete(socketPath);
  }

  /** Scans every directory now; requests during a scan coalesce into one more after it. */
  scan(): Promise<void> {
    this.fullWanted = true;
    return this.kick();
  }

  /**
   * An inotify event named one entry: look at that path alone. With 500 sockets, a full scan per
   * event (500 lstat) would make a host where many VMs start at once quadratic.
   */
  private check(socketPath: string): void {
    this.pendingPaths.add(socketPath);
    void this.kick();
  }

  private kick(): Promise<void> {
    this.scanning ??= (async () => {
      while (!this.stopped && (this.fullWanted || this.pendingPaths.size > 0)) {
        if (this.fullWanted) {
          this.fullWanted = false;
          this.pendingPaths.clear();
          await this.scanOnce();
        } else {
          const paths = [...this.pendingPaths];
          this.pendingPaths.clear();
          for (const p of paths) await this.checkOne(p);
        }
      }
    })()
      // Callers fire and forget (watch events, the timer): a failed scan is reported, never thrown.
      .catch((err: unknown) => this.opts.onError('scan_failed', err))
      .finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async checkOne(p: string): Promise<void> {
    const dir = path.dirname(p);
    const name = path.basename(p);
    if (!this.specs.some((s) => s.dir === dir && s.matches(name))) return;
    const st = await fs.promises.lstat(p).catch(() => undefined);
    const ino = st?.isSocket() ? st.ino : undefined;
    if (this.stopped) return;
    const known = this.known.get(p);
    if (known !== undefined && known !== ino) {
      this.known.delete(p);
      this.opts.onRemoved(p);
    }
    if (ino !== undefined && !this.known.has(p)) {
      this.known.set(p, ino);
      this.opts.onAdded(p);
    }
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.ensureWatchers();
      void this.scan().finally(() => this.tick());
    }, this.opts.rescanMs ?? DEFAULT_RESCAN_MS);
  }

  private ensureWatchers(): void {
    for (const dir of this.dirs) {
      if (this.stopped || this.watchers.has(dir)) continue;
      try {
        const w = fs.watch(dir, (_event, name) =>
          typeof name === 'string' ? this.check(path.join(dir, name)) : void this.scan(),
        );
        // The directory went away (or inotify failed): drop the watch, the rescan re-creates it.
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        // Missing directory: normal before the first VM starts; the periodic rescan retries.
      }
    }
  }

  private async scanOnce(): Promise<void> {
    const found = new Map<string, number>();
    for (const dir of this.dirs) {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
          this.opts.onError((err as NodeJS.ErrnoException).code ?? 'readdir', err);
        continue;
      }
      for (const e of entries) {
        if (!e.isSocket() || !this.specs.some((s) => s.dir === dir && s.matches(e.name))) continue;
        const p = path.join(dir, e.name);
        // A known socket keeps its inode: re-creation shows as an inotify event (checked one by
        // one), so the rescan, a safety net, stats only what is new (500 lstat each time otherwise).
        const known = this.known.get(p);
        if (known !== undefined) {
          found.set(p, known);
          continue;
        }
        try {
          found.set(p, (await fs.promises.lstat(p)).ino);
        } catch {
          // Gone between readdir and lstat: it simply is not there.
        }
      }
    }
    if (this.stopped) return;
    for (const [p, ino] of this.known) {
      if (found.get(p) !== ino) {
        this.known.delete(p);
        this.opts.onRemoved(p);
      }
    }
    for (const [p, ino] of found) {
      if (!this.known.has(p)) {
        this.known.set(p, ino);
        this.opts.onAdded(p);
      }
    }
  }
}
