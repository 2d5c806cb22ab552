import { DEFAULT_SKEW_MS, type Verdict } from '@switchover/model';

/** How each lane is placed on the row's time axis. */
export type TimeAlignment = 'absolute' | 'switchover';

/** Verdict filter: everything, only problems, or a single verdict. */
export type VerdictFilter = 'all' | 'problems' | Verdict;

export interface TimelineOptions {
  verdictFilter: VerdictFilter;
  /** Case-insensitive substring or /regex/ on the VM name or UUID; empty = all. */
  vmFilter: string;
  alignment: TimeAlignment;
  showDevices: boolean;
  /** Clock-skew allowance when pairing source and destination sessions (ms). */
  pairingSkewMs: number;
  /** Destination start this much before the source start (ms) is reported as skewed clocks. */
  skewNoteMs: number;
  /** Tempo data source UID for trace links; empty = no trace links. */
  tempoUid: string;
  /** Logs data source UID (e.g. Loki) for log links; empty = no log links. */
  logsUid: string;
  /** Logs query; `${vm}`, `${host}` and `${hosts}` are replaced per migration. */
  logsQuery: string;
}

/** The one set of defaults: the options builder and every test read it. */
export const DEFAULT_OPTIONS: TimelineOptions = {
  verdictFilter: 'all',
  vmFilter: '',
  alignment: 'absolute',
  showDevices: true,
  pairingSkewMs: DEFAULT_SKEW_MS,
  skewNoteMs: 1000,
  tempoUid: '',
  logsUid: '',
  logsQuery: '{host=~"${hosts}"} |= "${vm}"',
};
