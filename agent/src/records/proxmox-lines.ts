/**
 * Pure parsers of what a Proxmox VE node writes about its VMs, shared by the live source, the
 * journal-entry → records step, the decoders and `review`. Formats read from qemu-server and
 * pve-guest-common (`QemuServer.pm`, `CLI/qm.pm`, `QemuMigrate.pm`, `AbstractMigrate.pm`) and from
 * systemd 252's message catalog.
 */

/** A VMID: qemu-server accepts 100 … 999999999; anything of 1–9 digits is taken as one. */
const VMID = /^[0-9]{1,9}$/;
/** pve-qemu sends QEMU's stderr to the journal under this identifier once daemonized. */
export const PVE_QEMU_IDENTIFIER = 'QEMU';

export const isVmid = (s: string): boolean => VMID.test(s);

/** `<VMID>.scope`, the transient unit qemu-server runs each VM's QEMU in (`qemu.slice/<VMID>.scope`). */
export function scopeVmid(unit: string | undefined): string | undefined {
  if (unit === undefined || !unit.endsWith('.scope')) return undefined;
  const id = unit.slice(0, -'.scope'.length);
  return isVmid(id) ? id : undefined;
}

/** `syslog("info", "VM $vmid started with PID $pid using $qemu_pkg_string.")` (QemuServer.pm vm_start). */
const STARTED = /^VM ([0-9]{1,9}) started with PID ([0-9]{1,10}) using (.*?)\.?$/;

export interface QmStarted {
  vmid: string;
  pid: number;
  /** QEMU's `query-version` package string, e.g. `pve-qemu-kvm_9.2.0-5`. */
  qemuPackage: string;
}

export function parseQmStarted(text: string): QmStarted | null {
  if (!text.startsWith('VM ')) return null;
  const m = STARTED.exec(text);
  return m ? { vmid: m[1] as string, pid: Number(m[2]), qemuPackage: m[3] as string } : null;
}

/** The QEMU version inside a package string (`pve-qemu-kvm_9.2.0-5` → `9.2.0`, `1:7.2+dfsg-7` → `7.2`). */
export function versionOfPackage(pkg: string): string | undefined {
  return /(?:^|[^0-9.])([0-9]+\.[0-9]+(?:\.[0-9]+)?)/.exec(pkg)?.[1];
}

/** `warn "Starting cleanup for $vmid\n"`: `qm cleanup`, run by qmeventd once the VM's QEMU is gone. */
const CLEANUP = /^Starting cleanup for ([0-9]{1,9})$/;

export function parseCleanup(text: string): string | null {
  return text.startsWith('Starting cleanup for ') ? (CLEANUP.exec(text)?.[1] ?? null) : null;
}

/**
 * The service manager's catalog ids (systemd `sd-messages.h`, `journalctl --list-catalog`) of the
 * messages that end a unit: the VM's scope ends when its QEMU process is gone.
 */
export const UNIT_ENDED_IDS: ReadonlyMap<string, string> = new Map([
  ['7ad2d189f7e94e70a38c781354912448', 'succeeded'],
  ['d9b373ed55a64feb8242e02dbe79a49c', 'failed'],
]);

/**
 * The same messages as `journalctl` prints them (plain-text exports carry no MESSAGE_ID):
 * `100.scope: Deactivated successfully.` / `100.scope: Failed with result 'oom-kill'.`
 */
export function parseUnitEndedText(text: string): { unit: string; messageId: string } | null {
  const colon = text.indexOf(': ');
  if (colon <= 0) return null;
  const unit = text.slice(0, colon);
  const rest = text.slice(colon + 2);
  if (rest === 'Deactivated successfully.') return { unit, messageId: '7ad2d189f7e94e70a38c781354912448' };
  if (rest.startsWith('Failed with result ')) return { unit, messageId: 'd9b373ed55a64feb8242e02dbe79a49c' };
  return null;
}

/** `--migratedfrom NODE` on a `qm start` command line (journald's space-joined `_CMDLINE`). */
export function migratedFrom(cmdline: string | undefined): string | undefined {
  if (!cmdline || !cmdline.includes('--migratedfrom')) return undefined;
  const argv = cmdline.split(/\s+/);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--migratedfrom' || a === '-migratedfrom') return argv[i + 1] || undefined;
    if (a.startsWith('--migratedfrom=')) return a.slice('--migratedfrom='.length) || undefined;
  }
  return undefined;
}

/** A task's UPID: `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:` (hex numbers). */
export interface Upid {
  node: string;
  pid: number;
  /** Task start, epoch seconds. */
  startTime: number;
  type: string;
  id: string;
  user: string;
}

const UPID =
  /^UPID:([^:\s]+):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/;

/** Parses a UPID (the task log's file name); null for anything else. */
export function parseUpid(s: string): Upid | null {
  const m = UPID.exec(s);
  if (!m) return null;
  return {
    node: m[1] as string,
    pid: parseInt(m[2] as string, 16),
    startTime: parseInt(m[4] as string, 16),
    type: m[5] as string,
    id: m[6] as string,
    user: m[7] as string,
  };
}

/**
 * The `name:` of a VM config (`/etc/pve/qemu-server/<VMID>.conf`). Only the current config counts:
 * `[snapshot]` sections below it keep older names. Values are tenant-chosen text: returned as is,
 * trimmed, or undefined when absent or empty.
 */
export function parseConfName(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('[')) return undefined;
    if (!line.startsWith('name:')) continue;
    const v = line.slice('name:'.length).trim();
    return v === '' ? undefined : v;
  }
  return undefined;
}
