import type { Registry } from 'prom-client';
import { verdictOf, type Role, type Session } from '@switchover/model';
import type { Effect } from '../correlator/types.js';
import type { EffectSink } from './types.js';
import { VmGauges, type EndSample } from './vm-gauges.js';

export const DEFAULT_VM_SERIES_TTL_MS = 3_600_000;
/** Entries (one per VM and role) kept at most; beyond it the least recently changed ended ones go. */
export const MAX_VM_SERIES_ENTRIES = 10_000;
/**
 * A session opens with a provisional role (a 7.2 `setup` or `active` says nothing about it; the next
 * event, `MIGRATION_PASS` or the outgoing connection, usually settles it within milliseconds). Its
 * series wait this long (ms) or until it ends, so Prometheus never sees a host as the destination of
 * its own outgoing migration: the fleet rules remember vanished series, so a wrong one would linger.
 */
export const ROLE_GRACE_MS = 2_000;

export interface VmSeriesOptions {
  /** The agent's own registry: never prom-client's global `register`. */
  registry: Registry;
  /** An ended session's series go this long after its last change (ms). */
  ttlMs: number;
  /** Wall clock (epoch ms), injected so tests can let an hour pass. */
  clock: () => number;
  maxEntries?: number;
  /** A named failure event (stage, error type): here, entries dropped beyond `maxEntries`. */
  onError?: (stage: string, errorType: string) => void;
}

/** What this host exports about the latest session of one VM in one role. */
interface Entry {
  vm: string;
  role: Role;
  sessionId: string;
  /** Start of the latest session (epoch seconds, this host's clock). */
  start: number;
  /** The latest session that ended (it may be the one before `sessionId` while that one runs). */
  end: EndSample | null;
  peer: string | null;
  /** The correlator still follows the session: its series never expire while it runs. */
  open: boolean;
  /** Clock (ms) of the entry's last change: its series go `ttlMs` after it once the session ended. */
  changed: number;
  /** What the series showed before this session replaced it, should its role turn out wrong. */
  previous: { sessionId: string; start: number; peer: string | null } | null;
}

/**
 * Per-VM migration series with a bounded lifetime, so that Prometheus can pair a source host's side
 * of a migration with the destination host's (the session counters carry no VM label):
 * - start of the latest session of each VM by role,
 * - end of the latest ended session by role, side outcome and this host's single-side verdict,
 * - the peer host, only when an input named it (the source's migration URI host).
 * prom-client has no expiry: an ended session's series are removed `ttlMs` after its last change,
 * checked at every scrape (and at `sweep()`), so the series count follows recent migrations only.
 */
export class VmSeries implements EffectSink {
  private readonly entries = new Map<string, Entry>();
  /** New sessions within their role grace, by id (latest version of the session). */
  private readonly pending = new Map<string, { session: Session; since: number }>();
  private readonly gauges: VmGauges;
  private readonly maxEntries: number;

  constructor(private readonly options: VmSeriesOptions) {
    this.gauges = new VmGauges(options.registry, () => this.sweep());
    this.maxEntries = options.maxEntries ?? MAX_VM_SERIES_ENTRIES;
  }

  handle(effects: readonly Effect[]): void {
    const now = this.options.clock();
    for (const e of effects) {
      try {
        this.apply(e, now);
      } catch {
        this.options.onError?.('metrics', 'update_failed');
      }
    }
    this.promoteDue(now);
  }

  private apply(e: Effect, now: number): void {
    switch (e.kind) {
      case 'session-opened':
        this.seen(e.session, now);
        return;
      case 'session-closed':
      case 'session-evicted':
        // Its role is final now: shown at once, grace or not.
        this.pending.delete(e.session.id);
        this.moveIfRoleChanged(e.session);
        this.ended(e.session, now);
        return;
      case 'unattributed':
        return;
      default:
        // Any other change of the session may carry what was learnt since (its role, the peer).
        this.seen(e.session, now);
    }
  }

  /** A version of a running session: update what is shown, or hold a new one for its role grace. */
  private seen(s: Session, now: number): void {
    const shown = this.entries.get(keyOf(s.role, s.vm));
    if (shown?.sessionId === s.id) {
      this.opened(s, now, !s.closed);
      return;
    }
    if (this.moveIfRoleChanged(s)) {
      this.opened(s, now, !s.closed);
      return;
    }
    const held = this.pending.get(s.id);
    this.pending.set(s.id, { session: s, since: held?.since ?? now });
  }

  private promoteDue(now: number): void {
    for (const [id, { session, since }] of this.pending) {
      if (now - since < ROLE_GRACE_MS) continue;
      this.pending.delete(id);
      this.opened(session, now, !session.closed);
    }
  }

  /**
   * The session was shown under the other role (its role changed after the grace): give that role's
   * series back what they showed before. True when it was.
   */
  private moveIfRoleChanged(s: Session): boolean {
    const otherKey = keyOf(s.role === 'source' ? 'destination' : 'source', s.vm);
    const wrong = this.entries.get(otherKey);
    if (wrong?.sessionId !== s.id) return false;
    const prev = wrong.previous;
    if (!prev) {
      this.drop(otherKey, wrong);
      return true;
    }
    Object.assign(wrong, { sessionId: prev.sessionId, start: prev.start, open: false, previous: null });
    this.gauges.setStart(wrong.vm, wrong.role, prev.start);
    this.setPeer(wrong, prev.peer);
    return true;
  }

  /**
   * Rebuild after a restart from the flight recorder's sessions, so Prometheus does not see a VM's
   * recent migrations vanish with the process. Sessions in `openIds` were re-announced live already;
   * the others count from their own last time, so one that ended long ago expires at once.
   */
  restore(sessions: readonly Session[], openIds: ReadonlySet<string>): void {
    const sorted = [...sessions].sort((a, b) => a.start - b.start);
    for (const s of sorted) {
      if (openIds.has(s.id)) continue;
      const at = Math.max(s.start, s.end ?? s.start, s.windowEnd ?? s.start);
      if (!Number.isFinite(at)) continue;
      if (s.closed) this.ended(s, at);
      else this.opened(s, at, false);
    }
    this.sweep();
  }

  /** Show sessions past their role grace; drop the series of sessions that ended more than `ttlMs` ago. */
  sweep(): void {
    const now = this.options.clock();
    this.promoteDue(now);
    for (const [key, entry] of this.entries)
      if (!entry.open && now - entry.changed > this.options.ttlMs) this.drop(key, entry);
  }

  /** How many VM/role entries are exported (each is 1 to 3 series). */
  get size(): number {
    return this.entries.size;
  }

  /** Sessions held back within their role grace. */
  get held(): number {
    return this.pending.size;
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** The session is (still) the latest of its VM and role: start and peer; null if it is older. */
  private opened(s: Session, at: number, open: boolean): Entry | null {
    if (!Number.isFinite(s.start)) return null;
    const key = keyOf(s.role, s.vm);
    const start = s.start / 1000;
    let entry = this.entries.get(key);
    if (entry && entry.sessionId !== s.id && entry.start > start) return null;
    entry ??= {
      vm: s.vm,
      role: s.role,
      sessionId: s.id,
      start,
      end: null,
      peer: null,
      open,
      changed: at,
      previous: null,
    };
    if (entry.sessionId !== s.id)
      entry.previous = { sessionId: entry.sessionId, start: entry.start, peer: entry.peer };
    entry.sessionId = s.id;
    entry.start = start;
    entry.open = open;
    this.gauges.setStart(s.vm, s.role, start);
    // A new session of the VM starts without its predecessor's peer.
    this.setPeer(entry, s.peer ?? null);
    this.touch(key, entry, at);
    return entry;
  }

  private ended(s: Session, at: number): void {
    const key = keyOf(s.role, s.vm);
    const latest = this.opened(s, at, false);
    const entry = latest ?? this.entries.get(key);
    if (!entry) return;
    const seconds = (s.end ?? s.start) / 1000;
    // An older session closing late only updates the end if it is the most recent end.
    if (!latest && entry.end && entry.end.seconds >= seconds) return;
    const verdict = verdictOf(s.role === 'source' ? s : null, s.role === 'destination' ? s : null);
    const next: EndSample = { seconds, outcome: s.outcome, verdict };
    this.gauges.setEnd(entry.vm, entry.role, entry.end, next);
    entry.end = next;
    this.touch(key, entry, at);
  }

  private setPeer(entry: Entry, peer: string | null): void {
    this.gauges.setPeer(entry.vm, entry.role, entry.peer, peer);
    entry.peer = peer;
  }

  /** Most recently changed last (Map order), so the cap drops the stalest first. */
  private touch(key: string, entry: Entry, at: number): void {
    entry.changed = Math.max(entry.changed, at);
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size <= this.maxEntries) return;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      if (e.open || k === key) continue;
      this.drop(k, e);
      this.options.onError?.('metrics', 'vm_series_dropped');
    }
  }

  private drop(key: string, entry: Entry): void {
    this.gauges.removeAll(entry.vm, entry.role, entry.end, entry.peer);
    this.entries.delete(key);
  }
}

const keyOf = (role: Role, vm: string): string => `${role}\0${vm}`;
