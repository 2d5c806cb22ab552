import { createHash } from 'node:crypto';
import type { Observation, OriginKind } from '@switchover/model';

/** Inputs that resume from a saved position, and so may deliver again what was recorded before a restart. */
const REPLAYABLE: ReadonlySet<OriginKind> = new Set(['journald', 'libvirt-log']);

/**
 * What makes an observation the same one when an input reads it again: where it was read (file and
 * line for a log; journald lines carry journald's own time), what it says, and its time unless that
 * was the agent's receive time (which differs on every read).
 */
export function observationKey(o: Observation): string {
  const time = o.timeSource === 'arrival' ? '' : String(o.time);
  const parts = [
    o.origin.kind,
    o.origin.file ?? '',
    o.origin.line ?? '',
    o.vm.name,
    o.kind,
    time,
    o.raw ?? '',
  ];
  return createHash('sha1').update(JSON.stringify(parts)).digest('base64');
}

/**
 * After a restart, the inputs resume from positions saved a little before the last observation the
 * recorder holds (positions are saved after recording, and never ahead of it): the records between
 * are delivered twice. The recorder's latest observations seed this set; an observation of a
 * replayable input that matches one is skipped (and counted) instead of being recorded and
 * correlated again. Each seed matches once, and the seeds expire: a log line that merely repeats
 * much later is new.
 */
export class RestartDuplicates {
  private readonly seeds = new Map<string, number>();
  private expiresAt = 0;

  constructor(private readonly ttlMs = 10 * 60_000) {}

  seed(observations: readonly Observation[], now: number): void {
    this.seeds.clear();
    for (const o of observations) {
      if (!REPLAYABLE.has(o.origin.kind)) continue;
      const k = observationKey(o);
      this.seeds.set(k, (this.seeds.get(k) ?? 0) + 1);
    }
    this.expiresAt = now + this.ttlMs;
  }

  /** True when `o` was recorded before the restart: the caller skips it. */
  take(o: Observation, now: number): boolean {
    if (this.seeds.size === 0) return false;
    if (now > this.expiresAt) {
      this.seeds.clear();
      return false;
    }
    if (!REPLAYABLE.has(o.origin.kind)) return false;
    const k = observationKey(o);
    const n = this.seeds.get(k);
    if (n === undefined) return false;
    if (n <= 1) this.seeds.delete(k);
    else this.seeds.set(k, n - 1);
    return true;
  }

  get size(): number {
    return this.seeds.size;
  }
}
