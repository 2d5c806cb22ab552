/**
 * Every tunable of the Switchover rules lives here, like a monitoring mixin's `config.libsonnet`:
 * selectors, windows, thresholds and the runbook base. `scripts/build-rules.mjs` renders the rule
 * files from this and `alerts.mjs`/`recording.mjs`; edit here, then run `npm run build:rules`.
 */
import { DEFAULT_SKEW_MS } from '@switchover/model';

export const CONFIG = {
  /** Selects the agents' scrape job; must match `job_name` in deploy/prometheus/prometheus.yml. */
  agentSelector: 'job="switchover"',

  /**
   * The silent-failure counter's look-back. The alert fires for this long after each failure, then
   * resolves by itself: the failure is a one-off event, the page is the deliverable.
   */
  silentFailureWindow: '15m',

  /** The destination-lost counter's look-back: the page lasts this long after each loss. */
  destinationLostWindow: '15m',

  /** Destination load failures: any increase within this window warns. */
  loadFailureWindow: '15m',

  /** Fraction of a host's sessions (per role) that may fail over `failureRateWindow`. */
  failureRateThreshold: 0.25,
  failureRateWindow: '1h',
  /** Fewer sessions than this in the window are too few to call a rate. */
  failureRateMinSessions: 4,
  failureRateFor: '15m',

  /** A migration still counted in progress after this long without a single idle scrape. */
  stuckMigrationFor: '1h',

  /** An agent input (qmp, virsh, journald, libvirt-log) reported down this long. */
  sourceDownFor: '5m',

  /** Agent errors (any stage) per second, averaged over `errorRateWindow`. */
  errorRateThreshold: 0.1,
  errorRateWindow: '15m',
  errorRateFor: '15m',

  /** journald entries processed this many seconds behind their realtime stamp. */
  journalLagThresholdSeconds: 60,
  journalLagFor: '10m',

  /** The agent's state directory (flight recorder, input positions) not writable this long. */
  stateNotWritableFor: '5m',

  /** Lines of followed logs the agent could not read: any within this window warns. */
  linesLostWindow: '15m',

  /** The agent's own scrape target down (or unreachable) this long. */
  agentDownFor: '5m',

  /**
   * Fleet pairing (mixin/fleet.mjs). A per-VM series that vanished (its agent restarting, a failed
   * scrape) still counts this long, so a restart does not unpair a migration. Keep it below the
   * agents' `metrics.vmSeriesTtlSeconds`.
   */
  pairingMemory: '10m',
  /** How far apart two hosts' clocks may be when pairing their sides (s): `pairSessions()`'s default. */
  pairingSkewSeconds: DEFAULT_SKEW_MS / 1000,
  /** A source completed and no agent has reported the destination side for this long. */
  destinationUnverifiedFor: '5m',

  /** Rate window of the recording rules the dashboard and the failure-rate alert use. */
  recordingWindow: '5m',

  /**
   * Where dashboards/RUNBOOK.md is published; anchors are the alert names, lower-cased. A
   * placeholder: point it at your copy of the repository.
   */
  runbookBase: 'https://github.com/example/switchover/blob/main/dashboards/RUNBOOK.md',
};
