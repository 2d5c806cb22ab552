import { IGNORED, decoded, type Body, type Parsed } from './common.js';
import { parseVfioFailure } from './vfio-failure.js';

/**
 * QEMU's error_report / hw_error messages, after any `<ISO>Z ` and `<prog>: ` prefix is removed.
 * `hadProg` says the line carried the program prefix: such lines are QEMU's, so an unrecognised one
 * is still kept as a `qemu-error`. A bare unrecognised line may be anyone's text: ignored.
 *
 * The VFIO failure printed while QEMU handles libvirt's `cont` has neither prefix (error_report
 * inside a monitor command), so everything that matters is recognised without them.
 */
export function parseMessage(msg: string, time: number | null, hadProg: boolean): Parsed {
  const body = recognise(msg);
  if (body === 'ignore') return IGNORED;
  if (body) return decoded(time, body);
  if (!hadProg || msg.startsWith('warning: ') || msg.startsWith('info: ')) return IGNORED;
  return decoded(time, { kind: 'qemu-error', message: msg });
}

const loadFailure = (message: string, final: boolean): Body => ({ kind: 'load-failure', message, final });
const SIBLING = /^Sibling indicated error (-?\d+)/;
const rpError = (message: string): Body => {
  const m = SIBLING.exec(message);
  return m
    ? { kind: 'return-path', event: 'error', value: Number(m[1]), message }
    : { kind: 'return-path', event: 'error', message };
};

// Destination load errors that QEMU prints as their own lines before the final one (≤10.1), or as
// the head of a chained message (10.2+). Matched at the start of the message only.
const LOAD_DETAIL_PREFIXES = [
  'error while loading state',
  'Error while loading vmstate',
  'Unknown savevm section',
  'Unknown section ',
  'Load state of device ',
  'Size mismatch: ',
  'Not a migration stream',
  'Unsupported migration stream version',
  'Configuration section missing',
  'savevm: unsupported version',
  'Failed to load vmstate version_id',
  'Failed to load section ID',
];
// Device-named load errors (`<dev>: …`), found anywhere in the message.
const LOAD_DETAIL_INFIXES = [
  ': Unknown tag 0x',
  ': Failed to load device config space',
  ': Failed loading device config space',
];

// Source return-path texts (8.2+ as error text; ≤8.1 printed with an `RP: ` prefix).
const RP_PREFIXES = [
  'Sibling indicated error ',
  'Channel error: ',
  'Received invalid message ',
  'Failed reading data for message ',
  'Req_Page_id with length ',
  'MIG_RP_MSG_RECV_BITMAP missing block name',
];

/** An observation body, 'ignore' for known harmless lines, or null for anything else. */
function recognise(msg: string): Body | 'ignore' | null {
  // Cheap first-character dispatch: most lines reaching here are noise and leave on the first test.
  switch (msg.charCodeAt(0)) {
    case 108 /* l */:
      if (msg.startsWith('load of migration failed')) return loadFailure(msg, true);
      break;
    case 99 /* c */:
      // Printed by QEMU at start-up under libvirt: not an error.
      if (msg.startsWith('char device redirected to ')) return 'ignore';
      break;
    case 116 /* t */:
      // The source QEMU being killed by libvirt after a migration (or a destroy): normal.
      if (msg.startsWith('terminating on signal ')) return 'ignore';
      break;
    case 82 /* R */:
      if (msg.startsWith('RP: ')) return rpError(msg.slice(4));
      if (
        msg.startsWith('Received ') &&
        (msg.startsWith('Received invalid message ') || msg.includes('withincorrect length'))
      ) {
        return rpError(msg);
      }
      break;
    case 104 /* h */:
      // `qemu: hardware error: <dev>: …` (hw_error, then abort): a VFIO form or any other hardware error.
      if (msg.startsWith('hardware error: '))
        return parseVfioFailure(msg) ?? { kind: 'qemu-error', message: msg };
      break;
  }
  for (const p of LOAD_DETAIL_PREFIXES) if (msg.startsWith(p)) return loadFailure(msg, false);
  for (const p of RP_PREFIXES) if (msg.startsWith(p)) return rpError(msg);
  if (msg.includes(': Failed ') || msg.includes(': Device in error state')) {
    const f = parseVfioFailure(msg);
    if (f) return f;
  }
  for (const p of LOAD_DETAIL_INFIXES) if (msg.includes(p)) return loadFailure(msg, false);
  return null;
}
