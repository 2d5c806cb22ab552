import type { Duplex } from 'node:stream';
import { assertReadOnly } from './allowlist.js';
import { QmpConnectError, QmpDisconnectedError, QmpProtocolError, QmpStateError } from './errors.js';
import { DEFAULT_MAX_LINE_BYTES, LineFramer, type FramingIssue } from './framing.js';
import { emit, subscribe, type Listener } from './listeners.js';
import { PendingCalls } from './pending.js';
import { connectUnixSocket, withTimeout, type ConnectSocket } from './socket.js';

export type { ConnectSocket } from './socket.js';

/**
 * A read-only QMP client with an explicit connection state machine, after QEMU's
 * `python/qemu/qmp/protocol.py`: idle → connecting → running → disconnecting → idle. A failed
 * connect goes connecting → disconnecting → idle and throws `QmpConnectError` wrapping the cause.
 */
export type Runstate = 'idle' | 'connecting' | 'running' | 'disconnecting';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  version: unknown;
  capabilities: unknown[];
}

/** Things the client met and skipped; the connection goes on. */
export type ClientIssue =
  | FramingIssue
  | { kind: 'unknown-id'; id: unknown }
  | { kind: 'unexpected'; line: string };

export interface QmpClientOptions {
  /** Opens the stream; defaults to a unix socket connection. Tests pass fakes. */
  connectSocket?: ConnectSocket;
  maxLineBytes?: number;
  /** Budget for greeting + `qmp_capabilities` in `connect()`. */
  connectTimeoutMs?: number;
  /** Per-call timeout used when `execute()` is not given one; undefined = wait forever. */
  defaultTimeoutMs?: number;
}

export class QmpClient {
  private runstate: Runstate = 'idle';
  private socket: Duplex | undefined;
  private framer: LineFramer;
  private readonly pending = new PendingCalls();
  private greetingWaiter:
    | { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }
    | undefined;
  private closing: Promise<void> | undefined;
  /** Bumped by a disconnect() that lands before the socket exists, so that connect() gives up. */
  private generation = 0;
  private readonly listeners = {
    state: new Set<Listener<Runstate>>(),
    event: new Set<Listener<QmpEvent>>(),
    issue: new Set<Listener<ClientIssue>>(),
    disconnect: new Set<Listener<Error>>(),
  };
  /** Counters of skipped input, for tests and self-metrics. */
  readonly stats = { garbageLines: 0, oversizeLines: 0, unknownIds: 0, unexpectedMessages: 0 };
  greeting: QmpGreeting | undefined;

  constructor(private readonly opts: QmpClientOptions = {}) {
    this.framer = new LineFramer(opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  }

  get state(): Runstate {
    return this.runstate;
  }

  onStateChange(fn: Listener<Runstate>): () => void {
    return subscribe(this.listeners.state, fn);
  }
  onEvent(fn: Listener<QmpEvent>): () => void {
    return subscribe(this.listeners.event, fn);
  }
  onIssue(fn: Listener<ClientIssue>): () => void {
    return subscribe(this.listeners.issue, fn);
  }
  /** A running connection ended without `disconnect()` being called (QEMU quit, socket error). */
  onDisconnect(fn: Listener<Error>): () => void {
    return subscribe(this.listeners.disconnect, fn);
  }

  async connect(path: string): Promise<void> {
    this.guard('connect', ['idle']);
    this.setState('connecting');
    const generation = ++this.generation;
    this.framer = new LineFramer(this.opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    const timeoutMs = this.opts.connectTimeoutMs ?? 5000;
    try {
      const socket = await (this.opts.connectSocket ?? connectUnixSocket)(path);
      if (generation !== this.generation) {
        socket.destroy();
        throw new QmpDisconnectedError('disconnect() called during connect');
      }
      this.socket = socket;
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', () => undefined); // 'close' follows every error and does the teardown
      socket.on('close', () => void this.teardown(new QmpDisconnectedError(`QMP socket ${path} closed`)));
      if (socket.destroyed) throw new QmpDisconnectedError(`QMP socket ${path} closed`);
      const greeting = await withTimeout(
        new Promise<Record<string, unknown>>(
          (resolve, reject) => (this.greetingWaiter = { resolve, reject }),
        ),
        timeoutMs,
        () => new QmpProtocolError(`no QMP greeting within ${timeoutMs} ms`),
      );
      this.greeting = parseGreeting(greeting);
      await this.send('qmp_capabilities', undefined, timeoutMs);
      this.setState('running');
    } catch (err) {
      await this.teardown(err instanceof Error ? err : new Error(String(err)));
      throw new QmpConnectError(path, err);
    }
  }

  /** Runs a read-only command and resolves with its `return` value. */
  async execute(
    command: string,
    args?: Record<string, unknown>,
    opts: { timeoutMs?: number } = {},
  ): Promise<unknown> {
    assertReadOnly(command); // before any state check: a forbidden command is never written, in any state
    this.guard('execute', ['running']);
    return this.send(command, args, opts.timeoutMs ?? this.opts.defaultTimeoutMs);
  }

  /** Closes the connection from any state; resolves once the client is idle. */
  async disconnect(): Promise<void> {
    if (this.runstate === 'idle') return;
    if (this.runstate === 'connecting' && !this.socket) this.generation++;
    await this.teardown(new QmpDisconnectedError('disconnect() called'), true);
  }

  private send(
    command: string,
    args: Record<string, unknown> | undefined,
    timeoutMs: number | undefined,
  ): Promise<unknown> {
    assertReadOnly(command);
    const socket = this.socket;
    if (!socket || socket.destroyed)
      return Promise.reject(new QmpDisconnectedError(`'${command}': not connected`));
    const { id, result } = this.pending.add(command, timeoutMs);
    socket.write(
      `${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`,
    );
    return result;
  }

  private onData(chunk: Buffer): void {
    const { messages, issues } = this.framer.push(chunk);
    for (const issue of issues) {
      this.issue(issue);
      // Whatever comes first must be the greeting: garbage there is a bad greeting, not a skip.
      this.greetingWaiter?.reject(new QmpProtocolError(`bad greeting: ${JSON.stringify(issue)}`));
      this.greetingWaiter = undefined;
    }
    for (const { message, raw } of messages) this.route(message, raw);
  }

  private route(msg: Record<string, unknown>, raw: string): void {
    if (this.greetingWaiter) {
      const w = this.greetingWaiter;
      this.greetingWaiter = undefined;
      w.resolve(msg);
      return;
    }
    if (typeof msg.event === 'string') {
      emit(this.listeners.event, msg as unknown as QmpEvent);
      return;
    }
    if (!('return' in msg) && !('error' in msg)) {
      this.issue({ kind: 'unexpected', line: raw.slice(0, 200) });
      return;
    }
    if (!this.pending.settle(msg)) this.issue({ kind: 'unknown-id', id: msg.id });
  }

  /** Idempotent: concurrent callers share one teardown. */
  private teardown(reason: Error, requested = false): Promise<void> {
    if (this.runstate === 'idle') return Promise.resolve();
    if (this.closing) return this.closing;
    const wasRunning = this.runstate === 'running';
    this.setState('disconnecting');
    this.closing = (async () => {
      const disconnected =
        reason instanceof QmpDisconnectedError
          ? reason
          : new QmpDisconnectedError(reason.message, { cause: reason });
      this.greetingWaiter?.reject(disconnected);
      this.greetingWaiter = undefined;
      this.pending.rejectAll(disconnected);
      const socket = this.socket;
      this.socket = undefined;
      if (socket && !socket.closed) {
        await new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          socket.destroy();
        });
      }
      this.setState('idle');
      this.closing = undefined;
      if (wasRunning && !requested) emit(this.listeners.disconnect, reason);
    })();
    return this.closing;
  }

  private issue(issue: ClientIssue): void {
    if (issue.kind === 'garbage') this.stats.garbageLines++;
    else if (issue.kind === 'oversize') this.stats.oversizeLines++;
    else if (issue.kind === 'unknown-id') this.stats.unknownIds++;
    else this.stats.unexpectedMessages++;
    emit(this.listeners.issue, issue);
  }

  private guard(method: string, needed: Runstate[]): void {
    if (!needed.includes(this.runstate)) throw new QmpStateError(method, needed, this.runstate);
  }

  private setState(s: Runstate): void {
    this.runstate = s;
    emit(this.listeners.state, s);
  }
}

function parseGreeting(msg: Record<string, unknown>): QmpGreeting {
  const qmp = msg.QMP as { version?: unknown; capabilities?: unknown } | undefined;
  if (
    !qmp ||
    typeof qmp !== 'object' ||
    typeof qmp.version !== 'object' ||
    qmp.version === null ||
    !Array.isArray(qmp.capabilities)
  ) {
    throw new QmpProtocolError(
      `bad greeting (expected {"QMP":{"version":…,"capabilities":[…]}}): ${JSON.stringify(msg).slice(0, 200)}`,
    );
  }
  return { version: qmp.version, capabilities: qmp.capabilities };
}
