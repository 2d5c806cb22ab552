import type { watch as fsWatch } from 'node:fs';
import type { LostLineReason } from '@switchover/model';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';

/** Configuration, dependencies and failure names of the libvirt domain log source. */
export interface LibvirtLogSourceConfig {
  host: string;
  stateDir: string;
  /** The domain logs (config default `/var/log/libvirt/qemu/*.log`); wildcards only in the file name. */
  glob: string;
  /** Very first start (no saved positions): begin at the end of existing files (default) or read them whole. */
  startAt?: 'end' | 'beginning';
  /**
   * Safety-net rescan period. fs.watch (inotify) drives reading: an append is read within
   * milliseconds. The rescan catches what inotify cannot see (NFS, some overlays). Default 5 s.
   */
  pollIntervalMs?: number;
  /** How long a renamed-away file is still followed after its last growth. Default 5 s. */
  rotateGraceMs?: number;
  maxLineBytes?: number;
  /** Bytes of one followed file read before the others get a turn (tests make it small). */
  readBudgetBytes?: number;
}

export interface LibvirtLogSourceDeps {
  clock?: Clock;
  logger?: Logger;
  /** `fs.watch`, or null to rely on polling alone. */
  watch?: typeof fsWatch | null;
  /** Lines that could not be read, by reason (switchover_log_lines_lost_total). */
  onLinesLost?: (reason: LostLineReason, lines: number) => void;
}

export const DEFAULT_LIBVIRT_LOG_POLL_MS = 5000;
