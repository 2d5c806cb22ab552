/**
 * Every way the QMP client can fail, as named classes so callers (and the error counter's
 * `error_type` label) can tell them apart without parsing messages.
 */

export class QmpError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The peer spoke something that is not QMP (bad greeting, reply of the wrong shape). */
export class QmpProtocolError extends QmpError {}

/** QEMU answered `{"error": {"class", "desc"}}`. */
export class QmpCommandError extends QmpError {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`'${command}' failed: ${errorClass}: ${desc}`);
  }
}

/** The connection ended (or was ended) while the call was pending. */
export class QmpDisconnectedError extends QmpError {}

/** A per-call timeout expired before the reply arrived. */
export class QmpTimeoutError extends QmpError {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`'${command}' got no reply within ${timeoutMs} ms`);
  }
}

/** A command outside the read-only allowlist; it was never written to the socket. */
export class QmpForbiddenCommandError extends QmpError {
  constructor(readonly command: string) {
    super(
      `refusing to send '${command}': Switchover only sends read-only commands ` +
        `(qmp_capabilities, query-*, qom-list, qom-get) and never changes a VM`,
    );
  }
}

/** A guarded method was called in the wrong runstate. */
export class QmpStateError extends QmpError {
  constructor(
    readonly method: string,
    readonly needed: readonly string[],
    readonly actual: string,
  ) {
    super(
      `${method}() needs the client to be ${needed.map((s) => `'${s}'`).join(' or ')}, but it is '${actual}'`,
    );
  }
}

/** `connect()` failed; the client is back in `idle` and `cause` says why. */
export class QmpConnectError extends QmpError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot connect to QMP socket ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** A short, bounded `error_type` label value for an error (class name, or errno code for socket errors). */
export function errorType(err: unknown): string {
  if (err instanceof QmpCommandError) return err.errorClass;
  if (err instanceof QmpConnectError) return errorType(err.cause);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'unknown';
}
