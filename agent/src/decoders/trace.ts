import { isMigrationStatus, isVfioState } from '@switchover/model';
import { IGNORED, PEER_HOST, decoded, type Parsed } from './common.js';

const HEX = /^0x[0-9a-f]+$/i;

/**
 * Trace events of the log backend, after the prefix (`tid@sec.usec:`, `<ISO>Z ` or none) is gone.
 * `args` is the formatted argument text: VFIO formats start with a space of their own, so those
 * lines have two spaces after the name; zero-argument events may keep a trailing space (stderr) or
 * lose it (journald strips it).
 */
export function parseTrace(name: string, args: string, time: number | null): Parsed {
  switch (name) {
    case 'migrate_set_state': {
      // "new state active"
      const a = args.trim();
      if (!a.startsWith('new state ')) return IGNORED;
      const status = a.slice(10);
      return isMigrationStatus(status) ? decoded(time, { kind: 'migration-status', status }) : IGNORED;
    }
    case 'vfio_migration_set_state':
      return parseVfioSetState(args, time);
    case 'vfio_migration_set_device_state': {
      // 9.1+: " (dev) state RUNNING", traced whenever QEMU records a state (also after a reset).
      const v = vfioArgs(args);
      if (!v || !v.rest.startsWith('state ')) return IGNORED;
      const state = v.rest.slice(6);
      return isVfioState(state)
        ? decoded(time, { kind: 'vfio-state', device: v.device, state, via: 'trace' })
        : IGNORED;
    }
    case 'source_return_path_thread_shut': {
      // "0x0": the SHUT value the destination sent; non-zero fails the migration.
      const a = args.trim();
      const value = HEX.test(a) ? parseInt(a.slice(2), 16) : NaN;
      return Number.isNaN(value) ? IGNORED : decoded(time, { kind: 'return-path', event: 'shut', value });
    }
    case 'migration_socket_outgoing_connected': {
      // "hostname=10.0.0.19": the host part of a `tcp:` URI, on the source only. QEMU prints
      // "(null)" for a socket without a host (unix:); 10.2 is the last version with the argument.
      const a = args.trim();
      const peer = a.startsWith('hostname=') ? a.slice(9) : '';
      return PEER_HOST.test(peer) ? decoded(time, { kind: 'migration-peer', peer }) : IGNORED;
    }
    case 'source_return_path_thread_bad_end':
      return decoded(time, { kind: 'return-path', event: 'error', message: 'bad end' });
    case 'migrate_error': // 9.1+
    case 'migrate_fd_error': {
      // ≤ 9.0
      const a = args.trim();
      const message = a.startsWith('error=') ? a.slice(6) : a;
      return decoded(time, { kind: 'qemu-error', message });
    }
    default:
      return IGNORED;
  }
}

/**
 * `vfio_migration_set_state` changed meaning twice:
 * - 9.1+ ` (dev) new state X, recover state Y`: traced on entry, an attempt;
 * - 8.0–9.0 ` (dev) state X`: traced only after success, so it is a recorded state;
 * - 7.2 ` (dev) state 3`: v1 region bitmask, not a uAPI state: ignored.
 */
function parseVfioSetState(args: string, time: number | null): Parsed {
  const v = vfioArgs(args);
  if (!v) return IGNORED;
  if (v.rest.startsWith('new state ')) {
    const comma = v.rest.indexOf(',', 10);
    const target = v.rest.slice(10, comma < 0 ? undefined : comma);
    return isVfioState(target) ? decoded(time, { kind: 'vfio-attempt', device: v.device, target }) : IGNORED;
  }
  if (v.rest.startsWith('state ')) {
    const state = v.rest.slice(6);
    return isVfioState(state)
      ? decoded(time, { kind: 'vfio-state', device: v.device, state, via: 'trace' })
      : IGNORED;
  }
  return IGNORED;
}

/** ` (0000:3b:00.1) rest` → device and rest (trimmed). */
function vfioArgs(args: string): { device: string; rest: string } | null {
  const open = args.indexOf('(');
  const close = open < 0 ? -1 : args.indexOf(') ', open + 1);
  if (close <= open + 1) return null;
  return { device: args.slice(open + 1, close), rest: args.slice(close + 2).trim() };
}
