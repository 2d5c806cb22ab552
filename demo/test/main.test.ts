import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEMO_HELP, demoMain } from '../src/main.js';
import { SCENARIOS } from '../src/scenarios.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await demoMain(argv, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    isTTY: false,
    env: {},
  });
  return { code, out, err };
}

describe('demo command line', () => {
  it('prints its help', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: npm run demo');
  });

  it('rejects unknown scenarios and options with exit code 2 and the help', async () => {
    const bad = await run('--only', 'everything');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown scenario everything');
    const opt = await run('--frobnicate');
    expect(opt.code).toBe(2);
    expect(opt.err).toContain('Usage: npm run demo');
  });

  it('the help lists exactly the scenarios the demo runs', () => {
    const listed = /subset of: (.*)/.exec(DEMO_HELP)?.[1]?.split(', ');
    expect(listed).toEqual(SCENARIOS.map((s) => s.key));
  });

  it('`npm run demo -- --help` prints the help before anything is installed or built', () => {
    const script = new URL('../../scripts/demo.sh', import.meta.url).pathname;
    const out = execFileSync('bash', [script, '--help'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(out).toBe(DEMO_HELP);
  });
});

/** Two consecutive free loopback ports (the demo's two agents listen on PORT and PORT+1). */
async function twoFreePorts(): Promise<number> {
  const { createServer } = await import('node:net');
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await free(p)) && (await free(p + 1))) return p;
  }
}

describe('demo run (real QEMU)', () => {
  // Regression: the loud failure left a 120 s QMP wait behind and the demo hung ~110 s after its summary.
  it('the loud failure: exits right after its summary and says where things were and what next', async () => {
    const { spawn } = await import('node:child_process');
    const bin = new URL('../bin/demo.js', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [bin, '--only', 'failed', '--no-color', '--port', String(await twoFreePorts())],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let summaryAt = 0;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (!summaryAt && out.includes('\nSummary\n')) summaryAt = Date.now();
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const exitedAfterSummaryMs = Date.now() - summaryAt;
    expect(code, out).toBe(0);
    expect(summaryAt, out).toBeGreaterThan(0);
    expect(out).toMatch(/demo-ram-mismatch +failed/);
    expect(exitedAfterSummaryMs, out).toBeLessThan(8000);
    expect(out).toContain('/metrics and /api/migrations (stopped with the demo)');
    expect(out).toContain('(removed; run with --keep');
    expect(out).toContain('dashboards/RUNBOOK.md');
    expect(out).toContain('deploy/README.md');
  }, 90_000);
});
