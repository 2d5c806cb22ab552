import { parseArgs } from 'node:util';
import { DEFAULT_SKEW_MS, isProblem } from '@switchover/model';
import { DEFAULT_CORRELATOR_CONFIG } from '../correlator/index.js';
import { PIPE_IDLE_SECONDS } from '../review/input.js';
import { REVIEW_LIMITS } from '../review/limits.js';
import { review, ReviewInputError, ReviewLimitError, type HostFile } from '../review/review.js';
import { toReviewJson } from '../review/render-json.js';
import { renderReview } from '../review/render-text.js';
import { EXIT, UsageError, type Io } from './usage.js';
import { isTimeZone, localTimeZone } from '../review/review.js';

export const REVIEW_HELP = `Usage: switchover review --host NAME=FILE [--host NAME=FILE ...] [options]

Review what a responder copied off the hosts after an incident: pairs each migration's source and
destination, prints a side-by-side timeline (times relative to the source's start), the verdict and the
evidence lines with file and line number.

Each FILE's kind is detected by content: libvirt domain log (/var/log/libvirt/qemu/VM.log), \`journalctl -o json\`
output or its plain text (\`-o short\`, \`short-precise\`, \`short-iso\`), a Proxmox VE task log (a copy of
/var/log/pve/tasks/*/UPID:…:qmigrate:…, or the GUI's task log download), QMP transcript,
\`virsh qemu-monitor-event [--timestamp]\` output, a plain QEMU stderr log, or a Switchover flight recorder
file (STATE_DIR/recorder-*.jsonl). Give several files of one host with the same NAME.

Proxmox VE: give the source node's task log and both nodes' journals, e.g.
  journalctl -o json -u 100.scope -t QEMU -t qm -t qmeventd --since ... > pve2.json
Name the hosts as the nodes are named (the task log names the target node). Task logs and
\`short\`/\`short-precise\` journals carry local time: --timezone says whose.

Options:
  --host NAME=FILE   a file from host NAME (repeatable, at least one)
  --json             print JSON (schema: review-output.schema.json, in /usr/share/switchover/ when
                     installed from the package, agent/contracts/ in the repository)
  --vm NAME          VM name for files that name none (QMP transcripts, bare QEMU logs)
  --window SECONDS   destination attribution window after RESUME (default ${DEFAULT_CORRELATOR_CONFIG.windowMs / 1000})
  --skew SECONDS     clock skew allowed between hosts when pairing (default ${DEFAULT_SKEW_MS / 1000})
  --max-size MIB     all files together may hold at most this much (default ${REVIEW_LIMITS.maxSizeMiB}; review
                     needs about ten times as much memory)
  --timeout SECONDS  give up after this long, reading included (default ${REVIEW_LIMITS.timeoutSeconds})
  --timezone ZONE    zone of times without an offset (IANA name such as Europe/Vienna, or +02:00;
                     default: this machine's, ${localTimeZone()})
  --no-color         plain text even on a terminal
  -h, --help         this help

A FILE may be a pipe (--host a=<(journalctl -o json ...)); one that sends nothing for ${PIPE_IDLE_SECONDS} s has no
writer and is refused, as are directories, sockets and devices.
A file still being written is reviewed as it was when review opened it. Failure lines outside every
migration window are listed up to ${REVIEW_LIMITS.unattributedText} (--json: ${REVIEW_LIMITS.unattributedJson}); the output says how many more there were.

Exit codes:
  0  every migration found is healthy (succeeded, cancelled, unverified or in progress)
  1  a migration needing a human was found: destination lost, silent destination failure or failed
  2  usage error, a file that cannot be read, is not recognised, or is over --max-size, or the
     review took longer than --timeout (the message names the file or the limit)
  3  internal error (a bug: the message says what failed)
`;

function parseHosts(values: string[]): HostFile[] {
  if (values.length === 0) throw new UsageError('give at least one --host NAME=FILE');
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new UsageError(`--host expects NAME=FILE, got "${v}"`);
    return { host: v.slice(0, i), path: v.slice(i + 1) };
  });
}

function seconds(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} expects a number of seconds, got "${v}"`);
  return n;
}

function positive(name: string, what: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} expects ${what} above 0, got "${v}"`);
  return n;
}

/** The command line of `switchover review`, also used to suggest the closest option to a typo. */
export const REVIEW_OPTIONS = {
  host: { type: 'string', multiple: true, default: [] as string[] },
  json: { type: 'boolean', default: false },
  vm: { type: 'string' },
  window: { type: 'string' },
  skew: { type: 'string' },
  'max-size': { type: 'string' },
  timeout: { type: 'string' },
  timezone: { type: 'string' },
  'no-color': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export async function reviewCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: REVIEW_OPTIONS,
    allowPositionals: false,
    strict: true,
  });
  if (values.help) {
    io.out(REVIEW_HELP);
    return EXIT.ok;
  }
  const hosts = parseHosts(values.host ?? []);
  const windowS = seconds('window', values.window);
  const skewS = seconds('skew', values.skew);
  const maxSizeMiB = positive('max-size', 'a size in MiB', values['max-size']);
  const timeoutSeconds = positive('timeout', 'a number of seconds', values.timeout);
  if (values.timezone !== undefined && !isTimeZone(values.timezone))
    throw new UsageError(
      `--timezone expects an IANA zone (Europe/Vienna) or an offset (+02:00), got "${values.timezone}"`,
    );
  let result;
  try {
    result = await review(hosts, {
      ...(values.vm ? { vm: values.vm } : {}),
      ...(skewS !== undefined ? { skewMs: skewS * 1000 } : {}),
      ...(windowS !== undefined ? { correlator: { windowMs: windowS * 1000 } } : {}),
      ...(maxSizeMiB !== undefined ? { maxSizeMiB } : {}),
      ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
      ...(values.timezone !== undefined ? { timeZone: values.timezone } : {}),
    });
  } catch (err) {
    if (err instanceof ReviewInputError || err instanceof ReviewLimitError) {
      io.err(`switchover review: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  if (values.json) io.out(`${JSON.stringify(toReviewJson(result), null, 2)}\n`);
  else io.out(`${renderReview(result, { color: io.isTTY && !values['no-color'] && !io.env.NO_COLOR })}\n`);
  return result.migrations.some((m) => isProblem(m.verdict)) ? EXIT.problemFound : EXIT.ok;
}
