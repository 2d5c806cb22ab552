/**
 * Issue 9.2's process-level guard, in a real Node process: an unhandled rejection or an uncaught
 * exception is counted and logged (rate-limited), and the process goes on. The same script without
 * the guard dies, which is what the agent did on a hostile QMP reply.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const GUARD = fileURLToPath(new URL('../dist/cli/crash-guard.js', import.meta.url));

function run(withGuard: boolean): { status: number | null; stdout: string } {
  const script = `
    const { installCrashGuard } = await import(${JSON.stringify(GUARD)});
    if (${withGuard})
      installCrashGuard(process, {
        count: (stage, type) => console.log('count', stage, type),
        log: (type, err, suppressed) => console.log('log', type, err.message, suppressed),
        logEveryMs: 60_000,
      });
    for (let i = 0; i < 3; i++) Promise.reject(new Error('rejected ' + i));
    setTimeout(() => { throw new Error('thrown'); }, 10);
    setTimeout(() => Promise.reject(new Error('late')), 20);
    setTimeout(() => { console.log('alive'); process.exit(0); }, 200);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

describe('crash guard', () => {
  it('without it, an unhandled rejection ends the process', () => {
    const r = run(false);
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('alive');
  });

  it('with it, every failure is counted, the log is rate-limited, and the process lives on', () => {
    const r = run(true);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l === 'count process unhandled_rejection')).toHaveLength(4);
    expect(lines.filter((l) => l === 'count process uncaught_exception')).toHaveLength(1);
    // One log line per type within the period: the first of each.
    expect(lines.filter((l) => l.startsWith('log '))).toEqual([
      'log unhandled_rejection rejected 0 0',
      'log uncaught_exception thrown 0',
    ]);
    expect(lines.at(-1)).toBe('alive');
  });
});
