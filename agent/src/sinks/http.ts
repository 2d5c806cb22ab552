import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import {
  HTTP_PATHS,
  pairSessions,
  sessionToRows,
  type Session,
  ERROR_TYPES,
  STAGES,
} from '@switchover/model';
import type { SourceStatus } from '../sources/types.js';
import type { Recorder } from '../recorder/types.js';

/** What `/healthz` reports; `running` decides 200 or 503. Extra fields are passed through. */
export interface HealthReport {
  running: boolean;
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
  basicAuth?: { username: string; password: string };
  now?: () => number;
  onError?: (stage: string, errorType: string, err: unknown) => void;
}

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

const sha = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time: both fields are always compared, on equal-length digests. */
function authorised(req: IncomingMessage, auth: NonNullable<HttpServerOptions['basicAuth']>): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  const decoded = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const user = colon >= 0 ? decoded.slice(0, colon) : '';
  const pass = colon >= 0 ? decoded.slice(colon + 1) : '';
  const userOk = timingSafeEqual(sha(user), sha(auth.username));
  const passOk = timingSafeEqual(sha(pass), sha(auth.password));
  return m !== null && colon >= 0 && userOk && passOk;
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
 * The agent's read-only HTTP surface: Prometheus scrape, health probe, and the flight recorder's
 * migrations (paired, or as the flat table the panel reads). Binds only the configured address.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const now = options.now ?? Date.now;

  const migrations = (url: URL, res: ServerResponse): void => {
    const vm = url.searchParams.get('vm');
    const all: Session[] = options.recorder.sessions();
    const sessions = vm ? all.filter((s) => s.vm === vm || s.vmUuid === vm) : all;
    const format = url.searchParams.get('format');
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

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (!KNOWN.includes(path)) return send(res, 404, 'not found\n', { 'content-type': 'text/plain' });
    if (path !== HTTP_PATHS.health && options.basicAuth && !authorised(req, options.basicAuth))
      return send(res, 401, 'unauthorised\n', {
        'content-type': 'text/plain',
        'www-authenticate': 'Basic realm="switchover", charset="UTF-8"',
      });
    if (req.method !== 'GET')
      return send(res, 405, 'method not allowed\n', { allow: 'GET', 'content-type': 'text/plain' });
    switch (path) {
      case HTTP_PATHS.metrics:
        return send(res, 200, await options.registry.metrics(), {
          'content-type': options.registry.contentType,
        });
      case HTTP_PATHS.health: {
        const h = options.health();
        return json(res, h.running ? 200 : 503, {
          status: h.running ? 'ok' : 'unavailable',
          host: options.hostName,
          ...h,
        });
      }
      case HTTP_PATHS.migrations:
        return migrations(url, res);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      options.onError?.(STAGES.http, ERROR_TYPES.http.handler, err);
      if (!res.headersSent) send(res, 500, 'internal error\n', { 'content-type': 'text/plain' });
      else res.destroy();
    });
  };

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createHttpServer(listener);
  // A bad address or a taken port is a start-up failure: reject instead of emitting later.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.address }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => options.onError?.(STAGES.http, ERROR_TYPES.http.server, err));
  server.on('tlsClientError', (err) => options.onError?.(STAGES.http, ERROR_TYPES.http.tlsClient, err));

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
