// Debian's chromium driven by playwright-core: nothing downloads a browser. CommonJS so that both
// the jest browser test and the plain-node benchmark can load it.
const { chromium } = require('playwright-core');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const HARNESS_URL = pathToFileURL(path.join(__dirname, 'index.html')).href;

/** A browser with the harness page loaded and ready; the caller closes the browser. */
async function openHarness() {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1160, height: 400 }, deviceScaleFactor: 1 });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(HARNESS_URL);
    await page.waitForFunction(() => document.title === 'harness-ready', null, { timeout: 30000 });
    return { browser, page, errors };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

module.exports = { CHROMIUM_PATH, CHROMIUM_ARGS, HARNESS_URL, openHarness };
