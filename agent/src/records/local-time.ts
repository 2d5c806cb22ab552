/**
 * Wall-clock times without an offset (`2025-08-19 10:27:33` in a Proxmox task log, `Aug 19 10:27:33`
 * in `journalctl -o short`) are the node's local time. Reading them needs the node's zone: an IANA
 * name (`Europe/Vienna`, daylight saving included) or a fixed offset (`+02:00`, `UTC`).
 * Pure: the zone rules come from the runtime's ICU data, no I/O.
 */

const FIXED = /^([+-])([0-9]{2}):?([0-9]{2})$/;

/** The zone this process runs in (the agent's node, or the reviewer's machine). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Whether `zone` is something `localToEpoch` can use. */
export function isTimeZone(zone: string): boolean {
  if (zone === 'UTC' || zone === 'Z' || FIXED.test(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Offsets already computed, per zone and UTC hour (task logs come in order: mostly one hit). */
const offsets = new Map<string, number>();
const MAX_CACHED = 4096;

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    if (formatters.size > 64) formatters.clear();
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at the instant `utcMs` (ms; local = UTC + offset). */
function offsetAt(zone: string, utcMs: number): number {
  const fixed = FIXED.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
  if (zone === 'UTC' || zone === 'Z') return 0;
  const hour = Math.floor(utcMs / 3_600_000);
  const key = `${zone}\0${hour}`;
  const hit = offsets.get(key);
  if (hit !== undefined) return hit;
  const at = hour * 3_600_000;
  const parts = new Map<string, number>();
  for (const p of formatter(zone).formatToParts(at))
    if (p.type !== 'literal') parts.set(p.type, Number(p.value));
  const asUtc = Date.UTC(
    parts.get('year') ?? 1970,
    (parts.get('month') ?? 1) - 1,
    parts.get('day') ?? 1,
    parts.get('hour') ?? 0,
    parts.get('minute') ?? 0,
    parts.get('second') ?? 0,
  );
  const off = asUtc - at;
  if (offsets.size >= MAX_CACHED) offsets.clear();
  offsets.set(key, off);
  return off;
}

/**
 * Epoch ms of a local wall-clock time in `zone`. A time that occurs twice (the hour repeated when
 * daylight saving ends) is taken at its first occurrence; one skipped by the spring change is read
 * with the offset before the change. NaN for an unusable zone.
 */
export function localToEpoch(
  zone: string,
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  let first: number;
  try {
    first = offsetAt(zone, wall);
  } catch {
    return NaN;
  }
  const guess = wall - first;
  const second = offsetAt(zone, guess);
  if (second === first) {
    // The same wall time one hour earlier in UTC may also map here (a repeated hour): take the earlier.
    const earlier = wall - offsetAt(zone, guess - 3_600_000);
    return earlier < guess && earlier + offsetAt(zone, earlier) === wall ? earlier : guess;
  }
  const alt = wall - second;
  return alt + offsetAt(zone, alt) === wall ? Math.min(alt, guess) : guess;
}
