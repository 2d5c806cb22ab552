// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const swc = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  // d3-color and friends ship `.mjs`; the shared model (a workspace symlink, resolved to
  // ../model/dist) is ESM `.js`, which the scaffold's swc transform already turns into CommonJS.
  transform: { ...base.transform, '^.+\\.mjs$': swc },
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/browser/'],
};
