import { ProxyTracerProvider, type Tracer } from '@opentelemetry/api';
import { ATTRS } from '@switchover/model';
import { OTEL_ENDPOINT, OTLP_ENDPOINT_KEY, tracesEndpoint } from '../config/otlp-endpoint.js';

export interface TracingOptions {
  serviceName: string;
  hostName: string;
  serviceVersion?: string;
  /** OTLP/HTTP base endpoint (`http://collector:4318`) or full traces URL (`…/v1/traces`). */
  endpoint?: string;
  headers?: Record<string, string>;
  /** Where `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` are read from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** One line about what tracing does (enabled and where, or disabled and why). */
  log?: (line: string) => void;
  /** Export failures: one line when exports start failing, one when they work again. */
  warn?: (line: string) => void;
  /** Every failed export (counted as switchover_errors_total{stage="otlp"}). */
  onExportError?: (err: unknown) => void;
}

export interface Tracing {
  tracer: Tracer;
  /** The traces URL spans go to, or null when tracing is disabled. */
  url: string | null;
  /** Resolves once spans are recorded (the SDK is loaded on demand); rejects if it cannot load. */
  ready: Promise<void>;
  /** Exports every ended span now. */
  flush(): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/** The traces URL: argument first, then the standard variables (the signal-specific one is used as is). */
export function resolveTracesUrl(
  endpoint: string | undefined,
  env: Record<string, string | undefined>,
): string | null {
  return tracesEndpoint(endpoint, env)?.url ?? null;
}

/**
 * OpenTelemetry for the agent: an OpenTelemetry SDK tracer provider (`@opentelemetry/sdk-trace-base`)
 * with one OTLP/HTTP (JSON) trace exporter and nothing else (no auto-instrumentations, no metrics —
 * Prometheus has those — and no logs). Without an endpoint tracing is off, the tracer is a no-op and
 * the SDK is not even loaded (it is most of the agent's memory otherwise). With one, the SDK is
 * loaded in the background: the tracer is a proxy that starts recording once `ready` resolved, which
 * the agent awaits before it starts its inputs.
 */
export function startTracing(options: TracingOptions): Tracing {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const target = tracesEndpoint(options.endpoint, options.env ?? process.env);
  if (target === null) {
    // Name the setting an operator would change, as the example configuration spells it.
    log(`tracing disabled: no OTLP endpoint configured (set ${OTLP_ENDPOINT_KEY}, or ${OTEL_ENDPOINT})`);
    const noop = new ProxyTracerProvider().getTracer(options.serviceName);
    return {
      tracer: noop,
      url: null,
      ready: Promise.resolve(),
      flush: async () => {},
      shutdown: async () => {},
    };
  }
  const { url, from } = target;
  const proxy = new ProxyTracerProvider();
  let provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> } | undefined;
  const ready = (async () => {
    const [{ OTLPTraceExporter }, { defaultResource, resourceFromAttributes }, sdk] = await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
    ]);
    const exporter = watchExports(
      new OTLPTraceExporter({ url, ...(options.headers ? { headers: options.headers } : {}) }),
      `${url} (from ${from})`,
      options,
    );
    const resource = defaultResource().merge(
      resourceFromAttributes({
        [ATTRS.serviceName]: options.serviceName,
        [ATTRS.hostName]: options.hostName,
        [ATTRS.serviceVersion]: options.serviceVersion ?? 'unknown',
      }),
    );
    // A provider of its own, not registered globally: the agent passes its tracer to the span sink, and
    // nothing else in the process (or a second agent in tests) can replace its resource.
    const p = new sdk.BasicTracerProvider({
      resource,
      spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
    });
    provider = p;
    proxy.setDelegate(p);
    log(`tracing enabled: OTLP/HTTP JSON to ${url} (from ${from})`);
  })();
  // Awaited by the agent's start; never an unhandled rejection when a caller does not.
  void ready.catch(() => undefined);
  let down: Promise<void> | null = null;
  return {
    tracer: proxy.getTracer(options.serviceName, options.serviceVersion),
    url,
    ready,
    flush: async () => {
      await ready;
      await provider?.forceFlush();
    },
    shutdown: () =>
      (down ??= ready.then(
        () => provider?.shutdown(),
        () => undefined,
      )),
  };
}

/** What the SDK's batch processor needs of an exporter. */
interface Exporter {
  export(spans: never[], done: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/** ExportResultCode.SUCCESS of @opentelemetry/core. */
const EXPORT_SUCCESS = 0;

/**
 * The SDK drops spans it cannot export without a word: say so once per failure streak, naming the
 * setting that chose the URL, count every failure, and say when exports work again.
 */
function watchExports<E extends Exporter>(inner: E, where: string, o: TracingOptions): E {
  const warn = o.warn ?? o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let failing = false;
  const wrapped: Exporter = {
    export: (spans, done) =>
      inner.export(spans, (result) => {
        if (result.code !== EXPORT_SUCCESS) {
          o.onExportError?.(result.error);
          if (!failing)
            warn(
              `OTLP export to ${where} failed: ${result.error?.message ?? 'unknown error'}; spans are dropped until it works`,
            );
          failing = true;
        } else if (failing) {
          failing = false;
          warn(`OTLP export to ${where} works again`);
        }
        done(result);
      }),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
  return wrapped as E;
}
