/**
 * What the benchmark started and must undo (agents, journald, children, temp dirs), so that the one
 * signal handler in run.ts can undo it too. Each part registers its undo and removes it when it
 * finished normally; undos run newest first, each in its own try/catch.
 */
export class Cleanups {
  private readonly fns: { what: string; fn: () => Promise<void> | void }[] = [];

  add(what: string, fn: () => Promise<void> | void): () => void {
    const item = { what, fn };
    this.fns.push(item);
    return () => {
      const i = this.fns.indexOf(item);
      if (i >= 0) this.fns.splice(i, 1);
    };
  }

  /** Run and forget every registered undo; failures are reported, never thrown. */
  async runAll(report: (line: string) => void): Promise<void> {
    while (this.fns.length) {
      const { what, fn } = this.fns.pop()!;
      try {
        await fn();
      } catch (err) {
        report(`cleanup of ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Run `fn` with `undo` registered; `undo` runs afterwards whatever happens (or from the signal handler). */
  async with<T>(what: string, undo: () => Promise<void> | void, fn: () => Promise<T>): Promise<T> {
    const remove = this.add(what, undo);
    try {
      return await fn();
    } finally {
      remove();
      await undo();
    }
  }
}
