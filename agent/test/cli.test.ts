import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { VERSION } from '../src/cli/version.js';

const run = (...argv: string[]) => runCli(argv);

describe('switchover CLI', () => {
  it('prints help and version for the program and every command', async () => {
    expect(await run('--help')).toMatchObject({ code: 0, out: expect.stringContaining('Commands:') });
    expect((await run()).code).toBe(2);
    expect(await run('--version')).toEqual({ code: 0, out: `switchover ${VERSION}\n`, err: '' });
    for (const cmd of ['agent', 'review']) {
      const help = await run(cmd, '--help');
      expect(help.code).toBe(0);
      expect(help.out).toContain(`Usage: switchover ${cmd}`);
      expect(await run(cmd, '--version')).toMatchObject({ code: 0, out: `switchover ${VERSION}\n` });
    }
  });

  it('rejects unknown commands and options with exit code 2 and the help', async () => {
    const unknown = await run('migrate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "migrate"');
    const opt = await run('agent', '--frobnicate');
    expect(opt.code).toBe(2);
    expect(opt.err).toContain('Usage: switchover agent');
  });

  it('checks a configuration without starting, and reports every problem of a bad one', async () => {
    const ok = await run(
      'agent',
      '--config',
      new URL('../../deploy/switchover.example.yaml', import.meta.url).pathname,
      '--check',
    );
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('configuration is valid');
    const missing = await run('agent', '--config', '/nonexistent.yaml');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('/nonexistent.yaml');
  });
});
