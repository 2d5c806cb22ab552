import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LABELS, METRICS } from '@switchover/model';

const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const DOWNTIME_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every metric the agent exports, registered in `registry` (HELP text on each; label sets bounded). */
export function createMetrics(registry: Registry, version: string) {
  const registers = [registry];
  const { role, outcome, state, result, vm, device, value, verdict, input, stage, errorType } = LABELS;
  const metrics = {
    sessions: new Counter({
      name: METRICS.sessions,
      help: 'Migration sessions seen on this host that ended, by role and side outcome.',
      labelNames: [role, outcome],
      registers,
    }),
    inProgress: new Gauge({
      name: METRICS.inProgress,
      help: 'Migrations of VMs on this host currently in progress, by role.',
      labelNames: [role],
      registers,
    }),
    duration: new Histogram({
      name: METRICS.duration,
      help: 'Migration duration in seconds (source: QEMU total-time when known), by role.',
      labelNames: [role],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    downtime: new Histogram({
      name: METRICS.downtime,
      help: 'Guest downtime in seconds reported by the source QEMU.',
      buckets: DOWNTIME_BUCKETS,
      registers,
    }),
    transitions: new Counter({
      name: METRICS.vfioTransitions,
      help: 'VFIO device migration state transitions, by target state and result.',
      labelNames: [state, result],
      registers,
    }),
    silent: new Counter({
      name: METRICS.silentDestinationFailures,
      help: 'VFIO devices that failed their transition on this destination while the migration carried on.',
      labelNames: [vm, device],
      registers,
    }),
    lost: new Counter({
      name: METRICS.destinationLost,
      help: 'Migrations that completed onto this destination whose QEMU then died within the attribution window: the VM runs nowhere.',
      labelNames: [vm, LABELS.host],
      registers,
    }),
    loadFailures: new Counter({
      name: METRICS.loadFailures,
      help: 'Incoming migrations whose stream could not be loaded on this destination.',
      registers,
    }),
    rpShut: new Counter({
      name: METRICS.returnPathShut,
      help: 'Return-path SHUT messages received by this source, by value (0 = destination reported success).',
      labelNames: [value],
      registers,
    }),
    rpErrors: new Counter({
      name: METRICS.returnPathErrors,
      help: 'Return-path errors reported on this source.',
      registers,
    }),
    verdicts: new Counter({
      name: METRICS.verdicts,
      help: "Closed sessions by this host's single-side verdict.",
      labelNames: [verdict],
      registers,
    }),
    sourceUpGauge: new Gauge({
      name: METRICS.sourceUp,
      help: 'Whether an input of the agent is connected and reading (1) or not (0).',
      labelNames: [input, LABELS.target],
      registers,
    }),
    records: new Counter({
      name: METRICS.records,
      help: 'Raw records read, by input.',
      labelNames: [input],
      registers,
    }),
    unknown: new Counter({
      name: METRICS.unknownRecords,
      help: 'Raw records no decoder understood, by input (counted and skipped).',
      labelNames: [input],
      registers,
    }),
    errors: new Counter({
      name: METRICS.errors,
      help: 'Named failures of the agent, by pipeline stage and error type.',
      labelNames: [stage, errorType],
      registers,
    }),
    lag: new Gauge({
      name: METRICS.journalLag,
      help: 'Age in seconds of the last journal entry processed when it was processed.',
      registers,
    }),
    open: new Gauge({ name: METRICS.openSessions, help: 'Sessions open in the correlator.', registers }),
    evicted: new Counter({
      name: METRICS.evictedSessions,
      help: 'Sessions evicted from the correlator before they closed.',
      registers,
    }),
    linesLost: new Counter({
      name: METRICS.logLinesLost,
      help: 'Lines of followed logs the agent knows it could not read, by input and reason (too_long, truncated, unreadable).',
      labelNames: [input, LABELS.reason],
      registers,
    }),
    recorderBytesGauge: new Gauge({
      name: METRICS.recorderBytes,
      help: 'Bytes the flight recorder occupies in the state directory.',
      registers,
    }),
    stateWritableGauge: new Gauge({
      name: METRICS.stateWritable,
      help: "Whether the state directory takes the flight recorder's writes (1) or not (0: read-only, full or failing; nothing is saved and input positions stay put until it recovers).",
      registers,
    }),
    duplicates: new Counter({
      name: METRICS.duplicateObservations,
      help: 'Observations an input delivered again after a restart (already recorded before it), by input: skipped.',
      labelNames: [input],
      registers,
    }),
  };
  new Gauge({
    name: METRICS.buildInfo,
    help: 'Build information of the agent; the value is always 1.',
    labelNames: [LABELS.version, LABELS.nodeVersion],
    registers,
  }).set({ [LABELS.version]: version, [LABELS.nodeVersion]: process.version }, 1);
  return metrics;
}

export type AgentMetrics = ReturnType<typeof createMetrics>;
