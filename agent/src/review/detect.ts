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

const LIBVIRT_TS = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+0000: /;
const VIRSH_QEMU_TIME = /^event [A-Z_]+ at -?\d+\.\d+ for domain /;
const VIRSH_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+0000: event [A-Z_]+ for domain /;
const QEMU_LINE =
  /^(?:\d+@\d+\.\d{6}:[a-z0-9_]+ |\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z |qemu-system-\w+: |qemu-kvm: )/;

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
  let virsh = 0;
  let libvirt = 0;
  let qemu = 0;
  for (const l of sample) {
    if (VIRSH_QEMU_TIME.test(l) || VIRSH_TIMESTAMP.test(l)) virsh++;
    else if (LIBVIRT_TS.test(l) || l.endsWith(' \\')) libvirt++;
    else if (QEMU_LINE.test(l)) qemu++;
  }
  if (virsh > 0 && virsh >= libvirt) return 'virsh-events';
  if (libvirt > 0) return 'libvirt-log';
  if (qemu > 0) return 'qemu-log';
  return null;
}
