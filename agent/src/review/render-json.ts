import type { Migration, Session } from '@switchover/model';
import { basisOf } from './basis.js';
import { keyEvidence } from './evidence.js';
import { isoTime as iso } from './dates.js';
import { REVIEW_LIMITS } from './limits.js';
import type { ReviewResult } from './review.js';

function side(s: Session | null) {
  return s ? { host: s.host, start: iso(s.start), end: iso(s.end), outcome: s.outcome, role: s.role } : null;
}

function migration(m: Migration) {
  return {
    vm: m.vm,
    vmUuid: m.vmUuid,
    verdict: m.verdict,
    source: side(m.source),
    destination: side(m.destination),
    failedDevices: m.failedDevices,
    basis: basisOf(m),
    evidence: keyEvidence(m)
      .filter((e) => e.origin.file !== undefined && e.origin.line !== undefined)
      .map((e) => ({
        host: e.host,
        file: e.origin.file as string,
        line: e.origin.line as number,
        time: iso(e.time),
        text: e.text,
      })),
  };
}

/**
 * The shape of the review-output JSON schema (fields may be added, never renamed). The list of
 * failure lines outside every migration is bounded; `unattributedTotal` says how many there were.
 */
export function toReviewJson(r: ReviewResult, maxUnattributed: number = REVIEW_LIMITS.unattributedJson) {
  const shown = r.unattributed.slice(0, maxUnattributed);
  return {
    migrations: r.migrations.map(migration),
    unattributedTotal: r.unattributed.length,
    unattributedOmitted: r.unattributed.length - shown.length,
    unattributed: shown.map((o) => ({
      host: o.host,
      file: o.origin.file ?? null,
      line: o.origin.line ?? null,
      time: o.timeSource === 'bounded' ? null : iso(o.time),
      text: o.raw ?? '',
    })),
    files: r.files,
  };
}
