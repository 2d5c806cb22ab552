/**
 * Issue 9.11, with real sockets: connections that say nothing are closed within the timeout (an
 * unauthenticated fd exhaustion before), connections beyond the cap are refused and counted, odd
 * request targets are a 4xx (`GET //` was a 500), and failed logins are counted and logged.
 */
import net from 'node:net';
import { rmSync } from 'node:fs';
import tls from 'node:tls';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_PATHS } from '@switchover/model';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../src/sinks/http-limits.js';
import { startHttpServer, type HttpServer, type HttpServerOptions } from '../src/sinks/http.js';
import { selfSignedCert } from './helpers/tls.js';

let pem: ReturnType<typeof selfSignedCert>;
beforeAll(() => {
  pem = selfSignedCert();
});
afterAll(() => rmSync(pem.dir, { recursive: true, force: true }));

const servers: HttpServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
});

/** Short limits so a test sees them act; the production defaults are checked separately. */
const FAST: Partial<HttpLimits> = { headersTimeoutMs: 400, handshakeTimeoutMs: 400, checkIntervalMs: 100 };

async function start(extra: Partial<HttpServerOptions> = {}) {
  const errors: { stage: string; type: string }[] = [];
  const logs: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
  const server = await startHttpServer({
    address: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    recorder: { sessions: () => [] },
    health: () => ({ healthy: true, inputs: [] }),
    hostName: 'hv-b',
    onError: (stage, type) => void errors.push({ stage, type }),
    logger: { warn: (msg, fields) => void logs.push({ msg, fields }) },
    ...extra,
  });
  servers.push(server);
  const { port } = new URL(server.url);
  return { server, port: Number(port), errors, logs };
}

/** Resolves with how long the socket stayed open, or 'open' if it still is after `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<number | 'open'> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('open'), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

function silentTls(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', ca: pem.cert }, () => resolve(s));
    s.on('error', () => undefined);
    s.resume(); // read (and drop) whatever comes, so that the server's close is seen
    s.once('error', reject);
    sockets.push(s);
  });
}

function silentTcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', () => undefined);
    s.resume(); // read (and drop) whatever comes, so that the server's close is seen
    s.once('error', reject);
    sockets.push(s);
  });
}

/** A raw request, so the target is sent exactly as written. */
async function raw(port: number, target: string, headers = ''): Promise<string> {
  const s = await silentTcp(port);
  let reply = '';
  s.on('data', (d: Buffer) => (reply += d.toString()));
  s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n`);
  await closedWithin(s, 5000);
  return reply;
}

describe('HTTP server limits', () => {
  it('production defaults: headers within 10 s, TLS handshake within 10 s, at most 64 connections', () => {
    expect(DEFAULT_HTTP_LIMITS).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      handshakeTimeoutMs: 10_000,
      maxConnections: 64,
      checkIntervalMs: 1_000,
    });
  });

  it('a TLS client that finishes the handshake and sends nothing is dropped within the timeout', async () => {
    const { port } = await start({ tls: pem, limits: FAST });
    const s = await silentTls(port);
    const open = await closedWithin(s, 3000);
    expect(open).not.toBe('open');
    expect(open).toBeLessThan(1500);
  });

  it('a TCP client that never starts the TLS handshake is dropped too', async () => {
    const { port } = await start({ tls: pem, limits: FAST });
    const open = await closedWithin(await silentTcp(port), 3000);
    expect(open).not.toBe('open');
    expect(open).toBeLessThan(1500);
  });

  it('a plain HTTP client that sends half a request line is dropped', async () => {
    const { port } = await start({ limits: FAST });
    const s = await silentTcp(port);
    s.write('GET /metr');
    const open = await closedWithin(s, 3000);
    expect(open).not.toBe('open');
  });

  it('connections beyond the cap are closed at once and counted; the server serves again once they go', async () => {
    const { port, errors, logs } = await start({ limits: { ...FAST, maxConnections: 3 } });
    for (let i = 0; i < 3; i++) await silentTcp(port);
    await new Promise((r) => setTimeout(r, 50));
    const extra = await silentTcp(port);
    expect(await closedWithin(extra, 300)).not.toBe('open');
    expect(errors).toContainEqual({ stage: 'http', type: 'connection_limit' });
    expect(logs.map((l) => l.msg)).toContain('HTTP connection refused: too many open connections');
    // The silent ones time out, and a real request gets through.
    await new Promise((r) => setTimeout(r, 900));
    expect(await raw(port, HTTP_PATHS.health)).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe('HTTP request targets', () => {
  it.each([
    ['//', 404],
    ['//metrics', 404],
    ['/metrics/', 404],
    ['/%zz', 404],
    ['http://example.com/metrics', 400],
    ['*', 400],
  ])('GET %s → %i, never 500', async (target, status) => {
    const { port, errors } = await start();
    expect(await raw(port, target)).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(errors).toEqual([]);
  });

  it('a query the URL parser rejects still reaches the path', async () => {
    const { port } = await start();
    expect(await raw(port, `${HTTP_PATHS.health}?x=%zz&y`)).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('failed logins', () => {
  it('are counted each time and logged once a minute per address, without the password', async () => {
    let now = 1_000_000;
    const { port, errors, logs } = await start({
      basicAuth: { username: 'prom', password: 's3cret' },
      now: () => now,
    });
    const basic = (cred: string): string =>
      `Authorization: Basic ${Buffer.from(cred).toString('base64')}\r\n`;
    for (let i = 0; i < 5; i++)
      expect(await raw(port, HTTP_PATHS.metrics, basic('prom:guess'))).toMatch(/^HTTP\/1\.1 401 /);
    expect(await raw(port, HTTP_PATHS.metrics)).toMatch(/^HTTP\/1\.1 401 /);
    expect(errors.filter((e) => e.type === 'auth_failed')).toHaveLength(6);
    expect(logs).toEqual([
      {
        msg: 'HTTP login failed',
        fields: { remote: '127.0.0.1', user: 'prom', reason: 'wrong credentials', path: '/metrics' },
      },
    ]);
    now += 61_000;
    await raw(port, HTTP_PATHS.migrations, basic('admin:admin'));
    expect(logs.at(-1)).toEqual({
      msg: 'HTTP login failed',
      fields: {
        remote: '127.0.0.1',
        user: 'admin',
        reason: 'wrong credentials',
        path: '/api/migrations',
        suppressed: 5,
      },
    });
    expect(JSON.stringify(logs)).not.toMatch(/guess|admin:admin/);
    // The right credentials still work, and are neither counted nor logged.
    expect(await raw(port, HTTP_PATHS.metrics, basic('prom:s3cret'))).toMatch(/^HTTP\/1\.1 200 /);
    expect(errors.filter((e) => e.type === 'auth_failed')).toHaveLength(7);
  });
});
