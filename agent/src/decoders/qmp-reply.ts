import { dict, isMigrationStatus, type VmRef } from '@switchover/model';
import { VFIO_DEVICES_COMMAND, type QmpReplyRecord } from '../records/types.js';
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
  type Body,
  type Parsed,
} from './common.js';
import { ownOrArrival } from './time.js';

/**
 * The replies to the agent's read-only queries. Replies carry no QEMU time: they are stamped with
 * the arrival time. A reply whose shape does not match its command is `unknown`.
 */
export function decodeQmpReply(r: QmpReplyRecord): DecodeResult {
  const parsed = parseReply(r.command, r.result, r.vm);
  if (parsed.status !== 'decoded') return parsed.status === 'ignored' ? IGNORED_RESULT : UNKNOWN_RESULT;
  let raw: string;
  try {
    raw = JSON.stringify({ command: r.command, result: r.result });
  } catch {
    return UNKNOWN_RESULT;
  }
  return finish(parsed, { host: r.host, vm: r.vm, origin: r.origin, raw }, ownOrArrival(r.arrival));
}

function parseReply(command: string, result: unknown, vm: VmRef | undefined): Parsed {
  switch (command) {
    case 'query-migrate':
      return parseQueryMigrate(result);
    case 'query-status':
      return isPlainObject(result) && typeof result.status === 'string'
        ? decoded(null, { kind: 'vm-identity', runState: result.status })
        : UNKNOWN;
    case 'query-version': {
      const q = isPlainObject(result) ? result.qemu : undefined;
      if (!isPlainObject(q)) return UNKNOWN;
      const [ma, mi, mc] = [finiteNumber(q.major), finiteNumber(q.minor), finiteNumber(q.micro)];
      if (ma === undefined || mi === undefined || mc === undefined) return UNKNOWN;
      return decoded(null, { kind: 'vm-identity', qemuVersion: `${ma}.${mi}.${mc}` });
    }
    case 'query-name': {
      // `name` is optional (no `-name`): the record's VM still stands.
      if (!isPlainObject(result)) return UNKNOWN;
      const name = typeof result.name === 'string' && result.name !== '' ? result.name : undefined;
      const p = decoded(null, { kind: 'vm-identity' });
      if (!vm && name !== undefined) p.vm = { name };
      return p;
    }
    case 'query-uuid': {
      if (!isPlainObject(result) || typeof result.UUID !== 'string') return UNKNOWN;
      const p = decoded(null, { kind: 'vm-identity' });
      if (vm) p.vm = { ...vm, uuid: result.UUID };
      return p;
    }
    case 'query-migrate-capabilities': {
      if (!Array.isArray(result)) return UNKNOWN;
      const capabilities = dict<boolean>();
      for (const c of result) {
        if (isPlainObject(c) && typeof c.capability === 'string' && typeof c.state === 'boolean') {
          capabilities[c.capability] = c.state;
        }
      }
      return decoded(null, { kind: 'vm-identity', capabilities });
    }
    case VFIO_DEVICES_COMMAND: {
      if (!isPlainObject(result)) return UNKNOWN;
      const devices = dict<string>();
      for (const [id, host] of Object.entries(result)) if (typeof host === 'string') devices[id] = host;
      return decoded(null, { kind: 'vm-identity', devices });
    }
    default:
      return IGNORED;
  }
}

/** `query-migrate`: `{}` before any migration says nothing. */
function parseQueryMigrate(result: unknown): Parsed {
  if (!isPlainObject(result)) return UNKNOWN;
  if (Object.keys(result).length === 0) return IGNORED;
  const m: Extract<Body, { kind: 'migration-info' }> = { kind: 'migration-info' };
  if (typeof result.status === 'string') {
    if (!isMigrationStatus(result.status)) return UNKNOWN;
    m.status = result.status;
  }
  const total = finiteNumber(result['total-time']);
  const downtime = finiteNumber(result.downtime);
  const setup = finiteNumber(result['setup-time']);
  const transferred = isPlainObject(result.vfio) ? finiteNumber(result.vfio.transferred) : undefined;
  if (total !== undefined) m.totalTimeMs = total;
  if (downtime !== undefined) m.downtimeMs = downtime;
  if (setup !== undefined) m.setupTimeMs = setup;
  if (typeof result['error-desc'] === 'string') m.errorDesc = result['error-desc'];
  if (transferred !== undefined) m.vfioTransferredBytes = transferred;
  return decoded(null, m);
}
