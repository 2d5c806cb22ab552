/**
 * At most one log line per key and period, for failures an outsider can cause at will (failed
 * logins, TLS garbage, a fault repeating on every input line): the counter counts each one, the log
 * says once per period how many it skipped. Keys are bounded, so a scan from many addresses cannot
 * grow memory without limit.
 */
export class LogLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 1000,
  ) {}

  /** Whether to log this occurrence of `key`, and how many were skipped since the last logged one. */
  admit(key: string): { log: boolean; suppressed: number } {
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.periodMs) {
      seen.suppressed++;
      return { log: false, suppressed: 0 };
    }
    if (!seen && this.last.size >= this.maxKeys) {
      // Forget the oldest entry (Map keeps insertion order): at worst it is logged once more.
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
    }
    this.last.delete(key);
    this.last.set(key, { at: t, suppressed: 0 });
    return { log: true, suppressed: seen?.suppressed ?? 0 };
  }
}
