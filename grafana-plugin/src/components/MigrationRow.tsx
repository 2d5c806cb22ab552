import React from 'react';
import { dateTimeFormat } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { TEST_IDS } from '../testIds';
import type { RowLayout } from '../layout/timeline';
import { relativeLabel } from '../layout/ticks';
import { logsUrl, traceUrl } from '../links';
import type { TraceRef } from '../data/sessionsFromSpans';
import type { TimelineOptions } from '../types';
import { Lane } from './Lane';
import { getStyles, verdictColors } from './styles';
import { VerdictBadge } from './VerdictBadge';

interface Props {
  row: RowLayout;
  top: number;
  height: number;
  options: TimelineOptions;
  traces: Map<string, TraceRef>;
  timeZone: TimeZone;
}

const secs = (ms: number | null): string | null =>
  ms === null ? null : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;

export function MigrationRow({ row, top, height, options, traces, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const m = row.migration;
  const duration = secs(m.source?.totalTimeMs ?? (m.source?.end != null ? m.source.end - m.source.start : null));
  const tick = (v: number): string =>
    row.alignment === 'absolute' ? dateTimeFormat(v, { format: 'HH:mm:ss.SSS', timeZone }) : relativeLabel(v);
  const traceLinks = options.tempoUid
    ? (['source', 'destination'] as const).flatMap((role) => {
        const s = m[role];
        const t = s ? traces.get(s.id) : undefined;
        return t ? [{ role, url: traceUrl(options.tempoUid, t.traceId, m) }] : [];
      })
    : [];
  return (
    <div
      className={styles.row}
      style={{ top, height, borderLeftColor: verdictColors(theme, row.verdict).bg }}
      data-testid={TEST_IDS.row}
      data-verdict={row.verdict}
      data-vm={row.vm}
    >
      <div className={styles.header}>
        <VerdictBadge verdict={row.verdict} />
        <span className={styles.vm} title={row.vmUuid ?? undefined}>
          {row.vm}
        </span>
        <span className={styles.muted}>
          {m.source?.host ?? '?'} → {m.destination?.host ?? '?'}
        </span>
        {duration && <span className={styles.muted}>total {duration}</span>}
        {row.downtimeMs !== null && <span className={styles.muted}>downtime {secs(row.downtimeMs)}</span>}
        {row.failedDevices.length > 0 && <span className={styles.note}>failed: {row.failedDevices.join(', ')}</span>}
        {row.notes.map((n) => (
          <span key={n} className={styles.note} data-testid={TEST_IDS.skewNote} title={n}>
            ⏱ {n}
          </span>
        ))}
        {traceLinks.map((l) => (
          <a key={l.role} className={styles.link} href={l.url} data-testid={TEST_IDS.traceLink} data-role={l.role}>
            {l.role === 'source' ? 'src' : 'dst'} trace
          </a>
        ))}
        {options.logsUid && (
          <a
            className={styles.link}
            href={logsUrl(options.logsUid, options.logsQuery, m)}
            data-testid={TEST_IDS.logsLink}
          >
            logs
          </a>
        )}
      </div>
      {row.lanes.map((l) => (
        <Lane key={l.key} lane={l} />
      ))}
      <div className={styles.axis} data-testid={TEST_IDS.axis}>
        {row.ticks.map((t) => (
          <span key={t.value} className={styles.tick} style={{ left: `${t.left * 100}%` }}>
            {tick(t.value)}
          </span>
        ))}
      </div>
    </div>
  );
}
