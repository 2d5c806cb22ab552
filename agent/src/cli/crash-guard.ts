/**
 * The agent's last line of defence: a rejection or exception that escaped every component would
 * otherwise end the process, and with it every healthy input on the host (Node's default for an
 * unhandled rejection is to exit). The daemon instead counts it as a named failure
 * (`switchover_errors_total{stage="process"}`, which an alert can watch) and logs it, rate-limited
 * so that a fault repeating on every input line cannot flood the journal.
 *
 * Components must not rely on this: each one catches its own failures. This only keeps a bug in one
 * of them from becoming an outage of all of them.
 */
import { ERROR_TYPES, STAGES } from '@switchover/model';
import { LogLimiter } from '../lib/rate-limit.js';

export const PROCESS_STAGE = STAGES.process;
export const PROCESS_ERRORS = ERROR_TYPES.process;
export type ProcessErrorType = (typeof PROCESS_ERRORS)[keyof typeof PROCESS_ERRORS];

/** The part of `process` the guard listens on (injected so a test can watch its own emitter too). */
export interface ProcessEvents {
  on(event: 'unhandledRejection', fn: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', fn: (err: Error) => void): unknown;
  off(event: 'unhandledRejection', fn: (reason: unknown) => void): unknown;
  off(event: 'uncaughtException', fn: (err: Error) => void): unknown;
}

export interface CrashGuardDeps {
  /** Counted every time (the metric stays exact even when the log is rate-limited). */
  count(stage: string, errorType: ProcessErrorType): void;
  log(errorType: ProcessErrorType, err: unknown, suppressed: number): void;
  now?: () => number;
  /** At most one log line per error type in this period; the next one says how many were skipped. */
  logEveryMs?: number;
}

/** Installs the guard; returns its removal. */
export function installCrashGuard(proc: ProcessEvents, deps: CrashGuardDeps): () => void {
  const limiter = new LogLimiter(deps.logEveryMs ?? 1000, deps.now);
  const handle = (type: ProcessErrorType, err: unknown): void => {
    try {
      deps.count(PROCESS_STAGE, type);
      const { log, suppressed } = limiter.admit(type);
      if (log) deps.log(type, err, suppressed);
    } catch {
      // The guard itself must never throw: that would be the exception that ends the process.
    }
  };
  const onRejection = (reason: unknown): void => handle(PROCESS_ERRORS.rejection, reason);
  const onException = (err: Error): void => handle(PROCESS_ERRORS.exception, err);
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}
