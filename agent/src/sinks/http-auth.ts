import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface BasicAuth {
  username: string;
  password: string;
}

/** Why a request was refused: no usable `Authorization` header, or one that does not match. */
export type AuthFailure = { reason: 'no credentials' } | { reason: 'wrong credentials'; user: string };

const sha = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks HTTP basic auth; null when the request may pass. Constant-time: both fields are always
 * compared, on equal-length digests. The user name of a failure is returned for the log (it is
 * what the client claims, never the password).
 */
export function checkBasicAuth(req: IncomingMessage, auth: BasicAuth): AuthFailure | null {
  const header = req.headers.authorization ?? '';
  const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  const decoded = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const user = colon >= 0 ? decoded.slice(0, colon) : '';
  const pass = colon >= 0 ? decoded.slice(colon + 1) : '';
  const userOk = timingSafeEqual(sha(user), sha(auth.username));
  const passOk = timingSafeEqual(sha(pass), sha(auth.password));
  if (m === null || colon < 0) return { reason: 'no credentials' };
  return userOk && passOk ? null : { reason: 'wrong credentials', user: clip(user) };
}

/** A claimed user name goes into a log line: bounded, one line, printable. */
function clip(s: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}
