/**
 * A persisting failure (an unreadable directory, a file that cannot be opened) is reported once
 * per streak, not on every rescan: `fail` reports a key the first time, `ok` ends its streak.
 */
export class FailureStreaks {
  private readonly failing = new Set<string>();

  constructor(private readonly report: (errorType: string, err: unknown) => void) {}

  fail(key: string, errorType: string, err: unknown): void {
    if (this.failing.has(key)) return;
    this.failing.add(key);
    this.report(errorType, err);
  }

  ok(key: string): void {
    this.failing.delete(key);
  }
}
