export type { EffectSink, Recorder, SelfMetrics } from './types.js';
export { MetricsSink, type MetricsSinkOptions } from './metrics.js';
export { SpanSink, type SpanSinkOptions } from './spans.js';
export { VmSeries, DEFAULT_VM_SERIES_TTL_MS, type VmSeriesOptions } from './vm-series.js';
export { startTracing, resolveTracesUrl, type Tracing, type TracingOptions } from './tracing.js';
export {
  FileRecorder,
  DEFAULT_RECORDER_MAX_BYTES,
  readRecorderFile,
  type FileRecorderOptions,
  type RecorderContent,
  type RecorderLine,
} from './recorder.js';
export { startHttpServer, type HealthReport, type HttpServer, type HttpServerOptions } from './http.js';
