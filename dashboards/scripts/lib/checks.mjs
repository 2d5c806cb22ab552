/**
 * Pure checks over the parsed dashboard, rule and provisioning files. Each returns a list of
 * human-readable problems; an empty list means the input is consistent with the model.
 */
import { metricNames } from './promql-names.mjs';

/** Series Prometheus itself creates, usable in any expression. */
export const BUILTIN_SERIES = ['up', 'ALERTS', 'ALERTS_FOR_STATE'];
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];
export const TIMELINE_PANEL = 'switchover-migrationtimeline-panel';
/** Tempo rejects larger spans-per-spanset requests with its default `max_spans_per_span_set`. */
export const TEMPO_MAX_SPSS = 100;

/** Every name a query may use: model METRICS, their histogram series, recorded names, built-ins. */
export function knownNames(metrics, recordedNames = []) {
  const known = new Set([...BUILTIN_SERIES, ...recordedNames]);
  for (const name of Object.values(metrics)) {
    known.add(name);
    for (const s of HISTOGRAM_SUFFIXES) known.add(name + s);
  }
  return known;
}

const unknownIn = (where, expr, known) =>
  metricNames(expr)
    .filter((n) => !known.has(n))
    .map((n) => `${where}: metric "${n}" is not in the model's METRICS (expr: ${expr.replace(/\s+/g, ' ')})`);

/**
 * Verdict values a query matches (`verdict`, `source_verdict`, `destination_verdict`; `=`, `!=`,
 * `=~`, `!~` with `a|b` alternatives) must be the model's VERDICTS: a misspelt one matches nothing.
 */
export function unknownVerdicts(where, expr, verdicts) {
  const out = [];
  for (const m of expr.matchAll(/\b(\w*verdict)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
    const values = m[2].includes('~') ? m[3].split('|') : [m[3]];
    for (const v of values)
      if (v !== '' && !verdicts.includes(v))
        out.push(`${where}: ${m[1]} "${v}" is not one of the model's VERDICTS`);
  }
  return out;
}

/** Data links of a dashboard's panels (defaults and overrides), with where they sit. */
export function panelLinks(dash) {
  const out = [];
  for (const p of dash.panels ?? []) {
    const fc = p.fieldConfig ?? {};
    const props = [
      ...(fc.overrides ?? []).flatMap((o) => o.properties ?? []),
      { id: 'links', value: fc.defaults?.links },
    ];
    for (const prop of props)
      if (prop.id === 'links' && Array.isArray(prop.value))
        for (const l of prop.value)
          out.push({ where: `panel ${p.id} "${p.title}" link "${l.title}"`, url: String(l.url) });
  }
  return out;
}

/** A link into a dashboard (`/d/UID`) must name a dashboard of this folder; `viewPanel` one of its panels. */
export function checkLinks(dashboards) {
  const byUid = new Map(dashboards.map((d) => [d.uid, d]));
  const errors = [];
  for (const d of dashboards)
    for (const { where, url } of panelLinks(d)) {
      const m = /^\/d\/([\w-]+)/.exec(url);
      if (!m) continue;
      const target = byUid.get(m[1]);
      if (!target) {
        errors.push(`dashboard ${d.uid} ${where}: links to unknown dashboard uid "${m[1]}"`);
        continue;
      }
      const view = /[?&]viewPanel=(\d+)/.exec(url);
      if (view && !(target.panels ?? []).some((p) => String(p.id) === view[1]))
        errors.push(`dashboard ${d.uid} ${where}: viewPanel=${view[1]} is not a panel of ${target.uid}`);
    }
  return errors;
}

/** Every PromQL expression of a dashboard, with where it sits. */
export function dashboardExprs(dash) {
  const out = [];
  for (const p of dash.panels ?? []) {
    for (const t of p.targets ?? [])
      if (typeof t.expr === 'string')
        out.push({ where: `panel ${p.id} "${p.title}" target ${t.refId}`, expr: t.expr });
  }
  for (const a of dash.annotations?.list ?? [])
    if (typeof a.expr === 'string') out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  for (const v of dash.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (typeof q === 'string') out.push({ where: `variable "${v.name}"`, expr: q });
  }
  return out;
}

const DS_REF = /^\$\{(prometheus|tempo)\}$/;

export function checkDashboard(dash, known, attrs, verdicts = []) {
  const errors = [];
  const name = `dashboard ${dash.uid ?? dash.title}`;
  if (typeof dash.uid !== 'string' || !/^[\w-]{1,40}$/.test(dash.uid))
    errors.push(`${name}: needs a stable uid (≤ 40 letters, digits, - or _)`);
  if (dash.id !== null && dash.id !== undefined)
    errors.push(`${name}: provisioned dashboards must not carry an id`);
  if (!(dash.schemaVersion >= 39 && dash.schemaVersion <= 42))
    errors.push(`${name}: schemaVersion ${dash.schemaVersion} is outside 39-42`);
  if ('__inputs' in dash)
    errors.push(`${name}: __inputs/\${DS_*} is the import form; file provisioning does not resolve it`);
  for (const v of ['prometheus', 'tempo']) {
    const tv = dash.templating?.list?.find((x) => x.name === v);
    if (!tv || tv.type !== 'datasource' || tv.query !== v)
      errors.push(`${name}: missing data-source variable "${v}"`);
  }
  const ids = new Set();
  for (const p of dash.panels ?? []) {
    if (ids.has(p.id)) errors.push(`${name}: duplicate panel id ${p.id}`);
    ids.add(p.id);
    const refs = [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)].filter(Boolean);
    for (const r of refs)
      if (!DS_REF.test(r.uid ?? ''))
        errors.push(`${name}: panel ${p.id} uses data source uid "${r.uid}", not \${prometheus}/\${tempo}`);
    const refIds = (p.targets ?? []).map((t) => t.refId);
    if (new Set(refIds).size !== refIds.length) errors.push(`${name}: panel ${p.id} has duplicate refIds`);
  }
  for (const { where, expr } of dashboardExprs(dash)) {
    errors.push(...unknownIn(`${name} ${where}`, expr, known));
    if (verdicts.length > 0) errors.push(...unknownVerdicts(`${name} ${where}`, expr, verdicts));
  }
  errors.push(...checkTimelinePanel(dash, name, attrs));
  return errors;
}

function checkTimelinePanel(dash, name, attrs) {
  const panels = (dash.panels ?? []).filter((p) => p.type === TIMELINE_PANEL);
  if (panels.length === 0) return [`${name}: no ${TIMELINE_PANEL} panel`];
  const errors = [];
  for (const p of panels) {
    const t = (p.targets ?? []).find((x) => x.datasource?.type === 'tempo');
    if (!t) {
      errors.push(`${name}: timeline panel ${p.id} has no Tempo target`);
      continue;
    }
    if (t.queryType !== 'traceql' || t.tableType !== 'spans')
      errors.push(`${name}: timeline panel ${p.id} needs queryType traceql and tableType spans`);
    if (!(t.spss > 3 && t.spss <= TEMPO_MAX_SPSS))
      errors.push(`${name}: timeline panel ${p.id} spss ${t.spss} must be 4-${TEMPO_MAX_SPSS}`);
    if (!(t.limit > 20))
      errors.push(`${name}: timeline panel ${p.id} limit ${t.limit} keeps Grafana's default of 20 traces`);
    if (!Array.isArray(t.filters))
      errors.push(`${name}: timeline panel ${p.id} target needs a filters array`);
    // Every selected span attribute must be one the agent emits (ATTRS), or the column is silently empty.
    const attrValues = new Set(Object.values(attrs));
    for (const m of String(t.query).matchAll(/\bspan\.([\w.]+)/g)) {
      if (!attrValues.has(m[1]))
        errors.push(`${name}: timeline panel ${p.id} selects span.${m[1]}, not in the model's ATTRS`);
    }
  }
  return errors;
}

/** Prometheus rule groups (alerting and recording): names known, alert style complete. */
export function checkRuleGroups(file, groups, known, verdicts = []) {
  const errors = [];
  for (const g of groups) {
    for (const r of g.rules ?? []) {
      const id = r.alert ?? r.record;
      errors.push(...unknownIn(`${file} rule ${id}`, r.expr, known));
      if (verdicts.length > 0) errors.push(...unknownVerdicts(`${file} rule ${id}`, r.expr, verdicts));
      if (!r.alert) continue;
      if (!/^[A-Z][A-Za-z0-9]+$/.test(r.alert)) errors.push(`${file}: alert ${r.alert} is not CamelCase`);
      if (r.for === undefined) errors.push(`${file}: alert ${r.alert} has no explicit for`);
      if (!['critical', 'warning', 'info'].includes(r.labels?.severity))
        errors.push(`${file}: alert ${r.alert} has no severity label`);
      for (const a of ['summary', 'description', 'runbook_url'])
        if (!r.annotations?.[a]) errors.push(`${file}: alert ${r.alert} lacks annotation ${a}`);
    }
  }
  return errors;
}

/** Grafana-managed alerts: names known, same PromQL as the Prometheus alert of the same title. */
export function checkGrafanaAlerting(file, doc, known, promAlerts, datasourceUids) {
  const errors = [];
  for (const g of doc.groups ?? []) {
    for (const r of g.rules ?? []) {
      for (const d of r.data ?? []) {
        if (d.datasourceUid === '__expr__') continue;
        if (!datasourceUids.includes(d.datasourceUid))
          errors.push(
            `${file}: rule ${r.uid} uses data source uid "${d.datasourceUid}", not a provisioned one`,
          );
        errors.push(...unknownIn(`${file} rule ${r.uid} ${d.refId}`, d.model?.expr ?? '', known));
        const prom = promAlerts.get(r.title);
        if (prom !== undefined && prom.trim() !== String(d.model?.expr).trim())
          errors.push(`${file}: rule ${r.uid} PromQL differs from Prometheus alert ${r.title}`);
      }
    }
  }
  return errors;
}

/** Every paging (critical) Prometheus alert has a Grafana-managed version with the same title. */
export function missingGrafanaVersions(pagingAlerts, grafanaTitles) {
  const have = new Set(grafanaTitles);
  return pagingAlerts
    .filter((a) => !have.has(a))
    .map((a) => `critical alert ${a} has no Grafana-managed version in grafana/alerting/`);
}

/** uids must be unique across every dashboard and Grafana alert rule. */
export function duplicateUids(entries) {
  const seen = new Map();
  const errors = [];
  for (const { uid, where } of entries) {
    if (seen.has(uid)) errors.push(`uid "${uid}" used by both ${seen.get(uid)} and ${where}`);
    else seen.set(uid, where);
  }
  return errors;
}

/**
 * promtool tests feed `switchover_errors_total` with `stage`/`error_type` values: they must be names
 * the agent really emits (model `STAGES` / `ERROR_TYPES`), or a test would pass on a label the
 * alert never sees.
 */
export function checkErrorLabels(file, doc, errorsMetric, stages, errorTypes) {
  const knownStages = new Set(Object.values(stages));
  const knownTypes = new Set(Object.values(errorTypes).flatMap((byStage) => Object.values(byStage)));
  const out = [];
  const check = (where, labels) => {
    if (labels.stage !== undefined && !knownStages.has(labels.stage))
      out.push(`${file}: ${where}: stage "${labels.stage}" is not a model STAGES value`);
    if (labels.error_type !== undefined && !knownTypes.has(labels.error_type))
      out.push(`${file}: ${where}: error_type "${labels.error_type}" is not a model ERROR_TYPES value`);
  };
  for (const t of doc.tests ?? []) {
    for (const s of t.input_series ?? []) {
      if (!s.series.startsWith(`${errorsMetric}{`)) continue;
      const labels = Object.fromEntries([...s.series.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      check(s.series, labels);
    }
    for (const a of t.alert_rule_test ?? [])
      for (const e of a.exp_alerts ?? []) check(`${a.alertname} expected labels`, e.exp_labels ?? {});
  }
  return out;
}
