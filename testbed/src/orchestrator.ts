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
 * One line of a QMP transcript, as the capture script writes it and `switchover review` reads it:
 * `recv_ts` is this machine's clock (epoch seconds, µs resolution) when the line was sent or received.
 */
export interface TranscriptLine {
  recv_ts: number;
  dir: 'in' | 'out' | 'eof';
  line?: string;
}

export interface OrchestratorOptions {
  /** Every line sent and received (without its CRLF), then `eof` when the socket closes. */
  transcript?: (l: TranscriptLine) => void;
}

/** Epoch seconds with sub-millisecond resolution (Date.now() has only ms). */
const nowSeconds = (): number => (performance.timeOrigin + performance.now()) / 1000;

/**
 * The demo's control plane (the part libvirt plays on real hosts): it sends `migrate`, `cont`, `quit`.
 * Deliberately separate from the agent's QMP client, which refuses every command that changes a VM.
 */
export class Orchestrator {
  private nextId = 1;
  private buffer = '';
  private closed = false;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly eventListeners = new Set<(m: QmpMessage) => void>();
  /** Open `waitForEvent` calls: each owns a timer that must not outlive the connection. */
  private readonly waits = new Set<(err: Error) => void>();
  /** QEMU's greeting (`{"QMP": …}`), the first line of every connection. */
  private readonly greeting: Promise<void>;
  private greeted: () => void = () => undefined;
  private notGreeted: (err: Error) => void = () => undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly options: OrchestratorOptions,
  ) {
    this.greeting = new Promise((resolve, reject) => {
      this.greeted = resolve;
      this.notGreeted = reject;
    });
    this.greeting.catch(() => undefined); // only connect() awaits it
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        this.options.transcript?.({ recv_ts: nowSeconds(), dir: 'in', line });
        this.onMessage(JSON.parse(line) as QmpMessage);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      this.options.transcript?.({ recv_ts: nowSeconds(), dir: 'eof' });
      const gone = new Error('QMP connection closed');
      this.notGreeted(gone);
      for (const p of this.pending.values()) p.reject(gone);
      this.pending.clear();
      // Regression (demo hung ~110 s after its summary): a wait nobody awaits any more kept its
      // 120 s timer alive after the connection closed, and with it the whole process.
      for (const fail of [...this.waits]) fail(gone);
    });
    socket.on('error', () => undefined);
  }

  /** Connect (retrying while QEMU creates the socket) and leave negotiation mode. */
  static async connect(
    path: string,
    timeoutMs = 10_000,
    options: OrchestratorOptions = {},
  ): Promise<Orchestrator> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = createConnection(path, () => resolve(s));
          s.once('error', reject);
        });
        const o = new Orchestrator(socket, options);
        // The protocol's order: QEMU greets, then the client leaves negotiation mode.
        await o.greeting;
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
    if (this.closed) return Promise.reject(new Error('QMP connection closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const line = JSON.stringify({ execute: command, id, ...(args ? { arguments: args } : {}) });
      this.options.transcript?.({ recv_ts: nowSeconds(), dir: 'out', line });
      this.socket.write(`${line}\n`);
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

  /**
   * Resolves with the first event matching `pred`; rejects after `timeoutMs` or as soon as the
   * connection closes. Either way its timer and listener are gone once it settles.
   */
  waitForEvent(pred: (m: QmpMessage) => boolean, timeoutMs = 20_000): Promise<QmpMessage> {
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        off();
        this.waits.delete(fail);
      };
      const fail = (err: Error): void => {
        settle();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new Error(`timed out after ${timeoutMs} ms waiting for a QMP event`)),
        timeoutMs,
      );
      const off = this.onEvent((m) => {
        if (!pred(m)) return;
        settle();
        resolve(m);
      });
      this.waits.add(fail);
      if (this.closed) fail(new Error('QMP connection closed'));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onMessage(m: QmpMessage): void {
    if (m.QMP) {
      this.greeted();
      return;
    }
    if (m.event) {
      for (const l of [...this.eventListeners]) l(m);
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
