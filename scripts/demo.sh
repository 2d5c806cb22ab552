#!/usr/bin/env bash
# The README's main command (`npm run demo`): installs what is missing, builds, runs `switchover demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "Node.js 20 or newer is needed (found $(node -v))" >&2; exit 1; }
bash scripts/system-deps.sh demo
[ -d node_modules/.bin ] && [ -x node_modules/.bin/turbo ] || npm ci --no-audit --no-fund
npx turbo run build --filter=@switchover/agent --output-logs=errors-only
exec node agent/bin/switchover.js demo "$@"
