// The browser test: Node environment, Debian's chromium driven by playwright-core against the
// harness bundle that tests/harness/build.mjs wrote (npm run test:browser builds it first).
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

module.exports = {
  transform: base.transform,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/browser/**/*.test.ts'],
  testTimeout: 120000,
};
