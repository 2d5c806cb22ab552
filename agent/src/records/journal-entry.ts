/**
 * Pure parsing of one `journalctl -o json` line. Field values come in three shapes (systemd 252):
 * a string; an array of byte numbers when the value is not valid UTF-8 or holds control bytes; an
 * array of those when the field is repeated; and `null` when it is over 4096 bytes and `--all` is off.
 */

export interface JournalEntry {
  cursor?: string;
  /** `__REALTIME_TIMESTAMP` in epoch ms (fractional: µs kept). */
  realtimeMs?: number;
  pid?: number;
  bootId?: string;
  /** `_CMDLINE`, space-joined by journald. */
  cmdline?: string;
  /** `_SYSTEMD_UNIT`: the unit of the logging process (Proxmox: `<VMID>.scope` for a VM's QEMU). */
  unit?: string;
  /** `SYSLOG_IDENTIFIER` (`QEMU` for Proxmox's QEMU, `qm`, `qmeventd`, `systemd`, …). */
  identifier?: string;
  /**
   * Only for entries of the service manager (`SYSLOG_IDENTIFIER=systemd`): the unit a message is
   * about (`UNIT=`) and its catalog id (`MESSAGE_ID=`), e.g. a VM scope that ended.
   */
  aboutUnit?: string;
  messageId?: string;
  /** Message lines; `null` when journald left MESSAGE out as too large. */
  lines: string[] | null;
}

export type ParseResult =
  | { ok: true; entry: JournalEntry }
  | { ok: false; reason: 'json' | 'not-object' | 'bad-field' };

function isByteArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((b) => typeof b === 'number');
}

/** One value as text: a string, a byte array (UTF-8, U+FFFD for bad bytes), or a scalar; else undefined. */
function oneValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isByteArray(v)) return Buffer.from(v).toString('utf8');
  return undefined;
}

/**
 * Every value of a field as text, `null` when absent or left out, or `undefined` when the value has
 * a shape journalctl never prints (an object, arrays nested deeper than a repeated byte field): the
 * line is then not an entry. Never throws: `String()` of an object whose `toString` is not a function
 * does, and a parser that throws stopped the journald input for good (issue 9.5).
 */
export function fieldValues(v: unknown): string[] | null | undefined {
  if (v === null || v === undefined) return null;
  const single = oneValue(v);
  if (single !== undefined) return [single];
  if (!Array.isArray(v)) return undefined;
  const out: string[] = [];
  for (const item of v as unknown[]) {
    if (item === null) continue;
    const text = oneValue(item);
    if (text === undefined) return undefined;
    out.push(text);
  }
  return out;
}

/** A shape no journal field has (an object, nested arrays): the line is not an entry. */
const BAD = Symbol('bad-field');

/** The first value of a single-valued field without building the list (the hot path: a string). */
function firstValue(v: unknown): string | undefined | typeof BAD {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return undefined;
  const values = fieldValues(v);
  return values === undefined ? BAD : (values?.[0] ?? undefined);
}

/** Split a message into lines: journald keeps embedded newlines; QEMU lines never span two. */
export function messageLines(values: string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    const parts = value.split('\n');
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    for (const p of parts) if (p !== '') out.push(p);
  }
  return out;
}

/** The largest epoch ms a `Date` represents. */
const MAX_DATE_MS = 8.64e15;

/** The fields the agent reads; a journal entry carries twenty-odd others it never needs. */
const FIELDS = ['MESSAGE', '__CURSOR', '__REALTIME_TIMESTAMP', '_PID', '_BOOT_ID', '_CMDLINE'] as const;
/**
 * Read only when asked (`parseEntry(line, 'units')`, the Proxmox input and `review`): each cut is one
 * more scan of the line, and the ordinary journald input, which follows a busy host's whole
 * journal, attributes lines by `_CMDLINE`/pid and never needs them.
 */
const UNIT_FIELDS = ['_SYSTEMD_UNIT', 'SYSLOG_IDENTIFIER'] as const;
/** Read only from the service manager's own entries (few): cut on demand, not on every line. */
const MANAGER_FIELDS = ['UNIT', 'MESSAGE_ID'] as const;
type Field = (typeof FIELDS)[number] | (typeof UNIT_FIELDS)[number] | (typeof MANAGER_FIELDS)[number];

/** Which fields `parseEntry` reads: `base` (default) or also the units and identifier (`units`). */
export type EntryFields = 'base' | 'units';

/**
 * The JSON text of one top-level string or null value, found without parsing the whole entry.
 * `"KEY":` can only match a real key: inside a JSON string every quote is escaped. Returns
 * undefined when the field is absent, and null when its value is anything else (an array: a
 * repeated field or bytes), which the caller hands to the full parser.
 */
function rawField(line: string, key: Field): string | null | undefined {
  const needle = `"${key}":`;
  const at = line.indexOf(needle);
  if (at < 0) return undefined;
  const start = at + needle.length;
  const c = line.charCodeAt(start);
  if (c === 110 /* n */ && line.startsWith('null', start)) return 'null';
  if (c !== 34 /* " */) return null;
  let end = start + 1;
  for (;;) {
    end = line.indexOf('"', end);
    if (end < 0) return null;
    let backslashes = 0;
    while (line.charCodeAt(end - 1 - backslashes) === 92 /* \\ */) backslashes++;
    if (backslashes % 2 === 0) return line.slice(start, end + 1);
    end++;
  }
}

/**
 * The hot path (a busy host's journal is mostly not QEMU): the fields are cut out of the line and
 * only their values are parsed. Entries with array values (repeated fields, non-UTF-8 bytes) take
 * the full `JSON.parse`, as does anything that does not look like one JSON object. The cut does not
 * validate the rest of the line: journalctl writes whole objects, and a cut-short line is still caught.
 */
function fastFields(line: string, fields: EntryFields): Partial<Record<Field, unknown>> | null {
  if (line.charCodeAt(0) !== 123 /* { */ || line.charCodeAt(line.length - 1) !== 125 /* } */) return null;
  const out: Partial<Record<Field, unknown>> = {};
  if (!cut(line, FIELDS, out)) return null;
  if (fields === 'base') return out;
  if (!cut(line, UNIT_FIELDS, out)) return null;
  if (out.SYSLOG_IDENTIFIER === 'systemd' && !cut(line, MANAGER_FIELDS, out)) return null;
  return out;
}

function cut(line: string, keys: readonly Field[], out: Partial<Record<Field, unknown>>): boolean {
  for (const key of keys) {
    const raw = rawField(line, key);
    if (raw === null) return false;
    if (raw !== undefined) out[key] = JSON.parse(raw) as unknown;
  }
  return true;
}

function fullFields(line: string): Partial<Record<Field, unknown>> | 'json' | 'not-object' {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return 'json';
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'not-object';
  return obj as Record<string, unknown>;
}

export function parseEntry(line: string, fields: EntryFields = 'base'): ParseResult {
  let o: Partial<Record<Field, unknown>> | null;
  try {
    o = fastFields(line, fields);
  } catch {
    o = null; // a value the cut got wrong: let the full parser judge the line
  }
  if (o === null) {
    const full = fullFields(line);
    if (typeof full === 'string') return { ok: false, reason: full };
    o = full;
  }
  const msg = fieldValues(o.MESSAGE);
  const rt = firstValue(o.__REALTIME_TIMESTAMP);
  const pid = firstValue(o._PID);
  const cursor = firstValue(o.__CURSOR);
  const boot = firstValue(o._BOOT_ID);
  const cmdline = firstValue(o._CMDLINE);
  if (msg === undefined || rt === BAD || pid === BAD || cursor === BAD || boot === BAD || cmdline === BAD)
    return { ok: false, reason: 'bad-field' };
  const entry: JournalEntry = { lines: msg === null ? null : messageLines(msg) };
  if (cursor) entry.cursor = cursor;
  // µs since the epoch, within the range a Date can print (a corrupt journal can say anything).
  if (rt && /^\d{1,19}$/.test(rt) && Number(rt) / 1000 <= MAX_DATE_MS) entry.realtimeMs = Number(rt) / 1000;
  if (pid && /^\d{1,10}$/.test(pid)) entry.pid = Number(pid);
  if (boot) entry.bootId = boot;
  if (cmdline) entry.cmdline = cmdline;
  if (fields === 'base') return { ok: true, entry };
  // The unit fields only say more about an entry; a malformed one is as if absent.
  const first = (v: unknown): string | undefined => {
    const x = firstValue(v);
    return x === BAD ? undefined : x;
  };
  const unit = first(o._SYSTEMD_UNIT);
  if (unit) entry.unit = unit;
  const identifier = first(o.SYSLOG_IDENTIFIER);
  if (identifier) {
    entry.identifier = identifier;
    if (identifier === 'systemd') {
      const about = first(o.UNIT);
      if (about) entry.aboutUnit = about;
      const id = first(o.MESSAGE_ID);
      if (id) entry.messageId = id;
    }
  }
  return { ok: true, entry };
}
