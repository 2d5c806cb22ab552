/**
 * The `stage` and `error_type` label values of `switchover_errors_total`. Every failure path of the
 * agent is one named event: it logs once and increments this counter once with these names, and
 * the alert rules and their promtool tests use the same names.
 */
export const STAGES = {
  qmpDiscovery: 'qmp-discovery',
  qmpConnect: 'qmp-connect',
  /** Anything unforeseen in one QMP connection's life: that socket starts over, the others go on. */
  qmpConnection: 'qmp-connection',
  qmpIdentify: 'qmp-identify',
  qmpQueryMigrate: 'qmp-query-migrate',
  qmpProtocol: 'qmp-protocol',
  qmpRecord: 'qmp-record',
  virsh: 'virsh',
  journald: 'journald',
  libvirtLog: 'libvirt-log',
  proxmoxTasks: 'proxmox-tasks',
  proxmoxConfig: 'proxmox-config',
  recorder: 'recorder',
  correlator: 'correlator',
  sink: 'sink',
  metrics: 'metrics',
  spans: 'spans',
  http: 'http',
  /** A rejection or exception no part of the agent caught (counted, logged, the agent goes on). */
  process: 'process',
} as const;
export type Stage = (typeof STAGES)[keyof typeof STAGES];

/**
 * `error_type` values per stage. The QMP stages use the error itself instead, a bounded set: the
 * agent's QMP error class (`QmpTimeoutError`, …), QEMU's error class (`CommandNotFound`, …) or the
 * socket's errno code (`ECONNREFUSED`, …).
 */
export const ERROR_TYPES = {
  journald: {
    childExit: 'journalctl_exit',
    spawn: 'journalctl_spawn',
    cursorRejected: 'cursor_rejected',
    json: 'invalid_json',
    messageNull: 'message_too_large',
    oversize: 'line_too_long',
    record: 'record_failed',
    /** Handling one entry failed (counted, skipped; the input goes on). */
    entry: 'entry_failed',
    checkpointRead: 'checkpoint_read',
    checkpointWrite: 'checkpoint_write',
  },
  virsh: {
    childExit: 'virsh_exit',
    spawn: 'virsh_spawn',
    oversize: 'line_too_long',
    record: 'record_failed',
  },
  libvirtLog: {
    scan: 'scan_failed',
    open: 'open_failed',
    read: 'read_failed',
    oversize: 'line_too_long',
    record: 'record_failed',
    watch: 'watch_failed',
    checkpointRead: 'checkpoint_read',
    checkpointWrite: 'checkpoint_write',
    truncated: 'truncated_unread',
    unreadable: 'generation_unreadable',
  },
  proxmoxTasks: {
    scan: 'scan_failed',
    open: 'open_failed',
    read: 'read_failed',
    oversize: 'line_too_long',
    record: 'record_failed',
    checkpointRead: 'checkpoint_read',
    checkpointWrite: 'checkpoint_write',
  },
  proxmoxConfig: {
    read: 'read_failed',
    record: 'record_failed',
  },
  recorder: {
    init: 'init_failed',
    write: 'write_failed',
    read: 'read_failed',
    tornLine: 'torn_line',
    flush: 'flush_failed',
    delete: 'delete_failed',
    snapshot: 'snapshot_failed',
    append: 'append_failed',
    /** The filesystem was full: the recorder deleted its own oldest data to go on writing. */
    diskFull: 'disk_full',
    /** One snapshot with its segment does not fit under `recorder.maxBytes`. */
    overCap: 'over_cap',
  },
  correlator: { transition: 'transition_failed' },
  process: { rejection: 'unhandled_rejection', exception: 'uncaught_exception' },
  sink: { handle: 'handle_failed' },
  metrics: { update: 'update_failed' },
  spans: { update: 'update_failed', tooManyOpen: 'too_many_open' },
  http: {
    handler: 'handler_failed',
    server: 'server_error',
    tlsClient: 'tls_client_error',
    authFailed: 'auth_failed',
    connectionLimit: 'connection_limit',
  },
} as const;
