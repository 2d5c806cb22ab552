/**
 * The edges the QMP source is given: the shared source clock, a logger (structurally the agent's
 * `Logger`), and the stage names of its failures.
 */
export { systemClock, type Clock } from '../clock.js';

/** Operational lines that are not failures (failures go to `SourceCallbacks.error`). */
export interface QmpLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
}

export const silentQmpLogger: QmpLogger = { debug: () => undefined, info: () => undefined };

/** `stage` values of the named failures this source reports. */
export const QMP_STAGES = {
  discovery: 'qmp-discovery',
  connect: 'qmp-connect',
  /** Anything unforeseen in one connection's life: that socket starts over, the others go on. */
  connection: 'qmp-connection',
  identify: 'qmp-identify',
  queryMigrate: 'qmp-query-migrate',
  protocol: 'qmp-protocol',
  record: 'qmp-record',
} as const;
