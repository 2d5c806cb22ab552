/**
 * Which metric names a PromQL expression (possibly holding Grafana variables) reads. Not a parser:
 * it removes everything that can hold a non-metric identifier (strings, label matchers, ranges,
 * grouping clauses, variables) and keeps the identifiers that are not called and not keywords.
 */
const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'atan2', 'inf', 'nan', 'start', 'end']);

/** Grafana's variables replaced by values PromQL accepts, so promtool can check the syntax. */
const GRAFANA_VARS = [
  [/\$__rate_interval|\$__interval|\$\{__interval\}|\$\{__rate_interval\}/g, '5m'],
  [/\$__range|\$\{__range\}/g, '1d'],
];

export function substituteGrafanaVars(expr) {
  let out = expr;
  for (const [re, value] of GRAFANA_VARS) out = out.replace(re, value);
  // Template variables only ever sit inside label matchers here ("$instance" → ".*").
  return out.replace(/\$\{?[A-Za-z_]\w*\}?/g, '.*');
}

export function metricNames(expr) {
  // `label_values(metric, label)` is Grafana's variable query, not PromQL: only `metric` is a name.
  const lv = /^\s*label_values\(\s*([A-Za-z_:][\w:]*)\s*,/.exec(expr);
  if (lv) return [lv[1]];
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b(group_left|group_right)\b/g, ' ');
  const names = new Set();
  for (const m of stripped.matchAll(/(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}
