import fs from 'node:fs';
import { INPUTS, type VmRef, STAGES } from '@switchover/model';
import type { RawRecord } from '../../records/types.js';
import type { SourceCallbacks } from '../types.js';
import { Backoff, type BackoffOptions } from '../../lib/backoff.js';
import { QmpClient, type ClientIssue, type ConnectSocket, type QmpEvent } from './client.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { QmpDisconnectedError, errorType } from './errors.js';
import { identify } from './identify.js';
import { MigratePoller } from './migrate-poller.js';
import type { Slots } from './slots.js';

export interface ConnectionDeps {
  host: string;
  socketPath: string;
  callbacks: SourceCallbacks;
  clock: Clock;
  logger: Logger;
  connectSocket?: ConnectSocket;
  backoff?: BackoffOptions;
  pollMs: number;
  callTimeoutMs: number;
  /** The socket file is gone: the source drops this connection (discovery re-attaches later). */
  onGone(socketPath: string): void;
  /** Paces connect + identify across the source's sockets. */
  slots?: Slots;
}

/** Consecutive connect failures tolerated silently: right after bind() QEMU may not listen yet. */
const QUIET_CONNECT_FAILURES = 3;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * One QMP socket for as long as its file exists: connect, identify, forward events, reconnect
 * with backoff. A drop is normal (the source QEMU quits after every successful migration).
 */
export class QmpConnection {
  private readonly backoff: Backoff;
  private client: QmpClient | undefined;
  private retryTimer: unknown;
  private closed = false;
  private up: boolean | undefined;
  private failures = 0;
  private vm: VmRef | undefined;
  private pending: { ev: QmpEvent; arrival: number }[] = [];
  private poller: MigratePoller | undefined;
  /** Records are handed over one at a time and in order, even when `record()` is async. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ConnectionDeps) {
    this.backoff = new Backoff(deps.backoff);
  }

  start(): void {
    this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deps.clock.clearTimeout(this.retryTimer);
    this.poller?.stop();
    await this.client?.disconnect();
    this.setUp(false);
    await this.chain;
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    const { socketPath, logger } = this.deps;
    const client = new QmpClient({
      connectSocket: this.deps.connectSocket,
      defaultTimeoutMs: this.deps.callTimeoutMs,
    });
    this.client = client;
    this.vm = undefined;
    this.pending = [];
    client.onEvent((ev) => this.onEvent(ev));
    client.onIssue((issue) => this.onIssue(issue));
    client.onDisconnect((reason) => {
      logger.info('QMP connection closed; normal when QEMU quits (e.g. after migrating out)', {
        socket: socketPath,
        reason: reason.message,
      });
      this.poller?.stop();
      this.setUp(false);
      this.scheduleRetry().catch((err: unknown) => this.failed(err));
    });
    try {
      await client.connect(socketPath);
    } catch (err) {
      if (this.closed) return;
      this.failures++;
      if (this.failures === QUIET_CONNECT_FAILURES) {
        this.deps.callbacks.error(STAGES.qmpConnect, errorType(err), err);
        this.setUp(false);
      } else {
        logger.debug('QMP connect failed', {
          socket: socketPath,
          attempt: this.failures,
          error: (err as Error).message,
        });
      }
      await this.scheduleRetry();
      return;
    }
    if (this.closed) return void (await client.disconnect());
    this.failures = 0;
    this.backoff.reset();
    this.setUp(true);
    logger.info('QMP connected', { socket: socketPath });
    const id = await identify(client, socketPath, (type, err) =>
      this.deps.callbacks.error(STAGES.qmpIdentify, type, err),
    );
    // Closed, or dropped and already retrying with a new client: this attempt's results are stale.
    if (this.closed || this.client !== client) return;
    this.vm = id.vm;
    for (const r of id.replies) this.emitReply(r.command, r.result, this.deps.clock.now());
    for (const { ev, arrival } of this.pending.splice(0)) this.handleEvent(ev, arrival);
    // Without the events capability QEMU sends no MIGRATION events: poll (never switch it on).
    if (id.eventsCapability === false && !id.interrupted) {
      this.poller = new MigratePoller({
        client,
        clock: this.deps.clock,
        pollMs: this.deps.pollMs,
        onChange: (result) => this.emitReply('query-migrate', result, this.deps.clock.now()),
        onError: (err) => this.reportQueryMigrateError(err),
      });
      this.poller.start();
    }
  }

  private async scheduleRetry(): Promise<void> {
    if (this.closed) return;
    const exists = await fs.promises.lstat(this.deps.socketPath).then(
      () => true,
      () => false,
    );
    if (this.closed) return;
    if (!exists) {
      this.deps.logger.info('QMP socket is gone; waiting for it to reappear', {
        socket: this.deps.socketPath,
      });
      this.setUp(false);
      this.deps.onGone(this.deps.socketPath);
      return;
    }
    this.retryTimer = this.deps.clock.setTimeout(() => this.run(), this.backoff.next());
  }

  /**
   * Every attempt runs here, so nothing it throws escapes as an unhandled rejection (which would end
   * the process and every other socket with it): a peer that breaks an assumption is a named failure
   * of this socket, and the connection starts over on a fresh client after the backoff.
   */
  private run(): void {
    const attempt = async (): Promise<void> => {
      const release = (await this.deps.slots?.acquire()) ?? ((): void => undefined);
      try {
        await this.attempt();
      } finally {
        release();
      }
    };
    attempt().catch((err: unknown) => this.failed(err));
  }

  private failed(err: unknown): void {
    if (this.closed) return;
    this.deps.callbacks.error(STAGES.qmpConnection, errorType(err), err);
    const client = this.client;
    this.client = undefined;
    this.poller?.stop();
    this.setUp(false);
    // A requested disconnect emits no onDisconnect, so this is the only retry scheduled.
    void Promise.resolve(client?.disconnect())
      .then(() => this.scheduleRetry())
      .catch(() => undefined);
  }

  private onEvent(ev: QmpEvent): void {
    const arrival = this.deps.clock.now();
    // Until identified, events wait so that every record of this connection names the same VM.
    if (!this.vm) this.pending.push({ ev, arrival });
    else this.handleEvent(ev, arrival);
  }

  private handleEvent(ev: QmpEvent, arrival: number): void {
    this.emit({ kind: 'qmp-event', event: ev, ...this.base(arrival) });
    if (ev.event !== 'MIGRATION') return;
    // A MIGRATION event proves the events capability is on now (libvirt turns it on after start).
    this.poller?.stop();
    const status = (ev.data as { status?: unknown } | undefined)?.status;
    if (typeof status === 'string' && TERMINAL.has(status)) void this.queryMigrate();
  }

  /** The final query-migrate carries downtime and total-time, which no event has. */
  private async queryMigrate(): Promise<void> {
    const client = this.client;
    if (!client || client.state !== 'running') return;
    try {
      this.emitReply('query-migrate', await client.execute('query-migrate'), this.deps.clock.now());
    } catch (err) {
      this.reportQueryMigrateError(err);
    }
  }

  private reportQueryMigrateError(err: unknown): void {
    // The source QEMU is often told to quit right after `completed`: losing this reply is normal.
    if (err instanceof QmpDisconnectedError)
      this.deps.logger.debug('query-migrate lost to disconnect', { socket: this.deps.socketPath });
    else this.deps.callbacks.error(STAGES.qmpQueryMigrate, errorType(err), err);
  }

  private onIssue(issue: ClientIssue): void {
    const err = new Error(`QMP ${issue.kind} on ${this.deps.socketPath}: ${JSON.stringify(issue)}`);
    this.deps.callbacks.error(STAGES.qmpProtocol, issue.kind, err);
  }

  private emitReply(command: string, result: unknown, arrival: number): void {
    this.emit({ kind: 'qmp-reply', command, result, ...this.base(arrival) });
  }

  private base(arrival: number): {
    host: string;
    vm: VmRef | undefined;
    arrival: number;
    origin: RawRecord['origin'];
  } {
    return {
      host: this.deps.host,
      vm: this.vm,
      arrival,
      origin: { kind: 'qmp', file: this.deps.socketPath },
    };
  }

  private emit(r: RawRecord): void {
    this.chain = this.chain
      .then(() => this.deps.callbacks.record(r))
      .catch((err: unknown) => this.deps.callbacks.error(STAGES.qmpRecord, errorType(err), err));
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.deps.callbacks.status({ input: INPUTS.qmp, instance: this.deps.socketPath, up });
  }
}
