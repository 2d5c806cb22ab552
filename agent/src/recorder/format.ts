import { readFile } from 'node:fs/promises';
import type { Observation, Session } from '@switchover/model';
import type { CorrelatorState } from '../correlator/types.js';

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

export interface RecorderContent {
  observations: Observation[];
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
  private readonly sessions = new Map<string, Session>();
  private state: CorrelatorState | null = null;
  private bad = 0;

  constructor(private readonly keepObservations: boolean) {}

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
        return;
      case 'session':
        this.sessions.set(line.session.id, line.session);
        return;
      case 'state':
        this.state = line.state;
        // Open sessions live in the snapshot too: after old segments are deleted it may be their only copy.
        for (const vm of Object.values(line.state.vms ?? {}))
          if (vm?.session && !this.sessions.has(vm.session.id)) this.sessions.set(vm.session.id, vm.session);
        return;
    }
  }

  result(): RecorderContent {
    return {
      observations: this.observations,
      sessions: [...this.sessions.values()],
      state: this.state,
      badLines: this.bad,
    };
  }
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
  if (o.t === 'obs' && isObj(o.obs)) return o as unknown as RecorderLine;
  if (o.t === 'session' && isObj(o.session) && typeof (o.session as Session).id === 'string')
    return o as unknown as RecorderLine;
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
