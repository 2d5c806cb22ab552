import { Gauge, type Registry } from 'prom-client';
import { LABELS, METRICS, verdictOf, type Role, type Session } from '@switchover/model';
import type { Effect } from '../correlator/types.js';
import type { EffectSink } from './types.js';

export const DEFAULT_VM_SERIES_TTL_MS = 3_600_000;
/** Entries (one per VM and role) kept at most; beyond it the least recently changed ended ones go. */
export const MAX_VM_SERIES_ENTRIES = 10_000;

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

interface End {
  seconds: number;
  outcome: string;
  verdict: string;
}

/** What this host exports about the latest session of one VM in one role. */
interface Entry {
  vm: string;
  role: Role;
  sessionId: string;
  /** Start of the latest session (epoch seconds, this host's clock). */
  start: number;
  /** The latest session that ended (it may be the one before `sessionId` while that one runs). */
  end: End | null;
  peer: string | null;
  /** The correlator still follows the session: its series never expire while it runs. */
  open: boolean;
  /** Clock (ms) of the entry's last change: its series go `ttlMs` after it once the session ended. */
  changed: number;
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
  private readonly startGauge: Gauge;
  private readonly endGauge: Gauge;
  private readonly peerGauge: Gauge;
  private readonly maxEntries: number;

  constructor(private readonly options: VmSeriesOptions) {
    const registers = [options.registry];
    const { vm, role, outcome, verdict, peer } = LABELS;
    const collect = (): void => this.sweep();
    this.maxEntries = options.maxEntries ?? MAX_VM_SERIES_ENTRIES;
    this.startGauge = new Gauge({
      name: METRICS.vmSessionStart,
      help: "Start (Unix seconds, this host's clock) of the latest migration session of each recent VM, by role.",
      labelNames: [vm, role],
      registers,
      collect,
    });
    this.endGauge = new Gauge({
      name: METRICS.vmSessionEnd,
      help: "End (Unix seconds, this host's clock) of the latest ended migration session of each recent VM, by role, side outcome and this host's verdict.",
      labelNames: [vm, role, outcome, verdict],
      registers,
      collect,
    });
    this.peerGauge = new Gauge({
      name: METRICS.vmPeerInfo,
      help: "The other host of each recent VM's latest migration, as this host's QEMU named it (source: migration URI host); only when known. Always 1.",
      labelNames: [vm, role, peer],
      registers,
      collect,
    });
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
  }

  private apply(e: Effect, now: number): void {
    switch (e.kind) {
      case 'session-opened':
        this.opened(e.session, now, true);
        return;
      case 'session-closed':
      case 'session-evicted':
        this.ended(e.session, now);
        return;
      case 'unattributed':
        return;
      default:
        // Any other change of the session may carry what was learnt since (the peer).
        this.opened(e.session, now, !e.session.closed);
    }
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

  /** Drop the series of sessions that ended more than `ttlMs` ago. */
  sweep(): void {
    const now = this.options.clock();
    for (const [key, entry] of this.entries)
      if (!entry.open && now - entry.changed > this.options.ttlMs) this.drop(key, entry);
  }

  /** How many VM/role entries are exported (each is 1 to 3 series). */
  get size(): number {
    return this.entries.size;
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** The session is (still) the latest of its VM and role: start and peer; null if it is older. */
  private opened(s: Session, at: number, open: boolean): Entry | null {
    if (!Number.isFinite(s.start)) return null;
    const key = `${s.role}\0${s.vm}`;
    const start = s.start / 1000;
    let entry = this.entries.get(key);
    if (entry && entry.sessionId !== s.id && entry.start > start) return null;
    entry ??= { vm: s.vm, role: s.role, sessionId: s.id, start, end: null, peer: null, open, changed: at };
    entry.sessionId = s.id;
    entry.start = start;
    entry.open = open;
    this.startGauge.set({ [LABELS.vm]: s.vm, [LABELS.role]: s.role }, start);
    // A new session of the VM starts without its predecessor's peer.
    this.setPeer(entry, s.peer ?? null);
    this.touch(key, entry, at);
    return entry;
  }

  private ended(s: Session, at: number): void {
    const key = `${s.role}\0${s.vm}`;
    const latest = this.opened(s, at, false);
    const entry = latest ?? this.entries.get(key);
    if (!entry) return;
    const seconds = (s.end ?? s.start) / 1000;
    // An older session closing late only updates the end if it is the most recent end.
    if (!latest && entry.end && entry.end.seconds >= seconds) return;
    const verdict = verdictOf(s.role === 'source' ? s : null, s.role === 'destination' ? s : null);
    const next: End = { seconds, outcome: s.outcome, verdict };
    const labels = (x: End) => ({
      [LABELS.vm]: entry.vm,
      [LABELS.role]: entry.role,
      [LABELS.outcome]: x.outcome,
      [LABELS.verdict]: x.verdict,
    });
    if (entry.end && (entry.end.outcome !== next.outcome || entry.end.verdict !== next.verdict))
      this.endGauge.remove(labels(entry.end));
    entry.end = next;
    this.endGauge.set(labels(next), seconds);
    this.touch(key, entry, at);
  }

  private setPeer(entry: Entry, peer: string | null): void {
    if (entry.peer === peer) return;
    const labels = (p: string) => ({ [LABELS.vm]: entry.vm, [LABELS.role]: entry.role, [LABELS.peer]: p });
    if (entry.peer !== null) this.peerGauge.remove(labels(entry.peer));
    entry.peer = peer;
    if (peer !== null) this.peerGauge.set(labels(peer), 1);
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
    const { vm, role, outcome, verdict, peer } = LABELS;
    this.startGauge.remove({ [vm]: entry.vm, [role]: entry.role });
    if (entry.end)
      this.endGauge.remove({
        [vm]: entry.vm,
        [role]: entry.role,
        [outcome]: entry.end.outcome,
        [verdict]: entry.end.verdict,
      });
    if (entry.peer !== null)
      this.peerGauge.remove({ [vm]: entry.vm, [role]: entry.role, [peer]: entry.peer });
    this.entries.delete(key);
  }
}
