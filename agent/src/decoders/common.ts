import type { Observation, Origin, VmRef } from '@switchover/model';
import type { DecodeResult } from './types.js';
import { isPlausibleTime, type Stamp } from './time.js';

/** The fields every observation shares; the per-input parsers leave them to `finish()`. */
type BaseKey = 'host' | 'vm' | 'time' | 'timeSource' | 'latest' | 'origin' | 'raw';
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What one line or event says, before host, VM, time and origin are attached. */
export type Body = DistributiveOmit<Observation, BaseKey>;

/**
 * A parser's answer. `time` is the input's own time (epoch ms) when it has one; null leaves the
 * choice to the caller (arrival, journald time or timed neighbours). `vm` overrides the record's VM
 * when the input names it (virsh domain, `-name guest=…`).
 */
export interface Parsed {
  status: 'decoded' | 'ignored' | 'unknown';
  bodies: Body[];
  time: number | null;
  vm?: VmRef;
}

// Shared, never mutated: the hot path returns these for noise without allocating.
const NONE = Object.freeze([]) as unknown as never[];
export const IGNORED: Parsed = Object.freeze({ status: 'ignored', bodies: NONE, time: null }) as Parsed;
export const UNKNOWN: Parsed = Object.freeze({ status: 'unknown', bodies: NONE, time: null }) as Parsed;

/** A host as a migration URI or a Proxmox task log names it: DNS name, IPv4, or IPv6 (with zone). */
export const PEER_HOST = /^[A-Za-z0-9._:%-]{1,253}$/;

export const decoded = (time: number | null, ...bodies: Body[]): Parsed => ({
  status: 'decoded',
  bodies,
  time,
});

export const IGNORED_RESULT: DecodeResult = Object.freeze({
  status: 'ignored',
  observations: NONE,
}) as DecodeResult;
export const UNKNOWN_RESULT: DecodeResult = Object.freeze({
  status: 'unknown',
  observations: NONE,
}) as DecodeResult;

/**
 * Attaches the shared fields. A decoded record without a VM is `unknown`: nothing downstream can
 * attribute it, and the caller counts it instead of guessing.
 */
export function finish(
  p: Parsed,
  ctx: { host: string; vm?: VmRef; origin: Origin; raw: string },
  stamp: (ownTime: number | null) => Stamp,
): DecodeResult {
  if (p.status === 'ignored') return IGNORED_RESULT;
  if (p.status === 'unknown') return UNKNOWN_RESULT;
  const vm = p.vm ?? ctx.vm;
  if (!vm) return UNKNOWN_RESULT;
  const s = stamp(p.time);
  // Whichever clock the time came from (the record's own, the transport's, a neighbour's, arrival),
  // an absurd one is the record's fault: nothing downstream may ever see it.
  if (!isPlausibleTime(s.time) || (s.latest != null && !isPlausibleTime(s.latest))) return UNKNOWN_RESULT;
  const observations = p.bodies.map((b) => {
    const o = {
      ...b,
      host: ctx.host,
      vm,
      time: s.time,
      timeSource: s.timeSource,
      origin: ctx.origin,
      raw: ctx.raw,
    };
    return (s.latest !== undefined ? { ...o, latest: s.latest } : o) as Observation;
  });
  return { status: 'decoded', observations };
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const finiteNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
