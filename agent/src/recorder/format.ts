import { readFile } from 'node:fs/promises';
import type { Observation, Session } from '@switchover/model';
import type { CorrelatorState } from '../correlator/types.js';
import { isSession } from './session-shape.js';

/**
 * One line of a recorder segment. The payload is nested (never spread) so that no recorded field,
 * e.g. a return-path observation's `event`, can make the line look like another file kind to
 * `switchover review`'s content detection. `at` is the agent's write time (epoch ms).
 */
export type RecorderLine =
  | { t: 'obs'; at: number; obs: Observation }
  | { t: 'session'; at: number; session: Session }
  | { t: 'state'; at: number; state: CorrelatorState };

export const SEGMENT_PATTERN = /^recorder-(\d{6})\.jsonl$/;
export const segmentName = (n: number): string => `recorder-${String(n).padStart(6, '0')}.jsonl`;

export const encodeLine = (line: RecorderLine): string => `${JSON.stringify(line)}\n`;

/** An observation as recorded, with the agent's time when it was handled (`at`). */
export interface RecordedObservation {
  at: number;
  obs: Observation;
}

export interface RecorderContent {
  observations: Observation[];
  /**
   * Observations recorded after the last snapshot (all of them when there is none), in file order:
   * what the correlator had seen but the snapshot does not hold yet. A restart replays them.
   */
  sinceSnapshot: RecordedObservation[];
  /** The last `recent` observations recorded (snapshot or not): what an input may deliver again after a restart. */
  recent: Observation[];
  /** Latest version of every session, in the order each id was first seen. */
  sessions: Session[];
  /** The last state snapshot, or null. */
  state: CorrelatorState | null;
  /** Lines that were not valid recorder lines (a torn last line after a crash, foreign text). */
  badLines: number;
}

/** Accumulates recorder lines in file order; later versions of a session replace earlier ones. */
export class RecorderReader {
  private readonly observations: Observation[] = [];
  private since: RecordedObservation[] = [];
  private readonly recent: Observation[] = [];
  private readonly sessions = new Map<string, Session>();
  private state: CorrelatorState | null = null;
  private bad = 0;

  constructor(
    private readonly keepObservations: boolean,
    /** How many of the latest observations `recent` keeps. */
    private readonly keepRecent = 0,
  ) {}

  addText(text: string): void {
    for (const line of text.split('\n')) if (line.trim() !== '') this.addLine(line);
  }

  addLine(text: string): void {
    const line = parseLine(text);
    if (line === null) {
      this.bad++;
      return;
    }
    switch (line.t) {
      case 'obs':
        if (this.keepObservations) this.observations.push(line.obs);
        this.since.push({ at: Number.isFinite(line.at) ? line.at : line.obs.time, obs: line.obs });
        if (this.keepRecent > 0) {
          this.recent.push(line.obs);
          // Trim in batches: one splice per `keepRecent` lines, not one shift per line.
          if (this.recent.length >= 2 * this.keepRecent)
            this.recent.splice(0, this.recent.length - this.keepRecent);
        }
        return;
      case 'session':
        this.sessions.set(line.session.id, line.session);
        return;
      case 'state':
        this.state = line.state;
        this.since = [];
        // Open and last-closed sessions live in the snapshot too: after old segments are deleted (or
        // while session lines could not be written) it may be their only copy.
        for (const vm of Object.values(line.state.vms ?? {}))
          for (const s of [vm?.lastClosed, vm?.session])
            if (isSession(s) && !this.sessions.has(s.id)) this.sessions.set(s.id, s);
        return;
    }
  }

  result(): RecorderContent {
    return {
      observations: this.observations,
      sinceSnapshot: this.since,
      recent: this.recent.slice(-this.keepRecent || this.recent.length),
      sessions: [...this.sessions.values()],
      state: this.state,
      badLines: this.bad,
    };
  }
}

/** Enough of an observation for the correlator: a kind, a VM name and a finite time. */
function isObservation(v: unknown): v is Observation {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as { kind?: unknown; vm?: { name?: unknown } | null; time?: unknown };
  return (
    typeof o.kind === 'string' &&
    typeof o.vm === 'object' &&
    o.vm !== null &&
    typeof o.vm.name === 'string' &&
    typeof o.time === 'number' &&
    Number.isFinite(o.time)
  );
}

function parseLine(text: string): RecorderLine | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const isObj = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (o.t === 'obs' && isObservation(o.obs)) return o as unknown as RecorderLine;
  if (o.t === 'session' && isSession(o.session)) return o as unknown as RecorderLine;
  if (o.t === 'state' && isObj(o.state)) return o as unknown as RecorderLine;
  return null;
}

/**
 * Read one recorder segment a responder copied off a host (`switchover review`): its observations,
 * the latest version of each session and the last snapshot. Bad lines are counted, never fatal.
 */
export async function readRecorderFile(path: string): Promise<RecorderContent> {
  const reader = new RecorderReader(true);
  reader.addText(await readFile(path, 'utf8'));
  return reader.result();
}
