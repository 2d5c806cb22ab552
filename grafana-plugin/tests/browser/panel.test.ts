import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { TEST_IDS } from '../../src/testIds';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openHarness } = require('../harness/chromium.cjs');

/**
 * Renders the built harness (panel + React 18 + @grafana/ui) in Debian's chromium and asserts the DOM
 * for each fixture in both themes; screenshots go to test-artifacts/ (git-ignored).
 */
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const sel = (id: string, extra = '') => `[data-testid="${id}"]${extra}`;

let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  ({ browser, page, errors } = await openHarness());
});

afterAll(async () => {
  await browser?.close();
});

afterEach(() => {
  expect(errors).toEqual([]);
});

async function show(fixture: string, theme: 'light' | 'dark', extra: Record<string, unknown> = {}) {
  const result = await page.evaluate((req) => (window as any).renderFixture(req), { fixture, theme, ...extra });
  await page
    .locator(sel(TEST_IDS.panel))
    .or(page.locator(sel(TEST_IDS.schemaHelp)))
    .first()
    .waitFor();
  return result as { renderMs: number; migrations: number; segments: number };
}

async function shoot(name: string) {
  await page.locator('#panel-chrome').screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

const attrs = (s: string, a: string) => page.$$eval(s, (els, n) => els.map((e) => e.getAttribute(n)), a);

describe.each(['light', 'dark'] as const)('panel in the %s theme', (theme) => {
  it('healthy: paired source and destination lanes, STOP, RESUME, downtime, device lanes', async () => {
    await show('healthy', theme);
    expect(await attrs(sel(TEST_IDS.badge), 'data-verdict')).toEqual(['succeeded']);
    expect(await attrs(sel(TEST_IDS.lane), 'data-kind')).toEqual([
      'side',
      'side',
      'device',
      'device',
      'device',
      'device',
    ]);
    expect(await attrs(sel(TEST_IDS.lane, '[data-kind="side"]'), 'data-role')).toEqual(['source', 'destination']);
    expect(await attrs(sel(TEST_IDS.marker), 'data-kind')).toEqual(['stop', 'resume']);
    expect(await page.locator(sel(TEST_IDS.downtime)).count()).toBe(2);
    expect(await page.locator(sel(TEST_IDS.traceLink)).count()).toBe(2);
    // lanes really have width: the source's segments are laid out left to right
    const boxes = await page
      .locator(`${sel(TEST_IDS.lane, '[data-role="source"][data-kind="side"]')} ${sel(TEST_IDS.segment)}`)
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().left));
    expect(boxes.length).toBe(4);
    expect([...boxes].sort((a, b) => a - b)).toEqual(boxes);
    await shoot(`healthy-${theme}`);
  });

  it('silent failure: unmistakable badge and a failure marker that shows the raw QEMU line on hover', async () => {
    await show('silent', theme);
    const badge = page.locator(sel(TEST_IDS.badge));
    expect(await badge.getAttribute('data-verdict')).toBe('silent-destination-failure');
    expect(await badge.innerText()).toContain('SILENT DESTINATION FAILURE');
    const color = await badge.evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(color).toMatch(/^rgb\((2[0-9]{2}), ([0-9]{1,2}), ([0-9]{1,2}|1[0-2][0-9])\)$/); // red
    const marker = page.locator(sel(TEST_IDS.marker, '[data-kind="failure"]'));
    expect(await marker.count()).toBe(1);
    await marker.hover();
    const tip = page.getByRole('tooltip');
    await tip.waitFor();
    expect(await tip.innerText()).toContain(
      '0000:3b:00.2: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device'
    );
    await shoot(`silent-failure-${theme}`);
    await page.mouse.move(0, 0);
  });

  it('failed (trace-by-ID frames): failed badge, no STOP/RESUME', async () => {
    await show('failed', theme);
    expect(await attrs(sel(TEST_IDS.badge), 'data-verdict')).toEqual(['failed']);
    expect(await page.locator(sel(TEST_IDS.marker)).count()).toBe(0);
    expect(await attrs(sel(TEST_IDS.lane, '[data-kind="side"]'), 'data-role')).toEqual(['source', 'destination']);
    await shoot(`failed-${theme}`);
  });

  it('unverified (table, source only): one side lane and the unverified badge', async () => {
    await show('unverified', theme);
    expect(await attrs(sel(TEST_IDS.badge), 'data-verdict')).toEqual(['unverified']);
    expect(await attrs(sel(TEST_IDS.lane, '[data-kind="side"]'), 'data-role')).toEqual(['source']);
    await shoot(`unverified-${theme}`);
  });

  it('two VMs with skewed clocks: problem first and a skew note', async () => {
    await show('skewed', theme);
    expect(await attrs(sel(TEST_IDS.row), 'data-vm')).toEqual(['skewed-01', 'web-02']);
    const notes = await page.locator(sel(TEST_IDS.skewNote)).allInnerTexts();
    expect(notes.join(' ')).toMatch(/before the source: host clocks are probably skewed/);
    await shoot(`skewed-${theme}`);
  });
});

describe('500 migrations', () => {
  it('renders virtualised rows, counts every verdict and scrolls to the last one', async () => {
    const r = await show('many', 'dark', { height: 360 });
    expect(r.migrations).toBe(500);
    expect(r.segments).toBeGreaterThanOrEqual(10000);
    expect(await page.locator(sel(TEST_IDS.panel)).getAttribute('data-rows')).toBe('500');
    const counts = await page.locator(sel(TEST_IDS.summaryCount)).allInnerTexts();
    expect(counts.reduce((n, t) => n + Number(t.split(': ')[1]), 0)).toBe(500);
    const drawn = await page.locator(sel(TEST_IDS.row)).count();
    expect(drawn).toBeGreaterThan(1);
    expect(drawn).toBeLessThan(50);
    expect(await page.locator(sel(TEST_IDS.row)).first().getAttribute('data-verdict')).toBe(
      'silent-destination-failure'
    );
    await shoot('many-dark');
    await page.locator(sel(TEST_IDS.scroller)).evaluate((e) => e.scrollTo(0, e.scrollHeight));
    await page.waitForFunction((s) => {
      const rows = [...document.querySelectorAll(s)];
      return rows.some((e) => e.getAttribute('data-verdict') === 'succeeded');
    }, sel(TEST_IDS.row));
    console.log(`browser render of 500 migrations (${r.segments} segments): ${r.renderMs.toFixed(1)} ms`);
  });

  it('light theme and relative alignment render too', async () => {
    await show('many', 'light', { height: 360, options: { alignment: 'switchover', verdictFilter: 'problems' } });
    const verdicts = new Set(await attrs(sel(TEST_IDS.row), 'data-verdict'));
    expect([...verdicts].every((v) => v === 'silent-destination-failure' || v === 'failed')).toBe(true);
    await shoot('many-problems-light');
  });
});
