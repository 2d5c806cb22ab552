import type { RawRecord } from '../records/types.js';
import { UNKNOWN_RESULT } from './common.js';
import { decodeLogLine } from './log-line.js';
import { decodeProxmox } from './proxmox.js';
import { decodeQmpEvent } from './qmp-event.js';
import { decodeQmpReply } from './qmp-reply.js';
import type { DecodeResult } from './types.js';
import { decodeVirshLine } from './virsh-line.js';

export type { Decode, DecodeResult } from './types.js';
export {
  isPlausibleTime,
  lineTimestamp,
  parseIsoPrefix,
  parseLibvirtPrefix,
  parseTidPrefix,
  qmpTime,
  TIME_RANGE_MS,
} from './time.js';
export { isVirshTrailer, parseVirshLine, type VirshLine } from './virsh-line.js';
export { parseVfioFailure } from './vfio-failure.js';
export { MAX_LINE_CHARS, messageStart } from './log-line.js';
export { KNOWN_TRACE_NAMES } from './trace-names.js';
export { parseTaskLine, STARTING_MIGRATION, taskMessageStart } from './proxmox.js';

/**
 * One raw record → zero or more observations. Pure and total: no I/O, no clock, and it never throws
 * (a record that makes a parser throw is `unknown`, counted and skipped by the caller). The result
 * objects for `ignored`/`unknown` are shared and frozen: callers must not mutate them.
 */
export function decode(record: RawRecord): DecodeResult {
  try {
    switch (record.kind) {
      case 'log-line':
        return decodeLogLine(record);
      case 'qmp-event':
        return decodeQmpEvent(record);
      case 'virsh-line':
        return decodeVirshLine(record);
      case 'qmp-reply':
        return decodeQmpReply(record);
      case 'proxmox':
        return decodeProxmox(record);
      default:
        return UNKNOWN_RESULT;
    }
  } catch {
    return UNKNOWN_RESULT;
  }
}
