import { resolve } from 'node:path';

/**
 * The project's shared folder (design, references, fixtures) lies beside the repository checkout:
 * `<checkout>/../shared`, as on developers' machines and in CI. SWITCHOVER_SHARED overrides it.
 */
export const SHARED = process.env.SWITCHOVER_SHARED ?? resolve(import.meta.dirname, '../../../../shared');
export const FIXTURES = resolve(SHARED, 'fixtures');
