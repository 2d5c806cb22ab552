#!/usr/bin/env bash
# Tests of the dashboards, rules and deploy files: everything is checked with the real tools
# (promtool, systemd-analyze) where they exist. Run from anywhere: `npm test -w @switchover/dashboards`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deploy="$here/../deploy"
cd "$here"

if ! command -v promtool >/dev/null 2>&1; then
  echo "dashboards test: promtool not found. Install Prometheus' tools (Debian: apt-get install prometheus)." >&2
  exit 1
fi

step() { printf '\n== %s\n' "$*"; }
tmp="$(mktemp -d "${TMPDIR:-/tmp}/switchover-dashboards.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

step "rule files are up to date with prometheus/mixin"
node scripts/build-rules.mjs --check

step "promtool check rules"
promtool check rules prometheus/rules/*.yaml

step "promtool test rules"
promtool test rules prometheus/tests/*.yaml

step "dashboards and rules against the model"
node scripts/check-dashboards.mjs
node --test scripts/check-dashboards.test.mjs

step "promtool check config (deploy/prometheus/prometheus.yml with the rules it loads)"
# Laid out as on a host (/etc/prometheus/{prometheus.yml,rules/}) so the rule_files glob resolves.
mkdir -p "$tmp/prometheus/rules"
cp "$deploy/prometheus/prometheus.yml" "$tmp/prometheus/"
cp prometheus/rules/*.yaml "$tmp/prometheus/rules/"
out="$(promtool check config "$tmp/prometheus/prometheus.yml" 2>&1)" || { echo "$out"; exit 1; }
echo "$out"
grep -q 'SUCCESS: 3 rule files found' <<<"$out" || { echo "prometheus.yml does not load all three rule files" >&2; exit 1; }

step "deploy YAML parses"
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import { parse } from "yaml";
  for (const f of process.argv.slice(1)) { parse(readFileSync(f, "utf8"), { uniqueKeys: true }); console.log("ok", f); }
' "$deploy/otel-collector/config.yaml" "$deploy/tempo/tempo.yaml" \
  "$deploy/grafana/provisioning/datasources/switchover.yaml" "$deploy/grafana/provisioning/dashboards/switchover.yaml"

step "systemd-analyze verify deploy/systemd/switchover-agent.service"
if command -v systemd-analyze >/dev/null 2>&1; then
  # The agent binary is not installed here: verify a copy whose ExecStart is /bin/true. verify
  # exits 0 on unknown keys and only warns, so any output at all is a failure.
  sed 's#^ExecStart=/usr/bin/switchover #ExecStart=/bin/true #' "$deploy/systemd/switchover-agent.service" \
    >"$tmp/switchover-agent.service"
  grep -q '^ExecStart=/bin/true agent --config /etc/switchover/agent.yaml$' "$tmp/switchover-agent.service"
  out="$(systemd-analyze verify "$tmp/switchover-agent.service" 2>&1)" || { echo "$out"; exit 1; }
  if [ -n "$out" ]; then echo "$out" >&2; exit 1; fi
  echo "clean"
else
  echo "skipped: systemd-analyze not installed"
fi

printf '\ndashboards test: all passed\n'
