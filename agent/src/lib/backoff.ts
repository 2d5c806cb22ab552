/**
 * The one retry policy of every input: exponential growth up to a ceiling, with jitter so that many
 * agents (or many QMP sockets of QEMUs that quit together) never retry in lock-step.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** `full`: uniform in [0, delay) (reconnects); a fraction f: delay × (1 ± f) (child restarts). */
  jitter: 'full' | number;
}

/** Reconnecting to a QMP socket: cheap, so start fast. */
export const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 5000, factor: 2, jitter: 'full' };
/** Restarting a child process (journalctl, virsh): heavier, and a crash loop must not spin. */
export const RESTART_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.2 };

/** The delay before retry number `attempt` (0-based); `random` in [0, 1). */
export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number): number {
  // Cap the exponent so the delay never overflows into Infinity after a long outage.
  const base = Math.min(p.maxMs, p.initialMs * p.factor ** Math.min(attempt, 30));
  if (p.jitter === 'full') return Math.floor(random() * base);
  return Math.max(0, Math.round(base * (1 - p.jitter + 2 * p.jitter * random())));
}

export type BackoffOptions = Partial<BackoffPolicy> & { random?: () => number };

/** A retry counter over a policy; `next()` gives the delay and counts the attempt. */
export class Backoff {
  private attempt = 0;
  private readonly policy: BackoffPolicy;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}, defaults: BackoffPolicy = RECONNECT_BACKOFF) {
    const { random, ...policy } = opts;
    this.policy = { ...defaults, ...policy };
    this.random = random ?? Math.random;
    const { initialMs, maxMs } = this.policy;
    if (!(initialMs > 0) || !(maxMs >= initialMs))
      throw new RangeError(`backoff needs 0 < initialMs <= maxMs, got initialMs=${initialMs} maxMs=${maxMs}`);
  }

  next(): number {
    return backoffDelay(this.attempt++, this.policy, this.random);
  }

  /** Call after a success: the next failure starts again from `initialMs`. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
