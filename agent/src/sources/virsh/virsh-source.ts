import type { BackoffPolicy } from '../../lib/backoff.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { ERROR_TYPES, INPUTS, STAGES } from '@switchover/model';
import type { Source, SourceCallbacks } from '../types.js';
import type { VirshLineRecord } from '../../records/types.js';
import { ChildSupervisor, type ChildExit, type SpawnFn } from '../child-process.js';
import { LineSplitter } from '../line-splitter.js';

export interface VirshSourceConfig {
  host: string;
  /** virsh binary. Default `virsh`. */
  virsh?: string;
  /** `-c URI`, e.g. `qemu:///system`. */
  uri?: string;
  /**
   * `--timestamp`: virsh prefixes its own receive time (ms). Off by default so each line carries
   * QEMU's own event time (`event NAME at SEC.USEC for domain …`).
   */
  timestamp?: boolean;
  /** `instance` label. Default: the URI or `default`. */
  instance?: string;
  maxLineBytes?: number;
}

export interface VirshSourceDeps {
  spawn?: SpawnFn;
  clock?: Clock;
  random?: () => number;
  backoff?: Partial<BackoffPolicy>;
  logger?: Logger;
}

const ERRORS = ERROR_TYPES.virsh;

export function virshArgs(c: VirshSourceConfig): string[] {
  const a: string[] = [];
  if (c.uri) a.push('-c', c.uri);
  a.push('qemu-monitor-event', '--loop');
  if (c.timestamp) a.push('--timestamp');
  return a;
}

/**
 * Relays `virsh qemu-monitor-event --loop`: libvirt forwards every raw QMP event of every domain.
 * Each stdout line becomes a `virsh-line` record; the decoder reads the domain name from the line.
 * Events missed while virsh is down are not replayable (libvirt keeps no history): the restart is
 * quick, and the QMP and log inputs cover the gap.
 */
export class VirshSource implements Source {
  readonly name: string;
  private readonly stage = STAGES.virsh;
  private readonly instance: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly splitter: LineSplitter;
  private readonly supervisor: ChildSupervisor;

  constructor(
    private readonly config: VirshSourceConfig,
    private readonly callbacks: SourceCallbacks,
    deps: VirshSourceDeps = {},
  ) {
    this.instance = config.instance ?? config.uri ?? 'default';
    this.name = `${INPUTS.virsh}:${this.instance}`;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? createLogger();
    this.splitter = new LineSplitter({
      maxLineBytes: config.maxLineBytes,
      onOversize: (i) =>
        callbacks.error(
          this.stage,
          ERRORS.oversize,
          new Error(`virsh line over the limit skipped (${i.bytesSeen} bytes seen)`),
        ),
    });
    this.supervisor = new ChildSupervisor({
      command: config.virsh ?? 'virsh',
      args: () => virshArgs(config),
      spawn: deps.spawn,
      clock: this.clock,
      random: deps.random,
      backoff: deps.backoff,
      onStart: () => this.setUp(true),
      onStdout: (chunk) => this.onStdout(chunk),
      onHandlerError: (err) => callbacks.error(this.stage, ERRORS.record, err),
      onStderrLine: (line) => this.logger.warn('virsh stderr', { source: this.name, line }),
      onExit: (exit, stopping) => this.onExit(exit, stopping),
    });
  }

  /** How many times virsh was started (1 + restarts). */
  get starts(): number {
    return this.supervisor.starts;
  }

  async start(): Promise<void> {
    this.setUp(false);
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    try {
      await this.supervisor.stop();
    } finally {
      this.setUp(false);
    }
  }

  private setUp(up: boolean): void {
    this.callbacks.status({ input: INPUTS.virsh, instance: this.instance, up });
  }

  private async onStdout(chunk: Buffer): Promise<void> {
    for (const line of this.splitter.push(chunk)) await this.emit(line.text);
  }

  private async emit(raw: string): Promise<void> {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    const r: VirshLineRecord = {
      kind: 'virsh-line',
      host: this.config.host,
      arrival: this.clock.now(),
      origin: { kind: 'virsh' },
      text,
    };
    try {
      await this.callbacks.record(r);
    } catch (err) {
      this.callbacks.error(this.stage, ERRORS.record, err);
    }
  }

  private async onExit(exit: ChildExit, stopping: boolean): Promise<void> {
    // virsh cannot replay: a last line without its newline is still an event.
    const tail = this.splitter.flush();
    if (tail && !stopping) await this.emit(tail.text);
    this.setUp(false);
    if (stopping) return;
    if (exit.error) {
      this.callbacks.error(this.stage, ERRORS.spawn, exit.error);
      return;
    }
    const stderr = exit.stderrTail.length ? `: ${exit.stderrTail.join(' | ')}` : '';
    this.callbacks.error(
      this.stage,
      ERRORS.childExit,
      new Error(`virsh exited (code ${exit.code}, signal ${exit.signal})${stderr}`),
    );
  }
}
