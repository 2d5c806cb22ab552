/**
 * `switchover agent --check` (issue 9.10 and issue 10's configuration items): configurations that
 * used to pass the check and then fail at start or run broken are refused, every problem on one
 * line naming where it came from, never a stack trace; typos get the closest option.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, until } from '@switchover/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchover-check-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function check(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml);
  return { file, ...(await runCli(['agent', '--config', file, '--check'], { env })) };
}

const NO_STACK = /^\s+at |Error:|TypeError|RangeError/m;

describe('agent --check refuses what would fail later', () => {
  it('reports every problem of a broken configuration at once, one line each, no stack', async () => {
    const r = await check(
      [
        'inputs:',
        '  qmp: {enabled: true, sockets: []}',
        '  libvirtLogs: {enabled: true, glob: /var/log/*/qemu/*.log}',
        'otlp: {endpoint: "collector:4318"}',
        'http: {adress: 0.0.0.0}',
        '',
      ].join('\n'),
      { SWITCHOVER_HTTP_PORT: 'ninety' },
    );
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).not.toMatch(NO_STACK);
    expect(r.err.trimEnd().split('\n')).toEqual([
      `switchover agent: ${r.file}:2: inputs.qmp.sockets: the list is empty; give at least one socket glob such as /run/switchover/*.qmp`,
      `switchover agent: ${r.file}:3: inputs.libvirtLogs.glob: glob /var/log/*/qemu/*.log: wildcards are only supported in the file name`,
      `switchover agent: ${r.file}:4: otlp.endpoint: "collector:4318": OTLP/HTTP needs an http:// or https:// URL, not collector:`,
      `switchover agent: ${r.file}:5: http.adress: unknown setting; did you mean address?`,
      'switchover agent: environment variable SWITCHOVER_HTTP_PORT: http.port: expected a whole number from 0 to 65535, got "ninety"',
      'switchover agent: 5 problems in the configuration; nothing was started',
    ]);
  });

  it.each([
    ['a wildcard in a glob directory', 'inputs: {qmp: {enabled: true, sockets: ["/run/*/x.qmp"]}}'],
    ['an empty QMP socket list', 'inputs: {qmp: {enabled: true, sockets: []}}'],
    ['a bad OTLP URL', 'otlp: {endpoint: "ftp://collector"}'],
    ['TLS without a key', 'http: {tls: {certFile: /etc/x.pem}}'],
    ['a mapping where a section goes', 'http: 5'],
    ['null sections', 'http: null\ninputs: null'],
    ['not YAML', 'inputs: [\n'],
    ['a list at the top', '- a\n- b\n'],
  ])('%s: exit 2 with one-line problems', async (_name, yaml) => {
    const r = await check(yaml);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).not.toMatch(NO_STACK);
    for (const line of r.err.trimEnd().split('\n')) expect(line).toMatch(/^switchover agent: \S/);
  });

  it('prints warnings with a valid configuration, and masks secrets', async () => {
    const r = await check(
      'http: {address: 0.0.0.0, basicAuth: {username: prom, password: hunter2}}\notlp: {endpoint: "http://c:4318", headers: {authorization: "Bearer s3cret"}}\n',
      { SWITCHOVER_LOG_LEVL: 'debug' },
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('configuration is valid');
    expect(r.out).not.toMatch(/hunter2|s3cret/);
    expect(r.err.trimEnd().split('\n')).toEqual([
      `switchover agent: warning: ${r.file}:1: http.basicAuth: basic auth without http.tls on 0.0.0.0: the password crosses the network in clear text; set http.tls or bind to 127.0.0.1`,
      'switchover agent: warning: environment variable SWITCHOVER_LOG_LEVL is not a setting and is ignored; did you mean SWITCHOVER_LOG_LEVEL?',
    ]);
  });

  it('an empty file is valid and follows libvirt, as the example says', async () => {
    const r = await check('');
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.out.slice(r.out.indexOf('{'))) as {
      inputs: Record<string, { enabled: boolean }>;
    };
    expect(Object.entries(shown.inputs).map(([k, v]) => [k, v.enabled])).toEqual([
      ['qmp', false],
      ['virsh', true],
      ['journald', false],
      ['libvirtLogs', true],
      ['proxmox', false],
    ]);
  });
});

describe('unknown options and commands suggest the closest one', () => {
  it.each([
    [['agent', '--chek'], 'switchover agent: unknown option --chek; did you mean --check?'],
    [['agent', '--conf=/x'], 'switchover agent: unknown option --conf; did you mean --config?'],
    [['review', '--hots', 'a=b'], 'switchover review: unknown option --hots; did you mean --host?'],
    [['review', '--no-colour'], 'switchover review: unknown option --no-colour; did you mean --no-color?'],
    [['agent', '--verbose'], 'switchover agent: unknown option --verbose\n'],
    [['reveiw'], 'switchover: unknown command "reveiw"; did you mean review?'],
    [['agnet'], 'switchover: unknown command "agnet"; did you mean agent?'],
  ])('%j', async (argv, expected) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(expected);
    expect(r.err).toContain('Usage: switchover');
  });
});

describe('the running agent', () => {
  it('logs the configuration warnings at start (basic auth in clear text on a non-loopback address)', async () => {
    const port = await freePort();
    const file = join(dir, 'warn.yaml');
    await writeFile(
      file,
      `stateDir: ${join(dir, 'state')}\nhttp: {address: 0.0.0.0, port: ${port}, basicAuth: {username: u, password: p}}\n` +
        `inputs: {libvirtLogs: {enabled: true, glob: ${join(dir, 'logs', '*.log')}}, virsh: {enabled: false}}\n`,
    );
    const cli = fileURLToPath(new URL('../bin/switchover.js', import.meta.url));
    const child = spawn(process.execPath, [cli, 'agent', '--config', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until('agent started', 15_000, () => stderr.includes('agent started'));
      expect(stderr).toMatch(
        /warn .*http\.basicAuth: basic auth without http\.tls on 0\.0\.0\.0: the password crosses the network in clear text/,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
