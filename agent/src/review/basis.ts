import type { Migration, OriginKind, Session } from '@switchover/model';

/** How a responder calls each kind of input. */
const INPUT_NAMES: Record<OriginKind, string> = {
  qmp: 'QMP',
  virsh: 'virsh events',
  journald: 'journal',
  'libvirt-log': 'domain log',
  'qmp-transcript': 'QMP transcript',
  recorder: 'flight recorder',
  file: 'QEMU log',
  'proxmox-task': 'Proxmox task log',
  'proxmox-config': 'Proxmox VM config',
};

/** The inputs one side's evidence came from, in a stable order. */
export function sideInputs(s: Session | null): string[] {
  if (!s) return [];
  const kinds = new Set(s.evidence.map((e) => e.origin.kind));
  return (Object.keys(INPUT_NAMES) as OriginKind[]).filter((k) => kinds.has(k)).map((k) => INPUT_NAMES[k]);
}

/** No migration status reached this side: it rests on a domain log's process lifetimes alone. */
const withoutEvents = (s: Session | null): boolean =>
  s !== null && s.phases.length === 0 && s.resumeTime === null;

export interface Basis {
  source: string[];
  destination: string[];
  /** What the verdict could not see, and which input would show it. */
  notes: string[];
}

/** What a migration's verdict rests on, and what adding migration events would add. */
export function basisOf(m: Migration): Basis {
  const notes: string[] = [];
  const { source: src, destination: dst } = m;
  if (dst && withoutEvents(dst)) {
    if (dst.outcome.startsWith('completed'))
      notes.push(
        `the destination's domain log never says that the migration completed: taken from ${src ? "the source's `reason=migrated`" : 'its QEMU running on'}`,
      );
    if (m.verdict === 'failed' && (!src || withoutEvents(src)))
      notes.push("from the destination's side a cancel on the source looks the same as a failure");
  }
  const missing = [src, dst].filter((s): s is Session => withoutEvents(s)).map((s) => s.host);
  if (missing.length)
    notes.push(
      `add \`virsh qemu-monitor-event --loop\` output from ${missing.join(' and ')}: it gives the migration's phases, RESUME, downtime and the exact time of a failure`,
    );
  return { source: sideInputs(src), destination: sideInputs(dst), notes };
}

/**
 * Destination minus source time of `completed`, which both hosts reach within milliseconds: a larger
 * gap is clock skew. (Start times differ by design: a destination may start when its QEMU does.)
 */
export function completionOffsetMs(m: Migration): number | null {
  const at = (s: Session | null): number | undefined => s?.phases.find((p) => p.name === 'completed')?.start;
  const src = at(m.source);
  const dst = at(m.destination);
  return src === undefined || dst === undefined ? null : dst - src;
}
