/** The largest |epoch ms| a `Date` can print. */
const MAX_DATE_MS = 8.64e15;

/**
 * ISO 8601 of an epoch-ms time, or null when there is none that can be printed: a time taken from
 * the input (a corrupt or hostile file) may be anything, and `Date#toISOString` throws outside
 * ±8.64e15 ms instead of saying so.
 */
export function isoTime(ms: number | null | undefined): string | null {
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS
    ? new Date(ms).toISOString()
    : null;
}
