#!/usr/bin/env bash
# The README's main command (`npm run demo`): installs what is missing, builds, runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  case "$a" in -h | --help) cat demo/help.txt; exit 0 ;; esac
done
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "Node.js 20 or newer is needed (found $(node -v))" >&2; exit 1; }
bash scripts/system-deps.sh demo
[ -d node_modules/.bin ] && [ -x node_modules/.bin/turbo ] || npm ci --no-audit --no-fund
npx turbo run build --filter=@switchover/demo --output-logs=errors-only
exec node demo/bin/demo.js "$@"
