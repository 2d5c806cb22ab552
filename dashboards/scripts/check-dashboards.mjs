#!/usr/bin/env node
/**
 * Checks the dashboards and rules against the model: every PromQL metric name exists in METRICS
 * (or is a recorded/built-in series), every verdict a query matches is in VERDICTS, every expression
 * parses (promtool), uids are unique, links into dashboards name real dashboards and panels, the
 * timeline panel's Tempo query selects real attributes, and the Grafana-managed alert matches the
 * Prometheus one. Usage: check-dashboards.mjs [--root DIR] [--datasources FILE]; exit 1 on problems.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import {
  checkDashboard,
  checkErrorLabels,
  checkGrafanaAlerting,
  checkLinks,
  checkRuleGroups,
  dashboardExprs,
  duplicateUids,
  knownNames,
  missingGrafanaVersions,
} from './lib/checks.mjs';
import { substituteGrafanaVars } from './lib/promql-names.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

async function loadModel() {
  try {
    return await import('@switchover/model');
  } catch (err) {
    throw new Error(
      `cannot import @switchover/model (build it: cd model && npx tsc -p tsconfig.build.json): ${err.message}`,
    );
  }
}

const yamlFiles = async (dir) =>
  (await readdir(dir).catch(() => []))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));

/** Runs every expression through `promtool check rules` as recording rules: a real PromQL parse. */
function promtoolParse(exprs, dir) {
  const rules = exprs.map(({ expr }, i) => ({
    record: `check:expr_${i}`,
    expr: substituteGrafanaVars(expr),
  }));
  const file = join(dir, 'exprs.yaml');
  return writeFile(file, stringify({ groups: [{ name: 'dashboard-exprs', rules }] })).then(() => {
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (r.error) return [`promtool not runnable: ${r.error.message}`];
    if (r.status === 0) return [];
    return [
      `promtool rejects a dashboard expression:\n${r.stdout}${r.stderr}`.replace(
        /check:expr_(\d+)/g,
        (_, i) => exprs[i].where,
      ),
    ];
  });
}

export async function runChecks({ root, datasources }) {
  const { METRICS, ATTRS, STAGES, ERROR_TYPES, VERDICTS } = await loadModel();
  const rel = (p) => relative(root, p) || p;
  const errors = [];
  const ruleFiles = await yamlFiles(join(root, 'prometheus/rules'));
  const ruleDocs = await Promise.all(
    ruleFiles.map(async (f) => ({ f, doc: parse(await readFile(f, 'utf8')) })),
  );
  const recorded = ruleDocs.flatMap(({ doc }) =>
    doc.groups.flatMap((g) => g.rules.filter((r) => r.record).map((r) => r.record)),
  );
  const known = knownNames(METRICS, recorded);
  const promAlerts = new Map();
  const paging = [];
  for (const { f, doc } of ruleDocs) {
    errors.push(...checkRuleGroups(rel(f), doc.groups, known, VERDICTS));
    for (const g of doc.groups)
      for (const r of g.rules) {
        if (r.alert) promAlerts.set(r.alert, r.expr);
        if (r.alert && r.labels?.severity === 'critical') paging.push(r.alert);
      }
  }

  const uids = [];
  const exprs = [];
  const dashboards = [];
  const dashDir = join(root, 'grafana');
  for (const f of (await readdir(dashDir)).filter((x) => x.endsWith('.json')).sort()) {
    const path = join(dashDir, f);
    let dash;
    try {
      dash = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      errors.push(`${rel(path)}: not JSON: ${err.message}`);
      continue;
    }
    errors.push(...checkDashboard(dash, known, ATTRS, VERDICTS).map((e) => `${rel(path)}: ${e}`));
    dashboards.push(dash);
    uids.push({ uid: dash.uid, where: rel(path) });
    exprs.push(
      ...dashboardExprs(dash)
        .filter((e) => !e.expr.startsWith('label_values('))
        .map((e) => ({ ...e, where: `${f} ${e.where}` })),
    );
  }

  errors.push(...checkLinks(dashboards));

  const dsDoc = parse(await readFile(datasources, 'utf8'));
  const dsUids = (dsDoc.datasources ?? []).map((d) => d.uid);
  const grafanaTitles = [];
  for (const f of await yamlFiles(join(dashDir, 'alerting'))) {
    const doc = parse(await readFile(f, 'utf8'));
    errors.push(...checkGrafanaAlerting(rel(f), doc, known, promAlerts, dsUids));
    for (const g of doc.groups ?? [])
      for (const r of g.rules ?? []) {
        uids.push({ uid: r.uid, where: `${rel(f)} rule ${r.title}` });
        grafanaTitles.push(r.title);
        for (const d of r.data ?? [])
          if (d.model?.expr) exprs.push({ where: `${rel(f)} ${r.uid} ${d.refId}`, expr: d.model.expr });
      }
  }
  errors.push(...missingGrafanaVersions(paging, grafanaTitles));
  errors.push(...duplicateUids(uids));
  for (const f of await yamlFiles(join(root, 'prometheus/tests')))
    errors.push(
      ...checkErrorLabels(rel(f), parse(await readFile(f, 'utf8')), METRICS.errors, STAGES, ERROR_TYPES),
    );

  const tmp = await mkdtemp(join(tmpdir(), 'switchover-check-'));
  try {
    errors.push(...(await promtoolParse(exprs, tmp)));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return {
    errors,
    counts: { dashboards: uids.length, exprs: exprs.length, rules: promAlerts.size + recorded.length },
  };
}

async function main() {
  const { values } = parseArgs({ options: { root: { type: 'string' }, datasources: { type: 'string' } } });
  const root = resolve(values.root ?? join(here, '..'));
  const datasources = resolve(
    values.datasources ?? join(here, '../../deploy/grafana/provisioning/datasources/switchover.yaml'),
  );
  const { errors, counts } = await runChecks({ root, datasources });
  if (errors.length > 0) {
    for (const e of errors) console.error(`check-dashboards: ${e}`);
    process.exit(1);
  }
  console.log(
    `check-dashboards: OK (${counts.exprs} expressions, ${counts.rules} Prometheus rules, ${counts.dashboards} uids)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
