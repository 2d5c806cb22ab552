import { isVirshTrailer, messageStart, parseLibvirtPrefix, parseVirshLine } from '../decoders/index.js';

/** The kinds of file a responder copies off a host after an incident. */
export const FILE_KINDS = [
  'libvirt-log',
  'journald-json',
  'qmp-transcript',
  'virsh-events',
  'recorder',
  'qemu-log',
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
  for (const l of sample) {
    if (parseVirshLine(l) !== null || isVirshTrailer(l)) virsh++;
    else if (parseLibvirtPrefix(l) !== null || l.endsWith(' \\')) libvirt++;
    else if (messageStart(l) > 0) qemu++;
  }
  if (virsh > 0 && virsh >= libvirt) return 'virsh-events';
  if (libvirt > 0) return 'libvirt-log';
  if (qemu > 0) return 'qemu-log';
  return null;
}
