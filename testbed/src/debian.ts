import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * A program a Debian package installs off PATH (`systemd-journald`, `systemd-journal-remote`): asks
 * dpkg where the package put it, then tries the usual systemd directories.
 */
export function packagedBinary(pkg: string, name: string): string | undefined {
  try {
    const out = execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const found = out.split('\n').find((l) => l.endsWith(`/${name}`));
    if (found && existsSync(found)) return found;
  } catch {
    // not a Debian system, or the package is missing: try the usual places
  }
  return [`/lib/systemd/${name}`, `/usr/lib/systemd/${name}`].find((p) => existsSync(p));
}
