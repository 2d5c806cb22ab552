// `npm run package`: builds dist/switchover_VERSION_ARCH.deb (see ../README.md). Options:
//   --arch amd64|arm64   target architecture (default amd64)
//   --version V          package version (default: the agent's)
//   --compress zstd|xz|none  dpkg-deb compression (default zstd: Debian 12's dpkg reads it, and it
//                        packs the 100 MB executable ten times faster than xz for 25% more bytes)
//   --out DIR            output folder (default packaging/dist)
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CONFFILES, FILES, PLUGIN_ID } from './layout.mjs';
import { copyright, control, md5sums } from './debian.mjs';
import { NODE_CPU, NODE_VERSION, nodeBase } from './node-base.mjs';
import { bundle, singleExecutable } from './sea.mjs';

const HERE = dirname(new URL(import.meta.url).pathname);
const REPO = resolve(HERE, '../..');
const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'amd64' },
    version: { type: 'string' },
    compress: { type: 'string', default: 'zstd' },
    out: { type: 'string', default: join(REPO, 'packaging/dist') },
  },
});
const arch = values.arch;
const cpu = NODE_CPU[arch];
if (!cpu) throw new Error(`--arch ${arch}: only ${Object.keys(NODE_CPU).join(', ')}`);
const version = values.version ?? JSON.parse(readFileSync(join(REPO, 'agent/package.json'), 'utf8')).version;
const started = Date.now();
const step = (what) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);

const cache = join(REPO, 'packaging/.cache');
const work = join(values.out, `work-${arch}`);
const root = join(work, 'root');
rmSync(work, { recursive: true, force: true });
mkdirSync(root, { recursive: true });

step(`Node.js ${NODE_VERSION} for ${cpu} (and ${process.arch} for the blob) from the npm registry`);
const base = nodeBase(cpu, cache);
const blobNode = nodeBase(process.arch, cache).node;

step('bundle the CLI (esbuild) and make the single executable (postject)');
const { outfile, packages } = await bundle(join(REPO, 'agent/src/cli/run.ts'), work, version);
mkdirSync(join(root, 'usr/bin'), { recursive: true });
await singleExecutable({
  script: outfile,
  base: base.node,
  blobNode,
  out: join(root, 'usr/bin/switchover'),
  work,
});

step('unit, config, docs, dashboards, rules');
for (const [src, dst, mode] of FILES) {
  mkdirSync(dirname(join(root, dst)), { recursive: true });
  copyFileSync(join(REPO, src), join(root, dst));
  chmodSync(join(root, dst), mode);
}
const doc = join(root, 'usr/share/doc/switchover');
copyFileSync(base.license, join(doc, 'LICENSE.node'));
writeFileSync(join(doc, 'copyright'), copyright(REPO, packages, NODE_VERSION));

step('Grafana plugin zip');
const pluginDist = join(REPO, 'grafana-plugin/dist');
const pluginVersion = JSON.parse(readFileSync(join(pluginDist, 'plugin.json'), 'utf8')).info.version;
const zipDir = join(work, 'zip');
cpSync(pluginDist, join(zipDir, PLUGIN_ID), { recursive: true });
const zipName = `${PLUGIN_ID}-${pluginVersion}.zip`;
mkdirSync(join(root, 'usr/share/switchover/grafana-plugin'), { recursive: true });
execFileSync(
  'zip',
  ['-q', '-r', '-X', join(root, 'usr/share/switchover/grafana-plugin', zipName), PLUGIN_ID],
  {
    cwd: zipDir,
  },
);

step('maintainer scripts, control, dpkg-deb');
const debian = join(root, 'DEBIAN');
mkdirSync(debian);
for (const s of ['postinst', 'prerm', 'postrm']) {
  copyFileSync(join(REPO, 'packaging/debian', s), join(debian, s));
  chmodSync(join(debian, s), 0o755);
}
writeFileSync(join(debian, 'conffiles'), CONFFILES.map((f) => `${f}\n`).join(''));
writeFileSync(join(debian, 'md5sums'), md5sums(root));
writeFileSync(join(debian, 'control'), control({ version, arch, root, nodeVersion: NODE_VERSION }));
mkdirSync(values.out, { recursive: true });
const deb = join(values.out, `switchover_${version}_${arch}.deb`);
const level = values.compress === 'none' ? [] : ['-z9'];
execFileSync('dpkg-deb', ['--root-owner-group', `-Z${values.compress}`, ...level, '--build', root, deb], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
rmSync(work, { recursive: true, force: true });
step(`${deb} (${(statSync(deb).size / 1024 / 1024).toFixed(1)} MiB)`);
