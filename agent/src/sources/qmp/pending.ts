import { QmpCommandError, QmpDisconnectedError, QmpTimeoutError } from './errors.js';

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Calls in flight, keyed by the id the client generated; replies are routed here by id. */
export class PendingCalls {
  private readonly calls = new Map<string, Pending>();
  private nextId = 1;

  /** Registers a call and returns its id and the promise of its `return` value. */
  add(command: string, timeoutMs: number | undefined): { id: string; result: Promise<unknown> } {
    const id = `sw-${this.nextId++}`;
    const result = new Promise<unknown>((resolve, reject) => {
      const p: Pending = { command, resolve, reject };
      if (timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          // A late reply then counts as an unknown id: that is the intended, visible outcome.
          this.calls.delete(id);
          reject(new QmpTimeoutError(command, timeoutMs));
        }, timeoutMs);
      }
      this.calls.set(id, p);
    });
    return { id, result };
  }

  /** Settles the call a reply belongs to; false when no call has that id. */
  settle(reply: Record<string, unknown>): boolean {
    const id = reply.id;
    const p = typeof id === 'string' ? this.calls.get(id) : undefined;
    if (!p) return false;
    this.calls.delete(id as string);
    clearTimeout(p.timer);
    if ('error' in reply) {
      const e = (reply.error ?? {}) as { class?: unknown; desc?: unknown };
      p.reject(new QmpCommandError(p.command, String(e.class ?? 'GenericError'), String(e.desc ?? '')));
    } else {
      p.resolve(reply.return);
    }
    return true;
  }

  rejectAll(reason: Error): void {
    for (const p of this.calls.values()) {
      clearTimeout(p.timer);
      p.reject(new QmpDisconnectedError(`'${p.command}' aborted: ${reason.message}`, { cause: reason }));
    }
    this.calls.clear();
  }
}
