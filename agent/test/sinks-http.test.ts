import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { HTTP_PATHS, METRICS, type Session, type TableRow } from '@switchover/model';
import type { Effect } from '../src/correlator/types.js';
import {
  startHttpServer,
  type HealthReport,
  type HttpServer,
  type HttpServerOptions,
} from '../src/sinks/http.js';
import { MetricsSink } from '../src/sinks/metrics.js';
import { silentDestinationEffects, sourceEffects } from './sinks-fixtures.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, opts: { method?: string; auth?: string; ca?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: opts.method ?? 'GET',
        ...(opts.ca ? { ca: opts.ca } : {}),
        headers: opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const lastSession = (effects: Effect[]): Session =>
  (effects.at(-1) as Extract<Effect, { kind: 'session-closed' }>).session;

const servers: HttpServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function start(extra: Partial<HttpServerOptions> = {}, health?: () => HealthReport) {
  const registry = new Registry();
  const metrics = new MetricsSink({ registry, host: 'hv-b', version: '0.1.0' });
  const dst = silentDestinationEffects();
  metrics.handle(dst, 0);
  const sessions = [
    lastSession(sourceEffects('hv-a', 'vm1')),
    lastSession(dst),
    lastSession(sourceEffects('hv-a', 'other')),
  ];
  const server = await startHttpServer({
    address: '127.0.0.1',
    port: 0,
    registry,
    recorder: { sessions: () => sessions },
    health: health ?? (() => ({ healthy: true, inputs: [{ input: 'qmp', instance: 'vm1', up: true }] })),
    hostName: 'hv-b',
    now: () => Date.UTC(2024, 4, 2, 12),
    ...extra,
  });
  servers.push(server);
  return server;
}

describe('startHttpServer', () => {
  it('serves metrics with the registry content type', async () => {
    const { url } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await get(url + HTTP_PATHS.metrics);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(new Registry().contentType);
    expect(r.body).toContain(`${METRICS.silentDestinationFailures}{vm="vm1",device="0000:3b:00.1"} 1`);
  });

  it('serves paired migrations, the flat table, and filters by VM', async () => {
    const { url } = await start();
    const r = await get(url + HTTP_PATHS.migrations);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(body.host).toBe('hv-b');
    expect(body.generatedAt).toBe('2024-05-02T12:00:00.000Z');
    expect(body.migrations.map((m: { vm: string; verdict: string }) => [m.vm, m.verdict])).toEqual([
      ['vm1', 'silent-destination-failure'],
      ['other', 'unverified'],
    ]);
    const filtered = JSON.parse((await get(`${url}${HTTP_PATHS.migrations}?vm=other`)).body);
    expect(filtered.migrations).toHaveLength(1);
    const table = JSON.parse((await get(`${url}${HTTP_PATHS.migrations}?format=table&vm=vm1`)).body);
    expect(table.host).toBe('hv-b');
    const rows = table.rows as TableRow[];
    expect(new Set(rows.map((x) => x.vm))).toEqual(new Set(['vm1']));
    expect(rows.filter((x) => x.kind === 'session')).toHaveLength(2);
    expect(rows.find((x) => x.kind === 'failure')?.text).toContain('Failed setting device state to RUNNING');
    const raw = JSON.parse((await get(`${url}${HTTP_PATHS.migrations}?format=sessions&vm=vm1`)).body);
    expect(raw.sessions.map((x: { vm: string; role: string }) => [x.vm, x.role]).sort()).toEqual([
      ['vm1', 'destination'],
      ['vm1', 'source'],
    ]);
  });

  it('answers health 200 or 503, 404 for unknown paths and 405 for other methods', async () => {
    let running = true;
    const { url } = await start({}, () => ({
      healthy: running,
      inputs: [{ input: 'journald', instance: 'default', up: running }],
    }));
    let r = await get(url + HTTP_PATHS.health);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({
      status: 'ok',
      host: 'hv-b',
      inputs: [{ input: 'journald', up: true }],
    });
    running = false;
    r = await get(url + HTTP_PATHS.health);
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).status).toBe('unavailable');
    expect((await get(url + '/nope')).status).toBe(404);
    r = await get(url + HTTP_PATHS.metrics, { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET');
  });

  it('requires basic auth on /metrics and /api but not on /healthz', async () => {
    const { url } = await start({ basicAuth: { username: 'prom', password: 's3cret:with colon' } });
    for (const path of [HTTP_PATHS.metrics, HTTP_PATHS.migrations]) {
      const denied = await get(url + path);
      expect(denied.status).toBe(401);
      expect(denied.headers['www-authenticate']).toMatch(/^Basic /);
      expect((await get(url + path, { auth: 'prom:wrong' })).status).toBe(401);
      expect((await get(url + path, { auth: 'other:s3cret:with colon' })).status).toBe(401);
      expect((await get(url + path, { auth: 'prom:s3cret:with colon' })).status).toBe(200);
    }
    expect((await get(url + HTTP_PATHS.health)).status).toBe(200);
  });

  it('fails at start-up when the port is taken', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    await expect(start({ port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('speaks TLS with a self-signed certificate made by openssl', async () => {
    const which = spawnSync('openssl', ['version']);
    if (which.error) return; // openssl missing: nothing to sign with
    const dir = await mkdtemp(join(tmpdir(), 'switchover-tls-'));
    dirs.push(dir);
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const pem = { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
    const { url } = await start({ tls: pem, basicAuth: { username: 'u', password: 'p' } });
    expect(url).toMatch(/^https:\/\//);
    const ok = await get(url + HTTP_PATHS.metrics, { ca: pem.cert, auth: 'u:p' });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain(METRICS.buildInfo);
    expect((await get(url + HTTP_PATHS.metrics, { ca: pem.cert })).status).toBe(401);
    await expect(get(url.replace('https:', 'http:') + HTTP_PATHS.health)).rejects.toThrow(); // plain HTTP is refused
    await expect(get(url + HTTP_PATHS.health)).rejects.toThrow(/self.signed|certificate/i); // untrusted without the CA
  });
});
