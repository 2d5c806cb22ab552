/**
 * Lines in the exact formats a libvirt host writes (libvirt 10.8 / QEMU 9.1): the domain log
 * `/var/log/libvirt/qemu/NAME.log` and `virsh qemu-monitor-event --loop` output, for any VM name, so
 * tests can feed hostile names and many VMs through the real inputs. The VFIO failure line is the
 * simulated hardware (printed during libvirt's `cont`: no timestamp, no program prefix).
 */

/** VM names that are members of `Object.prototype`: external names must never key a plain object. */
export const HOSTILE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'] as const;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** libvirt's own prefix: `2024-11-19 03:26:48.530+0000: `. */
export function libvirtTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`;
}

/** `SEC.USEC` as virsh prints QEMU's event time. */
const secUsec = (ms: number): string => (ms / 1000).toFixed(6);

export interface LogSpec {
  vm: string;
  uuid?: string;
  /** Time of the `starting up` header (epoch ms). */
  t0: number;
  /** Destination: `-incoming defer` and a vfio-pci device. */
  incoming?: boolean;
  device?: string;
}

/** The `starting up` header and command line libvirt writes when it starts QEMU. */
export function libvirtHeader(s: LogSpec): string[] {
  const device = s.device ?? '0000:e1:00.4';
  return [
    `${libvirtTime(s.t0)}: starting up libvirt version: 10.8.0, qemu version: 9.1.1, kernel: 6.8.0-48-generic, hostname: test-host`,
    'LC_ALL=C \\',
    '/usr/bin/qemu-system-x86_64 \\',
    `-name guest=${s.vm.replace(/,/g, ',,')},debug-threads=on \\`,
    '-S \\',
    ...(s.uuid ? [`-uuid ${s.uuid} \\`] : []),
    ...(s.incoming
      ? [`-device '{"driver":"vfio-pci","host":"${device}","id":"hostdev0","bus":"pci.8","addr":"0x0"}' \\`]
      : []),
    ...(s.incoming ? ['-incoming defer \\'] : []),
    '-msg timestamp=on',
    'char device redirected to /dev/pts/3 (label charserial0)',
  ];
}

/** A source's log: libvirt's `initiating migration` at `start`, `shutting down, reason=migrated` at `end`. */
export function sourceLog(s: LogSpec & { start: number; end: number }): string[] {
  return [
    ...libvirtHeader(s),
    `${libvirtTime(s.start)}: initiating migration`,
    `${libvirtTime(s.end)}: shutting down, reason=migrated`,
  ];
}

/** The destination's VFIO failure line (QEMU 9.1 under libvirt: no timestamp, no prefix). */
export const vfioFailureLine = (device = '0000:e1:00.4'): string =>
  `${device}: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error`;

/** One `virsh qemu-monitor-event --loop` line (QEMU's own event time, no `--timestamp`). */
export function virshEvent(vm: string, event: string, ms: number, data: unknown = null): string {
  return `event ${event} at ${secUsec(ms)} for domain '${vm}': ${data === null ? '<null>' : JSON.stringify(data)}`;
}

/** A destination's events: incoming migration setup → active → completed, then libvirt's `cont` RESUME. */
export function destinationEvents(vm: string, start: number, end: number): string[] {
  return [
    virshEvent(vm, 'MIGRATION', start, { status: 'setup' }),
    virshEvent(vm, 'MIGRATION', start + 100, { status: 'active' }),
    virshEvent(vm, 'MIGRATION', end, { status: 'completed' }),
    virshEvent(vm, 'RESUME', end + 70),
  ];
}

/** A source's events: setup → active → STOP → completed. */
export function sourceEvents(vm: string, start: number, end: number): string[] {
  return [
    virshEvent(vm, 'MIGRATION', start, { status: 'setup' }),
    virshEvent(vm, 'MIGRATION', start + 100, { status: 'active' }),
    virshEvent(vm, 'STOP', end - 50),
    virshEvent(vm, 'MIGRATION', end, { status: 'completed' }),
  ];
}
