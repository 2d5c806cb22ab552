import type { Origin, OriginKind, VmRef } from '@switchover/model';
import { lineTimestamp } from '../decoders/index.js';
import { parseEntry } from '../records/journal-entry.js';
import { JournalRecords } from '../records/journal-records.js';
import { PidVmCache } from '../records/pid-vm-cache.js';
import { guestName } from '../records/qemu-cmdline.js';
import type { RawRecord } from '../records/types.js';
import type { FileKind } from './detect.js';
import type { Deadline } from './limits.js';

export interface FileInput {
  host: string;
  /** As given on the command line; evidence names it. */
  file: string;
  kind: FileKind;
  lines: string[];
  /** VM for files that do not name one (QMP transcripts, bare QEMU logs). */
  defaultVm: string;
  deadline?: Deadline;
}

/** The VM a libvirt log or QEMU log belongs to: its `-name guest=…` command-line line, else the default. */
export function vmOfLog(lines: readonly string[], fallback: string): string {
  for (const l of lines) {
    if (!l.startsWith('-name ')) continue;
    const name = guestName(l.slice('-name '.length).replace(/ \\$/, '').replace(/^'|'$/g, ''));
    if (name) return name;
  }
  return fallback;
}

/** Each line's timestamp and, for untimed lines, the timestamped neighbours in the same file. */
function withNeighbours(
  lines: readonly string[],
): Array<{ before: number | null; after: number | null } | undefined> {
  const ts = lines.map((l) => lineTimestamp(l));
  const out: Array<{ before: number | null; after: number | null } | undefined> = new Array(lines.length);
  let before: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const t = ts[i];
    if (t !== null && t !== undefined) before = t;
    else out[i] = { before, after: null };
  }
  let after: number | null = null;
  for (let i = lines.length - 1; i >= 0; i--) {
    const t = ts[i];
    if (t !== null && t !== undefined) after = t;
    else (out[i] as { after: number | null }).after = after;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function origin(kind: OriginKind, file: string, line: number): Origin {
  return { kind, file, line };
}

function logRecords(f: FileInput, kind: OriginKind): RawRecord[] {
  const vm: VmRef = { name: vmOfLog(f.lines, f.defaultVm) };
  const n = withNeighbours(f.lines);
  const out: RawRecord[] = [];
  f.lines.forEach((text, i) => {
    f.deadline?.tick();
    if (text === '') return;
    const neighbours = n[i];
    out.push({
      kind: 'log-line',
      host: f.host,
      vm,
      text,
      arrival: 0,
      origin: origin(kind, f.file, i + 1),
      ...(neighbours ? { neighbours } : {}),
    });
  });
  return out;
}

function virshRecords(f: FileInput): RawRecord[] {
  return f.lines.flatMap((text, i) =>
    (f.deadline?.tick(), text === '')
      ? []
      : [
          {
            kind: 'virsh-line' as const,
            host: f.host,
            text,
            arrival: 0,
            origin: origin('virsh', f.file, i + 1),
          },
        ],
  );
}

/** `journalctl -o json` output copied off a host: its pids mean nothing here, so no `/proc`. */
async function journalRecords(f: FileInput): Promise<RawRecord[]> {
  const reader = new JournalRecords({
    host: f.host,
    cache: new PidVmCache(undefined),
    fallbackVm: { name: f.defaultVm },
    file: f.file,
  });
  const out: RawRecord[] = [];
  for (const [i, line] of f.lines.entries()) {
    if (line.trim() === '') continue;
    const parsed = parseEntry(line);
    f.deadline?.tick();
    if (parsed.ok) for (const r of await reader.records(parsed.entry, { line: i + 1 })) out.push(r);
  }
  return out;
}

/**
 * QMP transcripts: the fixture form (`{"recv_ts", "dir", "line"}` per line; replies are matched to their
 * command by id) or a raw stream of QMP messages. The greeting carries the QEMU version.
 */
function qmpRecords(f: FileInput): RawRecord[] {
  const vm: VmRef = { name: f.defaultVm };
  const commands = new Map<string, string>();
  const out: RawRecord[] = [];
  f.lines.forEach((line, i) => {
    f.deadline?.tick();
    if (line.trim() === '') return;
    let msg: unknown;
    let arrival = 0;
    try {
      const o: unknown = JSON.parse(line);
      if (!isObject(o)) return;
      if ('dir' in o) {
        if (typeof o.recv_ts === 'number' && Number.isFinite(o.recv_ts)) arrival = o.recv_ts * 1000;
        if (typeof o.line !== 'string') return;
        msg = JSON.parse(o.line);
      } else msg = o;
    } catch {
      return;
    }
    // Any JSON value can sit on a line: only objects are QMP messages.
    if (!isObject(msg)) return;
    const at = origin('qmp-transcript', f.file, i + 1);
    if (typeof msg.execute === 'string' && msg.id !== undefined)
      commands.set(JSON.stringify(msg.id), msg.execute);
    else if (typeof msg.event === 'string')
      out.push({ kind: 'qmp-event', host: f.host, vm, arrival, origin: at, event: msg as never });
    else if ('QMP' in msg) {
      const version = isObject(msg.QMP) ? msg.QMP.version : undefined;
      out.push({
        kind: 'qmp-reply',
        host: f.host,
        vm,
        arrival,
        origin: at,
        command: 'query-version',
        result: version,
      });
    } else if ('return' in msg && msg.id !== undefined) {
      const command = commands.get(JSON.stringify(msg.id));
      if (command?.startsWith('query-'))
        out.push({ kind: 'qmp-reply', host: f.host, vm, arrival, origin: at, command, result: msg.return });
    }
  });
  return out;
}

export async function fileToRecords(f: FileInput): Promise<RawRecord[]> {
  switch (f.kind) {
    case 'libvirt-log':
      return logRecords(f, 'libvirt-log');
    case 'qemu-log':
      return logRecords(f, 'file');
    case 'virsh-events':
      return virshRecords(f);
    case 'journald-json':
      return journalRecords(f);
    case 'qmp-transcript':
      return qmpRecords(f);
    case 'recorder':
      return [];
  }
}
