import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LOG_LEVELS } from '../lib/log.js';
import { defaultConfig, type AgentConfig } from './schema.js';

/** Every problem in a configuration, reported at once. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Json = unknown;
type Check = (value: Json, path: string, errors: string[]) => Json;

const isObj = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: Json): string => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

const str: Check = (v, p, e) =>
  typeof v === 'string' && v.length > 0
    ? v
    : (e.push(`${p}: expected a non-empty string, got ${show(v)}`), undefined);
const optStr: Check = (v, p, e) => (v === null ? null : str(v, p, e));
const bool: Check = (v, p, e) =>
  typeof v === 'boolean' ? v : (e.push(`${p}: expected true or false, got ${show(v)}`), undefined);
const int =
  (min: number, max: number): Check =>
  (v, p, e) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? v
      : (e.push(`${p}: expected a whole number from ${min} to ${max}, got ${show(v)}`), undefined);
const num =
  (min: number, max: number): Check =>
  (v, p, e) =>
    typeof v === 'number' && v >= min && v <= max
      ? v
      : (e.push(`${p}: expected a number from ${min} to ${max}, got ${show(v)}`), undefined);
const oneOf =
  (values: readonly string[]): Check =>
  (v, p, e) =>
    typeof v === 'string' && values.includes(v)
      ? v
      : (e.push(`${p}: expected one of ${values.join(', ')}, got ${show(v)}`), undefined);
const strList: Check = (v, p, e) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0)
    ? v
    : (e.push(`${p}: expected a list of non-empty strings, got ${show(v)}`), undefined);
const strMap: Check = (v, p, e) =>
  isObj(v) && Object.values(v).every((x) => typeof x === 'string')
    ? v
    : (e.push(`${p}: expected a map of strings, got ${show(v)}`), undefined);

/** An IANA zone (`Europe/Vienna`) or a fixed offset (`+02:00`, `UTC`), as the runtime knows it. */
const timeZone: Check = (v, p, e) => {
  if (typeof v !== 'string' || v === '') return str(v, p, e);
  if (v === 'UTC' || /^[+-][0-9]{2}:?[0-9]{2}$/.test(v)) return v;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return v;
  } catch {
    e.push(
      `${p}: unknown time zone ${show(v)} (an IANA name such as Europe/Vienna, or an offset such as +02:00)`,
    );
    return undefined;
  }
};

/** An object with known keys; unknown keys are errors (typos must not pass silently). */
const obj =
  (shape: Record<string, Check>, nullable = false): Check =>
  (v, p, e) => {
    if (v === null && nullable) return null;
    if (!isObj(v)) return (e.push(`${p}: expected a mapping, got ${show(v)}`), undefined);
    const out: Record<string, Json> = {};
    for (const k of Object.keys(v)) {
      const check = shape[k];
      if (!check) {
        e.push(`${p ? `${p}.` : ''}${k}: unknown setting (known: ${Object.keys(shape).join(', ')})`);
        continue;
      }
      out[k] = check(v[k], p ? `${p}.${k}` : k, e);
    }
    return out;
  };

const SCHEMA = obj({
  host: str,
  stateDir: str,
  http: obj({
    address: str,
    port: int(0, 65535),
    tls: obj({ certFile: str, keyFile: str }, true),
    basicAuth: obj({ username: str, password: str, passwordFile: str }, true),
  }),
  inputs: obj({
    qmp: obj({ enabled: bool, sockets: strList, pollIntervalMs: int(100, 60_000) }),
    virsh: obj({ enabled: bool, binary: str, uri: optStr, timestamp: bool }),
    journald: obj({
      enabled: bool,
      directory: optStr,
      namespace: optStr,
      matches: strList,
      startAt: oneOf(['now', 'all']),
    }),
    libvirtLogs: obj({
      enabled: bool,
      glob: str,
      startAt: oneOf(['end', 'beginning']),
      pollIntervalMs: int(20, 60_000),
    }),
    proxmox: obj({
      enabled: bool,
      tasksDir: str,
      pveDir: str,
      timeZone: (v, p, e) => (v === null ? null : timeZone(v, p, e)),
      directory: optStr,
      namespace: optStr,
      startAt: oneOf(['now', 'all']),
      pollIntervalMs: int(100, 60_000),
    }),
  }),
  detection: obj({
    windowSeconds: num(0.1, 3600),
    resumeWaitSeconds: num(1, 86_400),
    maxOpenSessions: int(1, 1_000_000),
  }),
  recorder: obj({ maxBytes: int(64 * 1024, 64 * 1024 ** 3) }),
  metrics: obj({ vmSeriesTtlSeconds: int(60, 7 * 86_400) }),
  otlp: obj({ endpoint: optStr, headers: strMap }),
  log: obj({ level: oneOf(LOG_LEVELS) }),
});

/** Deep merge of plain objects: `over` wins, arrays and scalars replace. */
function merge(base: Json, over: Json): Json {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** Environment overrides: the settings an operator most often changes per host or per unit. */
export const ENV_OVERRIDES: Record<string, { path: string[]; parse: (s: string) => Json }> = {
  SWITCHOVER_HOST: { path: ['host'], parse: (s) => s },
  SWITCHOVER_STATE_DIR: { path: ['stateDir'], parse: (s) => s },
  SWITCHOVER_HTTP_ADDRESS: { path: ['http', 'address'], parse: (s) => s },
  SWITCHOVER_HTTP_PORT: { path: ['http', 'port'], parse: (s) => (/^\d+$/.test(s) ? Number(s) : s) },
  SWITCHOVER_QMP_SOCKETS: {
    path: ['inputs', 'qmp', 'sockets'],
    parse: (s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
  },
  SWITCHOVER_LOG_LEVEL: { path: ['log', 'level'], parse: (s) => s },
  SWITCHOVER_OTLP_ENDPOINT: { path: ['otlp', 'endpoint'], parse: (s) => s },
};

function envLayer(env: NodeJS.ProcessEnv): Record<string, Json> {
  const layer: Record<string, Json> = {};
  for (const [name, { path, parse }] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let node = layer;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, Json>;
    node[path[path.length - 1] as string] = parse(raw);
  }
  return layer;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  hostname: string;
  readFile?: (path: string) => string;
}

/** Parse, merge (defaults < file < environment) and validate; throws ConfigError listing every problem. */
export function parseConfig(text: string | null, source: string, opts: LoadOptions): AgentConfig {
  const problems: string[] = [];
  let fromFile: Json = {};
  if (text !== null) {
    try {
      fromFile = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(source, [`not valid YAML: ${(err as Error).message}`]);
    }
    if (!isObj(fromFile)) throw new ConfigError(source, ['the top level must be a mapping of settings']);
  }
  // Validate the user's layers before merging so unknown keys are reported against what they wrote.
  SCHEMA(fromFile, '', problems);
  const fromEnv = envLayer(opts.env ?? {});
  SCHEMA(fromEnv, '', problems);
  const merged = merge(merge(defaultConfig(opts.hostname), fromFile), fromEnv) as AgentConfig & {
    http: { basicAuth: (AgentConfig['http']['basicAuth'] & { passwordFile?: string }) | null };
  };
  const auth = merged.http.basicAuth;
  if (auth) {
    if (auth.passwordFile && !auth.password) {
      try {
        auth.password = (opts.readFile ?? ((p) => readFileSync(p, 'utf8')))(auth.passwordFile).trim();
      } catch (err) {
        problems.push(
          `http.basicAuth.passwordFile: cannot read ${auth.passwordFile}: ${(err as Error).message}`,
        );
      }
    }
    if (!auth.username || !auth.password)
      problems.push('http.basicAuth: needs username and password (or passwordFile)');
    delete auth.passwordFile;
  }
  const inputs = merged.inputs;
  if (inputs && !Object.values(inputs).some((i) => i?.enabled))
    problems.push(
      'inputs: no input is enabled; enable at least one of qmp, virsh, journald, libvirtLogs, proxmox',
    );
  if (merged.inputs?.journald?.directory && merged.inputs.journald.namespace)
    problems.push('inputs.journald: set either directory or namespace, not both');
  if (merged.inputs?.proxmox?.directory && merged.inputs.proxmox.namespace)
    problems.push('inputs.proxmox: set either directory or namespace, not both');
  if (problems.length > 0) throw new ConfigError(source, problems);
  return merged;
}

export function loadConfig(path: string | null, opts: LoadOptions): AgentConfig {
  if (path === null) return parseConfig(null, 'defaults and environment', opts);
  let text: string;
  try {
    text = (opts.readFile ?? ((p) => readFileSync(p, 'utf8')))(path);
  } catch (err) {
    throw new ConfigError(path, [`cannot read the configuration file: ${(err as Error).message}`]);
  }
  return parseConfig(text, path, opts);
}
