import React from 'react';
import { render, screen } from '@testing-library/react';
import { createDataFrame, FieldType, LoadingState, getDefaultTimeRange, type DataFrame } from '@grafana/data';
import { MigrationTimelinePanel } from './MigrationTimelinePanel';
import { DEFAULT_OPTIONS, type TimelineOptions } from '../types';
import { TEST_IDS } from '../testIds';
import { allSpans, spansFrame, tableFrame } from '../../tests/fixtures/frames';
import { manyMigrations, migrationPair } from '../../tests/fixtures/sessions';

const T0 = Date.UTC(2025, 0, 1, 10);

function renderPanel(series: DataFrame[], options: Partial<TimelineOptions> = {}, height = 600) {
  return render(
    <MigrationTimelinePanel
      data={{ series, state: LoadingState.Done, timeRange: getDefaultTimeRange() }}
      width={1000}
      height={height}
      options={{ ...DEFAULT_OPTIONS, ...options }}
      timeZone="utc"
    />
  );
}

describe('MigrationTimelinePanel', () => {
  it('renders lanes, markers, the silent-failure badge and data links', () => {
    const sessions = [
      ...migrationPair({ vm: 'guest1', t0: T0, kind: 'silent' }),
      ...migrationPair({ vm: 'guest2', t0: T0, kind: 'healthy' }),
    ];
    renderPanel([spansFrame(allSpans(sessions))], { tempoUid: 'tempo', logsUid: 'loki' });
    const rows = screen.getAllByTestId(TEST_IDS.row);
    expect(rows.map((r) => r.dataset.verdict)).toEqual(['silent-destination-failure', 'succeeded']);
    const badge = screen.getAllByTestId(TEST_IDS.badge)[0]!;
    expect(badge.textContent).toContain('SILENT DESTINATION FAILURE');
    const lanes = rows[0]!.querySelectorAll(`[data-testid="${TEST_IDS.lane}"]`);
    expect([...lanes].map((l) => `${l.getAttribute('data-kind')}:${l.getAttribute('data-role')}`)).toEqual([
      'side:source',
      'side:destination',
      'device:source',
      'device:destination',
    ]);
    const failure = rows[0]!.querySelector(`[data-kind="failure"]`)!;
    expect(failure.getAttribute('data-raw')).toMatch(/^0000:3b:00.2: Failed setting device state to RUNNING/);
    expect(rows[0]!.querySelectorAll(`[data-testid="${TEST_IDS.traceLink}"]`)).toHaveLength(2);
    const logs = rows[0]!.querySelector(`[data-testid="${TEST_IDS.logsLink}"]`)!.getAttribute('href')!;
    const panes = JSON.parse(decodeURIComponent(logs.split('panes=')[1]!));
    expect(panes.a.queries[0].expr).toBe('{host=~"src01|dst01"} |= "guest1"');
  });

  it('resolves dashboard variables in the data-source uids of its links', () => {
    const sessions = migrationPair({ vm: 'guest1', t0: T0, kind: 'silent' });
    render(
      <MigrationTimelinePanel
        data={{ series: [spansFrame(allSpans(sessions))], state: LoadingState.Done, timeRange: getDefaultTimeRange() }}
        width={1000}
        height={600}
        options={{ ...DEFAULT_OPTIONS, tempoUid: '${tempo}', logsUid: '${loki}' }}
        timeZone="utc"
        replaceVariables={(s: string) => s.replace('${tempo}', 'switchover-tempo').replace('${loki}', 'loki-uid')}
      />
    );
    const trace = screen.getAllByTestId(TEST_IDS.traceLink)[0]!.getAttribute('href')!;
    expect(decodeURIComponent(trace)).toContain('"datasource":"switchover-tempo"');
    expect(decodeURIComponent(trace)).not.toContain('${tempo}');
  });

  it('shows the expected schema instead of drawing nothing', () => {
    renderPanel([createDataFrame({ name: 'cpu', fields: [{ name: 'Value', type: FieldType.number, values: [1] }] })]);
    expect(screen.getByTestId(TEST_IDS.schemaHelp).textContent).toContain('session_id, host, vm, role, kind, start');
  });

  it('says so when there are no migrations, or when filters hide them all', () => {
    renderPanel([]);
    expect(screen.getByTestId(TEST_IDS.empty).textContent).toMatch(/No migrations/);
  });

  it('virtualises 500 migrations: all counted, only the visible rows in the DOM', () => {
    renderPanel([tableFrame(manyMigrations(500))], {}, 400);
    expect(screen.getByTestId(TEST_IDS.panel).dataset.rows).toBe('500');
    const drawn = screen.getAllByTestId(TEST_IDS.row).length;
    expect(drawn).toBeGreaterThan(2);
    expect(drawn).toBeLessThan(40);
    const total = screen
      .getAllByTestId(TEST_IDS.summaryCount)
      .reduce((n, b) => n + Number(b.textContent!.split(': ')[1]), 0);
    expect(total).toBe(500);
  });

  it('applies the verdict filter', () => {
    renderPanel([tableFrame(manyMigrations(30))], { verdictFilter: 'problems' });
    const verdicts = new Set(screen.getAllByTestId(TEST_IDS.row).map((r) => r.dataset.verdict));
    expect([...verdicts].sort()).toEqual(['failed', 'silent-destination-failure']);
  });
});
