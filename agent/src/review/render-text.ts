import { isProblem, type Migration, type Session, type Verdict } from '@switchover/model';
import { basisOf, completionOffsetMs } from './basis.js';
import { keyEvidence, timeline, type SideEvidence } from './evidence.js';
import type { ReviewResult } from './review.js';
import { lineTimestamp, messageStart, taskMessageStart } from '../decoders/index.js';
import { isoTime } from './dates.js';
import { REVIEW_LIMITS } from './limits.js';

export interface TextOptions {
  color: boolean;
  /** Print the merged timeline of both hosts (default true). */
  timeline?: boolean;
  /** Failure lines outside every migration listed at most (default REVIEW_LIMITS.unattributedText). */
  maxUnattributed?: number;
}

const VERDICT_TEXT: Record<Verdict, string> = {
  succeeded: 'SUCCEEDED',
  'destination-lost': 'DESTINATION LOST (the VM runs nowhere)',
  'silent-destination-failure': 'SILENT DESTINATION FAILURE',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
  unverified: 'UNVERIFIED (one side only)',
  'in-progress': 'IN PROGRESS',
};
const VERDICT_COLOR: Record<Verdict, string> = {
  succeeded: '32',
  'destination-lost': '1;41;97',
  'silent-destination-failure': '1;41;97',
  failed: '1;31',
  cancelled: '33',
  unverified: '36',
  'in-progress': '34',
};

/** Both hosts reach `completed` within milliseconds; more than this apart is worth a note. */
const SKEW_NOTE_MS = 2000;

const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
const clock = (ms: number): string =>
  isoTime(ms)?.replace('T', ' ').replace('Z', '') ?? '(no printable time)';
const secs = (ms: number): string =>
  Number.isFinite(ms) ? `${ms >= 0 ? '+' : '-'}${(Math.abs(ms) / 1000).toFixed(3)} s` : '?';
// QMP / query-migrate JSON, a migrate_set_state trace, or a Proxmox task log's status line.
const STATUS =
  /"status":\s*"([a-z-]+)"|new state ([a-z-]+)|migration (?:status: |status error: |in status ')?([a-z-]+)/;

/** A short label for one timeline entry. */
export function label(e: SideEvidence): string {
  switch (e.kind) {
    case 'migration-status': {
      const m = STATUS.exec(e.text);
      return `MIGRATION ${m?.[1] ?? m?.[2] ?? m?.[3] ?? ''}`.trim();
    }
    case 'vm-stop':
      return 'STOP';
    case 'vm-resume':
      return 'RESUME';
    case 'migration-info': {
      if (!e.text.includes('{')) return plain(e.text); // a task log line, not a query-migrate reply
      const status = STATUS.exec(e.text);
      const desc = /"error-desc":\s*"([^"]*)"/.exec(e.text);
      return `query-migrate: ${status?.[1] ?? '?'}${desc ? ` (${desc[1]})` : ''}`;
    }
    default:
      return plain(e.text);
  }
}

/** The timeline column already says when: drop the line's own timestamp and program prefix. */
function plain(text: string): string {
  const t = text.slice(Math.max(messageStart(text, 'kvm'), taskMessageStart(text)));
  return t.length > 90 ? `${t.slice(0, 87)}...` : t;
}

function sideLine(name: string, s: Session | null): string {
  if (!s) return `  ${name.padEnd(12)}(not observed)`;
  const span =
    s.end !== null ? ` → ${clock(s.end).slice(11)} (${((s.end - s.start) / 1000).toFixed(3)} s)` : ' → …';
  const extra = [
    s.downtimeMs !== null ? `downtime ${s.downtimeMs} ms` : '',
    s.qemuVersion ? `QEMU ${s.qemuVersion}` : '',
  ].filter(Boolean);
  return `  ${name.padEnd(12)}${s.host.padEnd(16)}${s.outcome.padEnd(31)}${clock(s.start)}${span}${extra.length ? `  ${extra.join(', ')}` : ''}`;
}

function renderTimeline(m: Migration, color: boolean): string[] {
  const zero = m.source?.start ?? m.destination?.start ?? 0;
  const width = 44;
  const out = [
    `    ${'time'.padEnd(11)}${`source (${m.source?.host ?? '-'})`.padEnd(width)}destination (${m.destination?.host ?? '-'})`,
  ];
  for (const e of timeline(m)) {
    const failure = e.kind === 'vfio-failure' || e.kind === 'load-failure';
    const text = paint(color && failure, '1;31', (failure ? '✗ ' : '') + label(e));
    // A log line with no timestamp of its own is placed at its earlier timed neighbour: at or after.
    const untimed =
      (e.origin.kind === 'libvirt-log' || e.origin.kind === 'file') && lineTimestamp(e.text) === null;
    const when = e.time === null ? '?'.padEnd(11) : `${untimed ? '≥' : ''}${secs(e.time - zero)}`.padEnd(11);
    out.push(`    ${when}${e.role === 'source' ? text : ''.padEnd(width) + text}`);
  }
  return out;
}

export function renderMigration(m: Migration, opts: TextOptions): string {
  const head = `${paint(opts.color, '1', m.vm)}${m.vmUuid && m.vmUuid !== m.vm ? ` (${m.vmUuid})` : ''}  ${paint(opts.color, VERDICT_COLOR[m.verdict], ` ${VERDICT_TEXT[m.verdict]} `)}`;
  const lines = [
    head +
      (m.failedDevices.length
        ? `  failed device${m.failedDevices.length > 1 ? 's' : ''}: ${m.failedDevices.join(', ')}`
        : ''),
  ];
  lines.push(sideLine('source', m.source), sideLine('destination', m.destination));
  const skew = completionOffsetMs(m);
  if (skew !== null && Math.abs(skew) > SKEW_NOTE_MS)
    lines.push(`  note: the sides completed ${secs(skew)} apart: clocks may be skewed`);
  const basis = basisOf(m);
  lines.push(
    `  based on: ${m.source ? `${m.source.host} ${basis.source.join(', ')}` : ''}${m.source && m.destination ? '; ' : ''}${m.destination ? `${m.destination.host} ${basis.destination.join(', ')}` : ''}`,
  );
  for (const n of basis.notes) lines.push(`  note: ${n}`);
  if (opts.timeline !== false) lines.push(...renderTimeline(m, opts.color));
  // Lines a reader can open: a file and a line number (a live QMP socket has neither), as in --json.
  const ev = keyEvidence(m).filter((e) => e.origin.file !== undefined && e.origin.line !== undefined);
  if (ev.length) {
    lines.push('  evidence:');
    for (const e of ev) lines.push(`    ${e.host}  ${e.origin.file}:${e.origin.line}  ${e.text}`);
  }
  return lines.join('\n');
}

export function renderReview(r: ReviewResult, opts: TextOptions): string {
  const parts: string[] = [];
  parts.push(
    `Reviewed ${r.files.length} file${r.files.length === 1 ? '' : 's'}: ${r.files.map((f) => `${f.host}=${f.path} (${f.kind})`).join(', ')}`,
  );
  if (r.migrations.length === 0) parts.push('No migration found in these files.');
  for (const m of r.migrations) parts.push('', renderMigration(m, opts));
  if (r.unattributed.length) {
    const max = opts.maxUnattributed ?? REVIEW_LIMITS.unattributedText;
    parts.push('', 'Device failure lines outside every migration window (not attributed to any migration):');
    for (const o of r.unattributed.slice(0, max))
      parts.push(`  ${o.host}  ${o.origin.file ?? ''}:${o.origin.line ?? '?'}  ${o.raw ?? ''}`);
    const left = r.unattributed.length - max;
    if (left > 0)
      parts.push(
        `  … and ${left} more such line${left === 1 ? '' : 's'}, not shown (--json lists up to ${REVIEW_LIMITS.unattributedJson})`,
      );
  }
  const problems = r.migrations.filter((m) => isProblem(m.verdict)).length;
  parts.push(
    '',
    `${r.migrations.length} migration${r.migrations.length === 1 ? '' : 's'}, ${problems} with a failure.`,
  );
  return parts.join('\n');
}
