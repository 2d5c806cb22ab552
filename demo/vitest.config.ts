import { defineConfig } from 'vitest/config';

// Real QEMU, journald and Prometheus tests share 2 cores: keep files sequential and give them time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
