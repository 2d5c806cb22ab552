// A clean Debian 12 root (debootstrap --variant=minbase: no Node.js) to install the package into.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's mirror as this machine's apt knows it (deb822 or one-line sources), else deb.debian.org. */
export function debianMirror() {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const m =
      /^URIs:\s*(\S+\/debian)\s*$/m.exec(text) ??
      /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm\b/m.exec(text);
    if (m) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

/** Asynchronous, so that the test runner's worker stays responsive during the ~40 s it takes. */
export async function makeRoot() {
  const dir = mkdtempSync(join(tmpdir(), 'switchover-debootstrap-'));
  const started = Date.now();
  await promisify(execFile)('debootstrap', ['--variant=minbase', 'bookworm', dir, debianMirror()], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
    maxBuffer: 64 * 1024 * 1024,
  });
  execFileSync('mount', ['-t', 'proc', 'proc', join(dir, 'proc')]);
  return {
    dir,
    seconds: (Date.now() - started) / 1000,
    /** Runs a command inside the root with a clean environment; never throws. */
    run(cmd, ...args) {
      const r = spawnSync('chroot', [dir, cmd, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    },
    path: (p) => join(dir, p),
    remove() {
      spawnSync('umount', [join(dir, 'proc')]);
      // Never recurse into a still-mounted /proc of the root.
      if (existsSync(join(dir, 'proc/self')))
        throw new Error(`${dir}/proc is still mounted: not removing ${dir}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
