import { createConnection, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface QmpMessage {
  event?: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
  return?: unknown;
  error?: { class: string; desc: string };
  id?: number;
  QMP?: unknown;
}

/**
 * The demo's control plane (the part libvirt plays on real hosts): it sends `migrate`, `cont`, `quit`.
 * Deliberately separate from the agent's QMP client, which refuses every command that changes a VM.
 */
export class Orchestrator {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly eventListeners = new Set<(m: QmpMessage) => void>();

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.onMessage(JSON.parse(line) as QmpMessage);
      }
    });
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('QMP connection closed'));
      this.pending.clear();
    });
    socket.on('error', () => undefined);
  }

  /** Connect (retrying while QEMU creates the socket) and leave negotiation mode. */
  static async connect(path: string, timeoutMs = 10_000): Promise<Orchestrator> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = createConnection(path, () => resolve(s));
          s.once('error', reject);
        });
        const o = new Orchestrator(socket);
        await o.execute('qmp_capabilities');
        return o;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`cannot connect to QMP socket ${path}: ${(err as Error).message}`);
        await sleep(50);
      }
    }
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(
        `${JSON.stringify({ execute: command, id, ...(args ? { arguments: args } : {}) })}\n`,
      );
    });
  }

  /** `migrate-set-capabilities` from a name → state map. */
  setCapabilities(caps: Record<string, boolean>): Promise<unknown> {
    return this.execute('migrate-set-capabilities', {
      capabilities: Object.entries(caps).map(([capability, state]) => ({ capability, state })),
    });
  }

  onEvent(listener: (m: QmpMessage) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Resolves with the first event matching `pred`, or rejects after `timeoutMs`. */
  waitForEvent(pred: (m: QmpMessage) => boolean, timeoutMs = 20_000): Promise<QmpMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a QMP event`));
      }, timeoutMs);
      const off = this.onEvent((m) => {
        if (!pred(m)) return;
        clearTimeout(timer);
        off();
        resolve(m);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onMessage(m: QmpMessage): void {
    if (m.event) {
      for (const l of this.eventListeners) l(m);
      return;
    }
    if (typeof m.id !== 'number') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error) p.reject(new Error(`${m.error.class}: ${m.error.desc}`));
    else p.resolve(m.return);
  }
}

export const isMigrationStatus = (status: string) => (m: QmpMessage) =>
  m.event === 'MIGRATION' && (m.data as { status?: string } | undefined)?.status === status;
