import type { JournalEntry } from '../records/journal-entry.js';
import { localToEpoch } from '../records/local-time.js';

/**
 * The plain text of `journalctl` (systemd 252 `output_short`), one entry per line:
 * - `short`:         `Aug 19 10:27:33 pve2 QEMU[4242]: message` (local time, no year)
 * - `short-precise`: `Aug 19 10:27:33.123456 pve2 QEMU[4242]: message`
 * - `short-iso`:     `2025-08-19T10:27:33+0200 pve2 QEMU[4242]: message` (and `-precise`: `…33.123456+0200`)
 * Continuation lines of a multi-line message are indented; `-- Boot … --` and `-- No entries --`
 * are journalctl's own. The identifier is `SYSLOG_IDENTIFIER`, else `_COMM`; the pid is `_PID`.
 */
export interface TextEntry {
  /** Epoch ms. */
  time: number;
  host: string;
  identifier: string;
  pid?: number;
  message: string;
}

const MONTHS = new Map(
  ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m, i) => [
    m,
    i + 1,
  ]),
);
const SHORT = /^([A-Z][a-z]{2}) ([ 0-9][0-9]) ([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})? (\S+) (.*)$/;
const ISO =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?([+-][0-9]{2}:?[0-9]{2}|Z) (\S+) (.*)$/;
const IDENT = /^([^\s[:]+)(?:\[([0-9]{1,10})\])?: ?(.*)$/;

/**
 * Whether a line is one of the short formats (for file-kind detection). QEMU's own
 * `<ISO>Z qemu-system-x86_64: msg` has the same shape up to the host field, which ends in `:` there.
 */
export function isJournalTextLine(line: string): boolean {
  const p = parsePrefix(line, 'UTC', 2000);
  return p !== null && !p.host.endsWith(':') && IDENT.test(p.rest);
}

export interface TextTime {
  /** The zone of `short`/`short-precise` times (journalctl prints local time). */
  timeZone: string;
  /** The year of `short`/`short-precise` lines, which have none. */
  year: number;
}

function parsePrefix(
  line: string,
  zone: string,
  year: number,
): { time: number; host: string; rest: string } | null {
  const c = line.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    const m = ISO.exec(line);
    if (!m) return null;
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const off = m[8] as string;
    const offMin =
      off === 'Z' ? 0 : (off[0] === '-' ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(-2)));
    const t = Date.UTC(y, mo - 1, d, h, mi, s) - offMin * 60_000 + fraction(m[7]);
    return Number.isFinite(t) ? { time: t, host: m[9] as string, rest: m[10] as string } : null;
  }
  const m = SHORT.exec(line);
  if (!m) return null;
  const mo = MONTHS.get(m[1] as string);
  if (mo === undefined) return null;
  const d = Number((m[2] as string).trim());
  const t = localToEpoch(zone, year, mo, d, Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isFinite(t) ? { time: t + fraction(m[6]), host: m[7] as string, rest: m[8] as string } : null;
}

function fraction(f: string | undefined): number {
  if (!f) return 0;
  const digits = f.slice(1);
  return (Number(digits) * 1000) / 10 ** digits.length;
}

/** One line → an entry; null for journalctl's separators, continuation lines and anything else. */
export function parseJournalTextLine(line: string, t: TextTime): TextEntry | null {
  if (line.startsWith('-- ') || line.startsWith(' ')) return null;
  const p = parsePrefix(line, t.timeZone, t.year);
  if (!p) return null;
  const m = IDENT.exec(p.rest);
  if (!m) return null;
  const e: TextEntry = { time: p.time, host: p.host, identifier: m[1] as string, message: m[3] as string };
  if (m[2] !== undefined) e.pid = Number(m[2]);
  return e;
}

/** A text entry in the shape the journal-entry → records steps take. */
export function textToJournalEntry(e: TextEntry): JournalEntry {
  const out: JournalEntry = {
    realtimeMs: e.time,
    identifier: e.identifier,
    lines: e.message === '' ? [] : [e.message],
  };
  if (e.pid !== undefined) out.pid = e.pid;
  return out;
}

/** The year of the `short` lines: the one that puts the first line nearest to `reference` (epoch ms). */
export function yearNear(firstLine: string | undefined, zone: string, reference: number): number {
  const y = new Date(reference).getUTCFullYear();
  if (!firstLine || !SHORT.test(firstLine)) return y;
  let best = y;
  let bestDist = Number.POSITIVE_INFINITY;
  for (const cand of [y - 1, y, y + 1]) {
    const p = parsePrefix(firstLine, zone, cand);
    if (!p) continue;
    const dist = Math.abs(p.time - reference);
    if (dist < bestDist) {
      best = cand;
      bestDist = dist;
    }
  }
  return best;
}
