/**
 * Every metric, label, span, attribute and span-event name Switchover emits. Agent, dashboards,
 * alert rules and the panel import these; nothing spells a name twice.
 */

export const METRIC_PREFIX = 'qemu_migration_';
export const SELF_PREFIX = 'switchover_';

export const METRICS = {
  sessions: 'qemu_migration_sessions_total',
  inProgress: 'qemu_migration_in_progress',
  duration: 'qemu_migration_duration_seconds',
  downtime: 'qemu_migration_downtime_seconds',
  vfioTransitions: 'qemu_migration_vfio_transitions_total',
  silentDestinationFailures: 'qemu_migration_silent_destination_failures_total',
  destinationLost: 'qemu_migration_destination_lost_total',
  loadFailures: 'qemu_migration_load_failures_total',
  returnPathShut: 'qemu_migration_return_path_shut_total',
  returnPathErrors: 'qemu_migration_return_path_errors_total',
  verdicts: 'qemu_migration_verdicts_total',
  /**
   * Per-VM series with a bounded lifetime (the agent drops them `metrics.vmSeriesTtlSeconds` after
   * the session's last change): what Prometheus pairs the two hosts' sides of a migration with.
   */
  vmSessionStart: 'qemu_migration_vm_session_start_timestamp_seconds',
  vmSessionEnd: 'qemu_migration_vm_session_end_timestamp_seconds',
  vmPeerInfo: 'qemu_migration_vm_peer_info',
  sourceUp: 'switchover_source_up',
  records: 'switchover_records_total',
  unknownRecords: 'switchover_unknown_records_total',
  errors: 'switchover_errors_total',
  journalLag: 'switchover_journal_lag_seconds',
  evictedSessions: 'switchover_evicted_sessions_total',
  openSessions: 'switchover_open_sessions',
  recorderBytes: 'switchover_recorder_bytes',
  /** 1 while the state directory takes the recorder's writes, 0 while it is read-only, full or failing. */
  stateWritable: 'switchover_state_writable',
  duplicateObservations: 'switchover_duplicate_observations_total',
  buildInfo: 'switchover_build_info',
  logLinesLost: 'switchover_log_lines_lost_total',
} as const;

export const LABELS = {
  vm: 'vm',
  /** The agent's configured host name, on series whose alert must name the host in its page. */
  host: 'host',
  device: 'device',
  role: 'role',
  outcome: 'outcome',
  verdict: 'verdict',
  result: 'result',
  state: 'state',
  value: 'value',
  input: 'input',
  /** The other host of a migration as this host's QEMU named it (the source's migration URI host). */
  peer: 'peer',
  /** Which socket, namespace or file of an input (not `instance`: Prometheus owns that label). */
  target: 'target',
  stage: 'stage',
  errorType: 'error_type',
  version: 'version',
  nodeVersion: 'node_version',
  /** Labels the fleet recording rules give a migration paired from both hosts' per-VM series. */
  sourceInstance: 'source_instance',
  destinationInstance: 'destination_instance',
  sourceState: 'source_state',
  destinationState: 'destination_state',
  sourceVerdict: 'source_verdict',
  destinationVerdict: 'destination_verdict',
  /** Why log lines were lost (LOST_LINE_REASONS). */
  reason: 'reason',
} as const;

/**
 * `reason` values of the lost-lines counter: lines of a followed log the agent knows it could not
 * read. `too_long`: skipped for their length, one each. `truncated`: the file was truncated while
 * bytes past the agent's position were unread and no rotated copy held them; their number of lines
 * cannot be known any more, so each such range counts one (it held at least one). `unreadable`: a
 * rotated generation in a compression the agent cannot read, one per generation.
 */
export const LOST_LINE_REASONS = {
  tooLong: 'too_long',
  truncated: 'truncated',
  unreadable: 'unreadable',
} as const;
export type LostLineReason = (typeof LOST_LINE_REASONS)[keyof typeof LOST_LINE_REASONS];

/** `result` label values of the VFIO transition counter. */
export const TRANSITION_RESULTS = { ok: 'ok', failed: 'failed' } as const;

/** Inputs the agent reads, as used in the `input` label. */
export const INPUTS = {
  qmp: 'qmp',
  virsh: 'virsh',
  journald: 'journald',
  libvirtLog: 'libvirt-log',
  /** Proxmox VE: the node's journal (QEMU, qm, qmeventd, the VM scopes). */
  proxmoxJournal: 'proxmox-journal',
  /** Proxmox VE: the `qmigrate` task logs under /var/log/pve/tasks. */
  proxmoxTasks: 'proxmox-tasks',
} as const;

export const SERVICE_NAME = 'switchover-agent';

export const SPANS = {
  migration: 'qemu.migration',
  phase: 'qemu.migration.phase',
  deviceState: 'qemu.vfio.device_state',
} as const;

export const ATTRS = {
  migrationId: 'migration.id',
  vmName: 'vm.name',
  vmUuid: 'vm.uuid',
  role: 'migration.role',
  outcome: 'migration.outcome',
  verdict: 'migration.verdict',
  qemuVersion: 'qemu.version',
  hostName: 'host.name',
  serviceName: 'service.name',
  serviceVersion: 'service.version',
  phase: 'migration.phase',
  device: 'vfio.device',
  deviceState: 'vfio.state',
  targetState: 'vfio.target_state',
  failedDevices: 'migration.failed_devices',
  downtimeMs: 'migration.downtime_ms',
  totalTimeMs: 'migration.total_time_ms',
  returnPathShut: 'migration.return_path.shut',
  rawLine: 'qemu.log.line',
  errorMessage: 'error.message',
  origin: 'switchover.origin',
  timeSource: 'switchover.time_source',
  /** STOP / RESUME times on the root span: Tempo search results carry no span events. */
  stopTimeMs: 'migration.stop_time_ms',
  resumeTimeMs: 'migration.resume_time_ms',
  /** Phase or side outcome named by a `migration.status` span event. */
  status: 'migration.status',
  /** A VFIO failure QEMU could not recover from (hardware error, reset failed). */
  fatal: 'vfio.fatal',
  returnPathError: 'migration.return_path.error',
} as const;

export const SPAN_EVENTS = {
  status: 'migration.status',
  stop: 'vm.stop',
  resume: 'vm.resume',
  vfioState: 'vfio.state',
  vfioFailure: 'vfio.failure',
  returnPath: 'migration.return_path',
  loadFailure: 'migration.load_failure',
  qemuError: 'qemu.error',
} as const;

/** HTTP paths the agent serves. */
export const HTTP_PATHS = { metrics: '/metrics', health: '/healthz', migrations: '/api/migrations' } as const;
