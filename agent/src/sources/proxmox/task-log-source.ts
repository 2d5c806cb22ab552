import { ERROR_TYPES, INPUTS, STAGES, type VmRef } from '@switchover/model';
import { systemClock, type Clock } from '../../lib/clock.js';
import { createLogger, type Logger } from '../../lib/log.js';
import type { ProxmoxRecord } from '../../records/types.js';
import { CheckpointFile } from '../checkpoint.js';
import { FileTailer, type FilePosition } from '../libvirt-log/tailer.js';
import type { SplitLine } from '../line-splitter.js';
import { FailureStreaks } from '../streaks.js';
import type { Source, SourceCallbacks } from '../types.js';
import { TASK_END, listMigrationTasks, taskFinished } from './task-files.js';

export interface TaskLogSourceConfig {
  host: string;
  stateDir: string;
  /** `/var/log/pve/tasks` on a node: one folder per last hex digit of the task's start time. */
  tasksDir: string;
  /** The node's zone: task log lines carry local time without an offset. */
  timeZone: string;
  /** Default 1000 ms. */
  pollIntervalMs?: number;
  maxLineBytes?: number;
}

export interface TaskLogSourceDeps {
  clock?: Clock;
  logger?: Logger;
  /** The Proxmox name of a VMID (its config); the VMID stands in when there is none. */
  names?: (vmid: string) => Promise<string | undefined>;
}

const ERRORS = ERROR_TYPES.proxmoxTasks;
const MAX_DONE = 10_000;

interface Checkpoint {
  version: 1;
  /** When this checkpoint was written (epoch s): tasks started later are new, whatever they hold. */
  savedAt: number;
  files: Record<string, FilePosition>;
  /** Task logs read to their end (or finished before the agent first saw them). */
  done: string[];
}

/**
 * Follows the source node's live-migration task logs (`qmigrate` UPIDs under the tasks folder).
 * Each task log is one migration of one VM: it is read from its first line when it appears, and
 * closed once `TASK OK`/`TASK ERROR` is read. Positions are saved after each line is handed off.
 * On the very first start, logs of tasks already finished are old migrations and are skipped;
 * unfinished ones (a migration running while the agent starts) are read from the beginning.
 */
export class TaskLogSource implements Source {
  readonly name: string;
  private readonly stage = STAGES.proxmoxTasks;
  private readonly dir: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: CheckpointFile<Checkpoint>;
  private readonly open = new Map<string, { tailer: FileTailer; vm: VmRef }>();
  private done = new Set<string>();
  private saved: Record<string, FilePosition> = {};
  private savedAt: number | undefined;
  private timer: NodeJS.Timeout | null = null;
  /** Scans and flushes run one at a time: a tailer is never read twice at once. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private up: boolean | undefined;
  private dirty = false;
  private readonly streaks: FailureStreaks;

  constructor(
    private readonly config: TaskLogSourceConfig,
    private readonly callbacks: SourceCallbacks,
    private readonly deps: TaskLogSourceDeps = {},
  ) {
    this.streaks = new FailureStreaks((type, err) => callbacks.error(this.stage, type, err));
    this.dir = config.tasksDir;
    this.name = `${INPUTS.proxmoxTasks}:${this.dir}`;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? createLogger();
    this.store = CheckpointFile.in(config.stateDir, 'proxmox-task-positions.json', (err) =>
      callbacks.error(this.stage, ERRORS.checkpointWrite, err),
    );
  }

  async start(): Promise<void> {
    try {
      const cp = await this.store.load();
      if (cp) {
        this.saved = cp.files ?? {};
        this.done = new Set(cp.done ?? []);
        this.savedAt = typeof cp.savedAt === 'number' ? cp.savedAt : undefined;
      }
    } catch (err) {
      this.callbacks.error(this.stage, ERRORS.checkpointRead, err);
    }
    this.stopped = false;
    await this.exclusive(() => this.scan());
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.queue;
    for (const { tailer } of this.open.values()) await tailer.close().catch(() => {});
    this.open.clear();
    await this.store.flush();
    this.setUp(false);
  }

  /** Task logs followed now. */
  files(): string[] {
    return [...this.open.keys()];
  }

  /**
   * Hand on now whatever the open task logs of `vmid` hold. The journal is read as it is written,
   * the task logs only every poll: before a journal line that the VM's QEMU is gone is handed on,
   * the task log lines written before it (`migration status: completed`) must be.
   */
  flush(vmid: string): Promise<void> {
    return this.exclusive(async () => {
      for (const [file, t] of [...this.open]) if (t.vm.uuid === vmid) await this.readTask(file, t);
    });
  }

  private exclusive(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(() => (this.stopped ? undefined : fn()));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.exclusive(() => this.scan()).finally(() => this.schedule());
    }, this.config.pollIntervalMs ?? 1000);
  }

  private async scan(): Promise<void> {
    const tasks = await listMigrationTasks(this.dir, {
      failed: (key, err) => this.fail(key, ERRORS.scan, err),
      ok: (key) => this.ok(key),
    });
    this.setUp(tasks !== null);
    if (tasks === null) return;
    const present = new Set<string>();
    for (const t of tasks) {
      present.add(t.file);
      if (this.stopped) return;
      if (!this.open.has(t.file) && !this.done.has(t.file)) await this.openTask(t.file, t.vmid, t.startTime);
    }
    for (const [file, t] of this.open) await this.readTask(file, t);
    // Forget what was pruned (Proxmox rotates old task logs away).
    for (const f of [...this.done, ...Object.keys(this.saved)]) {
      if (present.has(f)) continue;
      this.done.delete(f);
      delete this.saved[f];
      this.dirty = true;
    }
    if (this.dirty) this.save();
  }

  private async openTask(file: string, vmid: string, startTime: number): Promise<void> {
    const saved = this.saved[file];
    const isNew = this.savedAt !== undefined && startTime >= this.savedAt - 1;
    try {
      if (!saved && !isNew && (await taskFinished(file))) {
        this.markDone(file);
        return;
      }
      const { tailer } = await FileTailer.open(file, saved ?? 'beginning', {
        maxLineBytes: this.config.maxLineBytes,
        now: this.clock.now(),
        onOversize: (f, line) =>
          this.callbacks.error(
            this.stage,
            ERRORS.oversize,
            new Error(`${f}:${line}: line over the limit skipped`),
          ),
      });
      delete this.saved[file];
      this.dirty = true;
      const name = (await this.deps.names?.(vmid)) ?? vmid;
      this.open.set(file, { tailer, vm: { name, uuid: vmid } });
      this.ok(`open:${file}`);
    } catch (err) {
      this.fail(`open:${file}`, ERRORS.open, err);
    }
  }

  private async readTask(file: string, t: { tailer: FileTailer; vm: VmRef }): Promise<void> {
    let ended = false;
    const sink = async (l: SplitLine): Promise<void> => {
      const text = l.text.endsWith('\r') ? l.text.slice(0, -1) : l.text;
      if (TASK_END.test(text)) ended = true;
      const r: ProxmoxRecord = {
        kind: 'proxmox',
        from: 'task-log',
        host: this.config.host,
        vm: t.vm,
        arrival: this.clock.now(),
        origin: { kind: 'proxmox-task', file, line: l.line },
        text,
        timeZone: this.config.timeZone,
      };
      try {
        await this.callbacks.record(r);
      } catch (err) {
        this.callbacks.error(this.stage, ERRORS.record, err);
      }
    };
    try {
      await t.tailer.read(sink, () => this.save(), this.clock.now());
      this.ok(`read:${file}`);
    } catch (err) {
      this.fail(`read:${file}`, ERRORS.read, err);
    }
    if (ended) {
      await t.tailer.close().catch(() => {});
      this.open.delete(file);
      this.markDone(file);
      this.logger.debug('task log finished', { source: this.name, file });
    }
  }

  private markDone(file: string): void {
    this.done.add(file);
    if (this.done.size > MAX_DONE) this.done.delete(this.done.values().next().value as string);
    this.save();
  }

  private save(): void {
    this.dirty = false;
    const files: Record<string, FilePosition> = { ...this.saved };
    for (const [file, t] of this.open) files[file] = t.tailer.position();
    void this.store.save({
      version: 1,
      savedAt: Math.floor(this.clock.now() / 1000),
      files,
      done: [...this.done],
    });
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.callbacks.status({ input: INPUTS.proxmoxTasks, instance: this.dir, up });
  }

  private fail(key: string, type: string, err: unknown): void {
    this.streaks.fail(key, type, err);
  }

  private ok(key: string): void {
    this.streaks.ok(key);
  }
}
