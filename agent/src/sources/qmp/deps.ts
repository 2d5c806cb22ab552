/**
 * The edges the QMP source is given. Structurally the same as the agent's `Logger` and the other
 * sources' `Clock`, declared here so this folder depends on nothing outside `sources/`.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

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
  identify: 'qmp-identify',
  queryMigrate: 'qmp-query-migrate',
  protocol: 'qmp-protocol',
  record: 'qmp-record',
} as const;
