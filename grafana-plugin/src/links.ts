import { locationUtil } from '@grafana/data';
import type { Migration } from '@switchover/model';

/**
 * Plain Explore URLs (schemaVersion 1 `panes`), so the links work from any Grafana 10+ and need no
 * runtime service. The range is the migration padded by a minute on each side.
 */
const PAD_MS = 60_000;

function exploreUrl(query: Record<string, unknown>, datasourceUid: string, from: number, to: number): string {
  const panes = {
    a: {
      datasource: datasourceUid,
      queries: [{ refId: 'A', datasource: { uid: datasourceUid }, ...query }],
      range: { from: String(Math.floor(from)), to: String(Math.ceil(to)) },
    },
  };
  return locationUtil.assureBaseUrl(`/explore?schemaVersion=1&panes=${encodeURIComponent(JSON.stringify(panes))}`);
}

export function migrationRange(m: Migration): { from: number; to: number } {
  const ends = [m.source?.end, m.destination?.end, m.destination?.windowEnd, m.source?.start, m.destination?.start];
  const to = Math.max(...ends.filter((x): x is number => typeof x === 'number'));
  return { from: m.start - PAD_MS, to: to + PAD_MS };
}

/** Trace link: a TraceQL query that is only a trace ID makes Tempo open the whole trace. */
export function traceUrl(tempoUid: string, traceId: string, m: Migration): string {
  const r = migrationRange(m);
  return exploreUrl({ queryType: 'traceql', query: traceId }, tempoUid, r.from, r.to);
}

/** Logs link: the configured query with `${vm}`, `${host}` (destination, else source) and `${hosts}` (a|b). */
export function logsUrl(logsUid: string, template: string, m: Migration): string {
  const hosts = [m.source?.host, m.destination?.host].filter((h): h is string => !!h);
  const expr = template
    .split('${vm}')
    .join(m.vm)
    .split('${hosts}')
    .join(hosts.map(escapeRegex).join('|'))
    .split('${host}')
    .join(m.destination?.host ?? m.source?.host ?? '');
  const r = migrationRange(m);
  return exploreUrl({ expr }, logsUid, r.from, r.to);
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
