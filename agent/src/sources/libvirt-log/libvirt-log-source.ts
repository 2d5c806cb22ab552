import { watch as fsWatch, promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { ERROR_TYPES, INPUTS, LOST_LINE_REASONS, STAGES } from '@switchover/model';
import { systemClock, type Clock } from '../../lib/clock.js';
import { createLogger, type Logger } from '../../lib/log.js';
import type { LogLineRecord } from '../../records/types.js';
import { FailureStreaks } from '../streaks.js';
import type { Source, SourceCallbacks } from '../types.js';
import type { SplitLine } from '../line-splitter.js';
import { compileGlob, vmNameFromLogPath, type FileGlob } from './glob.js';
import { PositionStore } from './positions.js';
import { Rotations } from './rotation.js';
import { ScanScheduler } from './scheduler.js';
import {
  DEFAULT_LIBVIRT_LOG_POLL_MS,
  type LibvirtLogSourceConfig,
  type LibvirtLogSourceDeps,
} from './source-config.js';

const LIBVIRT_LOG_ERRORS = ERROR_TYPES.libvirtLog;

export {
  DEFAULT_LIBVIRT_LOG_POLL_MS,
  type LibvirtLogSourceConfig,
  type LibvirtLogSourceDeps,
} from './source-config.js';
import { CHUNK_BYTES, DEFAULT_READ_BUDGET_BYTES, FileTailer, type TailerOptions } from './tailer.js';

/**
 * Tails libvirt's per-domain QEMU logs (`<vm>.log`): QEMU's stderr under libvirt, where the
 * destination's VFIO failure line lands. An inotify event reads the file that changed; a slow rescan
 * finds what inotify missed; an idle file costs one stat per rescan. Positions (device, inode, offset,
 * first and last bytes) are saved after each line is handed off. Rotation and truncation are the
 * business of `Rotations`: the old inode is read to its end (and for a grace period, since a writer
 * may still hold it), then every generation since, then the new file.
 */
export class LibvirtLogSource implements Source {
  readonly name: string;
  private readonly stage = STAGES.libvirtLog;
  private readonly glob: FileGlob;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly positions: PositionStore;
  private readonly current = new Map<string, FileTailer>();
  private retired: FileTailer[] = [];
  /** The domain log path a tailer's lines belong to when it was opened under another name. */
  private readonly logPaths = new WeakMap<FileTailer, string>();
  private scannedOnce = false;
  private readonly scheduler: ScanScheduler;
  private readonly rotations: Rotations;
  /** Reads are one at a time (the scheduler serialises them), so every tailer shares this buffer. */
  private readonly buffer = Buffer.alloc(CHUNK_BYTES);
  private up: boolean | undefined;
  private readonly streaks: FailureStreaks;

  constructor(
    private readonly config: LibvirtLogSourceConfig,
    private readonly callbacks: SourceCallbacks,
    private readonly deps: LibvirtLogSourceDeps = {},
  ) {
    this.streaks = new FailureStreaks((type, err) => callbacks.error(this.stage, type, err));
    this.glob = compileGlob(config.glob);
    this.name = `${INPUTS.libvirtLog}:${config.glob}`;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? createLogger();
    this.positions = new PositionStore(
      config.stateDir,
      () => this.current,
      (kind, err) =>
        callbacks.error(
          this.stage,
          kind === 'read' ? LIBVIRT_LOG_ERRORS.checkpointRead : LIBVIRT_LOG_ERRORS.checkpointWrite,
          err,
        ),
      callbacks.durable?.bind(callbacks),
    );
    this.scheduler = new ScanScheduler(() => this.tick(), {
      clock: this.clock,
      pollMs: config.pollIntervalMs ?? DEFAULT_LIBVIRT_LOG_POLL_MS,
      dir: this.glob.dir,
      watch: deps.watch === null ? null : (deps.watch ?? fsWatch),
      readOne: (name) => this.readOne(name),
      onWatchError: (err) => this.fail('watch', LIBVIRT_LOG_ERRORS.watch, err),
      onScanError: (err) => this.fail('scan', LIBVIRT_LOG_ERRORS.scan, err),
    });
    this.rotations = new Rotations(
      {
        followed: () => [...this.current.values(), ...this.retired],
        tailerOptions: () => this.tailerOptions(),
        drain: async (t, logPath, keep) => {
          this.logPaths.set(t, logPath);
          await this.readTailer(t, Infinity);
          if (keep) this.retired.push(t);
        },
        emit: (logPath, l) => this.emit(logPath, l),
        error: (type, err) => callbacks.error(this.stage, type, err),
        lost: (reason, n) => deps.onLinesLost?.(reason, n),
        warn: (msg, fields) => this.logger.warn(msg, { source: this.name, ...fields }),
      },
      LIBVIRT_LOG_ERRORS,
    );
  }

  async start(): Promise<void> {
    await this.positions.load();
    await this.scheduler.start();
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
    // The last positions are taken now, before the files are closed.
    const saved = this.positions.close();
    for (const t of [...this.current.values(), ...this.retired]) await t.close().catch(() => undefined);
    this.current.clear();
    this.retired = [];
    await saved;
    this.setUp(false);
  }

  /** Files followed now (tests, status page). */
  files(): string[] {
    return [...this.current.keys()];
  }

  /**
   * A file in the directory changed: read it alone if it is followed (a scan would stat them all).
   * A change to a name not followed is a renamed-away file still being written (read the retired
   * ones) or, if it matches the glob, a file not seen yet (scan).
   */
  private async readOne(name: string): Promise<boolean> {
    const t = this.current.get(path.join(this.glob.dir, name));
    if (t) {
      await this.readTailer(t);
      return true;
    }
    if (this.glob.matches(name)) return false;
    for (const r of this.retired) await this.readTailer(r);
    return true;
  }

  private async tick(): Promise<void> {
    let names: string[] = [];
    let scanned = false;
    try {
      names = (await fsp.readdir(this.glob.dir)).filter((n) => this.glob.matches(n)).sort();
      scanned = true;
      this.ok('scan');
      this.setUp(true);
      this.scheduler.ensureWatch();
    } catch (err) {
      this.fail('scan', LIBVIRT_LOG_ERRORS.scan, err);
      this.setUp(false);
    }
    const initial = !this.scannedOnce;
    this.scannedOnce = true;
    const present = new Set(names.map((n) => path.join(this.glob.dir, n)));
    // Saved positions of files that are gone would otherwise be carried forever.
    if (scanned) this.positions.keepOnly(present);
    const sizes = new Map<string, number>();
    for (const [file, t] of [...this.current]) {
      // Synchronous on purpose: 500 followed files cost ~1 ms of CPU per rescan this way, against
      // ~10 ms through promises and the thread pool, and the rescan is the idle cost.
      const st = statSync(file, { throwIfNoEntry: false });
      if (st && st.dev === t.dev && st.ino === t.ino) {
        sizes.set(file, st.size);
        continue;
      }
      // Renamed away or replaced: the old inode to its end, then every generation since, then the new file.
      await this.readTailer(t, Infinity);
      this.current.delete(file);
      this.retired.push(t);
      await this.rotations.afterRotation(file, t.openedMtimeMs);
      this.save();
    }
    for (const file of present) {
      let t = this.current.get(file);
      if (!t) {
        await this.openFile(file, initial);
        t = this.current.get(file);
        if (t) await this.readTailer(t);
      } else if (sizes.get(file) !== t.offset) await this.readTailer(t); // an idle file costs one stat
    }
    await this.drainRetired();
  }

  private tailerOptions(): TailerOptions {
    return {
      maxLineBytes: this.config.maxLineBytes,
      now: this.clock.now(),
      buffer: this.buffer,
      onOversize: (f, line) => {
        const err = new Error(`${f}:${line}: line over the limit skipped`);
        this.callbacks.error(this.stage, LIBVIRT_LOG_ERRORS.oversize, err);
        this.deps.onLinesLost?.(LOST_LINE_REASONS.tooLong, 1);
      },
    };
  }

  private async openFile(file: string, initial: boolean): Promise<void> {
    const saved = this.positions.get(file);
    const start =
      saved ??
      (initial && this.positions.firstStart && this.config.startAt !== 'beginning' ? 'end' : 'beginning');
    try {
      const { tailer, resumed } = await FileTailer.open(file, start, this.tailerOptions());
      if (saved && !resumed) await this.rotations.whileDown(file, saved, tailer);
      this.positions.forget(file);
      this.current.set(file, tailer);
      this.ok(`open:${file}`);
      this.save();
    } catch (err) {
      this.fail(`open:${file}`, LIBVIRT_LOG_ERRORS.open, err);
    }
  }

  private async drainRetired(): Promise<void> {
    const grace = this.config.rotateGraceMs ?? 5000;
    const keep: FileTailer[] = [];
    for (const t of this.retired) {
      await this.readTailer(t, Infinity);
      if (this.clock.now() - t.lastGrowth < grace) keep.push(t);
      else {
        this.rotations.remember(t);
        await t.close().catch(() => {});
      }
    }
    this.retired = keep;
  }

  private async emit(logPath: string, l: SplitLine): Promise<void> {
    const r: LogLineRecord = {
      kind: 'log-line',
      host: this.config.host,
      vm: { name: vmNameFromLogPath(logPath) },
      arrival: this.clock.now(),
      origin: { kind: 'libvirt-log', file: logPath, line: l.line },
      text: l.text.endsWith('\r') ? l.text.slice(0, -1) : l.text,
    };
    try {
      await this.callbacks.record(r);
    } catch (err) {
      this.callbacks.error(this.stage, LIBVIRT_LOG_ERRORS.record, err);
    }
  }

  /** Reads what `t` has, at most `budget` bytes: a followed file's backlog is read in slices. */
  private async readTailer(
    t: FileTailer,
    budget = this.config.readBudgetBytes ?? DEFAULT_READ_BUDGET_BYTES,
  ): Promise<void> {
    const logPath = this.logPaths.get(t) ?? t.path;
    try {
      for (;;) {
        const r = await t.read(
          (l) => this.emit(logPath, l),
          () => this.save(),
          this.clock.now(),
          budget,
        );
        if (r.truncation) {
          this.logger.warn(
            'log file truncated: reading its copy from the last position, then the file from 0',
            {
              source: this.name,
              file: logPath,
            },
          );
          await this.rotations.afterTruncation(logPath, r.truncation, t.openedMtimeMs);
          continue;
        }
        // More to read: another turn after the other files (and any rotation) had theirs.
        if (r.more) this.scheduler.requestLater();
        break;
      }
      this.ok(`read:${t.ino}`);
    } catch (err) {
      this.fail(`read:${t.ino}`, LIBVIRT_LOG_ERRORS.read, err);
    }
  }

  private save(): void {
    this.positions.save();
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.callbacks.status({
      input: INPUTS.libvirtLog,
      instance: this.config.glob,
      up,
    });
  }

  private fail(key: string, type: string, err: unknown): void {
    this.streaks.fail(key, type, err);
  }

  private ok(key: string): void {
    this.streaks.ok(key);
  }
}
