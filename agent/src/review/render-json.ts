import type { Migration, Session } from '@switchover/model';
import { basisOf } from './basis.js';
import { keyEvidence } from './evidence.js';
import type { ReviewResult } from './review.js';

const iso = (ms: number | null): string | null =>
  ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();

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

/** The shape of agent/contracts/review-output.schema.json (fields may be added, never renamed). */
export function toReviewJson(r: ReviewResult) {
  return {
    migrations: r.migrations.map(migration),
    unattributed: r.unattributed.map((o) => ({
      host: o.host,
      file: o.origin.file ?? null,
      line: o.origin.line ?? null,
      time: o.timeSource === 'bounded' ? null : iso(o.time),
      text: o.raw ?? '',
    })),
    files: r.files,
  };
}
