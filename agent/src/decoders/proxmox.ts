import { isMigrationStatus } from '@switchover/model';
import { localToEpoch } from '../records/local-time.js';
import { parseCleanup, parseQmStarted, versionOfPackage } from '../records/proxmox-lines.js';
import type { ProxmoxRecord } from '../records/types.js';
import { IGNORED, IGNORED_RESULT, PEER_HOST, decoded, finish, type Body, type Parsed } from './common.js';
import type { Stamp } from './time.js';
import type { DecodeResult } from './types.js';

/**
 * Proxmox VE's own lines (`proxmox` records): the source node's `qmigrate` task log and the VM
 * lifecycle lines of the journal. QEMU's lines on a Proxmox node are ordinary `log-line`s.
 */
export function decodeProxmox(r: ProxmoxRecord): DecodeResult {
  const parsed = parse(r);
  if (parsed.status === 'ignored') return IGNORED_RESULT;
  const stamp = (own: number | null): Stamp =>
    own !== null
      ? { time: own, timeSource: 'event' }
      : { time: r.transportTime ?? r.arrival, timeSource: 'arrival' };
  return finish(parsed, { host: r.host, vm: r.vm, origin: r.origin, raw: r.text }, stamp);
}

function parse(r: ProxmoxRecord): Parsed {
  switch (r.from) {
    case 'task-log':
      return parseTaskLine(r.text, r.timeZone ?? 'UTC');
    case 'journal':
      return parseJournalLine(r);
    case 'config-moved':
      // The source moves the config only after QEMU said `completed` (QemuMigrate phase3_cleanup),
      // and resumes the target right after: on the target this is the end of the incoming migration.
      return decoded(null, { kind: 'migration-status', status: 'completed' });
    default:
      return IGNORED;
  }
}

function parseJournalLine(r: ProxmoxRecord): Parsed {
  const started = parseQmStarted(r.text);
  if (started) {
    const v = versionOfPackage(started.qemuPackage);
    const incoming = r.migratedFrom !== undefined;
    return decoded(
      null,
      v === undefined
        ? { kind: 'process-start', incoming }
        : { kind: 'process-start', incoming, qemuVersion: v },
    );
  }
  if (parseCleanup(r.text) !== null)
    return decoded(null, { kind: 'process-stop', reason: 'qmeventd cleanup' });
  if (r.messageId !== undefined) return decoded(null, { kind: 'process-stop', reason: 'scope ended' });
  return IGNORED;
}

/** `YYYY-MM-DD HH:MM:SS ` at the start of a task log line (`strftime("%F %H:%M:%S", localtime)`). */
function taskPrefix(s: string, zone: string): number | null {
  if (s.length < 20 || s.charCodeAt(19) !== 32) return null;
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})$/.exec(s.slice(0, 19));
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return null;
  const t = localToEpoch(zone, y, mo, d, h, mi, se);
  return Number.isFinite(t) ? t : null;
}

/** Where the message of a task log line starts (past the time and `ERROR: `), for review's labels. */
export function taskMessageStart(s: string): number {
  let i = /^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} /.test(s) ? 20 : 0;
  if (s.startsWith('ERROR: ', i)) i += 7;
  return i;
}

/** `starting migration of VM N to node 'X' (ip)`: the VMID and the target node, anywhere in a line. */
export const STARTING_MIGRATION = /starting migration of VM ([0-9]{1,9}) to node '([^']*)'/;
const WAITING = /^migration in status '([a-z-]+)' - waiting for transition$/;
const PROGRESS = /^migration ([a-z-]+), transferred /;
const STATUS = /^migration status: ([a-z-]+)$/;
const STATUS_ERROR = /^migration status error: ([a-z-]+)(?: - (.*))?$/;
const DOWNTIME = /^average migration speed: .* - downtime ([0-9]+) ms$/;
const ONLINE_FAILURE = 'online migrate failure - ';
const ABORTED = /^migration aborted \(duration [0-9:]+\): (.*)$/;
const FINISHED = /^migration finished successfully \(duration [0-9:]+\)$/;

/**
 * One line of a `qmigrate` task log (QemuMigrate.pm, AbstractMigrate.pm):
 * - `starting migration of VM N to node 'X' (ip)`: the source starts (phase 1, before QEMU migrates)
 *   towards node X, its peer;
 * - `migration in status 'S' - waiting…`, `migration S, transferred …`, `migration status: S` and
 *   `migration status error: S[ - error-desc]`: QEMU's own `query-migrate` status, as polled;
 * - `average migration speed: … - downtime N ms`: the downtime QEMU reported;
 * - `ERROR: online migrate failure - interrupted by signal`: the task was stopped (the GUI's Stop),
 *   and phase 2's cleanup always sends `migrate_cancel`: the migration is cancelled; any other
 *   online failure or `migration aborted …` fails it;
 * - `migration finished successfully`: phase 3 stopped the source VM after the target resumed.
 * `TASK OK`/`TASK ERROR`, `migrate_cancel` and `finished with problems` follow a line above that
 * already said how the migration ended (cleanup problems after `completed` do not undo it).
 */
export function parseTaskLine(text: string, zone: string): Parsed {
  const time = taskPrefix(text, zone);
  if (time === null) return IGNORED; // `TASK OK`, output of commands, continuation lines
  let msg = text.slice(20);
  if (msg.startsWith('ERROR: ')) msg = msg.slice(7);
  let m = STARTING_MIGRATION.exec(msg);
  if (m?.index === 0) {
    const node = m[2] as string;
    const initiated: Body = { kind: 'migration-initiated' };
    return PEER_HOST.test(node)
      ? decoded(time, initiated, { kind: 'migration-peer', peer: node })
      : decoded(time, initiated);
  }
  m = PROGRESS.exec(msg) ?? STATUS.exec(msg) ?? WAITING.exec(msg);
  if (m) {
    const s = m[1] as string;
    return isMigrationStatus(s) ? decoded(time, { kind: 'migration-status', status: s }) : IGNORED;
  }
  if ((m = STATUS_ERROR.exec(msg))) {
    const s = m[1] as string;
    if (!isMigrationStatus(s)) return IGNORED;
    const status: Body = { kind: 'migration-status', status: s };
    return m[2] ? decoded(time, { kind: 'migration-info', errorDesc: m[2] }, status) : decoded(time, status);
  }
  if ((m = DOWNTIME.exec(msg))) return decoded(time, { kind: 'migration-info', downtimeMs: Number(m[1]) });
  if (msg.startsWith(ONLINE_FAILURE)) {
    const err = msg.slice(ONLINE_FAILURE.length);
    if (err === 'interrupted by signal')
      return decoded(time, { kind: 'migration-status', status: 'cancelled' });
    const failed: Body = { kind: 'migration-status', status: 'failed' };
    // `aborting` only repeats the status error line just before it.
    return err === 'aborting'
      ? decoded(time, failed)
      : decoded(time, { kind: 'migration-info', errorDesc: err }, failed);
  }
  if ((m = ABORTED.exec(msg))) {
    // Stopped before QEMU was asked to migrate (prepare, phase 1): cancelled too when by a signal.
    const err = m[1] as string;
    const status = err.startsWith('interrupted by signal') ? 'cancelled' : 'failed';
    return decoded(time, { kind: 'migration-info', errorDesc: err }, { kind: 'migration-status', status });
  }
  if (FINISHED.test(msg)) return decoded(time, { kind: 'process-stop', reason: 'migrated' });
  return IGNORED;
}
