import type { Role, SideOutcome } from '@switchover/model';

/**
 * The QEMU side of the generated journal: one migration per call, as QEMU 7.2 prints it to stderr
 * with `-msg timestamp=on` and migration traces enabled (journald without libvirt: the QEMU unit's
 * stdout/stderr). Every line carries the entry's own time, so a replay is deterministic.
 */

export const MIGRATION_KINDS = ['dst-ok', 'dst-silent', 'dst-failed', 'src-ok', 'src-failed'] as const;
export type MigrationKind = (typeof MIGRATION_KINDS)[number];

/** What the correlator must conclude for each kind: the benchmark's sanity check. */
export const KIND_RESULT: Record<MigrationKind, { role: Role; outcome: SideOutcome; silent: boolean }> = {
  'dst-ok': { role: 'destination', outcome: 'completed', silent: false },
  'dst-silent': { role: 'destination', outcome: 'completed-with-device-failure', silent: true },
  'dst-failed': { role: 'destination', outcome: 'failed', silent: false },
  'src-ok': { role: 'source', outcome: 'completed', silent: false },
  'src-failed': { role: 'source', outcome: 'failed', silent: false },
};

/** One in every 20 migrations in this proportion: mostly healthy, 10 % silent destination failures. */
const MIX: readonly MigrationKind[] = [
  'src-ok',
  'dst-ok',
  'src-ok',
  'dst-silent',
  'src-ok',
  'dst-ok',
  'src-ok',
  'dst-ok',
  'src-failed',
  'dst-ok',
  'src-ok',
  'dst-failed',
  'src-ok',
  'dst-ok',
  'src-ok',
  'dst-silent',
  'src-ok',
  'dst-ok',
  'src-ok',
  'dst-ok',
];

export const kindOf = (index: number): MigrationKind => MIX[index % MIX.length]!;

export const VFIO_DEVICE = '0000:3b:00.1';
export const VFIO_FAILURE_LINE = `${VFIO_DEVICE}: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error`;

/** A QEMU line and its offset (µs) from the migration's first line. */
export interface QemuLine {
  dtUs: number;
  /** The line without its time prefix; `trace` lines get `tid@sec.usec:`, `error` lines `<ISO>Z qemu-system-x86_64: `. */
  text: string;
  form: 'trace' | 'error' | 'bare';
  /** Thread id offset from the pid (QEMU's migration threads print their own tid). */
  thread: number;
}

const t = (dtUs: number, text: string, thread = 0): QemuLine => ({ dtUs, text, form: 'trace', thread });
const e = (dtUs: number, text: string): QemuLine => ({ dtUs, text, form: 'error', thread: 0 });
const bare = (dtUs: number, text: string): QemuLine => ({ dtUs, text, form: 'bare', thread: 0 });

/** Destination start-up: libvirt-style warnings and the chardev line, before the incoming stream. */
const DST_START = [
  e(0, "warning: host doesn't support requested feature: CPUID.80000001H:ECX.svm [bit 2]"),
  bare(40, 'char device redirected to /dev/pts/3 (label charserial0)'),
];
const DST_LOAD = [
  t(300, 'migration_socket_incoming_accepted '),
  t(320, 'migration_set_incoming_channel ioc=0x56280f838a80 ioctype=qio-channel-socket'),
  t(380, 'migrate_set_state new state active'),
  t(760, 'loadvm_state_setup '),
  t(770, 'loadvm_process_command com=OPEN_RETURN_PATH len=0'),
  t(800, 'loadvm_process_command com=PING len=4'),
];

export function migrationLines(kind: MigrationKind): QemuLine[] {
  switch (kind) {
    case 'dst-ok':
      return [
        ...DST_START,
        ...DST_LOAD,
        t(15_800, 'qemu_loadvm_state_post_main 0'),
        t(15_880, 'process_incoming_migration_co_end ret=0 postcopy-state=0'),
        t(15_970, 'migrate_set_state new state completed'),
      ];
    case 'dst-silent':
      // 7.2 autostart order: the VM starts (VFIO → RUNNING) in the bh, before `completed`.
      return [
        ...DST_START,
        ...DST_LOAD,
        t(15_800, 'qemu_loadvm_state_post_main 0'),
        t(15_880, 'process_incoming_migration_co_end ret=0 postcopy-state=0'),
        bare(15_920, VFIO_FAILURE_LINE),
        t(15_970, 'migrate_set_state new state completed'),
      ];
    case 'dst-failed':
      return [
        ...DST_START,
        ...DST_LOAD,
        e(9_100, "error while loading state for instance 0x0 of device '0000:00:04.0/virtio-blk'"),
        e(9_110, 'load of migration failed: Input/output error'),
        t(9_120, 'migrate_set_state new state failed'),
      ];
    case 'src-ok':
      return [
        t(0, 'migrate_set_state new state setup'),
        t(880, 'migration_socket_outgoing_connected hostname=192.0.2.19'),
        t(940, 'open_return_path_on_source '),
        t(1_100, 'source_return_path_thread_entry ', 1),
        t(1_800, 'migrate_set_state new state active', 2),
        t(1_830, 'savevm_state_iterate ', 2),
        t(8_100, 'migration_completion_vm_stop ret 0', 2),
        t(16_400, 'source_return_path_thread_shut 0x0', 1),
        t(16_600, 'migrate_set_state new state completed', 2),
        t(16_700, 'savevm_state_cleanup '),
      ];
    case 'src-failed':
      return [
        t(0, 'migrate_set_state new state setup'),
        t(880, 'migration_socket_outgoing_connected hostname=192.0.2.19'),
        t(1_100, 'source_return_path_thread_entry ', 1),
        t(1_800, 'migrate_set_state new state active', 2),
        t(1_830, 'savevm_state_iterate ', 2),
        t(9_200, 'source_return_path_thread_shut 0x1', 1),
        t(9_300, 'migrate_set_state new state failed', 2),
        e(9_400, 'Sibling indicated error 1'),
      ];
    default: {
      const never: never = kind;
      return never;
    }
  }
}

export const MAX_MIGRATION_LINES = Math.max(...MIGRATION_KINDS.map((k) => migrationLines(k).length));

/** The line as QEMU printed it at `timeUs` (epoch µs) from thread `tid`. */
export function renderLine(line: QemuLine, timeUs: number, tid: number): string {
  switch (line.form) {
    case 'trace': {
      const sec = Math.floor(timeUs / 1e6);
      const usec = String(timeUs % 1e6).padStart(6, '0');
      // journald strips the trailing space of zero-argument events, as a real capture shows.
      return `${tid}@${sec}.${usec}:${line.text.trimEnd()}`;
    }
    case 'error':
      return `${new Date(Math.floor(timeUs / 1000)).toISOString().replace(/\.(\d{3})Z$/, `.$1${String(timeUs % 1000).padStart(3, '0')}Z`)} qemu-system-x86_64: ${line.text}`;
    case 'bare':
      return line.text;
    default: {
      const never: never = line.form;
      return never;
    }
  }
}
