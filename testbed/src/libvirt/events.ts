import { createWriteStream, type WriteStream } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnVirsh } from './virsh.js';

export interface WatchOptions {
  /** `--timestamp`: each line starts with virsh's receive time (ms) instead of carrying QEMU's event time. */
  timestamp: boolean;
  /** Only this domain (`--domain`); default: every domain, including ones that appear later. */
  domain?: string;
}

/** A `virsh qemu-monitor-event` line as printed, without the optional `--timestamp` prefix. */
export interface WatchedEvent {
  line: string;
  event: string;
  domain: string;
  /** The JSON text after the domain (`<null>` for events without data). */
  details: string;
}

const EVENT = /(?:^|: )event (\S+) (?:at \S+ )?for domain '(.*)': (.*)$/;

/**
 * `virsh qemu-monitor-event --loop [--timestamp]` against one host, its stdout written to `file`
 * byte for byte (what `virsh … > file` gives a responder). `stop()` interrupts it as Ctrl-C does, so
 * the file ends with virsh's own `event loop interrupted` / `events received: N` trailer.
 */
export class EventWatcher {
  private readonly child: ChildProcess;
  private readonly out: WriteStream;
  private readonly closed: Promise<void>;
  private pending = '';
  private readonly seen: WatchedEvent[] = [];
  private readonly waiters = new Set<() => boolean>();
  private errText = '';

  constructor(
    uri: string,
    readonly file: string,
    readonly options: WatchOptions,
  ) {
    const args = ['qemu-monitor-event', '--loop'];
    if (options.timestamp) args.push('--timestamp');
    if (options.domain !== undefined) args.push('--domain', options.domain);
    this.out = createWriteStream(file);
    this.child = spawnVirsh(uri, args);
    this.child.stdout?.on('data', (d: Buffer) => this.data(d));
    // A responder's `virsh … > file` keeps stdout only; stderr is kept for diagnostics.
    this.child.stderr?.on(
      'data',
      (d: Buffer) => void (this.errText = (this.errText + d.toString()).slice(-2000)),
    );
    const exited = new Promise<void>((r) => this.child.once('close', () => r()));
    this.closed = exited.then(() => new Promise<void>((r) => this.out.end(() => r())));
  }

  /** Start watching and give virsh time to register for events before anything happens. */
  static async start(
    uri: string,
    file: string,
    options: WatchOptions,
    settleMs = 500,
  ): Promise<EventWatcher> {
    const w = new EventWatcher(uri, file, options);
    await sleep(settleMs);
    return w;
  }

  private data(d: Buffer): void {
    this.out.write(d);
    this.pending += d.toString('utf8');
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      const m = EVENT.exec(line);
      if (m) this.seen.push({ line, event: m[1] as string, domain: m[2] as string, details: m[3] as string });
    }
    for (const w of [...this.waiters]) w();
  }

  /** What virsh printed on stderr (connection errors). */
  get stderr(): string {
    return this.errText;
  }

  /** Every event line so far. */
  events(): readonly WatchedEvent[] {
    return this.seen;
  }

  /** Resolves with the first event (already seen or still to come) that matches; rejects after `timeoutMs`. */
  waitFor(what: string, match: (e: WatchedEvent) => boolean, timeoutMs = 30_000): Promise<WatchedEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.seen.find(match);
        if (!hit) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} in ${this.file}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** Interrupt virsh (SIGINT, as Ctrl-C) and wait until its trailer is in the file. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.closed;
    clearTimeout(timer);
  }
}

/** A match for `MIGRATION` with this status, for `waitFor`. */
export const migrationStatus =
  (vm: string, status: string) =>
  (e: WatchedEvent): boolean =>
    e.domain === vm && e.event === 'MIGRATION' && e.details.includes(`"status":"${status}"`);

/** A match for an event without data (`RESUME`, `STOP`) of this domain, for `waitFor`. */
export const plainEvent =
  (vm: string, event: string) =>
  (e: WatchedEvent): boolean =>
    e.domain === vm && e.event === event;
