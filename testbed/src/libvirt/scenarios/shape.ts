import type { Shape } from './types.js';

const VIRSH_PREFIX = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+\d{4}: /;
const QEMU_TIME = /^(event \S+) at -?\d+\.\d+ (for domain )/;

/** A `virsh qemu-monitor-event` line in one form for both captures: no `--timestamp` prefix, no ` at SEC.USEC`. */
export function normaliseEventLine(line: string): string {
  return line.replace(VIRSH_PREFIX, '').replace(QEMU_TIME, '$1 $2');
}

/**
 * What is wrong with a file's text against its shape: each `inOrder` entry must be a substring of a
 * line after the line that held the previous one; no line may hold an `absent` entry. Empty when it fits.
 */
export function shapeProblems(text: string, shape: Shape, events: boolean): string[] {
  const lines = text.split('\n').map((l) => (events ? normaliseEventLine(l) : l));
  const problems: string[] = [];
  let at = 0;
  for (const want of shape.inOrder) {
    const i = lines.findIndex((l, n) => n >= at && l.includes(want));
    if (i < 0) {
      const earlier = lines.slice(0, at).some((l) => l.includes(want));
      problems.push(`missing ${JSON.stringify(want)}${earlier ? ' (only before the previous entry)' : ''}`);
    } else at = i + 1;
  }
  for (const never of shape.absent ?? []) {
    const i = lines.findIndex((l) => l.includes(never));
    if (i >= 0) problems.push(`line ${i + 1} has ${JSON.stringify(never)}: ${lines[i]}`);
  }
  return problems;
}

// Builders for the lines libvirt 9.0 / QEMU 7.2 really write; shared by the scenarios.

/** `event NAME for domain 'VM': DATA` (compact JSON as libvirt serialises it, `<null>` without data). */
export const event = (vm: string, name: string, data?: unknown): string =>
  `event ${name} for domain '${vm}': ${data === undefined ? '<null>' : JSON.stringify(data)}`;

export const status = (vm: string, s: string): string => event(vm, 'MIGRATION', { status: s });

/** virsh's Ctrl-C trailer; every capture ends with it (a file may hold no event before it). */
export const TRAILER = ['event loop interrupted', 'events received: '];

/** A source's events in a migration that completes (libvirt sets pause-before-switchover). */
export const sourceCompleted = (vm: string): string[] => [
  status(vm, 'setup'),
  event(vm, 'MIGRATION_PASS', { pass: 1 }),
  status(vm, 'active'),
  event(vm, 'STOP'),
  status(vm, 'pre-switchover'),
  status(vm, 'device'),
  status(vm, 'completed'),
];

/** A destination's events in a migration that completes; libvirt's `cont` gives the RESUME. */
export const destinationCompleted = (vm: string): string[] => [
  status(vm, 'setup'),
  status(vm, 'active'),
  status(vm, 'completed'),
  event(vm, 'RESUME'),
];

/** The `starting up` header and the command line's `-name` of one QEMU process of `vm`. */
export const processStart = (vm: string): string[] => [
  'starting up libvirt version: 9.0.0',
  `-name guest=${vm},debug-threads=on \\`,
];

/** A destination process: started paused with `-incoming defer`, then its serial console. */
export const incomingProcess = (vm: string): string[] => [
  ...processStart(vm),
  '-incoming defer \\',
  'char device redirected to /dev/pts/',
];

/** What libvirt and QEMU write on the source after a completed migration. */
export const MIGRATED_AWAY = [
  'initiating migration',
  'shutting down, reason=migrated',
  'qemu-system-x86_64: terminating on signal 15 from pid',
];
