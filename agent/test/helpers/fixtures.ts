import { fileURLToPath } from 'node:url';

/**
 * The agent's test fixtures, all in this repository: `qemu-7.2/` real QEMU captures (remade by
 * `npm run capture:qemu -w @switchover/testbed`), `review/` incidents written for the tests.
 */
export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
