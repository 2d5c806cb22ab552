// Bundles the harness page (panel + React 18 + @grafana/ui) with esbuild for the browser test and the
// benchmark. Output goes to tests/harness/out/ (git-ignored).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const started = Date.now();
await build({
  entryPoints: [join(here, 'harness.tsx')],
  outfile: join(here, 'out', 'harness.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome110',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  loader: { '.svg': 'text', '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty', '.png': 'empty', '.css': 'empty' },
});
console.log(`harness bundle built in ${Date.now() - started} ms`);
