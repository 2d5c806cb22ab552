/**
 * An in-process OTLP/HTTP receiver for tests: accepts `POST /v1/traces` with the JSON encoding (what
 * `@opentelemetry/exporter-trace-otlp-http` sends; gzip or not) and flattens every span it gets.
 * Listens on 127.0.0.1 on a random port. Protobuf bodies are answered 415 and counted in `rejected`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

export type AttrValue = string | number | boolean | null | AttrValue[];

export interface FlatSpan {
  name: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  kind: number;
  /** Epoch ms (from the nanosecond strings). */
  start: number;
  end: number;
  attributes: Record<string, AttrValue>;
  events: { name: string; time: number; attributes: Record<string, AttrValue> }[];
  status: { code: number; message?: string };
  resource: Record<string, AttrValue>;
  scope: string;
}

export interface OtlpReceiver {
  /** Base URL, e.g. `http://127.0.0.1:43117` (the exporter appends `/v1/traces`). */
  url: string;
  spans(): FlatSpan[];
  /** Request headers of every export, in order (for auth-header checks). */
  requests(): Record<string, string | string[] | undefined>[];
  rejected(): number;
  /** Resolves with the spans once `pred` holds on them; rejects after `ms`. */
  waitFor(pred: (spans: FlatSpan[]) => boolean, ms?: number): Promise<FlatSpan[]>;
  close(): Promise<void>;
}

interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
}

function value(v: AnyValue | undefined): AttrValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

const attrs = (kvs: KeyValue[] | undefined): Record<string, AttrValue> =>
  Object.fromEntries((kvs ?? []).map((kv) => [kv.key, value(kv.value)]));

/** JSON OTLP ids are hex in the JS exporter; the spec's protobuf-JSON mapping would be base64: accept both. */
const id = (s: string | undefined): string => {
  if (!s) return '';
  if (/^[0-9a-f]+$/i.test(s) && (s.length === 16 || s.length === 32)) return s.toLowerCase();
  return Buffer.from(s, 'base64').toString('hex');
};

/** Nanoseconds (string or number, or {low,high}) to epoch ms with microseconds kept. */
const ms = (n: unknown): number => {
  if (typeof n === 'object' && n !== null && 'low' in n && 'high' in n) {
    const { low, high } = n as { low: number; high: number };
    return Number((BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)) / 1e6;
  }
  const big = BigInt(String(n ?? 0));
  return Number(big / 1000n) / 1000;
};

interface ExportBody {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        name: string;
        traceId?: string;
        spanId?: string;
        parentSpanId?: string;
        kind?: number;
        startTimeUnixNano?: unknown;
        endTimeUnixNano?: unknown;
        attributes?: KeyValue[];
        events?: { name: string; timeUnixNano?: unknown; attributes?: KeyValue[] }[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

function flatten(body: ExportBody): FlatSpan[] {
  const out: FlatSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? [])
        out.push({
          name: s.name,
          traceId: id(s.traceId),
          spanId: id(s.spanId),
          parentSpanId: id(s.parentSpanId),
          kind: s.kind ?? 0,
          start: ms(s.startTimeUnixNano),
          end: ms(s.endTimeUnixNano),
          attributes: attrs(s.attributes),
          events: (s.events ?? []).map((e) => ({
            name: e.name,
            time: ms(e.timeUnixNano),
            attributes: attrs(e.attributes),
          })),
          status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
          resource,
          scope: ss.scope?.name ?? '',
        });
  }
  return out;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const enc = req.headers['content-encoding'];
  if (enc === 'gzip') return gunzipSync(raw);
  if (enc === 'deflate') return inflateSync(raw);
  return raw;
}

/** On an ephemeral port, or on `port` (a test that needs the URL before the receiver exists). */
export async function startOtlpReceiver(o: { port?: number } = {}): Promise<OtlpReceiver> {
  const collected: FlatSpan[] = [];
  const headers: Record<string, string | string[] | undefined>[] = [];
  let rejected = 0;
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const data = await body(req);
      if (!String(req.headers['content-type'] ?? '').includes('json')) {
        rejected++;
        res.writeHead(415).end();
        return;
      }
      headers.push({ ...req.headers });
      collected.push(...flatten(JSON.parse(data.toString('utf8')) as ExportBody));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    })().catch(() => {
      rejected++;
      if (!res.headersSent) res.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...collected],
    requests: () => [...headers],
    rejected: () => rejected,
    waitFor: async (pred, timeout = 10_000) => {
      const deadline = Date.now() + timeout;
      while (!pred(collected)) {
        if (Date.now() > deadline)
          throw new Error(
            `OTLP receiver: condition not met within ${timeout} ms (${collected.length} spans)`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
      return [...collected];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
