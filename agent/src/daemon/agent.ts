import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { SERVICE_NAME } from '@switchover/model';
import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '../lib/log.js';
import { startHttpServer, type HttpServer } from '../sinks/http.js';
import { MetricsSink } from '../sinks/metrics.js';
import { FileRecorder } from '../recorder/file-recorder.js';
import { SpanSink } from '../sinks/spans.js';
import { VmSeries } from '../sinks/vm-series.js';
import { startTracing, type Tracing } from '../sinks/tracing.js';
import type { Source, SourceCallbacks, SourceStatus } from '../sources/types.js';
import { Pipeline } from './pipeline.js';
import { createSources } from './sources.js';

export interface AgentDeps {
  logger: Logger;
  version: string;
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
  /** How often the correlator state is snapshotted when something changed. Default 5 s. */
  snapshotEveryMs?: number;
}

/** The per-host daemon: every component built from the config, started in order, stopped in reverse. */
export class Agent {
  private sources: Source[] = [];
  private http: HttpServer | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private snapshotter: NodeJS.Timeout | null = null;
  private readonly inputs = new Map<string, SourceStatus>();
  private running = false;
  /** Input or effects since the last periodic snapshot. */
  private changed = true;

  readonly registry = new Registry();
  readonly metrics: MetricsSink;
  readonly vmSeries: VmSeries;
  readonly recorder: FileRecorder;
  readonly pipeline: Pipeline;
  private readonly tracing: Tracing;
  private readonly spans: SpanSink;

  constructor(
    readonly config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    const log = deps.logger;
    const error = (stage: string, errorType: string, err: unknown): void => {
      this.metrics.error(stage, errorType);
      log.warn(`${stage}: ${errorType.replace(/_/g, ' ')}`, {
        err: err instanceof Error ? err.message : String(err),
      });
    };
    this.metrics = new MetricsSink({ registry: this.registry, host: config.host, version: deps.version });
    this.vmSeries = new VmSeries({
      registry: this.registry,
      ttlMs: config.metrics.vmSeriesTtlSeconds * 1000,
      clock: deps.clock ?? Date.now,
      onError: (stage, type) => this.metrics.error(stage, type),
    });
    this.recorder = new FileRecorder({
      stateDir: config.stateDir,
      maxBytes: config.recorder.maxBytes,
      onBytes: (b) => this.metrics.recorderBytes(b),
      onError: error,
      onWriteFailed: (stage, type) => this.metrics.error(stage, type),
      onWarning: (message) => log.warn(message, { dir: config.stateDir }),
      // One line per change: a full or read-only disk must not log once per observation.
      onHealth: (h) => {
        this.metrics.stateWritable(h.writable);
        if (h.writable)
          log.info('state directory writable again: recording and saving input positions', {
            dir: config.stateDir,
          });
        else
          log.error(
            'state directory not writable: nothing is recorded and input positions are not saved until it is',
            {
              dir: config.stateDir,
              err: h.error ?? undefined,
            },
          );
      },
    });
    this.tracing = startTracing({
      serviceName: SERVICE_NAME,
      hostName: config.host,
      serviceVersion: deps.version,
      ...(config.otlp.endpoint ? { endpoint: config.otlp.endpoint } : {}),
      headers: config.otlp.headers,
      env: deps.env ?? process.env,
      log: (line) => log.info(line),
      warn: (line) => log.warn(line),
      onExportError: () => this.metrics.error('otlp', 'export_failed'),
    });
    this.spans = new SpanSink({
      tracer: this.tracing.tracer,
      maxOpen: config.detection.maxOpenSessions,
      onError: error,
    });
    this.pipeline = new Pipeline({
      recorder: this.recorder,
      sinks: [this.metrics, this.vmSeries, this.spans],
      self: this.metrics,
      logger: log,
      ...(deps.clock ? { clock: deps.clock } : {}),
      correlator: {
        windowMs: config.detection.windowSeconds * 1000,
        resumeWaitMs: config.detection.resumeWaitSeconds * 1000,
        resumeObservable: config.inputs.qmp.enabled || config.inputs.virsh.enabled,
        maxOpenSessions: config.detection.maxOpenSessions,
      },
    });
    // Anything a snapshot would hold that the last one does not: an idle host writes none.
    this.pipeline.onEffects(() => (this.changed = true));
    const callbacks: SourceCallbacks = {
      record: (r) => {
        this.changed = true;
        return this.pipeline.ingest(r);
      },
      status: (s) => {
        this.inputs.set(`${s.input}\0${s.instance}`, s);
        this.metrics.sourceUp(s.input, s.instance, s.up);
      },
      error,
      durable: () => this.pipeline.durable(),
    };
    this.sources = createSources(config, callbacks, {
      logger: log,
      onLag: (s) => this.metrics.journalLag(s),
      onLinesLost: (input, reason, n) => this.metrics.linesLost(input, reason, n),
    });
  }

  get url(): string | null {
    return this.http?.url ?? null;
  }

  async start(): Promise<void> {
    const log = this.deps.logger;
    // The OpenTelemetry SDK loads on demand: spans are recorded from the first input line on.
    await this.tracing.ready;
    const restored = await this.pipeline.restore();
    if (restored.sessions > 0 || restored.replayed > 0)
      log.info('resumed open migrations from the flight recorder', {
        sessions: restored.sessions,
        replayed: restored.replayed,
      });
    // Recent migrations keep their per-VM series across the restart (open ones were re-announced).
    this.vmSeries.restore(this.recorder.sessions(), new Set(this.pipeline.openSessions().map((s) => s.id)));
    const { http } = this.config;
    this.http = await startHttpServer({
      address: http.address,
      port: http.port,
      registry: this.registry,
      recorder: this.recorder,
      hostName: this.config.host,
      health: () => this.health(),
      ...(http.tls
        ? { tls: { cert: readFileSync(http.tls.certFile), key: readFileSync(http.tls.keyFile) } }
        : {}),
      ...(http.basicAuth ? { basicAuth: http.basicAuth } : {}),
      onError: (stage, type) => this.metrics.error(stage, type),
      logger: log,
    });
    const { inputs } = this.config;
    if (
      inputs.libvirtLogs.enabled &&
      !inputs.qmp.enabled &&
      !inputs.virsh.enabled &&
      !inputs.journald.enabled &&
      !inputs.proxmox.enabled
    )
      log.warn(
        'libvirt logs are the only input: verdicts rest on QEMU process lifetimes (a destination never logs its completion, a source logs no failure or cancel, so those stay in progress until the VM migrates again or stops); enable inputs.virsh (or qmp) for migration events',
      );
    for (const s of this.sources) await s.start();
    this.ticker = setInterval(() => void this.pipeline.tick(), 250);
    this.snapshotter = setInterval(() => {
      if (!this.changed) return;
      this.changed = false;
      void this.pipeline.snapshot();
    }, this.deps.snapshotEveryMs ?? 5000);
    this.running = true;
    log.info('agent started', {
      host: this.config.host,
      http: this.http.url,
      inputs: this.sources.map((s) => s.name).join(','),
    });
  }

  /**
   * `/healthz`: 200 only while running with a writable state directory. An agent that detects but
   * cannot save (read-only or full disk) is `degraded` (503): a restart would lose what it saw.
   */
  private health(): {
    healthy: boolean;
    running: boolean;
    status: string;
    host: string;
    inputs: SourceStatus[];
    stateDir: object;
  } {
    const storage = this.recorder.health();
    const ok = this.running && storage.writable;
    return {
      healthy: ok,
      running: this.running,
      status: ok ? 'ok' : this.running ? 'degraded' : 'unavailable',
      host: this.config.host,
      inputs: [...this.inputs.values()],
      stateDir: {
        path: this.config.stateDir,
        writable: storage.writable,
        ...(storage.error ? { error: storage.error } : {}),
        since: new Date(storage.since).toISOString(),
      },
    };
  }

  /** Stop inputs first, drain and persist, then outputs; each step survives the others failing. */
  async stop(): Promise<void> {
    this.running = false;
    const log = this.deps.logger;
    const step = async (what: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        log.error(`stopping ${what} failed`, { err: err instanceof Error ? err.message : String(err) });
      }
    };
    if (this.ticker) clearInterval(this.ticker);
    if (this.snapshotter) clearInterval(this.snapshotter);
    for (const s of [...this.sources].reverse()) await step(s.name, () => s.stop());
    await step('pipeline', () => this.pipeline.drain());
    await step('recorder', () => this.recorder.stop());
    await step('http', () => this.http?.close());
    await step('tracing', () => this.tracing.shutdown());
    log.info('agent stopped');
  }
}
