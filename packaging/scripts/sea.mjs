// The one `switchover` executable: esbuild bundles the agent's CLI into one CommonJS file (a single
// executable application runs one CommonJS script and can require only Node's built-in modules),
// Node turns it into a preparation blob, and postject injects the blob into a copy of the Node binary.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
// Node's documented fuse for single executable applications.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Bundles `entry` into `work/switchover.cjs`; returns the packages it contains (for the copyright file). */
export async function bundle(entry, work, version) {
  const outfile = join(work, 'switchover.cjs');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    minify: true,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    define: { __SWITCHOVER_VERSION__: JSON.stringify(version) },
  });
  const packages = new Set();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]);
  }
  return { outfile, packages: [...packages].sort() };
}

/**
 * Makes the executable at `out` from `script` and the Node binary `base`. `blobNode` makes the blob:
 * the same Node version on the build machine's CPU (the blob holds the script, no code cache, so it
 * is the same for every CPU).
 */
export async function singleExecutable({ script, base, blobNode, out, work }) {
  const config = join(work, 'sea-config.json');
  const blob = join(work, 'sea-prep.blob');
  writeFileSync(
    config,
    JSON.stringify({
      main: script,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: false,
    }),
  );
  execFileSync(blobNode, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  copyFileSync(base, out);
  chmodSync(out, 0o755);
  const { inject } = require('postject');
  // postject's ELF library warns once per note section it cannot name ("Can't find string offset
  // for section name '.note…'"), harmlessly (Node's docs show the same); keep any other message.
  const { log, warn } = console;
  const filter =
    (print) =>
    (msg, ...rest) =>
      /Can't find string offset for section name '\.note/.test(String(msg)) ? undefined : print(msg, ...rest);
  console.log = filter(log);
  console.warn = filter(warn);
  try {
    await inject(out, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  } finally {
    Object.assign(console, { log, warn });
  }
}
