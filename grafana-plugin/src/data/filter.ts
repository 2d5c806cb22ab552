import { isProblem, type Migration } from '@switchover/model';
import type { TimelineOptions } from '../types';

/** `/regex/` or a case-insensitive substring; an invalid regex falls back to a substring match. */
export function vmMatcher(filter: string): (m: Migration) => boolean {
  const f = filter.trim();
  if (f === '') {
    return () => true;
  }
  let test: (s: string) => boolean;
  const re = /^\/(.+)\/([a-z]*)$/.exec(f);
  try {
    const rx = re ? new RegExp(re[1] as string, re[2]) : null;
    test = rx ? (s) => rx.test(s) : (s) => s.toLowerCase().includes(f.toLowerCase());
  } catch {
    test = (s) => s.toLowerCase().includes(f.toLowerCase());
  }
  return (m) => test(m.vm) || (m.vmUuid !== null && test(m.vmUuid));
}

/** Keeps pairSessions' order (problems first, then newest). */
export function filterMigrations(
  migrations: readonly Migration[],
  options: Pick<TimelineOptions, 'verdictFilter' | 'vmFilter'>
): Migration[] {
  const vm = vmMatcher(options.vmFilter);
  const v = options.verdictFilter;
  return migrations.filter(
    (m) => vm(m) && (v === 'all' || (v === 'problems' ? isProblem(m.verdict) : m.verdict === v))
  );
}
