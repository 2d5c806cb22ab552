import type { Role, SideOutcome } from '@switchover/model';
import type { ExportEntry } from '@switchover/testbed';
import {
  KIND_RESULT,
  MAX_MIGRATION_LINES,
  kindOf,
  migrationLines,
  renderLine,
  type MigrationKind,
} from './migrations.js';
import { baseFields, noiseFields, seededRng, type HostFields } from './noise.js';

/**
 * The generated journal: `entries` entries one `stepUs` apart, mostly host noise, with `migrations`
 * QEMU migrations spread evenly through it over a pool of `vms` guests. Deterministic for a seed.
 * `expectedOf()` says what a correct decode + correlate pass must find in it.
 */
export interface ScenarioOptions {
  entries: number;
  migrations: number;
  vms: number;
  seed: number;
  /** First entry's realtime, epoch µs. */
  startUs: number;
  stepUs: number;
}

export const DEFAULT_SCENARIO: Omit<ScenarioOptions, 'entries' | 'migrations'> = {
  vms: 200,
  seed: 42,
  startUs: Date.UTC(2026, 10, 26, 8, 0, 0) * 1000,
  stepUs: 1000,
};

export type SessionTally = Record<Role, Partial<Record<SideOutcome, number>>>;

export interface Expected {
  migrations: number;
  kinds: Record<MigrationKind, number>;
  /** Closed sessions by role and side outcome. */
  sessions: SessionTally;
  silentFailures: number;
  qemuEntries: number;
}

const HOST: HostFields = {
  bootId: '5b7c1f0e2a9d4c6b8e3f1a2b3c4d5e6f',
  machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4',
  hostname: 'kvm-fra1-a19',
};

export const vmName = (i: number): string => `vm-${String(i).padStart(4, '0')}`;

/** Problems with the options, all at once (empty when fine). */
export function validateScenario(o: ScenarioOptions): string[] {
  const bad: string[] = [];
  if (!Number.isInteger(o.entries) || o.entries < 1)
    bad.push(`entries must be a positive integer (got ${o.entries})`);
  if (!Number.isInteger(o.migrations) || o.migrations < 0)
    bad.push(`migrations must be a non-negative integer (got ${o.migrations})`);
  if (!Number.isInteger(o.vms) || o.vms < 1) bad.push(`vms must be a positive integer (got ${o.vms})`);
  // Half the journal at most is QEMU, and a VM's migrations must not overlap in time.
  if (o.migrations * MAX_MIGRATION_LINES * 2 > o.entries)
    bad.push(`${o.migrations} migrations need at least ${o.migrations * MAX_MIGRATION_LINES * 2} entries`);
  return bad;
}

export function expectedOf(o: ScenarioOptions): Expected {
  const kinds = { 'dst-ok': 0, 'dst-silent': 0, 'dst-failed': 0, 'src-ok': 0, 'src-failed': 0 } as Record<
    MigrationKind,
    number
  >;
  const sessions: SessionTally = { source: {}, destination: {} };
  let silentFailures = 0;
  let qemuEntries = 0;
  for (let k = 0; k < o.migrations; k++) {
    const kind = kindOf(k);
    kinds[kind] += 1;
    const r = KIND_RESULT[kind];
    sessions[r.role][r.outcome] = (sessions[r.role][r.outcome] ?? 0) + 1;
    if (r.silent) silentFailures += 1;
    qemuEntries += migrationLines(kind).length;
  }
  return { migrations: o.migrations, kinds, sessions, silentFailures, qemuEntries };
}

function qemuCmdline(vm: string, uuid: string, incoming: boolean): string {
  return [
    '/usr/bin/qemu-system-x86_64',
    '-name',
    `guest=${vm},debug-threads=on`,
    '-S',
    '-object',
    `{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/domain-${vm}/master-key.aes"}`,
    '-machine',
    'pc-q35-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram',
    '-accel',
    'kvm',
    '-cpu',
    'host,migratable=on',
    '-m',
    '8192',
    '-uuid',
    uuid,
    '-no-user-config',
    '-nodefaults',
    '-msg',
    'timestamp=on',
    ...(incoming ? ['-incoming', 'defer'] : []),
  ].join(' ');
}

const uuidOf = (vm: number): string => `6d1f0c2a-${String(vm).padStart(4, '0')}-4222-8333-944445555666`;

/** Entries in time order. */
export function* scenarioEntries(o: ScenarioOptions): Generator<ExportEntry> {
  const rng = seededRng(o.seed);
  const monoBase = o.startUs - 700_000_000_000;
  const pidOf = new Map<number, number>();
  let nextPid = 20_000;
  const gap = o.migrations > 0 ? o.entries / o.migrations : Infinity;
  let k = 0;
  let nextAt = o.migrations > 0 ? Math.floor(gap / 2) : Infinity;
  let i = 0;
  // Entries stay in time order: a migration's lines take their own span, then noise resumes.
  let timeUs = o.startUs;
  while (i < o.entries) {
    if (i >= nextAt && k < o.migrations) {
      const kind = kindOf(k);
      const vm = k % o.vms;
      const role = KIND_RESULT[kind].role;
      // A destination is a fresh QEMU process; a source is the one already running the VM.
      let pid = pidOf.get(vm);
      if (role === 'destination' || pid === undefined) {
        pid = nextPid;
        nextPid += 7;
        pidOf.set(vm, pid);
      }
      const cmdline = qemuCmdline(vmName(vm), uuidOf(vm), role === 'destination');
      const unit = `machine-qemu\\x2d${vm}\\x2d${vmName(vm)}.scope`;
      let lineUs = timeUs;
      for (const line of migrationLines(kind)) {
        lineUs = timeUs + line.dtUs;
        yield [
          ...baseFields(HOST, lineUs, monoBase),
          ['_TRANSPORT', 'stdout'],
          ['PRIORITY', line.form === 'trace' ? '6' : '3'],
          ['SYSLOG_FACILITY', '3'],
          ['SYSLOG_IDENTIFIER', 'qemu-system-x86_64'],
          ['_PID', String(pid)],
          ['_UID', '64055'],
          ['_GID', '108'],
          ['_COMM', 'qemu-system-x86'],
          ['_EXE', '/usr/bin/qemu-system-x86_64'],
          ['_CMDLINE', cmdline],
          ['_SYSTEMD_CGROUP', `/machine.slice/${unit}`],
          ['_SYSTEMD_UNIT', unit],
          ['_SYSTEMD_SLICE', 'machine.slice'],
          ['MESSAGE', renderLine(line, lineUs, pid + line.thread)],
        ];
        i++;
      }
      timeUs = lineUs + o.stepUs;
      k++;
      nextAt = Math.floor(gap * (k + 0.5));
      continue;
    }
    yield [...baseFields(HOST, timeUs, monoBase), ...noiseFields(rng, timeUs)];
    timeUs += o.stepUs;
    i++;
  }
}
