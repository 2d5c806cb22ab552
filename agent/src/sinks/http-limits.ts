import type { Server } from 'node:http';

/**
 * How long the agent's HTTP(S) server waits for a client, and how many it serves at once. Node's
 * defaults never close a connection that completed the TLS handshake and then sends nothing (the
 * headers timeout is only checked every 30 s, and the socket has no idle timeout), so anyone who can
 * reach the port could hold file descriptors until the agent has none left for its inputs.
 */
export interface HttpLimits {
  /** Request line and headers must be complete within this; a scrape sends them in one packet. */
  headersTimeoutMs: number;
  /** The whole request (these are GETs without bodies). */
  requestTimeoutMs: number;
  /** A socket with no traffic at all for this long is closed (covers a slow trickle too). */
  idleTimeoutMs: number;
  /** An idle keep-alive connection between two requests (Node's default). */
  keepAliveTimeoutMs: number;
  /** HTTPS: the TLS handshake must finish within this. */
  handshakeTimeoutMs: number;
  /** Open connections at once: a Prometheus or two, Grafana, an operator's curl fit many times over. */
  maxConnections: number;
  /** How often Node looks for connections past their headers or request timeout. */
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  handshakeTimeoutMs: 10_000,
  maxConnections: 64,
  checkIntervalMs: 1_000,
};

/** Options for `http(s).createServer` (those that exist only at construction). */
export function serverOptions(l: HttpLimits): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
  handshakeTimeout: number;
} {
  return {
    // Node requires requestTimeout >= headersTimeout.
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: Math.max(l.requestTimeoutMs, l.headersTimeoutMs),
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: l.checkIntervalMs,
    handshakeTimeout: l.handshakeTimeoutMs,
  };
}

/** What can only be set on the server object. */
export function applyLimits(server: Server, l: HttpLimits): void {
  server.maxConnections = l.maxConnections;
  // Inactivity on the socket, also before the first byte: the server destroys it on timeout.
  server.setTimeout(l.idleTimeoutMs, (socket) => socket.destroy());
}
