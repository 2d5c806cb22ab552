import { DECISIVE_EVIDENCE, type Evidence, type Migration, type Session } from '@switchover/model';

const TERMINAL = /\b(completed|failed|cancelled)\b/;

export interface SideEvidence extends Evidence {
  host: string;
  role: Session['role'];
}

function sideEvidence(s: Session | null): SideEvidence[] {
  return s ? s.evidence.map((e) => ({ ...e, host: s.host, role: s.role })) : [];
}

/** Every evidence entry of both sides, in time order (untimed last). */
export function timeline(m: Migration): SideEvidence[] {
  // At equal times a failure goes last: an untimed line placed at RESUME was printed after it.
  const late = (e: SideEvidence): number => (DECISIVE_EVIDENCE.has(e.kind) ? 1 : 0);
  return [...sideEvidence(m.source), ...sideEvidence(m.destination)].sort(
    (a, b) => (a.time ?? Infinity) - (b.time ?? Infinity) || late(a) - late(b),
  );
}

/** The lines that justify the verdict: failures, return-path messages, terminal states and the destination's RESUME. */
export function keyEvidence(m: Migration): SideEvidence[] {
  return timeline(m).filter(
    (e) =>
      DECISIVE_EVIDENCE.has(e.kind) ||
      (e.kind === 'migration-status' && TERMINAL.test(e.text)) ||
      (e.kind === 'vm-resume' && e.role === 'destination'),
  );
}
