import React, { useMemo, useState } from 'react';
import type { PanelProps } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { VERDICTS } from '@switchover/model';
import { buildModel } from '../data/migrations';
import { filterMigrations } from '../data/filter';
import { layoutMigration } from '../layout/timeline';
import { TEST_IDS } from '../testIds';
import { DEFAULT_OPTIONS, type TimelineOptions } from '../types';
import { MigrationRow } from './MigrationRow';
import { SchemaHelp } from './SchemaHelp';
import { getStyles, rowHeight } from './styles';
import { VerdictBadge } from './VerdictBadge';

/** Rows drawn beyond the visible area, so scrolling does not flash empty space. */
const OVERSCAN_PX = 400;

type Props = Pick<PanelProps<TimelineOptions>, 'data' | 'width' | 'height' | 'options' | 'timeZone'> &
  Partial<Pick<PanelProps<TimelineOptions>, 'replaceVariables'>>;

export function MigrationTimelinePanel({ data, width, height, options: partial, timeZone, replaceVariables }: Props) {
  const styles = useStyles2(getStyles);
  // Saved dashboards may predate an option: fill the gaps from the one set of defaults.
  // Data-source uids may be dashboard variables (`${tempo}`): links need the value.
  const options = useMemo(() => {
    const o = { ...DEFAULT_OPTIONS, ...partial };
    const resolve = replaceVariables ?? ((s: string) => s);
    return { ...o, tempoUid: resolve(o.tempoUid), logsUid: resolve(o.logsUid) };
  }, [partial, replaceVariables]);
  const model = useMemo(() => buildModel(data.series, options.pairingSkewMs), [data.series, options.pairingSkewMs]);
  const shown = useMemo(() => filterMigrations(model.migrations, options), [model, options]);
  const rows = useMemo(
    () =>
      shown.map((m) =>
        layoutMigration(m, {
          alignment: options.alignment,
          showDevices: options.showDevices,
          skewNoteMs: options.skewNoteMs,
        })
      ),
    [shown, options.alignment, options.showDevices, options.skewNoteMs]
  );
  // Rows differ in height (device lanes), so offsets are precomputed once per layout for windowing.
  const offsets = useMemo(() => {
    const out = [0];
    for (const r of rows) {
      out.push((out[out.length - 1] as number) + rowHeight(r.lanes.length));
    }
    return out;
  }, [rows]);
  const [scrollTop, setScrollTop] = useState(0);

  if (model.migrations.length === 0 && model.problems.length > 0) {
    return <SchemaHelp problems={model.problems} />;
  }
  const counts = VERDICTS.map((v) => [v, model.migrations.filter((m) => m.verdict === v).length] as const).filter(
    ([, n]) => n > 0
  );
  const total = offsets[offsets.length - 1] as number;
  const lo = scrollTop - OVERSCAN_PX;
  const hi = scrollTop + height + OVERSCAN_PX;
  const visible: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    if ((offsets[i + 1] as number) >= lo && (offsets[i] as number) <= hi) {
      visible.push(i);
    }
  }
  return (
    <div className={styles.panel} style={{ width, height }} data-testid={TEST_IDS.panel} data-rows={rows.length}>
      <div className={styles.summary} data-testid={TEST_IDS.summary}>
        <span className={styles.muted}>
          {model.migrations.length} migration{model.migrations.length === 1 ? '' : 's'}
          {shown.length !== model.migrations.length ? `, ${shown.length} shown` : ''}
        </span>
        {counts.map(([v, n]) => (
          <VerdictBadge key={v} verdict={v} count={n} />
        ))}
        {model.problems.length > 0 && (
          <span
            className={styles.note}
            title={model.problems.map((p) => `${p.frame}: ${p.missing.join(', ')}`).join('\n')}
          >
            {model.problems.length} frame(s) skipped
          </span>
        )}
      </div>
      {rows.length === 0 ? (
        <div className={styles.help} data-testid={TEST_IDS.empty}>
          {model.migrations.length === 0
            ? 'No migrations in this time range.'
            : 'No migration matches the verdict and VM filters.'}
        </div>
      ) : (
        <div
          className={styles.scroller}
          data-testid={TEST_IDS.scroller}
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        >
          <div style={{ height: total, position: 'relative' }}>
            {visible.map((i) => {
              const r = rows[i]!;
              return (
                <MigrationRow
                  key={r.id}
                  row={r}
                  top={offsets[i] as number}
                  height={rowHeight(r.lanes.length)}
                  options={options}
                  traces={model.traces}
                  timeZone={timeZone}
                />
              );
            })}
          </div>
        </div>
      )}
    </div>
  );
}
