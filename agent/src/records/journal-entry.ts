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

export type ParseResult = { ok: true; entry: JournalEntry } | { ok: false; reason: 'json' | 'not-object' };

type FieldValue = string | number[] | null | undefined | Array<string | number[]>;

function isByteArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((b) => typeof b === 'number');
}

/** Every value of a field as text; byte arrays are decoded as UTF-8 with U+FFFD for bad bytes. */
export function fieldValues(v: unknown): string[] | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return [v];
  if (isByteArray(v)) return [Buffer.from(v).toString('utf8')];
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const item of v as FieldValue[]) {
      const vals = fieldValues(item);
      if (vals) out.push(...vals);
    }
    return out;
  }
  return [String(v)];
}

function first(v: unknown): string | undefined {
  return fieldValues(v)?.[0];
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
  const rt = first(o.__REALTIME_TIMESTAMP);
  const pid = first(o._PID);
  const msg = fieldValues(o.MESSAGE);
  const entry: JournalEntry = { lines: msg === null ? null : messageLines(msg) };
  const cursor = first(o.__CURSOR);
  if (cursor) entry.cursor = cursor;
  if (rt && /^\d+$/.test(rt)) entry.realtimeMs = Number(rt) / 1000;
  if (pid && /^\d+$/.test(pid)) entry.pid = Number(pid);
  const boot = first(o._BOOT_ID);
  if (boot) entry.bootId = boot;
  const cmdline = first(o._CMDLINE);
  if (cmdline) entry.cmdline = cmdline;
  if (fields === 'base') return { ok: true, entry };
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
