import type { TimeSource } from '@switchover/model';
import type { LogLineRecord } from '../records/types.js';

/**
 * Timestamp parsing for every prefix QEMU, libvirt and virsh put on a line. Hand-written scanners
 * rather than regexes: they run on every journal line, most of which start with a letter and are
 * rejected on the first character.
 */

/** When an observation happened, and how we know. */
export interface Stamp {
  time: number;
  timeSource: TimeSource;
  latest?: number | null;
}

/**
 * The times a record may claim, epoch ms, `[min, max)`. Wire formats can carry far more: QMP's
 * `seconds` is any JSON number (1e306 s is Infinity ms), virsh's `at SEC.USEC` and the trace prefix
 * are digit runs, an ISO or libvirt prefix may say year 9999. A time outside this range is
 * corruption or hostile input, never a clock, and the record is `unknown`:
 * - `min`, the epoch: QEMU and libvirt print wall-clock time (a host whose clock was never set
 *   prints 1970, which is kept);
 * - `max`, 2100-01-01: no host this agent runs on reads that late, and every time below it prints
 *   as an ordinary ISO 8601 date (`Date#toISOString` throws past ±8.64e15 ms, and past year 9999
 *   it prints six-digit years that no consumer of the review JSON or the recorder expects).
 */
export const TIME_RANGE_MS = { min: 0, max: Date.UTC(2100, 0, 1) } as const;

export const isPlausibleTime = (ms: number): boolean =>
  Number.isFinite(ms) && ms >= TIME_RANGE_MS.min && ms < TIME_RANGE_MS.max;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Reads `len` decimal digits at `at`; -1 if any of them is not a digit. */
function digits(s: string, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** `YYYY-MM-DD?HH:MM:SS` at `at` with `sep` between date and time; epoch ms or NaN. */
function dateTime(s: string, at: number, sep: number): number {
  if (s.charCodeAt(at + 4) !== 45 || s.charCodeAt(at + 7) !== 45 || s.charCodeAt(at + 10) !== sep) return NaN;
  if (s.charCodeAt(at + 13) !== 58 || s.charCodeAt(at + 16) !== 58) return NaN;
  const y = digits(s, at, 4);
  const mo = digits(s, at + 5, 2);
  const d = digits(s, at + 8, 2);
  const h = digits(s, at + 11, 2);
  const mi = digits(s, at + 14, 2);
  const se = digits(s, at + 17, 2);
  if (
    y < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    se < 0 ||
    se > 60
  ) {
    return NaN;
  }
  // Date.UTC reads years 0–99 as 1900–1999: such a year must stay as implausible as it is.
  return y < 100
    ? new Date(Date.UTC(2000, mo - 1, d, h, mi, se)).setUTCFullYear(y)
    : Date.UTC(y, mo - 1, d, h, mi, se);
}

/** A parsed prefix: the time (epoch ms, fractional) and where the rest of the line starts. */
export interface PrefixTime {
  time: number;
  end: number;
}

/**
 * QEMU's `-msg timestamp=on` prefix, `2018-04-05T21:48:43.153347Z ` (error_report, and traces from
 * 10.1). GLib omits the fraction when the microseconds are 0. `end` is past the space after `Z`.
 */
export function parseIsoPrefix(s: string): PrefixTime | null {
  if (s.length < 21) return null;
  const base = dateTime(s, 0, 84 /* T */);
  if (Number.isNaN(base)) return null;
  let i = 19;
  let frac = 0;
  if (s.charCodeAt(i) === 46 /* . */) {
    i++;
    let scale = 1;
    while (i < s.length && i < 30 && isDigit(s.charCodeAt(i))) {
      frac = frac * 10 + (s.charCodeAt(i) - 48);
      scale *= 10;
      i++;
    }
    if (scale === 1) return null;
    frac = (frac * 1000) / scale;
  }
  if (s.charCodeAt(i) !== 90 /* Z */) return null;
  i++;
  if (i < s.length && s.charCodeAt(i) === 32) i++;
  return { time: base + frac, end: i };
}

/**
 * libvirt's own timestamp (`virTimeStringNowRaw`), also virsh `--timestamp`:
 * `2024-11-19 03:26:48.530+0000: `. `end` is past the `: `.
 */
export function parseLibvirtPrefix(s: string): PrefixTime | null {
  if (s.length < 28) return null;
  const base = dateTime(s, 0, 32 /* space */);
  if (Number.isNaN(base) || s.charCodeAt(19) !== 46) return null;
  const ms = digits(s, 20, 3);
  const sign = s.charCodeAt(23);
  const hh = digits(s, 24, 2);
  const mm = digits(s, 26, 2);
  if (ms < 0 || hh < 0 || mm < 0 || (sign !== 43 && sign !== 45)) return null;
  // Always `+0000` in practice; honour another offset rather than misplace the line.
  const offset = (sign === 43 ? 1 : -1) * (hh * 60 + mm) * 60_000;
  let i = 28;
  if (s.charCodeAt(i) === 58 /* : */) i++;
  if (s.charCodeAt(i) === 32) i++;
  return { time: base + ms - offset, end: i };
}

/**
 * The log trace backend's prefix up to 10.0: `<tid>@<sec>.<usec>:`. `end` is past the colon, where
 * the event name starts.
 */
export function parseTidPrefix(s: string): PrefixTime | null {
  let i = 0;
  const n = s.length;
  while (i < n && i < 12 && isDigit(s.charCodeAt(i))) i++;
  if (i === 0 || s.charCodeAt(i) !== 64 /* @ */) return null;
  i++;
  let sec = 0;
  const secStart = i;
  while (i < n && i - secStart < 12 && isDigit(s.charCodeAt(i))) sec = sec * 10 + (s.charCodeAt(i++) - 48);
  if (i === secStart || s.charCodeAt(i) !== 46) return null;
  i++;
  let usec = 0;
  const usecStart = i;
  while (i < n && i - usecStart < 6 && isDigit(s.charCodeAt(i))) usec = usec * 10 + (s.charCodeAt(i++) - 48);
  if (i - usecStart !== 6 || s.charCodeAt(i) !== 58 /* : */) return null;
  return { time: sec * 1000 + usec / 1000, end: i + 1 };
}

/**
 * QMP's `{seconds, microseconds}`. null when QEMU could not read the clock (`-1`, `-1`) or sent no
 * time; NaN (implausible: the record is rejected) when the numbers cannot be a time, such as
 * microseconds outside 0–999999 or a negative second other than QEMU's `-1`.
 */
export function qmpTime(ts: unknown): number | null {
  if (typeof ts !== 'object' || ts === null) return null;
  const { seconds, microseconds } = ts as { seconds?: unknown; microseconds?: unknown };
  if (typeof seconds !== 'number') return null;
  if (seconds === -1) return null;
  const us = microseconds ?? 0;
  if (typeof us !== 'number' || !(us >= 0 && us < 1e6) || !(seconds >= 0)) return NaN;
  return seconds * 1000 + us / 1000;
}

/** virsh's `at SEC.USEC` (QEMU's event time); null for `-1.000000` or anything malformed. */
export function parseSecUsec(s: string): number | null {
  const dot = s.indexOf('.');
  if (dot <= 0 || s.charCodeAt(0) === 45 /* - */) return null;
  const sec = digits(s, 0, dot);
  const fracLen = s.length - dot - 1;
  const usec = fracLen > 0 && fracLen <= 9 ? digits(s, dot + 1, fracLen) : -1;
  if (sec < 0 || usec < 0) return null;
  return sec * 1000 + (usec * 1000) / 10 ** fracLen;
}

/**
 * The epoch ms of any timestamped line form (trace `tid@sec.usec:`, ISO `…Z`, libvirt / virsh
 * `--timestamp` `… +0000: `, virsh `event X at SEC.USEC …`), null if the line carries no time or an
 * implausible one. The offline review uses it to find the timed neighbours of untimed lines.
 */
export function lineTimestamp(text: string): number | null {
  const t = anyLineTimestamp(text);
  return t !== null && isPlausibleTime(t) ? t : null;
}

function anyLineTimestamp(text: string): number | null {
  const c0 = text.charCodeAt(0);
  if (isDigit(c0)) {
    const p = parseTidPrefix(text) ?? parseIsoPrefix(text) ?? parseLibvirtPrefix(text);
    return p ? p.time : null;
  }
  if (c0 === 101 /* e */ && text.startsWith('event ')) {
    const at = text.indexOf(' at ', 6);
    const sp = at < 0 ? -1 : text.indexOf(' ', at + 4);
    return sp < 0 ? null : parseSecUsec(text.slice(at + 4, sp));
  }
  return null;
}

/** The input's own time (`event`), else the agent's receive time (`arrival`). */
export const ownOrArrival =
  (arrival: number) =>
  (own: number | null): Stamp =>
    own === null ? { time: arrival, timeSource: 'arrival' } : { time: own, timeSource: 'event' };

/** Time of a line that has no timestamp of its own (see the decoders brief, "Time rules"). */
export function untimedStamp(r: LogLineRecord): Stamp {
  if (r.neighbours) {
    const { before, after } = r.neighbours;
    return { time: before ?? after ?? r.arrival, timeSource: 'bounded', latest: after ?? null };
  }
  if (r.transportTime !== undefined) return { time: r.transportTime, timeSource: 'arrival' };
  return { time: r.arrival, timeSource: 'arrival' };
}
