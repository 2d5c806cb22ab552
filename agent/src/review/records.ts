import type { Origin, OriginKind, VmRef } from '@switchover/model';
import { lineTimestamp } from '../decoders/index.js';
import { parseEntry } from '../records/journal-entry.js';
import { JournalRecords } from '../records/journal-records.js';
import { PidVmCache } from '../records/pid-vm-cache.js';
import { ProxmoxJournalRecords } from '../records/proxmox-journal-records.js';
import { guestName } from '../records/qemu-cmdline.js';
import type { RawRecord } from '../records/types.js';
import type { FileKind } from './detect.js';
import type { Deadline } from './limits.js';
import { parseJournalTextLine, textToJournalEntry } from './journal-text.js';
import { taskLogRecords } from './proxmox.js';

export interface FileInput {
  host: string;
  /** As given on the command line; evidence names it. */
  file: string;
  kind: FileKind;
  lines: string[];
  /** VM for files that do not name one (QMP transcripts, bare QEMU logs). */
  defaultVm: string;
  deadline?: Deadline;
  /** Reading local times and Proxmox VMIDs (task logs, plain-text journals). */
  local?: LocalContext;
}

export interface LocalContext {
  /** The zone of times printed without an offset (task logs, `journalctl -o short`). */
  timeZone: string;
  /** The year of `journalctl -o short` lines, which print none. */
  year: number;
  /** VMID → Proxmox VM name, from what the files said. */
  names: ReadonlyMap<string, string>;
  /** The VM of plain-text QEMU lines no `qm` line tied to a VMID (one VM in the review). */
  fallbackVm?: VmRef;
}

const NO_LOCAL: LocalContext = { timeZone: 'UTC', year: new Date().getUTCFullYear(), names: new Map() };

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

/**
 * `journalctl -o json` output copied off a host: its pids mean nothing here, so no `/proc`. Proxmox
 * VE's entries (QEMU under `<VMID>.scope`, `qm`, `qmeventd`) take the Proxmox step, the rest the
 * ordinary one.
 */
async function journalRecords(f: FileInput): Promise<RawRecord[]> {
  const local = f.local ?? NO_LOCAL;
  const fallbackVm = { name: f.defaultVm };
  const other = new JournalRecords({
    host: f.host,
    cache: new PidVmCache(undefined),
    fallbackVm,
    file: f.file,
  });
  const reader = new ProxmoxJournalRecords({
    host: f.host,
    names: (vmid) => local.names.get(vmid),
    fallbackVm: local.fallbackVm ?? fallbackVm,
    file: f.file,
    other,
  });
  const out: RawRecord[] = [];
  for (const [i, line] of f.lines.entries()) {
    if (line.trim() === '') continue;
    const parsed = parseEntry(line, 'units');
    f.deadline?.tick();
    if (parsed.ok) for (const r of await reader.records(parsed.entry, { line: i + 1 })) out.push(r);
  }
  return out;
}

const TEXT_IDENTIFIERS = /^(?:QEMU|qm|qmeventd|systemd|kvm|qemu[\w.+-]*)$/;

/** The plain text of `journalctl` (short, short-precise, short-iso): no units, so VMs come from `qm`'s pids. */
async function journalTextRecords(f: FileInput): Promise<RawRecord[]> {
  const local = f.local ?? NO_LOCAL;
  const reader = new ProxmoxJournalRecords({
    host: f.host,
    names: (vmid) => local.names.get(vmid),
    fallbackVm: local.fallbackVm ?? { name: f.defaultVm },
    file: f.file,
    other: new JournalRecords({
      host: f.host,
      cache: new PidVmCache(undefined),
      fallbackVm: local.fallbackVm ?? { name: f.defaultVm },
      file: f.file,
    }),
  });
  const out: RawRecord[] = [];
  let year = local.year;
  let last = Number.NEGATIVE_INFINITY;
  for (const [i, line] of f.lines.entries()) {
    let e = parseJournalTextLine(line, { timeZone: local.timeZone, year });
    // `short` has no year: a line far earlier than the one before it is in the next year.
    if (e && e.time < last - 180 * 86_400_000 && !/^[0-9]/.test(line)) {
      year += 1;
      e = parseJournalTextLine(line, { timeZone: local.timeZone, year });
    }
    if (!e) continue;
    last = e.time;
    // Other programs' lines say nothing about migrations and must not pass for QEMU's.
    if (!TEXT_IDENTIFIERS.test(e.identifier)) continue;
    out.push(...(await reader.records(textToJournalEntry(e), { line: i + 1 })));
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
    case 'proxmox-task-log':
      return taskLogRecords(f, (f.local ?? NO_LOCAL).timeZone, (f.local ?? NO_LOCAL).names);
    case 'journal-text':
      return journalTextRecords(f);
    case 'recorder':
      return [];
  }
}
