import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { LineSplitter } from './line-splitter.js';

import { Backoff, RESTART_BACKOFF, type BackoffPolicy } from '../lib/backoff.js';
import { systemClock, type Clock } from '../lib/clock.js';

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

const SETPRIV = '/usr/bin/setpriv';

/**
 * Default spawn: the child gets PR_SET_PDEATHSIG=SIGKILL through util-linux `setpriv`, which then
 * execs the command (same pid). An `exit` hook cannot run when the agent is SIGKILLed, and a
 * `journalctl --follow` with nothing to write would otherwise live on as an orphan.
 */
export const spawnDyingWithParent: SpawnFn = (command, args, options) =>
  existsSync(SETPRIV) && isExecutable(command)
    ? nodeSpawn(SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args], options)
    : // Spawned directly, a missing binary fails with ENOENT instead of a setpriv that starts and exits.
      nodeSpawn(command, args, options);

function isExecutable(command: string): boolean {
  const dirs = command.includes('/') ? [''] : (process.env['PATH'] ?? '').split(':').filter(Boolean);
  return dirs.some((d) => {
    try {
      accessSync(d ? path.join(d, command) : command, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (ENOENT, EACCES). */
  error?: Error;
  /** Last stderr lines, for the error report. */
  stderrTail: string[];
}

export interface SupervisorOptions {
  command: string;
  /** Recomputed before every start (journald resumes with the latest cursor). */
  args: () => readonly string[];
  spawn?: SpawnFn;
  clock?: Clock;
  random?: () => number;
  backoff?: Partial<BackoffPolicy>;
  /** A child that ran at least this long resets the backoff. Default 10 s. */
  stableMs?: number;
  /** Grace between SIGTERM and SIGKILL in `stop()`. */
  killTimeoutMs?: number;
  /**
   * Called for each stdout chunk; the next chunk is read only after the promise settles (backpressure).
   * It should not throw; if it does, the chunk is reported to `onHandlerError` and reading goes on.
   */
  onStdout(chunk: Buffer): void | Promise<void>;
  /** A chunk whose handler threw (a bug or an input nobody foresaw): reported, never the end of the stream. */
  onHandlerError?(err: unknown): void;
  onStderrLine(line: string): void;
  onStart(child: ChildProcess): void;
  /** Called after the child is gone and its stdout fully handled, before the restart is scheduled. */
  onExit(exit: ChildExit, stopping: boolean): void | Promise<void>;
}

/**
 * Runs one long-lived child (journalctl, virsh) and restarts it with exponential backoff + jitter
 * when it exits. States: idle → running ⇄ waiting (backoff) → stopped. The child dies with its owner
 * (pdeathsig by default, plus a process `exit` hook while running); `stop()` kills it and awaits it.
 */
export class ChildSupervisor {
  private readonly o: SupervisorOptions;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private child: ChildProcess | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private timer: unknown;
  private readonly exitHook = (): void => {
    this.child?.kill('SIGKILL');
  };
  /** Number of starts so far (tests and status). */
  starts = 0;

  constructor(options: SupervisorOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff(
      { ...options.backoff, random: options.random ?? Math.random },
      RESTART_BACKOFF,
    );
  }

  get running(): boolean {
    return this.child !== undefined && this.child.pid !== undefined && this.child.exitCode === null;
  }

  start(): void {
    if (this.loop) throw new Error('supervisor already started');
    this.stopping = false;
    process.on('exit', this.exitHook);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.wake?.();
    const child = this.child;
    let killTimer: unknown;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      killTimer = this.clock.setTimeout(() => child.kill('SIGKILL'), this.o.killTimeoutMs ?? 3000);
    }
    try {
      await this.loop;
    } finally {
      if (killTimer !== undefined) this.clock.clearTimeout(killTimer);
      process.removeListener('exit', this.exitHook);
      this.loop = undefined;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const startedAt = this.clock.now();
      const exit = await this.runOnce();
      await this.o.onExit(exit, this.stopping);
      if (this.stopping) break;
      if (this.clock.now() - startedAt >= (this.o.stableMs ?? 10_000)) this.backoff.reset();
      await this.sleep(this.backoff.next());
    }
  }

  private async runOnce(): Promise<ChildExit> {
    const stderrTail: string[] = [];
    const child = (this.o.spawn ?? spawnDyingWithParent)(this.o.command, this.o.args(), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts += 1;
    const closed = new Promise<ChildExit>((resolve) => {
      child.once('error', (error) => {
        // A spawn failure emits `error` and maybe no `close`; a failed kill() also emits `error`.
        if (child.pid === undefined) resolve({ code: null, signal: null, error, stderrTail });
      });
      child.once('close', (code, signal) => resolve({ code, signal, stderrTail }));
    });
    const errSplit = new LineSplitter({ maxLineBytes: 64 * 1024 });
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const l of errSplit.push(chunk)) {
        stderrTail.push(l.text);
        if (stderrTail.length > 5) stderrTail.shift();
        this.o.onStderrLine(l.text);
      }
    });
    if (child.pid !== undefined) this.o.onStart(child);
    try {
      if (child.stdout) {
        for await (const chunk of child.stdout) {
          if (this.stopping) break;
          // Leaving this loop while the child runs would stop reading a `--follow` child that never
          // exits: its pipe fills and the input is dead for good (issue 9.5).
          try {
            await this.o.onStdout(chunk as Buffer);
          } catch (err) {
            this.o.onHandlerError?.(err);
          }
        }
      }
    } catch {
      // The stream broke because the process went away; `closed` reports how.
    }
    if (this.stopping && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const exit = await closed;
    this.child = undefined;
    return exit;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = () => resolve();
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        resolve();
      }, ms);
    }).finally(() => {
      this.wake = undefined;
    });
  }
}
