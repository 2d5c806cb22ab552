import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/config/load.js';

const EXAMPLE = join(import.meta.dirname, '../../deploy/switchover.example.yaml');
const opts = { hostname: 'test-host', env: {} };

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'test.yaml', { ...opts, env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('loads the documented example', () => {
    const c = loadConfig(EXAMPLE, opts);
    // The example leaves `host` unset, so one file serves every hypervisor: it defaults to the hostname.
    expect(c.host).toBe('test-host');
    expect(c.inputs.virsh).toEqual({
      enabled: true,
      binary: 'virsh',
      uri: 'qemu:///system',
      timestamp: false,
    });
    expect(c.detection.windowSeconds).toBe(30);
    expect(c.metrics.vmSeriesTtlSeconds).toBe(3600);
    expect(c.http).toEqual({ address: '127.0.0.1', port: 9464, tls: null, basicAuth: null });
  });

  it('bounds the lifetime of per-VM series', () => {
    expect(parseConfig('inputs: {qmp: {enabled: true}}', 'x', opts).metrics.vmSeriesTtlSeconds).toBe(3600);
    expect(
      parseConfig('inputs: {qmp: {enabled: true}}\nmetrics: {vmSeriesTtlSeconds: 600}', 'x', opts).metrics,
    ).toEqual({ vmSeriesTtlSeconds: 600 });
    expect(problems('inputs: {qmp: {enabled: true}}\nmetrics: {vmSeriesTtlSeconds: 10}')).toEqual([
      'metrics.vmSeriesTtlSeconds: expected a whole number from 60 to 604800, got 10',
    ]);
  });

  it('fills defaults and takes the hostname when the file is minimal', () => {
    const c = parseConfig('inputs: {qmp: {enabled: true}}', 'x', opts);
    expect(c.host).toBe('test-host');
    expect(c.inputs.qmp.sockets).toEqual(['/run/switchover/*.qmp']);
    expect(c.stateDir).toBe('/var/lib/switchover');
  });

  it('reports every bad value at once', () => {
    const p = problems(`
host: ""
http: {port: 70000, adress: 0.0.0.0}
inputs:
  qmp: {enabled: yes-please, sockets: /run/x.qmp}
  journald: {enabled: true, startAt: yesterday, directory: /a, namespace: b}
detection: {windowSeconds: -1}
log: {level: loud}
`);
    expect(p).toEqual(
      expect.arrayContaining([
        'host: expected a non-empty string, got ""',
        'http.port: expected a whole number from 0 to 65535, got 70000',
        expect.stringContaining('http.adress: unknown setting'),
        'inputs.qmp.enabled: expected true or false, got "yes-please"',
        'inputs.qmp.sockets: expected a list of non-empty strings, got "/run/x.qmp"',
        'inputs.journald.startAt: expected one of now, all, got "yesterday"',
        'inputs.journald: set either directory or namespace, not both',
        'detection.windowSeconds: expected a number from 0.1 to 3600, got -1',
        'log.level: expected one of debug, info, warn, error, got "loud"',
      ]),
    );
    expect(p).toHaveLength(9);
  });

  it('applies environment overrides over the file and validates them too', () => {
    const c = parseConfig('inputs: {qmp: {enabled: true}}\nhttp: {port: 1}', 'x', {
      ...opts,
      env: {
        SWITCHOVER_HTTP_PORT: '9999',
        SWITCHOVER_QMP_SOCKETS: '/a/*.qmp, /b/*.qmp',
        SWITCHOVER_HOST: 'hv-b',
      },
    });
    expect(c.http.port).toBe(9999);
    expect(c.inputs.qmp.sockets).toEqual(['/a/*.qmp', '/b/*.qmp']);
    expect(c.host).toBe('hv-b');
    expect(problems('inputs: {qmp: {enabled: true}}', { SWITCHOVER_HTTP_PORT: 'ninety' })).toEqual([
      'http.port: expected a whole number from 0 to 65535, got "ninety"',
    ]);
  });

  it('requires an input and reads the basic-auth password from a file', () => {
    expect(problems('{}')).toEqual([expect.stringContaining('no input is enabled')]);
    const c = parseConfig(
      'inputs: {virsh: {enabled: true}}\nhttp: {basicAuth: {username: prom, passwordFile: /etc/pw}}',
      'x',
      { ...opts, readFile: (p) => (p === '/etc/pw' ? 's3cret\n' : readFileSync(p, 'utf8')) },
    );
    expect(c.http.basicAuth).toEqual({ username: 'prom', password: 's3cret' });
  });

  it('names the file when it cannot be read or parsed', () => {
    expect(() => loadConfig('/nonexistent/agent.yaml', opts)).toThrow(
      /\/nonexistent\/agent.yaml[\s\S]*cannot read/,
    );
    expect(problems('a: [')).toEqual([expect.stringContaining('not valid YAML')]);
  });
});
