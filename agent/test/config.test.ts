import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { ConfigError, loadConfig, parseConfig, type LoadOptions } from '../src/config/load.js';
import type { AgentConfig } from '../src/config/schema.js';
import { selfSignedCert } from './helpers/tls.js';

const EXAMPLE = join(import.meta.dirname, '../../deploy/switchover.example.yaml');
const opts = { hostname: 'test-host', env: {} };

function problems(text: string, env: NodeJS.ProcessEnv = {}, extra: Partial<LoadOptions> = {}): string[] {
  try {
    parseConfig(text, 'test.yaml', { ...opts, env, ...extra });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

function warnings(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const out: string[] = [];
  parseConfig(text, 'test.yaml', { ...opts, env, onWarning: (w) => out.push(w) });
  return out;
}

let tls: ReturnType<typeof selfSignedCert>;
beforeAll(() => {
  tls = selfSignedCert();
});
afterAll(() => rmSync(tls.dir, { recursive: true, force: true }));

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
      'test.yaml:2: metrics.vmSeriesTtlSeconds: expected a whole number from 60 to 604800, got 10',
    ]);
  });

  it('fills defaults and takes the hostname when the file is minimal', () => {
    const c = parseConfig('inputs: {qmp: {enabled: true}}', 'x', opts);
    expect(c.host).toBe('test-host');
    expect(c.inputs.qmp.sockets).toEqual(['/run/switchover/*.qmp']);
    expect(c.stateDir).toBe('/var/lib/switchover');
    // Choosing QMP alone gets QMP alone.
    expect(Object.entries(c.inputs).filter(([, i]) => i.enabled)).toEqual([['qmp', c.inputs.qmp]]);
  });

  it('reports every bad value at once, one line each, with the line of the file it came from', () => {
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
        'test.yaml:2: host: expected a non-empty string, got ""',
        'test.yaml:3: http.port: expected a whole number from 0 to 65535, got 70000',
        'test.yaml:3: http.adress: unknown setting; did you mean address?',
        'test.yaml:5: inputs.qmp.enabled: expected true or false, got "yes-please"',
        'test.yaml:5: inputs.qmp.sockets: expected a list of non-empty strings, got "/run/x.qmp"',
        'test.yaml:6: inputs.journald.startAt: expected one of now, all, got "yesterday"',
        'test.yaml:6: inputs.journald: set either directory or namespace, not both',
        'test.yaml:7: detection.windowSeconds: expected a number from 0.1 to 3600, got -1',
        'test.yaml:8: log.level: expected one of debug, info, warn, error, got "loud"',
      ]),
    );
    expect(p).toHaveLength(9);
    for (const line of p) expect(line).not.toContain('\n');
  });

  it('suggests the closest known key, value and section, and lists the known ones otherwise', () => {
    expect(problems('inputs: {libvirtLog: {enabled: true}}')).toEqual([
      'test.yaml:1: inputs.libvirtLog: unknown setting; did you mean libvirtLogs?',
    ]);
    expect(problems('detection: {windowSecs: 3}')).toEqual([
      'test.yaml:1: detection.windowSecs: unknown setting; did you mean windowSeconds?',
    ]);
    expect(problems('log: {level: warning}')).toEqual([
      'test.yaml:1: log.level: expected one of debug, info, warn, error, got "warning"; did you mean warn?',
    ]);
    expect(problems('tracing: {endpoint: x}')).toEqual([
      expect.stringMatching(/^test\.yaml:1: tracing: unknown setting \(known: host, stateDir, http, inputs/),
    ]);
    // A key that Object has (constructor, __proto__) is not a setting either.
    expect(problems('constructor: 1\n__proto__: {host: x}')).toEqual([
      expect.stringMatching(/^test\.yaml:1: constructor: unknown setting/),
      expect.stringMatching(/^test\.yaml:2: __proto__: unknown setting/),
    ]);
  });

  it('applies environment overrides over the file; a bad one names the variable, not the file', () => {
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
    expect(
      problems('inputs: {qmp: {enabled: true}}', {
        SWITCHOVER_HTTP_PORT: 'ninety',
        SWITCHOVER_QMP_SOCKETS: '/run/*/vm.qmp',
        SWITCHOVER_LOG_LEVEL: 'verbose',
        SWITCHOVER_OTLP_ENDPOINT: 'collector:4318',
      }),
    ).toEqual([
      'environment variable SWITCHOVER_HTTP_PORT: http.port: expected a whole number from 0 to 65535, got "ninety"',
      'environment variable SWITCHOVER_LOG_LEVEL: log.level: expected one of debug, info, warn, error, got "verbose"',
      'environment variable SWITCHOVER_QMP_SOCKETS: inputs.qmp.sockets: glob /run/*/vm.qmp: wildcards are only supported in the file name',
      'environment variable SWITCHOVER_OTLP_ENDPOINT: otlp.endpoint: "collector:4318": OTLP/HTTP needs an http:// or https:// URL, not collector:',
    ]);
    // The standard OpenTelemetry variables are checked when they are the ones in use.
    expect(problems('{}', { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toEqual([
      'environment variable OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint: "not a url" is not a URL (expected http://HOST:4318 or https://…)',
    ]);
    expect(
      problems('otlp: {endpoint: "http://c:4318"}', { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }),
    ).toEqual([]);
  });

  it('warns about an unknown SWITCHOVER_ variable, with the closest real one', () => {
    expect(warnings('{}', { SWITCHOVER_HTTP_PROT: '1', SWITCHOVER_ZZZ: '' })).toEqual([
      'environment variable SWITCHOVER_HTTP_PROT is not a setting and is ignored; did you mean SWITCHOVER_HTTP_PORT?',
      'environment variable SWITCHOVER_ZZZ is not a setting and is ignored',
    ]);
  });

  it('an empty file follows libvirt; explicitly disabling everything is an error', () => {
    const c = parseConfig('', 'empty.yaml', opts);
    expect(c.inputs.virsh.enabled).toBe(true);
    expect(c.inputs.libvirtLogs.enabled).toBe(true);
    expect(c.inputs.qmp.enabled).toBe(false);
    expect(c.inputs.journald.enabled).toBe(false);
    expect(parseConfig('inputs: {journald: {enabled: true}}', 'x', opts).inputs.virsh.enabled).toBe(false);
    expect(parseConfig('inputs: {virsh: {enabled: false}}', 'x', opts).inputs.libvirtLogs.enabled).toBe(true);
    expect(problems('inputs: {virsh: {enabled: false}, libvirtLogs: {enabled: false}}')).toEqual([
      'test.yaml:1: inputs: no input is enabled; enable at least one of qmp, virsh, journald, libvirtLogs, proxmox',
    ]);
  });

  it('reads the basic-auth password from a file', () => {
    const c = parseConfig(
      'inputs: {virsh: {enabled: true}}\nhttp: {basicAuth: {username: prom, passwordFile: /etc/pw}}',
      'x',
      { ...opts, readFile: (p) => (p === '/etc/pw' ? 's3cret\n' : readFileSync(p, 'utf8')) },
    );
    expect(c.http.basicAuth).toEqual({ username: 'prom', password: 's3cret' });
    expect(problems('http: {basicAuth: {username: prom, passwordFile: /nonexistent/pw}}')).toEqual([
      expect.stringMatching(
        /^test\.yaml:1: http\.basicAuth\.passwordFile: cannot read \/nonexistent\/pw: ENOENT/,
      ),
      'test.yaml:1: http.basicAuth: needs username and password (or passwordFile)',
    ]);
  });

  it('names the file when it cannot be read or parsed', () => {
    expect(() => loadConfig('/nonexistent/agent.yaml', opts)).toThrow(
      /\/nonexistent\/agent.yaml[\s\S]*cannot read/,
    );
    expect(problems('a: [')).toEqual([expect.stringMatching(/^test\.yaml:1: not valid YAML: /)]);
    expect(problems('host: a\nhost: b\n')).toEqual(['test.yaml:2: not valid YAML: Map keys must be unique']);
  });
});

/** Issue 9.10: configurations `--check` used to pass, that then failed at start or ran broken. */
describe('config: what the agent would fail on later is a problem now', () => {
  it.each([
    [
      'a wildcard in a QMP glob directory',
      'inputs: {qmp: {enabled: true, sockets: ["/run/*/vm.qmp"]}}',
      'test.yaml:1: inputs.qmp.sockets: glob /run/*/vm.qmp: wildcards are only supported in the file name',
    ],
    [
      'a wildcard in the libvirt log glob directory',
      'inputs: {libvirtLogs: {glob: "/var/log/*/qemu/*.log"}}',
      'test.yaml:1: inputs.libvirtLogs.glob: glob /var/log/*/qemu/*.log: wildcards are only supported in the file name',
    ],
    [
      'an empty QMP socket list',
      'inputs:\n  qmp:\n    enabled: true\n    sockets: []',
      'test.yaml:4: inputs.qmp.sockets: the list is empty; give at least one socket glob such as /run/switchover/*.qmp',
    ],
    [
      'an OTLP endpoint without a scheme',
      'otlp: {endpoint: "collector:4318"}',
      'test.yaml:1: otlp.endpoint: "collector:4318": OTLP/HTTP needs an http:// or https:// URL, not collector:',
    ],
    [
      'an OTLP endpoint that is no URL',
      'otlp: {endpoint: "not a url"}',
      'test.yaml:1: otlp.endpoint: "not a url" is not a URL (expected http://HOST:4318 or https://…)',
    ],
    [
      'an address with a port',
      'http: {address: "0.0.0.0:9464"}',
      'test.yaml:1: http.address: "0.0.0.0:9464" is neither an IP address nor a host name (the port goes in http.port)',
    ],
    [
      'an IPv6 address in brackets',
      'http: {address: "[::1]"}',
      'test.yaml:1: http.address: "[::1]" is neither an IP address nor a host name (write IPv6 addresses without brackets)',
    ],
    [
      'TLS without its key',
      'http:\n  tls: {certFile: /etc/switchover/tls.crt}',
      'test.yaml:2: http.tls.keyFile: missing',
    ],
    [
      'a journal match that is not one',
      'inputs: {journald: {enabled: true, matches: [qemu-system-x86_64]}}',
      'test.yaml:1: inputs.journald.matches: "qemu-system-x86_64" is not a journalctl match (FIELD=VALUE, "+", or an executable path)',
    ],
  ])('%s', (_name, text, expected) => {
    expect(problems(text)).toEqual([expected]);
  });

  it('TLS files that cannot be read or do not belong together', () => {
    expect(problems('http: {tls: {certFile: /nonexistent/c.pem, keyFile: /nonexistent/k.pem}}')).toEqual([
      expect.stringMatching(/^test\.yaml:1: http\.tls\.certFile: cannot read \/nonexistent\/c\.pem: ENOENT/),
      expect.stringMatching(/^test\.yaml:1: http\.tls\.keyFile: cannot read \/nonexistent\/k\.pem: ENOENT/),
    ]);
    const other = selfSignedCert();
    try {
      expect(problems(`http: {tls: {certFile: ${tls.certFile}, keyFile: ${other.keyFile}}}`)).toEqual([
        expect.stringMatching(/^test\.yaml:1: http\.tls: the certificate and key cannot be used together: /),
      ]);
      expect(problems(`http: {tls: {certFile: ${tls.certFile}, keyFile: ${tls.keyFile}}}`)).toEqual([]);
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });

  it('a state directory that is a file', () => {
    const file = join(tls.dir, 'not-a-dir');
    writeFileSync(file, '');
    expect(problems(`stateDir: ${file}`)).toEqual([
      `test.yaml:1: stateDir: ${file} exists and is not a directory`,
    ]);
    mkdirSync(join(tls.dir, 'state'));
    expect(problems(`stateDir: ${join(tls.dir, 'state')}`)).toEqual([]);
  });

  it('basic auth without TLS on a non-loopback address is a warning, not a problem', () => {
    const auth = 'basicAuth: {username: prom, password: pw}';
    expect(warnings(`http: {address: 0.0.0.0, ${auth}}`)).toEqual([
      'test.yaml:1: http.basicAuth: basic auth without http.tls on 0.0.0.0: the password crosses the network in clear text; set http.tls or bind to 127.0.0.1',
    ]);
    expect(warnings(`http: {address: 127.0.0.1, ${auth}}`)).toEqual([]);
    expect(warnings(`http: {address: "::1", ${auth}}`)).toEqual([]);
    expect(
      warnings(
        `http: {address: 0.0.0.0, ${auth}, tls: {certFile: ${tls.certFile}, keyFile: ${tls.keyFile}}}`,
      ),
    ).toEqual([]);
  });
});

describe('the example configuration and an empty one agree', () => {
  /** Every setting the example shows, with its value and whether it is marked as an example. */
  function documented(): { path: string[]; value: unknown; example: boolean }[] {
    const doc = parseDocument(readFileSync(EXAMPLE, 'utf8'));
    const out: { path: string[]; value: unknown; example: boolean }[] = [];
    const walk = (node: Node | null, path: string[]): void => {
      if (isMap(node) && node.items.length > 0) {
        for (const p of node.items)
          walk(p.value as Node | null, [...path, String((p.key as { value: unknown }).value)]);
        return;
      }
      const comment = (isScalar(node) || isSeq(node) || isMap(node) ? node.comment : undefined) ?? '';
      out.push({ path, value: node === null ? null : node.toJSON(), example: /^\s*example\b/.test(comment) });
    };
    walk(doc.contents as Node, []);
    return out;
  }

  it('every value the example gives as a default is what an empty file gives', () => {
    const empty = parseConfig('', 'empty.yaml', opts) as unknown as Record<string, unknown>;
    const settings = documented();
    expect(settings.length).toBeGreaterThan(25);
    const at = (path: string[]): unknown =>
      path.reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], empty);
    const defaults = settings.filter((s) => !s.example);
    for (const s of defaults) expect(at(s.path), s.path.join('.')).toEqual(s.value);
    // Only a few values are examples, and each is a real setting.
    const examples = settings.filter((s) => s.example).map((s) => s.path.join('.'));
    expect(examples.length).toBeLessThanOrEqual(3);
    for (const s of settings.filter((x) => x.example))
      expect(at(s.path), s.path.join('.')).not.toBeUndefined();
  });
});

/** Random configurations: the loader returns a configuration or a ConfigError, nothing else. */
describe('property: any configuration gives a result or one-line problems, never a crash', () => {
  const key = fc.constantFrom(
    'host',
    'stateDir',
    'http',
    'address',
    'port',
    'tls',
    'basicAuth',
    'inputs',
    'qmp',
    'virsh',
    'journald',
    'libvirtLogs',
    'enabled',
    'sockets',
    'glob',
    'otlp',
    'endpoint',
    'headers',
    'log',
    'level',
    '__proto__',
    'constructor',
    'toString',
  );
  const leaf = fc.oneof(
    fc.string(),
    fc.constantFrom('/run/*/x.qmp', 'http://c:4318', 'collector:4318', '', '0.0.0.0', 'debug', '/a/*.log'),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
  );
  const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.dictionary(key, tie('node'), { maxKeys: 4 })),
  })).node;
  const envVar = fc.dictionary(
    fc.constantFrom(
      'SWITCHOVER_HTTP_PORT',
      'SWITCHOVER_QMP_SOCKETS',
      'SWITCHOVER_OTLP_ENDPOINT',
      'SWITCHOVER_X',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    ),
    fc.string(),
    { maxKeys: 3 },
  );

  it('holds for 2000 random files and environments', () => {
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 6 }), envVar, (file, env) => {
        let config: AgentConfig | undefined;
        try {
          config = parseConfig(JSON.stringify(file), 'random.yaml', { ...opts, env, readFile: () => 'x' });
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          const p = (err as ConfigError).problems;
          expect(p.length).toBeGreaterThan(0);
          for (const line of p)
            expect(line).toMatch(/^(random\.yaml(:\d+)?|environment variable [A-Z_]+): [^\n]+$/);
          return;
        }
        expect(typeof config.host).toBe('string');
        expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
        expect(({} as Record<string, unknown>).host).toBeUndefined();
      }),
      { numRuns: Number(process.env.CONFIG_RUNS ?? 2000) },
    );
  });
});
