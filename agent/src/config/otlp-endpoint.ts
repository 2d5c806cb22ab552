/**
 * Where spans go, and which setting said so: `otlp.endpoint` (also set by SWITCHOVER_OTLP_ENDPOINT)
 * first, then OpenTelemetry's standard variables. Shared by the exporter and the configuration
 * check, so that `--check` validates exactly the URL the agent will use, and the agent's log can
 * name the setting to change.
 */
export const OTLP_ENDPOINT_KEY = 'otlp.endpoint';
export const OTEL_TRACES_ENDPOINT = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
export const OTEL_ENDPOINT = 'OTEL_EXPORTER_OTLP_ENDPOINT';

export type EndpointSetting = typeof OTLP_ENDPOINT_KEY | typeof OTEL_TRACES_ENDPOINT | typeof OTEL_ENDPOINT;

const TRACES_PATH = '/v1/traces';

/** A base endpoint (`http://collector:4318`) gets `/v1/traces`; the signal-specific variable is used as is. */
export function tracesEndpoint(
  endpoint: string | null | undefined,
  env: Record<string, string | undefined>,
): { url: string; from: EndpointSetting; /** As the setting spelt it. */ raw: string } | null {
  const base = (u: string): string =>
    u.endsWith(TRACES_PATH) ? u : `${u.replace(/\/+$/, '')}${TRACES_PATH}`;
  const given = endpoint?.trim();
  if (given) return { url: base(given), from: OTLP_ENDPOINT_KEY, raw: given };
  const signal = env[OTEL_TRACES_ENDPOINT]?.trim();
  if (signal) return { url: signal, from: OTEL_TRACES_ENDPOINT, raw: signal };
  const general = env[OTEL_ENDPOINT]?.trim();
  return general ? { url: base(general), from: OTEL_ENDPOINT, raw: general } : null;
}
