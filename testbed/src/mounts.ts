import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real filesystems for disk fault tests: a size-limited tmpfs (a disk that fills up) and a read-only
 * bind mount (a state directory the agent cannot write). Needs root (CAP_SYS_ADMIN); tests skip with
 * the reason `mountUnavailable()` gives when mounting is not possible here.
 */
function run(args: string[]): void {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`mount ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

/** A tmpfs of `bytes` mounted on `dir` (created if missing). */
export function mountTmpfs(dir: string, bytes: number): void {
  mkdirSync(dir, { recursive: true });
  run(['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir]);
}

/** `dir` mounted over itself, then made read-only (`mount --bind` + `remount,ro,bind`). */
export function bindReadOnly(dir: string): void {
  run(['--bind', dir, dir]);
  try {
    run(['-o', 'remount,ro,bind', dir]);
  } catch (err) {
    unmount(dir);
    throw err;
  }
}

/** Undo one mount on `dir` (lazily: a process may still hold a file there). */
export function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

let probed: string | null | undefined;

/** Why mounting is not possible here (not root, no CAP_SYS_ADMIN, no mount binary), or null when it is. */
export function mountUnavailable(): string | null {
  if (probed !== undefined) return probed;
  const dir = mkdtempSync(join(tmpdir(), 'sw-mount-probe-'));
  try {
    mountTmpfs(dir, 1 << 20);
    unmount(dir);
    probed = null;
  } catch (err) {
    probed = err instanceof Error ? err.message : String(err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return probed;
}
