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
