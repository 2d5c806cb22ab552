/**
 * Tests of the dashboard/rule checker: the real files pass, and each kind of mistake is caught,
 * both by the pure checks and by the CLI run on a broken copy of the files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ATTRS, METRICS, VERDICTS } from '@switchover/model';
import {
  checkDashboard,
  checkGrafanaAlerting,
  missingGrafanaVersions,
  checkLinks,
  duplicateUids,
  knownNames,
  unknownVerdicts,
} from './lib/checks.mjs';
import { metricNames } from './lib/promql-names.mjs';
import { runChecks } from './check-dashboards.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const datasources = fileURLToPath(
  new URL('../../deploy/grafana/provisioning/datasources/switchover.yaml', import.meta.url),
);
const cli = fileURLToPath(new URL('./check-dashboards.mjs', import.meta.url));
const known = knownNames(METRICS, ['verdict:qemu_migration_verdicts:rate5m']);
const loadDashboard = async () =>
  JSON.parse(await readFile(join(root, 'grafana/switchover-overview.json'), 'utf8'));

describe('metricNames', () => {
  test('keeps metric names, drops functions, labels, grouping, ranges, keywords and variables', () => {
    const expr =
      'histogram_quantile(0.9, sum by (le, role) (rate(qemu_migration_duration_seconds_bucket{instance=~"$instance", role="a b"}[$__rate_interval]))) ' +
      '> 1e3 and on (instance) (up offset 15m == 0) unless ignoring (vm) group_left (device) foo_total';
    assert.deepEqual(metricNames(expr).sort(), ['foo_total', 'qemu_migration_duration_seconds_bucket', 'up']);
  });
  test('reads only the metric of a label_values() variable query', () => {
    assert.deepEqual(metricNames('label_values(switchover_build_info, instance)'), ['switchover_build_info']);
  });
});

describe('checkDashboard', () => {
  test('the real dashboard is clean', async () => {
    assert.deepEqual(checkDashboard(await loadDashboard(), known, ATTRS), []);
  });
  test('an unknown metric name in a panel is reported with its panel', async () => {
    const dash = await loadDashboard();
    dash.panels[3].targets[0].expr = 'sum(rate(qemu_migration_verdict_total[5m]))';
    const errors = checkDashboard(dash, known, ATTRS);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /panel 4 .* metric "qemu_migration_verdict_total" is not in the model/);
  });
  test('duplicate panel ids, import-only data-source refs and a bad Tempo target are reported', async () => {
    const dash = await loadDashboard();
    dash.panels[1].id = dash.panels[0].id;
    dash.panels[0].datasource = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
    const timeline = dash.panels.find((p) => p.type === 'switchover-migrationtimeline-panel');
    timeline.targets[0].spss = 500;
    timeline.targets[0].query += ' | select(span.vm.nmae)';
    const errors = checkDashboard(dash, known, ATTRS).join('\n');
    assert.match(errors, /duplicate panel id 1/);
    assert.match(errors, /uses data source uid "\$\{DS_PROMETHEUS\}"/);
    assert.match(errors, /spss 500/);
    assert.match(errors, /span\.vm\.nmae, not in the model's ATTRS/);
  });
  test('a dashboard without the timeline panel is reported', async () => {
    const dash = await loadDashboard();
    dash.panels = dash.panels.filter((p) => p.type !== 'switchover-migrationtimeline-panel');
    assert.match(
      checkDashboard(dash, known, ATTRS).join('\n'),
      /no switchover-migrationtimeline-panel panel/,
    );
  });
});

describe('the fleet dashboard', () => {
  const loadFleet = async () =>
    JSON.parse(await readFile(join(root, 'grafana/switchover-fleet.json'), 'utf8'));
  test('a misspelt verdict in a query is reported, with the panel', async () => {
    assert.deepEqual(unknownVerdicts('x', 'a{verdict=~"failed|silent-destination-failure|"}', VERDICTS), []);
    const dash = await loadFleet();
    const problems = dash.panels.find((p) => p.title === 'Problems');
    problems.targets[0].expr = problems.targets[0].expr.replace('"destination-lost"', '"destination-loss"');
    assert.match(
      checkDashboard(dash, knownNames(METRICS, ['vm:qemu_migration_verdict:latest']), ATTRS, VERDICTS).join(
        '\n',
      ),
      /panel 6 "Problems" target A: verdict "destination-loss" is not one of the model's VERDICTS/,
    );
  });
  test("the problems table's VM links to this dashboard's timeline panel; a wrong panel id is reported", async () => {
    const dash = await loadFleet();
    const problems = dash.panels.find((p) => p.title === 'Problems');
    const timeline = dash.panels.find((p) => p.type === 'switchover-migrationtimeline-panel');
    const link = problems.fieldConfig.overrides.flatMap((o) => o.properties).find((p) => p.id === 'links')
      .value[0];
    assert.match(link.url, new RegExp(`^/d/${dash.uid}/.*[?&]viewPanel=${timeline.id}&var-vm=`));
    assert.deepEqual(checkLinks([dash]), []);
    link.url = link.url.replace(`viewPanel=${timeline.id}`, 'viewPanel=99');
    assert.match(checkLinks([dash]).join('\n'), /viewPanel=99 is not a panel of switchover-fleet/);
    link.url = '/d/no-such-dashboard/x';
    assert.match(checkLinks([dash]).join('\n'), /unknown dashboard uid "no-such-dashboard"/);
  });
});

describe('checkGrafanaAlerting and uids', () => {
  const doc = (expr, uid = 'switchover-prometheus') => ({
    groups: [
      {
        rules: [
          {
            uid: 'r1',
            title: 'QemuMigrationSilentDestinationFailure',
            data: [{ refId: 'A', datasourceUid: uid, model: { expr } }],
          },
        ],
      },
    ],
  });
  const prom = new Map([
    [
      'QemuMigrationSilentDestinationFailure',
      'increase(qemu_migration_silent_destination_failures_total[15m]) > 0',
    ],
  ]);
  test('a Grafana alert whose PromQL drifted from the Prometheus rule is reported', () => {
    const ok = checkGrafanaAlerting(
      'f',
      doc(prom.get('QemuMigrationSilentDestinationFailure')),
      known,
      prom,
      ['switchover-prometheus'],
    );
    assert.deepEqual(ok, []);
    const drift = checkGrafanaAlerting(
      'f',
      doc('increase(qemu_migration_silent_destination_failures_total[5m]) > 0'),
      known,
      prom,
      ['switchover-prometheus'],
    );
    assert.match(drift.join('\n'), /PromQL differs from Prometheus alert/);
  });
  test('an unprovisioned data-source uid is reported', () => {
    const errors = checkGrafanaAlerting(
      'f',
      doc(prom.get('QemuMigrationSilentDestinationFailure'), 'other'),
      known,
      prom,
      ['switchover-prometheus'],
    );
    assert.match(errors.join('\n'), /data source uid "other"/);
  });
  test('a critical Prometheus alert without a Grafana-managed version is reported', () => {
    assert.deepEqual(missingGrafanaVersions(['A', 'B'], ['B', 'A']), []);
    assert.deepEqual(missingGrafanaVersions(['A', 'B'], ['B']), [
      'critical alert A has no Grafana-managed version in grafana/alerting/',
    ]);
  });
  test('duplicate uids are reported', () => {
    assert.deepEqual(
      duplicateUids([
        { uid: 'a', where: 'x' },
        { uid: 'b', where: 'y' },
      ]),
      [],
    );
    assert.match(
      duplicateUids([
        { uid: 'a', where: 'x' },
        { uid: 'a', where: 'y' },
      ])[0],
      /uid "a" used by both x and y/,
    );
  });
});

describe('check-dashboards CLI', () => {
  let dir;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchover-dash-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const copy = async (name) => {
    const target = join(dir, name);
    await cp(join(root, 'grafana'), join(target, 'grafana'), { recursive: true });
    await cp(join(root, 'prometheus'), join(target, 'prometheus'), { recursive: true });
    return target;
  };
  const run = (target) =>
    spawnSync(process.execPath, [cli, '--root', target, '--datasources', datasources], { encoding: 'utf8' });

  test('the real files pass', async () => {
    const { errors } = await runChecks({ root, datasources });
    assert.deepEqual(errors, []);
  });
  test('exits 1 naming a misspelt metric in an alert rule', async () => {
    const target = await copy('bad-metric');
    const f = join(target, 'prometheus/rules/switchover-alerts.yaml');
    await writeFile(
      f,
      (await readFile(f, 'utf8')).replace(
        'switchover_journal_lag_seconds > 60',
        'switchover_journal_lag > 60',
      ),
    );
    const r = run(target);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /rule SwitchoverJournalLagHigh: metric "switchover_journal_lag" is not in the model's METRICS/,
    );
  });
  test('exits 1 when promtool cannot parse a dashboard expression', async () => {
    const target = await copy('bad-syntax');
    const f = join(target, 'grafana/switchover-overview.json');
    const dash = JSON.parse(await readFile(f, 'utf8'));
    dash.panels[3].targets[0].expr = 'sum by (verdict) (increase(qemu_migration_verdicts_total[5m])';
    await writeFile(f, JSON.stringify(dash));
    const r = run(target);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /promtool rejects a dashboard expression/);
    assert.match(r.stderr, /panel 4 "Verdicts"/);
  });
});
