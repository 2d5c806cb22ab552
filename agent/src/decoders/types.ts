import type { Observation } from '@switchover/model';
import type { RawRecord } from '../records/types.js';

/**
 * A decoder turns one raw record into zero or more observations. Pure: no I/O, no clock, and it never
 * throws; `unknown` says the record was not understood (counted and skipped by the caller), `ignored`
 * that it was understood and irrelevant (noise).
 */
export interface DecodeResult {
  observations: Observation[];
  status: 'decoded' | 'ignored' | 'unknown';
}

export type Decode = (record: RawRecord) => DecodeResult;
