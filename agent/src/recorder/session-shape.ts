import { ROLES, SIDE_OUTCOMES, type Session } from '@switchover/model';

/**
 * Whether a recorded value has the shape of a Session everything downstream relies on (pairing,
 * `/api/migrations`, review's renderers). A recorder file is input like any other: a responder may
 * hand review a damaged or forged one, and a line that is not a session is counted, never used.
 */
const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const strOrNull = (v: unknown): boolean => v === null || str(v);
const numOrNull = (v: unknown): boolean => v === null || num(v);
const obj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const arrayOf = (v: unknown, item: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(item);

const ROLE_SET: ReadonlySet<unknown> = new Set(ROLES);
const OUTCOME_SET: ReadonlySet<unknown> = new Set(SIDE_OUTCOMES);

const isPhase = (p: unknown): boolean => obj(p) && str(p.name) && num(p.start) && numOrNull(p.end);
const isEvidence = (e: unknown): boolean =>
  obj(e) && numOrNull(e.time) && str(e.text) && str(e.kind) && obj(e.origin) && str(e.origin.kind);
const isSegment = (g: unknown): boolean => obj(g) && str(g.state) && num(g.start) && numOrNull(g.end);
const isFailure = (f: unknown): boolean =>
  f === undefined || (obj(f) && str(f.device) && num(f.time) && str(f.raw) && obj(f.origin));
const isLane = (d: unknown): boolean =>
  obj(d) && str(d.device) && arrayOf(d.segments, isSegment) && isFailure(d.failure);

export function isSession(v: unknown): v is Session {
  if (!obj(v)) return false;
  return (
    str(v.id) &&
    str(v.host) &&
    str(v.vm) &&
    strOrNull(v.vmUuid) &&
    ROLE_SET.has(v.role) &&
    strOrNull(v.qemuVersion) &&
    num(v.start) &&
    numOrNull(v.end) &&
    OUTCOME_SET.has(v.outcome) &&
    arrayOf(v.phases, isPhase) &&
    numOrNull(v.stopTime) &&
    numOrNull(v.resumeTime) &&
    numOrNull(v.totalTimeMs) &&
    numOrNull(v.downtimeMs) &&
    numOrNull(v.setupTimeMs) &&
    strOrNull(v.errorDesc) &&
    obj(v.returnPath) &&
    numOrNull(v.returnPath.shut) &&
    strOrNull(v.returnPath.error) &&
    arrayOf(v.devices, isLane) &&
    arrayOf(v.evidence, isEvidence) &&
    numOrNull(v.windowEnd) &&
    typeof v.closed === 'boolean'
  );
}
