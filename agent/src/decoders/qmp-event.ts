import { isMigrationStatus, vfioStateFromQapi } from '@switchover/model';
import type { QmpEventRecord } from '../records/types.js';
import type { DecodeResult } from './types.js';
import {
  IGNORED,
  IGNORED_RESULT,
  UNKNOWN,
  UNKNOWN_RESULT,
  decoded,
  finish,
  finiteNumber,
  isPlainObject,
  type Parsed,
} from './common.js';
import { ownOrArrival, qmpTime } from './time.js';

/**
 * One QMP event (by name and `data`) as observations. Shared by the QMP socket and the virsh relay,
 * which forwards the same name and `data` (`null` for `<null>`). `time` is the event's own time.
 */
export function parseQmpEvent(name: string, data: unknown, time: number | null): Parsed {
  switch (name) {
    case 'MIGRATION': {
      const status = isPlainObject(data) ? data.status : undefined;
      return typeof status === 'string' && isMigrationStatus(status)
        ? decoded(time, { kind: 'migration-status', status })
        : UNKNOWN;
    }
    case 'MIGRATION_PASS': {
      const pass = isPlainObject(data) ? finiteNumber(data.pass) : undefined;
      return pass === undefined ? UNKNOWN : decoded(time, { kind: 'migration-pass', pass });
    }
    case 'STOP':
      return decoded(time, { kind: 'vm-stop' });
    case 'RESUME':
      return decoded(time, { kind: 'vm-resume' });
    case 'SHUTDOWN': {
      const reason = isPlainObject(data) && typeof data.reason === 'string' ? data.reason : undefined;
      return decoded(time, reason === undefined ? { kind: 'shutdown' } : { kind: 'shutdown', reason });
    }
    case 'VFIO_MIGRATION':
      return parseVfioMigration(data, time);
    default:
      return IGNORED;
  }
}

/**
 * `VFIO_MIGRATION` (9.1+, `migration-events=on`). The device is named by its qdev id; a device
 * without one has `device-id: ""`, and its QOM path is the only name left. The correlator maps ids
 * to host addresses with the identity it has learnt.
 */
function parseVfioMigration(data: unknown, time: number | null): Parsed {
  if (!isPlainObject(data)) return UNKNOWN;
  const id = data['device-id'];
  const qom = data['qom-path'];
  const rawState = data['device-state'];
  const device =
    typeof id === 'string' && id !== '' ? id : typeof qom === 'string' && qom !== '' ? qom : undefined;
  const state = typeof rawState === 'string' ? vfioStateFromQapi(rawState) : undefined;
  if (device === undefined || state === undefined) return UNKNOWN;
  return decoded(time, { kind: 'vfio-state', device, state, via: 'event' });
}

/** A QMP event record: QEMU's own time, or arrival when QEMU sent `-1` or nothing. */
export function decodeQmpEvent(r: QmpEventRecord): DecodeResult {
  const ev = r.event as unknown;
  if (!isPlainObject(ev) || typeof ev.event !== 'string') return UNKNOWN_RESULT;
  const parsed = parseQmpEvent(ev.event, ev.data ?? null, qmpTime(ev.timestamp));
  if (parsed.status !== 'decoded') return parsed.status === 'ignored' ? IGNORED_RESULT : UNKNOWN_RESULT;
  let raw: string;
  try {
    raw = JSON.stringify(ev);
  } catch {
    return UNKNOWN_RESULT;
  }
  return finish(parsed, { host: r.host, vm: r.vm, origin: r.origin, raw }, ownOrArrival(r.arrival));
}
