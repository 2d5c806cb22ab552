import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ATTRS, SERVICE_NAME, SPAN_EVENTS, SPANS } from '@switchover/model';
import { SpanSink } from '../src/sinks/spans.js';
import { tracesEndpoint } from '../src/config/otlp-endpoint.js';
import { resolveTracesUrl, startTracing, type Tracing } from '../src/sinks/tracing.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { FAILURE_LINE, silentDestinationEffects, T0 } from './sinks-fixtures.js';

let receiver: OtlpReceiver | null = null;
let tracing: Tracing | null = null;
afterEach(async () => {
  await tracing?.shutdown();
  await receiver?.close();
  tracing = receiver = null;
});

describe('resolveTracesUrl', () => {
  it('prefers the argument, then the traces variable as is, then the base variable', () => {
    expect(resolveTracesUrl('http://c:4318/', {})).toBe('http://c:4318/v1/traces');
    expect(resolveTracesUrl('http://c:4318/v1/traces', {})).toBe('http://c:4318/v1/traces');
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/x',
    };
    expect(resolveTracesUrl(undefined, env)).toBe('http://t:1/x');
    expect(resolveTracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318' })).toBe(
      'http://base:4318/v1/traces',
    );
    expect(resolveTracesUrl(undefined, {})).toBeNull();
  });

  it('says which setting the URL came from, for the log and the configuration check', () => {
    expect(tracesEndpoint('http://c:4318', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318' })?.from).toBe(
      'otlp.endpoint',
    );
    expect(tracesEndpoint(null, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318' })?.from).toBe(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    );
    expect(tracesEndpoint(null, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' })?.from).toBe(
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    );
  });
});

describe('startTracing', () => {
  it('is a logged no-op without an endpoint', async () => {
    const lines: string[] = [];
    tracing = startTracing({
      serviceName: SERVICE_NAME,
      hostName: 'hv-b',
      env: {},
      log: (l) => lines.push(l),
    });
    expect(tracing.url).toBeNull();
    expect(lines).toHaveLength(1);
    // Names the setting to change as the configuration spells it (issue 10).
    expect(lines[0]).toBe(
      'tracing disabled: no OTLP endpoint configured (set otlp.endpoint, or OTEL_EXPORTER_OTLP_ENDPOINT)',
    );
    const span = tracing.tracer.startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it('exports the silent-failure trace over real OTLP/HTTP JSON with resource, links, attributes and the raw line', async () => {
    receiver = await startOtlpReceiver();
    const lines: string[] = [];
    tracing = startTracing({
      serviceName: SERVICE_NAME,
      hostName: 'hv-b',
      serviceVersion: '0.1.0',
      endpoint: receiver.url,
      headers: { authorization: 'Bearer t0ken' },
      env: {},
      log: (l) => lines.push(l),
    });
    // The SDK is loaded on demand; spans record once it is.
    await tracing.ready;
    expect(lines[0]).toBe(
      `tracing enabled: OTLP/HTTP JSON to ${receiver.url}/v1/traces (from otlp.endpoint)`,
    );
    const sink = new SpanSink({ tracer: tracing.tracer });
    sink.handle(silentDestinationEffects(), T0 + 40_000);
    await tracing.flush();
    const spans = await receiver.waitFor((s) => s.some((x) => x.name === SPANS.migration));
    expect(receiver.rejected()).toBe(0);
    expect(receiver.requests()[0]?.authorization).toBe('Bearer t0ken');

    const root = spans.find((s) => s.name === SPANS.migration)!;
    expect(root.parentSpanId).toBe('');
    expect(root.resource).toMatchObject({
      [ATTRS.serviceName]: SERVICE_NAME,
      [ATTRS.hostName]: 'hv-b',
      [ATTRS.serviceVersion]: '0.1.0',
    });
    expect(root.start).toBeCloseTo(T0 + 5, 3);
    expect(root.attributes).toMatchObject({
      [ATTRS.vmName]: 'vm1',
      [ATTRS.verdict]: 'silent-destination-failure',
      [ATTRS.failedDevices]: ['0000:3b:00.1'],
      [ATTRS.resumeTimeMs]: T0 + 1201,
    });
    expect(root.status.code).toBe(SpanStatusCode.ERROR);
    const failure = root.events.find((e) => e.name === SPAN_EVENTS.vfioFailure);
    expect(failure?.attributes[ATTRS.rawLine]).toBe(FAILURE_LINE);
    expect(failure?.time).toBeCloseTo(T0 + 1202, 3);

    const children = spans.filter((s) => s !== root);
    expect(children.map((c) => c.name).sort()).toEqual(
      [SPANS.phase, SPANS.phase, SPANS.deviceState, SPANS.deviceState].sort(),
    );
    for (const c of children) {
      expect(c.parentSpanId).toBe(root.spanId);
      expect(c.traceId).toBe(root.traceId);
      expect(c.attributes[ATTRS.migrationId]).toBe(root.attributes[ATTRS.migrationId]);
    }
    const failed = children.find(
      (c) => c.name === SPANS.deviceState && c.status.code === SpanStatusCode.ERROR,
    );
    expect(failed?.attributes).toMatchObject({
      [ATTRS.deviceState]: 'RUNNING',
      [ATTRS.targetState]: 'RUNNING',
      [ATTRS.rawLine]: FAILURE_LINE,
    });
  });

  it('says once when exports fail, naming the setting, counts each failure, and says when they work again', async () => {
    // A collector that refuses every batch (400 is not retried), then a working one on the same port.
    const refusing = createServer((_req, res) => void res.writeHead(400).end());
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    const port = (refusing.address() as AddressInfo).port;
    const warnings: string[] = [];
    const failures: unknown[] = [];
    tracing = startTracing({
      serviceName: SERVICE_NAME,
      hostName: 'hv-b',
      endpoint: `http://127.0.0.1:${port}`,
      env: {},
      log: () => {},
      warn: (l) => warnings.push(l),
      onExportError: (e) => failures.push(e),
    });
    await tracing.ready;
    for (let i = 0; i < 2; i++) {
      tracing.tracer.startSpan(`lost-${i}`).end();
      await tracing.flush().catch(() => undefined);
    }
    expect(failures).toHaveLength(2);
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^OTLP export to http://127\\.0\\.0\\.1:${port}/v1/traces \\(from otlp\\.endpoint\\) failed: .*; spans are dropped until it works$`,
        ),
      ),
    ]);
    await new Promise<void>((r) => refusing.close(() => r()));
    receiver = await startOtlpReceiver({ port });
    tracing.tracer.startSpan('kept').end();
    await tracing.flush();
    expect(warnings.at(-1)).toBe(
      `OTLP export to http://127.0.0.1:${port}/v1/traces (from otlp.endpoint) works again`,
    );
    expect(failures).toHaveLength(2);
  });

  it('keeps each agent’s own resource: two tracers at once are independent (no global provider)', async () => {
    receiver = await startOtlpReceiver();
    const both = ['hv-a', 'hv-b'].map((host) =>
      startTracing({
        serviceName: SERVICE_NAME,
        hostName: host,
        endpoint: receiver!.url,
        env: {},
        log: () => {},
      }),
    );
    await Promise.all(both.map((t) => t.ready));
    both.forEach((t, i) => t.tracer.startSpan(`span-${i}`).end());
    await Promise.all(both.map((t) => t.shutdown()));
    const spans = await receiver.waitFor((s) => s.length >= 2);
    expect(Object.fromEntries(spans.map((s) => [s.name, s.resource['host.name']]))).toEqual({
      'span-0': 'hv-a',
      'span-1': 'hv-b',
    });
  });
});
