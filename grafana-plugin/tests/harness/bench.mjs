// Render benchmark: 500 migrations (≥ 10k segments) in Debian's chromium. Prints the figures; not a test.
// Run: npm run bench -w @switchover/grafana-plugin (builds the harness bundle first).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { openHarness } = require('./chromium.cjs');

const RUNS = 7;
const { browser, page, errors } = await openHarness();
try {
  const times = [];
  let info;
  for (let i = 0; i < RUNS; i++) {
    info = await page.evaluate(() => window.renderFixture({ fixture: 'many', theme: 'dark', height: 600 }));
    times.push(info.renderMs);
  }
  if (errors.length) {
    throw new Error(errors.join('\n'));
  }
  const warm = times.slice(1).sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)];
  console.log(
    `render ${info.migrations} migrations, ${info.segments} segments (frames -> pairSessions -> layout -> DOM, virtualised rows)`
  );
  console.log(`  first (cold) render: ${times[0].toFixed(1)} ms`);
  console.log(
    `  warm renders: median ${median.toFixed(1)} ms, min ${warm[0].toFixed(1)} ms, max ${warm[warm.length - 1].toFixed(1)} ms (target < 300 ms)`
  );
} finally {
  await browser.close();
}
