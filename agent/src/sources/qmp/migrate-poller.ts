import type { QmpClient } from './client.js';
import type { Clock } from '../../lib/clock.js';

/**
 * Polls `query-migrate` for a QEMU whose `events` capability is off, and reports the reply only
 * when the status changes (one cheap query per period; nothing is emitted while idle). Stops on
 * `stop()` or when the connection leaves `running`.
 */
export class MigratePoller {
  private timer: unknown;
  private stopped = false;
  /** `{}` (no migration yet) reads as `none`, so an idle VM emits nothing. */
  private last = 'none';

  constructor(
    private readonly opts: {
      client: QmpClient;
      clock: Clock;
      pollMs: number;
      onChange(result: unknown): void;
      onError(err: unknown): void;
    },
  ) {}

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => void this.poll(), ms);
  }

  private async poll(): Promise<void> {
    const { client } = this.opts;
    if (this.stopped || client.state !== 'running') return;
    try {
      const result = await client.execute('query-migrate');
      const status = (result as { status?: unknown } | null)?.status;
      const s = typeof status === 'string' ? status : 'none';
      if (!this.stopped && s !== this.last) {
        this.last = s;
        this.opts.onChange(result);
      }
    } catch (err) {
      if (this.stopped || client.state !== 'running') return;
      this.opts.onError(err);
    }
    this.schedule(this.opts.pollMs);
  }
}
