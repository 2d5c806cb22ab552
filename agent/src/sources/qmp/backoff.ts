/**
 * Exponential backoff with full jitter (delay = random() * min(max, base * 2^attempt)): many
 * agents reconnecting to QEMUs that quit together do not retry in lock-step.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** In [0, 1); injectable so tests get exact delays. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 100;
    this.maxMs = opts.maxMs ?? 5000;
    this.random = opts.random ?? Math.random;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) {
      throw new RangeError(
        `backoff needs 0 < baseMs <= maxMs, got baseMs=${this.baseMs} maxMs=${this.maxMs}`,
      );
    }
  }

  /** The delay before the next attempt, in ms; each call doubles the ceiling up to `maxMs`. */
  next(): number {
    // Cap the exponent so 2^attempt never overflows into Infinity after a long outage.
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  /** Call after a success: the next failure starts again from `baseMs`. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
