import { STAGES } from '@switchover/model';
import type { Source, SourceCallbacks } from '../types.js';
import type { BackoffOptions } from '../../lib/backoff.js';
import type { ConnectSocket } from './client.js';
import { QmpConnection } from './connection.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { SocketDiscovery } from './discovery.js';
import { Slots } from './slots.js';

export interface QmpSourceOptions {
  host: string;
  /** e.g. `/run/switchover/*.qmp`; wildcards in the last path segment only. */
  globs: string[];
  callbacks: SourceCallbacks;
  clock?: Clock;
  connectSocket?: ConnectSocket;
  /** Reconnect backoff; defaults `RECONNECT_BACKOFF` (100 ms doubling to 5 s, full jitter). */
  backoff?: BackoffOptions;
  /** `query-migrate` period when the `events` capability is off. */
  pollMs?: number;
  /** Backup directory rescan period (inotify normally reports at once). Default 10 s. */
  rescanMs?: number;
  /** Per-command timeout, so a lost reply never wedges a connection. */
  callTimeoutMs?: number;
  logger?: Logger;
}

/**
 * Every QMP socket matching the configured globs, each on its own reconnecting connection.
 * Emits `qmp-reply` records for the identity queries and `qmp-event` records for every event.
 */
export class QmpSource implements Source {
  readonly name = 'qmp';
  private readonly discovery: SocketDiscovery;
  private readonly connections = new Map<string, QmpConnection>();
  /** Identification of many sockets at start-up, paced (a handful at a time is as fast on loopback). */
  private readonly slots = new Slots(16, 2000);
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly callTimeoutMs: number;
  private stopped = false;

  constructor(private readonly opts: QmpSourceOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.pollMs = opts.pollMs ?? 1000;
    this.callTimeoutMs = opts.callTimeoutMs ?? 10_000;
    const bad = [
      !(this.pollMs > 0) && `pollMs must be > 0 (got ${opts.pollMs})`,
      !(this.callTimeoutMs > 0) && `callTimeoutMs must be > 0 (got ${opts.callTimeoutMs})`,
      opts.rescanMs !== undefined && !(opts.rescanMs > 0) && `rescanMs must be > 0 (got ${opts.rescanMs})`,
    ].filter(Boolean);
    if (bad.length > 0) throw new Error(`invalid QMP source options: ${bad.join('; ')}`);
    // Throws for bad globs, also at construction: fail at start-up.
    this.discovery = new SocketDiscovery({
      globs: opts.globs,
      clock: this.clock,
      rescanMs: opts.rescanMs,
      onAdded: (p) => this.attach(p),
      onRemoved: (p) => void this.detach(p),
      onError: (type, err) => opts.callbacks.error(STAGES.qmpDiscovery, type, err),
    });
  }

  async start(): Promise<void> {
    await this.discovery.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Each part in its own try: one failing close must not leave the others running.
    await this.discovery.stop().catch(() => undefined);
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }

  private attach(socketPath: string): void {
    if (this.stopped || this.connections.has(socketPath)) return;
    this.logger.info('QMP socket found', { socket: socketPath });
    const conn = new QmpConnection({
      host: this.opts.host,
      socketPath,
      callbacks: this.opts.callbacks,
      clock: this.clock,
      logger: this.logger,
      connectSocket: this.opts.connectSocket,
      backoff: this.opts.backoff,
      pollMs: this.pollMs,
      callTimeoutMs: this.callTimeoutMs,
      slots: this.slots,
      onGone: (p) => {
        void this.detach(p);
        this.discovery.forget(p);
      },
    });
    this.connections.set(socketPath, conn);
    conn.start();
  }

  private async detach(socketPath: string): Promise<void> {
    const conn = this.connections.get(socketPath);
    if (!conn) return;
    this.connections.delete(socketPath);
    await conn.close().catch(() => undefined);
  }
}
