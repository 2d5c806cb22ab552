import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import {
  ERROR_TYPES,
  HTTP_PATHS,
  pairSessions,
  sessionToRows,
  STAGES,
  type Session,
} from '@switchover/model';
import { LogLimiter } from '../lib/rate-limit.js';
import type { Recorder } from '../recorder/types.js';
import type { SourceStatus } from '../sources/types.js';
import { checkBasicAuth, type BasicAuth } from './http-auth.js';
import { applyLimits, DEFAULT_HTTP_LIMITS, serverOptions, type HttpLimits } from './http-limits.js';

/** What `/healthz` reports; `healthy` decides 200 or 503. Extra fields are passed through. */
export interface HealthReport {
  healthy: boolean;
  inputs: SourceStatus[];
  [key: string]: unknown;
}

export interface HttpServerOptions {
  address: string;
  /** 0 picks a free port (tests). */
  port: number;
  registry: Registry;
  recorder: Pick<Recorder, 'sessions'>;
  health: () => HealthReport;
  hostName: string;
  /** PEM contents (not paths). When set the server speaks HTTPS only. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Required on `/metrics` and `/api/*` when set; `/healthz` stays open for probes. */
  basicAuth?: BasicAuth;
  /** Timeouts and the connection cap; defaults in DEFAULT_HTTP_LIMITS. */
  limits?: Partial<HttpLimits>;
  now?: () => number;
  /** Counts a named failure (every time). */
  onError?: (stage: string, errorType: string, err: unknown) => void;
  /** Lines about clients (failed logins, refused connections), at most one a minute per kind and address. */
  logger?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

const HTTP_ERRORS = ERROR_TYPES.http;
const LOG_PERIOD_MS = 60_000;

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

const json = (res: ServerResponse, status: number, value: unknown): void =>
  send(res, status, `${JSON.stringify(value)}\n`, { 'content-type': 'application/json; charset=utf-8' });

const KNOWN: readonly string[] = Object.values(HTTP_PATHS);

/**
 * The path and query of a request target, without `new URL()`: `//` or `//metrics` would be read as a
 * host there, and throw. Only origin-form targets (`/path?query`) are served; an absolute URL or `*`
 * is a bad request. The path is compared as sent (no decoding, no normalising).
 */
export function parseTarget(target: string): { path: string; query: URLSearchParams } | null {
  if (!target.startsWith('/')) return null;
  const q = target.indexOf('?');
  const hash = target.indexOf('#');
  const end = q >= 0 ? q : hash >= 0 ? hash : target.length;
  // URLSearchParams never throws: a bad escape stays as written.
  const query = new URLSearchParams(q >= 0 ? target.slice(q + 1, hash > q ? hash : undefined) : '');
  return { path: target.slice(0, end), query };
}

/**
 * The agent's read-only HTTP surface: Prometheus scrape, health probe, and the flight recorder's
 * migrations (paired, or as the flat table the panel reads). Binds only the configured address.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const now = options.now ?? Date.now;

  const migrations = (query: URLSearchParams, res: ServerResponse): void => {
    const vm = query.get('vm');
    const all: Session[] = options.recorder.sessions();
    const sessions = vm ? all.filter((s) => s.vm === vm || s.vmUuid === vm) : all;
    const format = query.get('format');
    if (format === 'table') {
      json(res, 200, { host: options.hostName, rows: sessions.flatMap(sessionToRows) });
      return;
    }
    // This host's raw sessions, for pairing with another host's (the demo, scripts).
    if (format === 'sessions') {
      json(res, 200, { host: options.hostName, sessions });
      return;
    }
    json(res, 200, {
      host: options.hostName,
      generatedAt: new Date(now()).toISOString(),
      migrations: pairSessions(sessions),
    });
  };

  const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const limiter = new LogLimiter(LOG_PERIOD_MS, now);
  const failed = (
    type: string,
    err: unknown,
    key: string,
    msg: string,
    fields: Record<string, unknown>,
  ): void => {
    options.onError?.(STAGES.http, type, err);
    const { log, suppressed } = limiter.admit(`${type}\0${key}`);
    if (log) options.logger?.warn(msg, suppressed > 0 ? { ...fields, suppressed } : fields);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = parseTarget(req.url ?? '');
    if (!target) return send(res, 400, 'bad request\n', { 'content-type': 'text/plain' });
    const { path, query } = target;
    if (!KNOWN.includes(path)) return send(res, 404, 'not found\n', { 'content-type': 'text/plain' });
    const refused =
      path !== HTTP_PATHS.health && options.basicAuth ? checkBasicAuth(req, options.basicAuth) : null;
    if (refused) {
      const remote = req.socket.remoteAddress ?? 'unknown';
      failed(HTTP_ERRORS.authFailed, new Error(`login failed from ${remote}`), remote, 'HTTP login failed', {
        remote,
        ...('user' in refused ? { user: refused.user } : {}),
        reason: refused.reason,
        path,
      });
      return send(res, 401, 'unauthorised\n', {
        'content-type': 'text/plain',
        'www-authenticate': 'Basic realm="switchover", charset="UTF-8"',
      });
    }
    if (req.method !== 'GET')
      return send(res, 405, 'method not allowed\n', { allow: 'GET', 'content-type': 'text/plain' });
    switch (path) {
      case HTTP_PATHS.metrics:
        return send(res, 200, await options.registry.metrics(), {
          'content-type': options.registry.contentType,
        });
      case HTTP_PATHS.health: {
        const h = options.health();
        return json(res, h.healthy ? 200 : 503, {
          status: h.healthy ? 'ok' : 'unavailable',
          host: options.hostName,
          ...h,
        });
      }
      case HTTP_PATHS.migrations:
        return migrations(query, res);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      // A bug, not a client's doing: logged every time (the limiter keys it by message).
      failed(HTTP_ERRORS.handler, err, String(err), 'HTTP handler failed', {
        err: err instanceof Error ? err.message : String(err),
      });
      if (!res.headersSent) send(res, 500, 'internal error\n', { 'content-type': 'text/plain' });
      else res.destroy();
    });
  };

  const opts = serverOptions(limits);
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ...opts }, listener)
    : createHttpServer(opts, listener);
  applyLimits(server, limits);
  // A bad address or a taken port is a start-up failure: reject instead of emitting later.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.address }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) =>
    failed(HTTP_ERRORS.server, err, 'server', 'HTTP server error', { err: err.message }),
  );
  server.on('tlsClientError', (err: Error, socket: Socket) => {
    const remote = socket.remoteAddress ?? 'unknown';
    failed(HTTP_ERRORS.tlsClient, err, remote, 'TLS handshake failed', { remote, err: err.message });
  });
  // Emitted when maxConnections is reached and Node closes the new socket.
  server.on('drop', (data?: { remoteAddress?: string }) => {
    const remote = data?.remoteAddress ?? 'unknown';
    failed(
      HTTP_ERRORS.connectionLimit,
      new Error(`connection from ${remote} refused: ${limits.maxConnections} open`),
      remote,
      'HTTP connection refused: too many open connections',
      { remote, max: limits.maxConnections },
    );
  });

  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | null = null;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
