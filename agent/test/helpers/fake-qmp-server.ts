import net from 'node:net';
import path from 'node:path';

/**
 * A scriptable QMP server on a real unix socket, for client tests. It records every byte and
 * every parsed command it receives, so a test can assert what was (and was not) written.
 */

/** The greeting QEMU 7.2.22 on Debian 12 sends, CRLF included. */
export const QEMU_72_GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}\r\n';

export interface FakeQmpConnection {
  /** Every command object received on this connection, in order. */
  readonly commands: Record<string, unknown>[];
  /** Every byte received, as text. */
  rawReceived(): string;
  /** Writes raw text/bytes as is (no framing added). */
  send(raw: string | Buffer): void;
  reply(id: unknown, ret: unknown): void;
  error(id: unknown, cls: string, desc: string): void;
  event(name: string, data?: Record<string, unknown>): void;
  /** Abrupt close. */
  destroy(): void;
  readonly closed: Promise<void>;
}

/** Return true when the command was answered (or deliberately left unanswered). */
export type FakeHandler = (cmd: Record<string, unknown>, conn: FakeQmpConnection) => boolean | void;

export interface FakeQmpServer {
  readonly path: string;
  readonly connections: FakeQmpConnection[];
  handler: FakeHandler | undefined;
  nextConnection(): Promise<FakeQmpConnection>;
  /** Resolves with the first received command matching `pred` (already received or future). */
  waitForCommand(
    pred: (cmd: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface FakeQmpServerOptions {
  dir: string;
  name?: string;
  /** Raw greeting to send on accept (default: QEMU 7.2's); null sends nothing. */
  greeting?: string | null;
  handler?: FakeHandler;
}

export async function startFakeQmpServer(opts: FakeQmpServerOptions): Promise<FakeQmpServer> {
  const sockPath = path.join(opts.dir, opts.name ?? 'fake.qmp');
  const connections: FakeQmpConnection[] = [];
  const sockets = new Set<net.Socket>();
  const connWaiters: ((c: FakeQmpConnection) => void)[] = [];
  const cmdWaiters: {
    pred: (c: Record<string, unknown>) => boolean;
    resolve: (c: Record<string, unknown>) => void;
  }[] = [];

  const server: FakeQmpServer = {
    path: sockPath,
    connections,
    handler: opts.handler,
    nextConnection: () =>
      new Promise((resolve) => {
        connWaiters.push(resolve);
      }),
    waitForCommand: (pred, timeoutMs = 5000) => {
      const seen = connections.flatMap((c) => c.commands).find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('fake QMP server: command not received in time')),
          timeoutMs,
        );
        cmdWaiters.push({ pred, resolve: (c) => (clearTimeout(timer), resolve(c)) });
      });
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };

  const srv = net.createServer((socket) => {
    sockets.add(socket);
    let raw = '';
    let buf = '';
    const commands: Record<string, unknown>[] = [];
    const write = (obj: unknown): void => void socket.write(`${JSON.stringify(obj)}\r\n`);
    const conn: FakeQmpConnection = {
      commands,
      rawReceived: () => raw,
      send: (data) => void socket.write(data),
      reply: (id, ret) => write({ return: ret, id }),
      error: (id, cls, desc) => write({ id, error: { class: cls, desc } }),
      event: (name, data) => {
        const now = Date.now();
        write({
          timestamp: { seconds: Math.floor(now / 1000), microseconds: (now % 1000) * 1000 },
          event: name,
          ...(data ? { data } : {}),
        });
      },
      destroy: () => socket.destroy(),
      closed: new Promise((resolve) => socket.once('close', () => resolve())),
    };
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => {
      raw += chunk.toString('utf8');
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const cmd = JSON.parse(line) as Record<string, unknown>;
        commands.push(cmd);
        for (const w of cmdWaiters.filter((w) => w.pred(cmd))) {
          cmdWaiters.splice(cmdWaiters.indexOf(w), 1);
          w.resolve(cmd);
        }
        if (server.handler?.(cmd, conn)) continue;
        conn.reply(cmd.id, {}); // default: every command succeeds with an empty return
      }
    });
    connections.push(conn);
    if (opts.greeting !== null) socket.write(opts.greeting ?? QEMU_72_GREETING);
    for (const w of connWaiters.splice(0)) w(conn);
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(sockPath, () => resolve());
  });
  return server;
}
