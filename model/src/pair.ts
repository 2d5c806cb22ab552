import { failedDevices, type Session } from './session.js';
import type { Verdict } from './verdict.js';

/** A migration as both hosts saw it, with its verdict. */
export interface Migration {
  id: string;
  vm: string;
  vmUuid: string | null;
  verdict: Verdict;
  source: Session | null;
  destination: Session | null;
  failedDevices: string[];
  /** Earliest start of either side (epoch ms, each host's own clock). */
  start: number;
  /** Destination start minus source start (ms): a hint of clock skew plus setup order, when both sides exist. */
  startOffsetMs: number | null;
}

export interface PairOptions {
  /** How far apart two hosts' clocks may be (ms). Default 5000. */
  skewMs?: number;
}

export const DEFAULT_SKEW_MS = 5000;

const sameVm = (a: Session, b: Session): boolean =>
  a.vm === b.vm ||
  (a.vmUuid !== null && b.vmUuid !== null && a.vmUuid.toLowerCase() === b.vmUuid.toLowerCase());

/**
 * The destination's QEMU ended (a crash, or an exit on a failed device transition) at or after the
 * moment the source completed and quit: the VM runs nowhere. This is how a destination whose own
 * completion was never observed (a domain log has no migration events) is told apart from one that
 * failed loudly before the switchover; a rejected stream (`load-failure`) is always before it.
 */
/**
 * The source completed, then ran the VM again (RESUME): libvirt rolls a switchover back when the
 * destination fails in its Finish phase (for example, dies inside `cont`), so the VM stays here.
 */
export const rolledBack = (source: Session): boolean =>
  source.outcome === 'completed' &&
  source.resumeTime !== null &&
  source.end !== null &&
  source.resumeTime >= source.end;

export function diedAfterSwitchover(
  source: Session,
  destination: Session,
  skewMs = DEFAULT_SKEW_MS,
): boolean {
  if (source.outcome !== 'completed' || rolledBack(source) || destination.outcome !== 'failed') return false;
  if (source.end === null || destination.end === null) return false;
  if (destination.evidence.some((e) => e.kind === 'load-failure')) return false;
  return destination.end >= source.end - skewMs;
}

function overlaps(a: Session, b: Session, skewMs: number): boolean {
  const aEnd = a.end ?? Number.POSITIVE_INFINITY;
  const bEnd = b.end ?? Number.POSITIVE_INFINITY;
  return a.start - skewMs <= bEnd && b.start - skewMs <= aEnd;
}

/**
 * The verdict table of DESIGN.md. A destination lost after the switchover is the worst case; a
 * cancel or a loud failure on either side wins over anything the destination saw afterwards; a
 * destination device failure wins over completion; a destination whose attribution window is still
 * open is not yet a success.
 */
export function verdictOf(
  source: Session | null,
  destination: Session | null,
  skewMs = DEFAULT_SKEW_MS,
): Verdict {
  const src = source?.outcome;
  const dst = destination?.outcome;
  if (src === 'cancelled') return 'cancelled';
  // The VM runs on the source: whatever the destination did, it did not take the VM with it.
  if (src === 'failed' || (source && rolledBack(source))) return 'failed';
  if (dst === 'lost') return 'destination-lost';
  if (source && destination && diedAfterSwitchover(source, destination, skewMs)) return 'destination-lost';
  if (dst === 'failed') return 'failed';
  if (dst === 'cancelled') return src === undefined ? 'cancelled' : 'failed';
  if (dst === 'completed-with-device-failure') return 'silent-destination-failure';
  if (src === 'in-progress' || dst === 'in-progress') return 'in-progress';
  if (destination && !destination.closed) return 'in-progress';
  if (source && destination) return 'succeeded';
  return 'unverified';
}

function toMigration(source: Session | null, destination: Session | null, skewMs: number): Migration {
  const first = (source ?? destination) as Session;
  const vmUuid = source?.vmUuid ?? destination?.vmUuid ?? null;
  return {
    id: source?.id ?? first.id,
    vm: first.vm,
    vmUuid,
    verdict: verdictOf(source, destination, skewMs),
    source,
    destination,
    failedDevices: destination ? failedDevices(destination) : [],
    start: Math.min(source?.start ?? Infinity, destination?.start ?? Infinity),
    startOffsetMs: source && destination ? destination.start - source.start : null,
  };
}

/**
 * Join source and destination sessions of the same VM (name or UUID) on two different hosts (libvirt
 * never migrates to the same host: a source and a destination on one host are a save and a restore)
 * whose time ranges overlap within the clock-skew allowance. Each session is used once; among several
 * candidates the destination whose start is closest to the source's wins, so back-to-back migrations
 * of one VM stay apart. Sessions with no partner become one-sided migrations; sessions that turned out
 * not to be a migration (`notMigration`) are left out. Result: problems first, then newest first.
 */
export function pairSessions(sessions: readonly Session[], options: PairOptions = {}): Migration[] {
  const skewMs = options.skewMs ?? DEFAULT_SKEW_MS;
  const real = sessions.filter((s) => s.notMigration === undefined);
  const sources = real.filter((s) => s.role === 'source').sort((a, b) => a.start - b.start);
  const destinations = real.filter((s) => s.role === 'destination').sort((a, b) => a.start - b.start);
  const used = new Set<Session>();
  const out: Migration[] = [];
  for (const src of sources) {
    let best: Session | null = null;
    for (const dst of destinations) {
      if (used.has(dst) || dst.host === src.host || !sameVm(src, dst) || !overlaps(src, dst, skewMs))
        continue;
      if (!best || Math.abs(dst.start - src.start) < Math.abs(best.start - src.start)) best = dst;
    }
    if (best) used.add(best);
    out.push(toMigration(src, best, skewMs));
  }
  for (const dst of destinations) if (!used.has(dst)) out.push(toMigration(null, dst, skewMs));
  return sortMigrations(out);
}

const VERDICT_RANK: Record<Verdict, number> = {
  'destination-lost': 0,
  'silent-destination-failure': 1,
  failed: 2,
  'in-progress': 3,
  unverified: 4,
  cancelled: 5,
  succeeded: 6,
};

/** Problems first, then newest first. */
export function sortMigrations(migrations: Migration[]): Migration[] {
  return migrations.sort((a, b) => VERDICT_RANK[a.verdict] - VERDICT_RANK[b.verdict] || b.start - a.start);
}
