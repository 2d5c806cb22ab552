import { dict, type VmRef } from '@switchover/model';
import { guestName } from '../records/qemu-cmdline.js';
import { IGNORED, decoded, isPlainObject, type Parsed } from './common.js';

const QEMU_VERSION = /qemu version: (\d+\.\d+\.\d+)/;

/**
 * libvirt's own domain-log lines, after the `YYYY-MM-DD HH:MM:SS.mmm+0000: ` prefix (at `time`).
 * The QEMU version in the start line runs straight into the package string
 * (`9.1.0qemu-kvm-9.1.0-9.el9`), so only `M.m.u` is taken.
 */
export function parseLibvirtLine(rest: string, time: number): Parsed {
  if (rest.startsWith('starting up ')) {
    const v = QEMU_VERSION.exec(rest)?.[1];
    return decoded(
      time,
      v === undefined ? { kind: 'process-start' } : { kind: 'process-start', qemuVersion: v },
    );
  }
  if (rest.startsWith('shutting down')) {
    // `reason=from snapshot` has a space: the reason runs to the end of the line.
    const at = rest.indexOf('reason=');
    const reason = at < 0 ? undefined : rest.slice(at + 7).trimEnd();
    return decoded(time, reason ? { kind: 'process-stop', reason } : { kind: 'process-stop' });
  }
  if (rest.startsWith('initiating migration')) return decoded(time, { kind: 'migration-initiated' });
  // `Domain id=N is tainted: …`, `Starting external device: …` and the like say nothing about migration.
  return IGNORED;
}

/**
 * One line of the QEMU command line libvirt writes into the domain log (`virCommandToString`, every
 * line but the last ends in ` \`). Only the lines that identify the VM or its role matter: `-name`,
 * `-uuid`, `-incoming`, and vfio-pci `-device`s. They carry no time.
 */
export function parseCommandLine(text: string, recordVm: VmRef | undefined): Parsed {
  if (text.charCodeAt(0) !== 45 /* - */) return IGNORED; // environment, binary path
  const line = text.slice(0, text.length - 2).trimEnd();
  const sp = line.indexOf(' ');
  if (sp < 0) return IGNORED;
  const opt = line.slice(0, sp);
  const value = unquote(line.slice(sp + 1).trim());
  switch (opt) {
    case '-name': {
      const name = guestName(value);
      if (name === undefined) return IGNORED;
      const p = decoded(null, { kind: 'vm-identity' });
      p.vm = recordVm && recordVm.name === name ? recordVm : { name };
      return p;
    }
    case '-uuid': {
      const p = decoded(null, { kind: 'vm-identity' });
      if (recordVm) p.vm = { ...recordVm, uuid: value };
      return p;
    }
    case '-incoming':
      return decoded(null, { kind: 'vm-identity', incoming: true });
    case '-device': {
      const dev = vfioDevice(value);
      return dev ? decoded(null, { kind: 'vm-identity', devices: dict([[dev.id, dev.host]]) }) : IGNORED;
    }
    default:
      return IGNORED;
  }
}

/** libvirt single-quotes arguments with shell-special characters (`'{"driver":…}'`, `'\''` for `'`). */
function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replaceAll("'\\''", "'");
  return v;
}

/** A vfio-pci `-device` in JSON (libvirt ≥ 7) or `key=value` (older) syntax: QOM id and host address. */
function vfioDevice(v: string): { id: string; host: string } | null {
  if (!v.includes('vfio-pci')) return null;
  if (v.startsWith('{')) {
    let o: unknown;
    try {
      o = JSON.parse(v);
    } catch {
      return null;
    }
    if (
      !isPlainObject(o) ||
      o.driver !== 'vfio-pci' ||
      typeof o.id !== 'string' ||
      typeof o.host !== 'string'
    )
      return null;
    return { id: o.id, host: o.host };
  }
  if (!v.startsWith('vfio-pci,')) return null;
  const kv = new Map(
    v.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const),
  );
  const id = kv.get('id');
  const host = kv.get('host');
  return id && host ? { id, host } : null;
}
