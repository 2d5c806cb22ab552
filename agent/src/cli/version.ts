import { readFileSync } from 'node:fs';

/** Set by the single-file bundle of the Debian package (esbuild `define`), which has no package.json beside it. */
declare const __SWITCHOVER_VERSION__: string | undefined;

/** The agent package's version (dist/cli/version.js → ../../package.json). */
export const VERSION: string = (() => {
  if (typeof __SWITCHOVER_VERSION__ === 'string') return __SWITCHOVER_VERSION__;
  try {
    return (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return '0.0.0-unknown';
  }
})();
