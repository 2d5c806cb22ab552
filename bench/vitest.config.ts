import { defineConfig } from 'vitest/config';

// The smoke test drives real journald tools and a real agent: give it time.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], fileParallelism: false, testTimeout: 60_000, hookTimeout: 30_000 },
});
