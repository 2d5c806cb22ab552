import React from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { createTheme, getDefaultTimeRange, LoadingState, ThemeContext } from '@grafana/data';
import { MigrationTimelinePanel } from '../../src/components/MigrationTimelinePanel';
import { buildModel } from '../../src/data/migrations';
import { layoutMigration, segmentCount } from '../../src/layout/timeline';
import { DEFAULT_OPTIONS, type TimelineOptions } from '../../src/types';
import { HARNESS_FIXTURES } from './fixtures';

/**
 * Stand-in for Grafana's panel chrome: the panel component inside the @grafana/data ThemeContext
 * (which @grafana/ui's useTheme2/useStyles2 read), fed fixture frames. No Grafana server needed.
 */
interface RenderRequest {
  fixture: string;
  theme: 'light' | 'dark';
  width?: number;
  height?: number;
  options?: Partial<TimelineOptions>;
}

let root: Root | null = null;

function renderFixture(req: RenderRequest): { renderMs: number; migrations: number; segments: number } {
  const make = HARNESS_FIXTURES[req.fixture];
  if (!make) {
    throw new Error(`unknown fixture ${req.fixture}`);
  }
  const series = make();
  const theme = createTheme({ colors: { mode: req.theme } });
  const options = { ...DEFAULT_OPTIONS, tempoUid: 'tempo', logsUid: 'loki', ...req.options };
  const width = req.width ?? 1100;
  const height = req.height ?? 320;
  root?.unmount();
  const host = document.getElementById('root')!;
  document.body.style.background = theme.colors.background.canvas;
  root = createRoot(host);
  // Timed: frames → sessions → pairing → layout → committed DOM, as a Grafana refresh would do.
  const t0 = performance.now();
  flushSync(() =>
    root!.render(
      <ThemeContext.Provider value={theme}>
        <div
          id="panel-chrome"
          style={{
            width: width + 16,
            padding: 8,
            background: theme.colors.background.primary,
            color: theme.colors.text.primary,
            fontFamily: theme.typography.fontFamily,
            border: `1px solid ${theme.colors.border.weak}`,
          }}
        >
          <MigrationTimelinePanel
            data={{ series, state: LoadingState.Done, timeRange: getDefaultTimeRange() }}
            width={width}
            height={height}
            options={options}
            timeZone="utc"
          />
        </div>
      </ThemeContext.Provider>
    )
  );
  const renderMs = performance.now() - t0;
  const model = buildModel(series, options.pairingSkewMs);
  const rows = model.migrations.map((m) => layoutMigration(m, options));
  return { renderMs, migrations: model.migrations.length, segments: segmentCount(rows) };
}

(window as unknown as { renderFixture: typeof renderFixture }).renderFixture = renderFixture;
document.title = 'harness-ready';
