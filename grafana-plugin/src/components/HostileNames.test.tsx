import React from 'react';
import { render, screen } from '@testing-library/react';
import { createTheme, getDefaultTimeRange, LoadingState, type DataFrame } from '@grafana/data';
import type { PhaseName, Session } from '@switchover/model';
import { MigrationTimelinePanel } from './MigrationTimelinePanel';
import { segmentColor } from './styles';
import { buildModel } from '../data/migrations';
import { DEFAULT_OPTIONS } from '../types';
import { TEST_IDS } from '../testIds';
import { allSpans, spansFrame, tableFrame } from '../../tests/fixtures/frames';
import { migrationPair } from '../../tests/fixtures/sessions';

/**
 * Regression (issue 9.1): names in the frames come from tenants (VM, device) and from whatever wrote
 * the spans (phase and state labels). A phase called `constructor` picked a Function as its colour
 * name from a plain-object colour table; the panel must treat every such name as data.
 */
const HOSTILE = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];
const T0 = Date.UTC(2025, 0, 1, 10);

function hostileSessions(): Session[] {
  return HOSTILE.flatMap((vm, i) => {
    const pair = migrationPair({
      vm,
      t0: T0 + i * 60_000,
      kind: 'silent',
      devices: [HOSTILE[(i + 1) % HOSTILE.length]!],
    });
    for (const s of pair) {
      s.phases.push({ name: HOSTILE[i] as PhaseName, start: s.start, end: s.start + 10 });
      const lane = s.devices[0];
      lane?.segments.push({ state: 'UNKNOWN', start: s.start, end: s.start + 5, source: 'event' });
    }
    return pair;
  });
}

function renderPanel(series: DataFrame[]) {
  return render(
    <MigrationTimelinePanel
      data={{ series, state: LoadingState.Done, timeRange: getDefaultTimeRange() }}
      width={1000}
      height={2000}
      options={{ ...DEFAULT_OPTIONS, showDevices: true }}
      timeZone="utc"
    />
  );
}

describe('hostile names in the panel', () => {
  it('colours a segment named after an Object.prototype member as an unknown label', () => {
    const theme = createTheme();
    const unknown = theme.colors.text.disabled;
    for (const label of HOSTILE) {
      expect(segmentColor(theme, 'phase', label)).toBe(unknown);
      expect(segmentColor(theme, 'state', label)).toBe(unknown);
    }
    expect(segmentColor(theme, 'phase', 'active')).not.toBe(unknown);
  });

  it.each([
    ['Tempo spans', () => spansFrame(allSpans(hostileSessions()))],
    ['the sessions table', () => tableFrame(hostileSessions())],
  ])('pairs and renders every hostile VM and device name from %s', (_what, frame) => {
    const model = buildModel([frame()], 5000);
    expect(model.migrations.map((m) => [m.vm, m.verdict]).sort()).toEqual(
      HOSTILE.map((vm) => [vm, 'silent-destination-failure']).sort()
    );
    renderPanel([frame()]);
    const rows = screen.getAllByTestId(TEST_IDS.row);
    expect(rows.map((r) => r.dataset.verdict)).toEqual(HOSTILE.map(() => 'silent-destination-failure'));
    for (const vm of HOSTILE) {
      expect(screen.getAllByText(vm).length).toBeGreaterThan(0);
    }
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});
