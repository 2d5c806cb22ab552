import { watch as fsWatch, promises as fsp } from 'node:fs';
import path from 'node:path';
import { ERROR_TYPES, INPUTS, STAGES } from '@switchover/model';
import type { LogLineRecord } from '../../records/types.js';
import type { Source, SourceCallbacks } from '../types.js';
import { CheckpointFile } from '../checkpoint.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { createLogger, type Logger } from '../../lib/log.js';
import type { SplitLine } from '../line-splitter.js';
import { compileGlob, vmNameFromLogPath, type FileGlob } from './glob.js';
import { FileTailer, findByInode, type FilePosition } from './tailer.js';
import { ScanScheduler } from './scheduler.js';

export interface LibvirtLogSourceConfig {
  host: string;
  stateDir: string;
  /** Default `/var/log/libvirt/qemu/*.log`; wildcards only in the file name. */
  glob?: string;
  /** Very first start (no saved positions): begin at the end of existing files (default) or read them whole. */
  startAt?: 'end' | 'beginning';
  /** Poll period in addition to fs.watch (inotify misses nothing locally, but NFS and overlays do). Default 250 ms. */
  pollIntervalMs?: number;
  /** How long a renamed-away file is still followed after its last growth. Default 5 s. */
  rotateGraceMs?: number;
  maxLineBytes?: number;
}

export interface LibvirtLogSourceDeps {
  clock?: Clock;
  logger?: Logger;
  /** `fs.watch`, or null to rely on polling alone. */
  watch?: typeof fsWatch | null;
}

const ERRORS = ERROR_TYPES.libvirtLog;

interface Checkpoint {
  version: 1;
  files: Record<string, FilePosition>;
}

export const DEFAULT_LIBVIRT_LOG_GLOB = '/var/log/libvirt/qemu/*.log';

/**
 * Tails libvirt's per-domain QEMU logs (`<vm>.log`): QEMU's stderr under libvirt, where the
 * destination's VFIO failure line lands. New files are picked up by fs.watch and a periodic rescan;
 * positions (device, inode, offset, first-bytes hash) are saved after each line is handed off.
 * Rotation by rename: the old inode is read to its end (and for a grace period, since a writer may
 * still hold it) while the new file is read from 0. Truncation: restart the same file from 0.
 */
export class LibvirtLogSource implements Source {
  readonly name: string;
  private readonly stage = STAGES.libvirtLog;
  private readonly glob: FileGlob;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: CheckpointFile<Checkpoint>;
  private readonly current = new Map<string, FileTailer>();
  private retired: FileTailer[] = [];
  /** The domain log path a tailer's lines belong to when it was opened under another name. */
  private readonly logPaths = new WeakMap<FileTailer, string>();
  private saved: Record<string, FilePosition> = {};
  private firstStart = false;
  private scannedOnce = false;
  private readonly scheduler: ScanScheduler;
  private up: boolean | undefined;
  /** Failure keys reported in the current streak: a persisting failure is logged once. */
  private readonly failing = new Set<string>();

  constructor(
    private readonly config: LibvirtLogSourceConfig,
    private readonly callbacks: SourceCallbacks,
    private readonly deps: LibvirtLogSourceDeps = {},
  ) {
    this.glob = compileGlob(config.glob ?? DEFAULT_LIBVIRT_LOG_GLOB);
    this.name = `${INPUTS.libvirtLog}:${config.glob ?? DEFAULT_LIBVIRT_LOG_GLOB}`;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? createLogger();
    this.store = CheckpointFile.in(
      config.stateDir,
      'libvirt-log-positions.json',
      (err) => callbacks.error(this.stage, ERRORS.checkpointWrite, err),
      callbacks.durable?.bind(callbacks),
    );
    this.scheduler = new ScanScheduler(() => this.tick(), {
      clock: this.clock,
      pollMs: config.pollIntervalMs ?? 250,
      dir: this.glob.dir,
      watch: deps.watch === null ? null : (deps.watch ?? fsWatch),
      readOne: (name) => this.readOne(name),
      onWatchError: (err) => this.fail('watch', ERRORS.watch, err),
    });
  }

  async start(): Promise<void> {
    try {
      const cp = await this.store.load();
      if (cp === undefined) this.firstStart = true;
      else this.saved = cp.files ?? {};
    } catch (err) {
      this.callbacks.error(this.stage, ERRORS.checkpointRead, err);
      this.firstStart = true;
    }
    await this.scheduler.start();
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
    for (const t of [...this.current.values(), ...this.retired]) {
      try {
        await t.close();
      } catch {
        // already closed
      }
    }
    this.current.clear();
    this.retired = [];
    await this.store.flush();
    this.setUp(false);
  }

  /** Files followed now (tests, status page). */
  files(): string[] {
    return [...this.current.keys()];
  }

  /** A followed file grew: read it (rotation, truncation and new files are the scan's business). */
  private async readOne(name: string): Promise<boolean> {
    const t = this.current.get(path.join(this.glob.dir, name));
    if (!t) return false;
    await this.readTailer(t);
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
      this.fail('scan', ERRORS.scan, err);
      this.setUp(false);
    }
    const initial = !this.scannedOnce;
    this.scannedOnce = true;
    const present = new Set(names.map((n) => path.join(this.glob.dir, n)));
    // Saved positions of files that are gone would otherwise be carried forever.
    if (scanned) for (const f of Object.keys(this.saved)) if (!present.has(f)) delete this.saved[f];
    for (const [file, t] of [...this.current]) {
      const st = await fsp.stat(file).catch(() => undefined);
      if (!st || st.dev !== t.dev || st.ino !== t.ino) {
        // Renamed away or replaced: read the old inode to its end now, keep following it a while.
        await this.readTailer(t);
        this.current.delete(file);
        this.retired.push(t);
        this.save();
      }
    }
    for (const file of present) {
      if (!this.current.has(file)) await this.openFile(file, initial);
      const t = this.current.get(file);
      if (t) await this.readTailer(t);
    }
    await this.drainRetired();
  }

  private async openFile(file: string, initial: boolean): Promise<void> {
    const saved = this.saved[file];
    const start =
      saved ?? (initial && this.firstStart && this.config.startAt !== 'beginning' ? 'end' : 'beginning');
    try {
      const { tailer, resumed } = await FileTailer.open(file, start, {
        maxLineBytes: this.config.maxLineBytes,
        now: this.clock.now(),
        onOversize: (f, line) =>
          this.callbacks.error(
            this.stage,
            ERRORS.oversize,
            new Error(`${f}:${line}: line over the limit skipped`),
          ),
      });
      if (saved && !resumed) await this.resumeRotatedWhileDown(file, saved);
      delete this.saved[file];
      this.current.set(file, tailer);
      this.ok(`open:${file}`);
      this.save();
    } catch (err) {
      this.fail(`open:${file}`, ERRORS.open, err);
    }
  }

  /**
   * The saved file was rotated while the agent was down: if its inode is still in the directory
   * under another name (`vm.log.1`), finish it from the saved offset before the new file.
   */
  private async resumeRotatedWhileDown(file: string, saved: FilePosition): Promise<void> {
    const other = await findByInode(path.dirname(file), saved);
    if (!other) return;
    const { tailer, resumed } = await FileTailer.open(other, saved, {
      maxLineBytes: this.config.maxLineBytes,
      now: this.clock.now(),
      onOversize: () => {},
    });
    if (!resumed) return void (await tailer.close());
    // Lines keep the domain's log name: the old file is the same VM's log.
    this.logPaths.set(tailer, file);
    await this.readTailer(tailer);
    this.retired.push(tailer);
  }

  private async drainRetired(): Promise<void> {
    const grace = this.config.rotateGraceMs ?? 5000;
    const keep: FileTailer[] = [];
    for (const t of this.retired) {
      await this.readTailer(t);
      if (this.clock.now() - t.lastGrowth < grace) keep.push(t);
      else await t.close().catch(() => {});
    }
    this.retired = keep;
  }

  private async readTailer(t: FileTailer): Promise<void> {
    const logPath = this.logPaths.get(t) ?? t.path;
    const vm = { name: vmNameFromLogPath(logPath) };
    const sink = async (l: SplitLine): Promise<void> => {
      const r: LogLineRecord = {
        kind: 'log-line',
        host: this.config.host,
        vm,
        arrival: this.clock.now(),
        origin: { kind: 'libvirt-log', file: logPath, line: l.line },
        text: l.text.endsWith('\r') ? l.text.slice(0, -1) : l.text,
      };
      try {
        await this.callbacks.record(r);
      } catch (err) {
        this.callbacks.error(this.stage, ERRORS.record, err);
      }
    };
    try {
      const { truncated } = await t.read(sink, () => this.save(), this.clock.now());
      if (truncated)
        this.logger.warn('log file truncated, reading it from the start', {
          source: this.name,
          file: logPath,
        });
      this.ok(`read:${t.ino}`);
    } catch (err) {
      this.fail(`read:${t.ino}`, ERRORS.read, err);
    }
  }

  /** Checkpoint the current files (called after every hand-off; writes are coalesced). */
  private save(): void {
    const files: Record<string, FilePosition> = { ...this.saved };
    for (const [file, t] of this.current) files[file] = t.position();
    void this.store.save({ version: 1, files });
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.callbacks.status({
      input: INPUTS.libvirtLog,
      instance: this.config.glob ?? DEFAULT_LIBVIRT_LOG_GLOB,
      up,
    });
  }

  private fail(key: string, type: string, err: unknown): void {
    if (this.failing.has(key)) return;
    this.failing.add(key);
    this.callbacks.error(this.stage, type, err);
  }

  private ok(key: string): void {
    this.failing.delete(key);
  }
}
