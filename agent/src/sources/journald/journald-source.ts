import type { BackoffPolicy } from '../../lib/backoff.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { ERROR_TYPES, INPUTS, STAGES } from '@switchover/model';
import { JournalRecords } from '../../records/journal-records.js';
import type { Source, SourceCallbacks } from '../types.js';
import { CheckpointFile } from '../checkpoint.js';
import { ChildSupervisor, type ChildExit, type SpawnFn } from '../child-process.js';
import { LineSplitter } from '../line-splitter.js';
import { parseEntry, type EntryFields, type JournalEntry } from '../../records/journal-entry.js';
import type { RawRecord } from '../../records/types.js';
import { PidVmCache, type CmdlineReader } from '../../records/pid-vm-cache.js';
import { procCmdlineReader, readLocalBootId } from './proc.js';

export interface JournaldSourceConfig {
  host: string;
  stateDir: string;
  /** journalctl binary. Default `journalctl`. */
  journalctl?: string;
  /** `--directory=DIR`: journal files copied from elsewhere or written by systemd-journal-remote. */
  directory?: string;
  /** `--namespace=NS`. */
  namespace?: string;
  /**
   * journalctl match arguments, passed as given: `FIELD=value`, and `+` between OR groups
   * (journalctl ANDs different fields), e.g. `['SYSLOG_IDENTIFIER=qemu-system-x86_64', '+', '_COMM=qemu-system-x86']`.
   */
  matches?: string[];
  /** `--all`: keep MESSAGE values over 4096 bytes. Off by default (journald's own default). */
  all?: boolean;
  /** Without a saved cursor: only new entries (`now`, default) or the whole journal (`all`). */
  startAt?: 'now' | 'all';
  /** `instance` label and checkpoint name. Default: namespace, directory or `system`. */
  instance?: string;
  /** The `input` label (a preset such as Proxmox's reads the journal too). Default `journald`. */
  input?: string;
  maxLineBytes?: number;
}

export interface JournaldSourceDeps {
  spawn?: SpawnFn;
  clock?: Clock;
  random?: () => number;
  backoff?: Partial<BackoffPolicy>;
  /** `/proc/PID/cmdline` reader for entries without `_CMDLINE`; `null` disables the fallback. */
  readCmdline?: CmdlineReader | null;
  logger?: Logger;
  /** Called with the journal lag after every entry. */
  onLag?: (seconds: number) => void;
  /**
   * The journal-entry → records step. Default: `JournalRecords` (VM from `_CMDLINE`/pid). `bootId`
   * is this boot's id when the journal is this host's live one, undefined for copied files.
   */
  records?: (bootId: string | undefined) => EntryRecords;
  /** The entry fields that step needs (`units`: also `_SYSTEMD_UNIT`, `SYSLOG_IDENTIFIER`). Default `base`. */
  entryFields?: EntryFields;
}

/** What turns one journal entry into records (`JournalRecords`, `ProxmoxJournalRecords`). */
export interface EntryRecords {
  records(e: JournalEntry, at: { arrival?: number; line?: number }): Promise<RawRecord[]>;
}

const ERRORS = ERROR_TYPES.journald;

interface Checkpoint {
  version: 1;
  cursor: string;
}

/** Instance label: namespace, directory or `system`. */
export function journaldInstance(c: JournaldSourceConfig): string {
  return c.instance ?? c.namespace ?? c.directory ?? 'system';
}

/** The cursor file's name inside `stateDir`, one per journal followed. */
export function journaldCheckpointName(c: JournaldSourceConfig): string {
  // Another input reading the same journal (the Proxmox preset) keeps a cursor of its own.
  const input = c.input === undefined || c.input === INPUTS.journald ? 'journald' : c.input;
  return `${input}-${journaldInstance(c).replace(/[^A-Za-z0-9_.-]/g, '_')}.cursor.json`;
}

export function journalctlArgs(c: JournaldSourceConfig, cursor: string | undefined): string[] {
  const a = ['--follow', '--merge', '--output=json', '--no-pager'];
  if (c.all) a.push('--all');
  if (c.directory) a.push(`--directory=${c.directory}`);
  if (c.namespace) a.push(`--namespace=${c.namespace}`);
  // `--follow` implies `--lines=10` even with `--after-cursor` (systemd 252): without `--lines=all`
  // a journalctl restarted after a backlog would skip all but the last 10 entries after the cursor.
  if (cursor) a.push(`--after-cursor=${cursor}`, '--lines=all');
  else a.push(c.startAt === 'all' ? '--lines=all' : '--lines=0');
  a.push(...(c.matches ?? []));
  return a;
}

/**
 * Follows the journal through a `journalctl -o json` child. Each entry's lines are handed off in
 * order and the entry's `__CURSOR` is saved only afterwards, so a restart (of journalctl or of the
 * agent) resumes with `--after-cursor` and neither loses nor repeats an entry.
 */
export class JournaldSource implements Source {
  readonly name: string;
  private readonly stage = STAGES.journald;
  private readonly instance: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: CheckpointFile<Checkpoint>;
  private readonly splitter: LineSplitter;
  private readonly supervisor: ChildSupervisor;
  private toRecords: EntryRecords;
  private readonly input: string;
  private cursor: string | undefined;
  private lastRealtimeMs: number | undefined;
  private startedWithCursor = false;

  constructor(
    private readonly config: JournaldSourceConfig,
    private readonly callbacks: SourceCallbacks,
    private readonly deps: JournaldSourceDeps = {},
  ) {
    this.instance = journaldInstance(config);
    this.input = config.input ?? INPUTS.journald;
    this.name = `${this.input}:${this.instance}`;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? createLogger();
    this.store = CheckpointFile.in(
      config.stateDir,
      journaldCheckpointName(config),
      (err) => callbacks.error(this.stage, ERRORS.checkpointWrite, err),
      callbacks.durable?.bind(callbacks),
    );
    this.toRecords = this.makeRecords(undefined);
    this.splitter = new LineSplitter({
      maxLineBytes: config.maxLineBytes,
      onOversize: (i) =>
        callbacks.error(
          this.stage,
          ERRORS.oversize,
          new Error(
            `journal entry over ${config.maxLineBytes ?? 'the limit'} bytes skipped (${i.bytesSeen} bytes seen)`,
          ),
        ),
    });
    this.supervisor = new ChildSupervisor({
      command: config.journalctl ?? 'journalctl',
      args: () => {
        this.startedWithCursor = this.cursor !== undefined;
        return journalctlArgs(config, this.cursor);
      },
      spawn: deps.spawn,
      clock: this.clock,
      random: deps.random,
      backoff: deps.backoff,
      onStart: () => this.setUp(true),
      onStdout: (chunk) => this.onStdout(chunk),
      onHandlerError: (err) => callbacks.error(this.stage, ERRORS.entry, err),
      onStderrLine: (line) => this.logger.warn('journalctl stderr', { source: this.name, line }),
      onExit: (exit, stopping) => this.onExit(exit, stopping),
    });
  }

  /** Seconds between now and the realtime of the last entry read; undefined before the first. */
  lagSeconds(): number | undefined {
    if (this.lastRealtimeMs === undefined) return undefined;
    return Math.max(0, (this.clock.now() - this.lastRealtimeMs) / 1000);
  }

  /** The cursor of the last entry handed off. */
  get lastCursor(): string | undefined {
    return this.cursor;
  }

  async start(): Promise<void> {
    try {
      const saved = await this.store.load();
      if (saved && typeof saved.cursor === 'string') this.cursor = saved.cursor;
    } catch (err) {
      this.callbacks.error(this.stage, ERRORS.checkpointRead, err);
    }
    // Journal files of another host or boot carry pids that mean nothing in this /proc.
    this.toRecords = this.makeRecords(this.config.directory ? undefined : await readLocalBootId());
    this.setUp(false);
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    try {
      await this.supervisor.stop();
    } finally {
      await this.store.flush();
      this.setUp(false);
    }
  }

  private makeRecords(bootId: string | undefined): EntryRecords {
    if (this.deps.records) return this.deps.records(bootId);
    const reader = this.deps.readCmdline === null ? undefined : (this.deps.readCmdline ?? procCmdlineReader);
    const cache = new PidVmCache(this.config.directory ? undefined : reader, bootId);
    return new JournalRecords({ host: this.config.host, cache });
  }

  private setUp(up: boolean): void {
    this.callbacks.status({ input: this.input, instance: this.instance, up });
  }

  private async onStdout(chunk: Buffer): Promise<void> {
    for (const line of this.splitter.push(chunk)) {
      // One bad entry is counted and skipped: an exception here used to end the read loop for good.
      try {
        await this.handleLine(line.text);
      } catch (err) {
        this.callbacks.error(this.stage, ERRORS.entry, err);
      }
    }
  }

  private async handleLine(text: string): Promise<void> {
    const res = parseEntry(text, this.deps.entryFields);
    if (!res.ok) {
      const what =
        res.reason === 'bad-field' ? 'an entry with a field journalctl never prints' : 'not a JSON entry';
      this.callbacks.error(
        this.stage,
        ERRORS.json,
        new Error(`journalctl printed a line that is ${what}: ${text.slice(0, 200)}`),
      );
      return;
    }
    const e = res.entry;
    if (e.realtimeMs !== undefined) {
      this.lastRealtimeMs = e.realtimeMs;
      this.deps.onLag?.(this.lagSeconds()!);
    }
    if (e.lines === null) {
      this.callbacks.error(
        this.stage,
        ERRORS.messageNull,
        new Error(`MESSAGE left out by journald (over 4096 bytes without --all), cursor ${e.cursor ?? '?'}`),
      );
    } else {
      for (const r of await this.toRecords.records(e, { arrival: this.clock.now() })) {
        try {
          await this.callbacks.record(r);
        } catch (err) {
          this.callbacks.error(this.stage, ERRORS.record, err);
        }
      }
    }
    // Checkpoint after hand-off: the cursor moves only past entries already recorded.
    if (e.cursor) {
      this.cursor = e.cursor;
      void this.store.save({ version: 1, cursor: e.cursor });
    }
  }

  private onExit(exit: ChildExit, stopping: boolean): void {
    // A partial line from a killed journalctl is re-read after the cursor by the next one.
    this.splitter.reset();
    this.setUp(false);
    if (stopping) return;
    const detail = `journalctl exited (code ${exit.code}, signal ${exit.signal})${exit.stderrTail.length ? `: ${exit.stderrTail.join(' | ')}` : ''}`;
    if (exit.error) {
      this.callbacks.error(this.stage, ERRORS.spawn, exit.error);
    } else if (this.startedWithCursor && exit.code !== 0 && exit.stderrTail.some((l) => /cursor/i.test(l))) {
      // A cursor journalctl cannot seek to (journal vacuumed, files replaced) would fail forever.
      this.callbacks.error(this.stage, ERRORS.cursorRejected, new Error(detail));
      this.cursor = undefined;
    } else {
      this.callbacks.error(this.stage, ERRORS.childExit, new Error(detail));
    }
  }
}
