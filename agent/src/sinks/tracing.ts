import { ProxyTracerProvider, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { tracing } from '@opentelemetry/sdk-node';
import { ATTRS } from '@switchover/model';
import { OTEL_ENDPOINT, OTLP_ENDPOINT_KEY, tracesEndpoint } from './otlp-endpoint.js';

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
}

export interface Tracing {
  tracer: Tracer;
  /** The traces URL spans go to, or null when tracing is disabled. */
  url: string | null;
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
 * OpenTelemetry for the agent: an OpenTelemetry SDK (`@opentelemetry/sdk-node`) tracer provider with one OTLP/HTTP (JSON) trace exporter and nothing else
 * (no auto-instrumentations, no metrics — Prometheus has those — and no logs). Without an endpoint
 * tracing is off and the tracer is a no-op, so the span sink costs nothing.
 */
export function startTracing(options: TracingOptions): Tracing {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const target = tracesEndpoint(options.endpoint, options.env ?? process.env);
  if (target === null) {
    // Name the setting an operator would change, as the example configuration spells it.
    log(`tracing disabled: no OTLP endpoint configured (set ${OTLP_ENDPOINT_KEY}, or ${OTEL_ENDPOINT})`);
    const noop = new ProxyTracerProvider().getTracer(options.serviceName);
    return { tracer: noop, url: null, flush: async () => {}, shutdown: async () => {} };
  }
  const { url, from } = target;
  const exporter = new OTLPTraceExporter({ url, ...(options.headers ? { headers: options.headers } : {}) });
  const processor = new tracing.BatchSpanProcessor(exporter);
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTRS.serviceName]: options.serviceName,
      [ATTRS.hostName]: options.hostName,
      [ATTRS.serviceVersion]: options.serviceVersion ?? 'unknown',
    }),
  );
  // A provider of its own, not registered globally: the agent passes its tracer to the span sink, and
  // nothing else in the process (or a second agent in tests) can replace its resource.
  const provider = new tracing.BasicTracerProvider({ resource, spanProcessors: [processor] });
  log(`tracing enabled: OTLP/HTTP JSON to ${url} (from ${from})`);
  let down: Promise<void> | null = null;
  return {
    tracer: provider.getTracer(options.serviceName, options.serviceVersion),
    url,
    flush: () => provider.forceFlush(),
    shutdown: () => (down ??= provider.shutdown()),
  };
}
