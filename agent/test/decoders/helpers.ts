import type { Observation } from '@switchover/model';
import { expect } from 'vitest';
import { decode } from '../../src/decoders/index.js';
import type { DecodeResult } from '../../src/decoders/types.js';
import type { LogLineRecord, QmpEventRecord, VirshLineRecord } from '../../src/records/types.js';

export const HOST = 'kvm-test-1';
export const VM = { name: 'vm1' };
export const ARRIVAL = 1_900_000_000_000;

export function logLine(text: string, extra: Partial<LogLineRecord> = {}): LogLineRecord {
  return {
    kind: 'log-line',
    host: HOST,
    vm: VM,
    arrival: ARRIVAL,
    origin: { kind: 'libvirt-log', file: 'vm1.log' },
    text,
    ...extra,
  };
}

export function virshLine(text: string, extra: Partial<VirshLineRecord> = {}): VirshLineRecord {
  return { kind: 'virsh-line', host: HOST, arrival: ARRIVAL, origin: { kind: 'virsh' }, text, ...extra };
}

export function qmpEvent(
  event: QmpEventRecord['event'],
  extra: Partial<QmpEventRecord> = {},
): QmpEventRecord {
  return {
    kind: 'qmp-event',
    host: HOST,
    vm: VM,
    arrival: ARRIVAL,
    origin: { kind: 'qmp', file: '/run/vm1.qmp' },
    event,
    ...extra,
  };
}

/** Decodes and asserts exactly one observation; returns it. */
export function one(r: Parameters<typeof decode>[0]): Observation {
  const res = decode(r);
  expect(res.status, JSON.stringify(res)).toBe('decoded');
  expect(res.observations).toHaveLength(1);
  return res.observations[0]!;
}

export function status(r: Parameters<typeof decode>[0]): DecodeResult['status'] {
  return decode(r).status;
}

/** `Date.UTC` for readable expectations: `utc('2025-07-21T18:43:28.089815Z')`, fractional ms kept. */
export function utc(iso: string): number {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(iso)!;
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return Date.parse(`${m[1]}Z`) + frac;
}
