import net from 'node:net';

/**
 * The test's orchestrator on its own QMP monitor: it does what libvirt would (`migrate`,
 * `migrate-set-capabilities`, `cont`, `quit`). Deliberately NOT the agent's client, which refuses
 * every one of these commands.
 */
export interface OrchestratorEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

export class OrchestratorQmp {
  readonly events: OrchestratorEvent[] = [];
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private greeted!: () => void;
  private readonly greeting = new Promise<void>((resolve) => (this.greeted = resolve));
  private eventWaiters: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d) => this.onData(d.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('orchestrator QMP socket closed'));
      this.pending.clear();
    });
  }

  static async connect(path: string): Promise<OrchestratorQmp> {
    const socket = net.createConnection({ path });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const o = new OrchestratorQmp(socket);
    await o.greeting;
    await o.execute('qmp_capabilities');
    return o;
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(
        `${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`,
      );
    });
  }

  /** Turns migration capabilities on or off, e.g. `{events: true, 'return-path': true}`. */
  setCapabilities(caps: Record<string, boolean>): Promise<unknown> {
    return this.execute('migrate-set-capabilities', {
      capabilities: Object.entries(caps).map(([capability, state]) => ({ capability, state })),
    });
  }

  async waitForEvent(
    pred: (e: OrchestratorEvent) => boolean,
    timeoutMs = 15_000,
  ): Promise<OrchestratorEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `orchestrator: event not seen; got ${JSON.stringify(this.events.map((e) => e.event))}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.eventWaiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(text: string): void {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) !== -1) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if ('QMP' in msg) this.greeted();
      else if (typeof msg.event === 'string') {
        this.events.push(msg as unknown as OrchestratorEvent);
        for (const w of this.eventWaiters.splice(0)) w();
      } else {
        const p = this.pending.get(msg.id as number);
        this.pending.delete(msg.id as number);
        if (!p) continue;
        if ('error' in msg) p.reject(new Error(`orchestrator ${JSON.stringify(msg.error)}`));
        else p.resolve(msg.return);
      }
    }
  }
}
