import { defineConfig } from 'vitest/config';

// The install test builds a Debian root with debootstrap (about 40 s) and installs the package in it.
export default defineConfig({
  test: { include: ['test/**/*.test.mjs'], testTimeout: 600_000, hookTimeout: 600_000 },
});
