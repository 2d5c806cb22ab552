import { isVirshTrailer, messageStart, parseLibvirtPrefix, parseVirshLine } from '../decoders/index.js';
import { isJournalTextLine } from './journal-text.js';

/** The kinds of file a responder copies off a host after an incident. */
export const FILE_KINDS = [
  'libvirt-log',
  'journald-json',
  'qmp-transcript',
  'virsh-events',
  'recorder',
  'qemu-log',
  'proxmox-task-log',
  'journal-text',
] as const;
export type FileKind = (typeof FILE_KINDS)[number];

function jsonKind(line: string): FileKind | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if ('__CURSOR' in o || '__REALTIME_TIMESTAMP' in o) return 'journald-json';
  if ('dir' in o && ('line' in o || o.dir === 'eof')) return 'qmp-transcript';
  if ('QMP' in o || 'event' in o || 'return' in o || 'execute' in o) return 'qmp-transcript';
  if (o.t === 'obs' || o.t === 'session' || o.t === 'state') return 'recorder';
  return null;
}

const TASK_LINE = /^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} /;
const TASK_END = /^TASK (?:OK|ERROR|WARNINGS)/;

/**
 * Tell a file's kind by its content (names lie: responders rename files). Looks at the first
 * non-empty lines; returns null when nothing matches.
 */
export function detectKind(lines: readonly string[]): FileKind | null {
  const sample = lines.filter((l) => l.trim() !== '').slice(0, 50);
  if (sample.length === 0) return null;
  const first = sample[0] as string;
  if (first.startsWith('{')) return jsonKind(first.trim());
  // `virsh qemu-monitor-event --loop` stopped before any event came: a valid capture of "no events".
  if (sample.every(isVirshTrailer)) return 'virsh-events';
  let virsh = 0;
  let libvirt = 0;
  let qemu = 0;
  let task = 0;
  let journal = 0;
  for (const l of sample) {
    if (parseVirshLine(l) !== null || isVirshTrailer(l)) virsh++;
    else if (parseLibvirtPrefix(l) !== null || l.endsWith(' \\')) libvirt++;
    else if (TASK_LINE.test(l) || TASK_END.test(l)) task++;
    else if (isJournalTextLine(l)) journal++;
    else if (messageStart(l) > 0) qemu++;
  }
  // A Proxmox task log: `YYYY-MM-DD HH:MM:SS msg` lines (local time), ending in `TASK OK|ERROR`.
  if (task > 0 && task >= sample.length / 2 && sample.some((l) => TASK_LINE.test(l)))
    return 'proxmox-task-log';
  if (journal > 0 && journal >= (sample.length - sample.filter((l) => l.startsWith('-- ')).length) / 2)
    return 'journal-text';
  if (virsh > 0 && virsh >= libvirt) return 'virsh-events';
  if (libvirt > 0) return 'libvirt-log';
  if (qemu > 0) return 'qemu-log';
  return null;
}
