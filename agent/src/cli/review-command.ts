import { parseArgs } from 'node:util';
import { isProblem } from '@switchover/model';
import { review, ReviewInputError, type HostFile } from '../review/review.js';
import { toReviewJson } from '../review/render-json.js';
import { renderReview } from '../review/render-text.js';
import { EXIT, UsageError, type Io } from './usage.js';

export const REVIEW_HELP = `Usage: switchover review --host NAME=FILE [--host NAME=FILE ...] [options]

Review what a responder copied off the hosts after an incident: pairs each migration's source and
destination, prints a side-by-side timeline (times relative to the source's start), the verdict and the
evidence lines with file and line number.

Each FILE's kind is detected by content: libvirt domain log (/var/log/libvirt/qemu/VM.log), \`journalctl -o json\`
output, QMP transcript, \`virsh qemu-monitor-event [--timestamp]\` output, a plain QEMU stderr log, or a Switchover
flight recorder file (STATE_DIR/recorder-*.jsonl). Give several files of one host with the same NAME.

Options:
  --host NAME=FILE   a file from host NAME (repeatable, at least one)
  --json             print JSON (shape: shared/contracts/review-output.schema.json)
  --vm NAME          VM name for files that name none (QMP transcripts, bare QEMU logs)
  --window SECONDS   destination attribution window after RESUME (default 30)
  --skew SECONDS     clock skew allowed between hosts when pairing (default 5)
  --no-color         plain text even on a terminal
  -h, --help         this help

Exit codes:
  0  every migration found is healthy (succeeded, cancelled, unverified or in progress)
  1  a failed migration or a silent destination failure was found
  2  usage error, or a file that cannot be read or is not recognised (the message names it)
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

/** The command line of `switchover review`, also used to suggest the closest option to a typo. */
export const REVIEW_OPTIONS = {
  host: { type: 'string', multiple: true, default: [] as string[] },
  json: { type: 'boolean', default: false },
  vm: { type: 'string' },
  window: { type: 'string' },
  skew: { type: 'string' },
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
  let result;
  try {
    result = await review(hosts, {
      ...(values.vm ? { vm: values.vm } : {}),
      ...(skewS !== undefined ? { skewMs: skewS * 1000 } : {}),
      ...(windowS !== undefined ? { correlator: { windowMs: windowS * 1000 } } : {}),
    });
  } catch (err) {
    if (err instanceof ReviewInputError) {
      io.err(`switchover review: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  if (values.json) io.out(`${JSON.stringify(toReviewJson(result), null, 2)}\n`);
  else io.out(`${renderReview(result, { color: io.isTTY && !values['no-color'] && !io.env.NO_COLOR })}\n`);
  return result.migrations.some((m) => isProblem(m.verdict)) ? EXIT.problemFound : EXIT.ok;
}
