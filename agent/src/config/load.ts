import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import {
  bool,
  int,
  timeZone,
  isObj,
  num,
  obj,
  oneOf,
  optStr,
  str,
  strList,
  strMap,
  type Json,
  type Problem,
} from './checks.js';
import { envLayer, type EnvLayer } from './env.js';
import { LOG_LEVELS } from '../lib/log.js';
import { defaultConfig, type AgentConfig } from './schema.js';
import { checkSemantics } from './semantic.js';

export { ENV_OVERRIDES } from './env.js';

/**
 * Every problem in a configuration, reported at once: one self-contained line each, saying where
 * the value came from (`FILE:LINE` or the environment variable), the setting, and what is wrong.
 */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const SCHEMA = obj({
  host: str,
  stateDir: str,
  http: obj({
    address: str,
    port: int(0, 65535),
    tls: obj({ certFile: str, keyFile: str }, true, ['certFile', 'keyFile']),
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

/** Deep merge of mappings: `over` wins, lists and scalars replace. Keys are data (`__proto__` too). */
function merge(base: Json, over: Json): Json {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Record<string, Json> = {};
  const set = (k: string, v: Json): void =>
    void Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const k of Object.keys(base)) set(k, base[k]);
  for (const k of Object.keys(over)) set(k, merge(Object.hasOwn(base, k) ? base[k] : undefined, over[k]));
  return out;
}

const has = (tree: Json, ...path: string[]): boolean => {
  let node = tree;
  for (const k of path) {
    if (!isObj(node) || !Object.hasOwn(node, k)) return false;
    node = node[k];
  }
  return true;
};

/**
 * The inputs of a libvirt host, virsh and libvirtLogs, are on unless set: an empty configuration
 * follows libvirt, the usual case. Choosing qmp, journald or proxmox turns that off, so that a
 * configuration enabling only those gets only those.
 */
function applyInputDefaults(merged: Json, layers: Json[]): void {
  const inputs = isObj(merged) && isObj(merged.inputs) ? merged.inputs : undefined;
  if (!inputs) return;
  const on = (name: string): boolean => isObj(inputs[name]) && inputs[name].enabled === true;
  if (on('qmp') || on('journald') || on('proxmox')) return;
  for (const name of ['virsh', 'libvirtLogs'])
    if (isObj(inputs[name]) && !layers.some((l) => has(l, 'inputs', name, 'enabled')))
      inputs[name].enabled = true;
}

/** The YAML file as a tree, and the line of each setting for the messages. */
interface FileLayer {
  tree: Record<string, Json>;
  lineOf(path: string): number | undefined;
}

function parseFile(text: string, source: string): FileLayer {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0)
    throw new ConfigError(
      source,
      doc.errors.map((e) => `${source}:${lines.linePos(e.pos[0]).line}: not valid YAML: ${e.message}`),
    );
  const tree: Json = doc.toJS() ?? {};
  if (!isObj(tree)) throw new ConfigError(source, [`${source}: the top level must be a mapping of settings`]);
  return {
    tree,
    lineOf: (path) => {
      // The deepest part of the path the file has: a missing key is reported at its parent.
      const keys = path === '' ? [] : path.split('.');
      for (let n = keys.length; n > 0; n--) {
        const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return lines.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

/** One problem as printed: where the value came from, the setting, and what is wrong with it. */
function formatter(source: string, file: FileLayer | null, env: EnvLayer): (p: Problem) => string {
  return (p) => {
    let where: string;
    const fromEnv =
      p.variable ??
      [...env.origins].find(([path]) => p.path === path || p.path.startsWith(`${path}.`))?.[1].name;
    if (fromEnv) where = `environment variable ${fromEnv}`;
    else {
      const line = file?.lineOf(p.path);
      where = line === undefined ? source : `${source}:${line}`;
    }
    return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
  };
}

/** In file order (as an editor shows them), then what the environment set. */
function sortByLine(lines: string[], source: string): string[] {
  const lineOf = (l: string): number => {
    if (!l.startsWith(`${source}:`)) return l.startsWith(`${source}: `) ? 0 : Infinity;
    const n = parseInt(l.slice(source.length + 1), 10);
    return Number.isNaN(n) ? 0 : n;
  };
  return lines
    .map((l, i) => ({ l, i, n: lineOf(l) }))
    .sort((a, b) => a.n - b.n || a.i - b.i)
    .map((x) => x.l);
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  hostname: string;
  readFile?: (path: string) => string;
  /** Settings that work but are probably not what was meant (a line each, like a problem's). */
  onWarning?: (line: string) => void;
}

/**
 * Parse, merge (defaults < file < environment) and validate: types, then what the agent would fail
 * on later. Throws ConfigError listing every problem; warnings go to `onWarning`.
 */
export function parseConfig(text: string | null, source: string, opts: LoadOptions): AgentConfig {
  const file = text === null ? null : parseFile(text, source);
  const env = envLayer(opts.env ?? {});
  const merged = merge(merge(defaultConfig(opts.hostname), file?.tree ?? {}), env.tree);
  applyInputDefaults(merged, [file?.tree ?? {}, env.tree]);
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const config = SCHEMA(merged, '', problems) as AgentConfig;
  checkSemantics(
    config,
    { env: opts.env ?? {}, readFile: opts.readFile ?? ((p) => readFileSync(p, 'utf8')) },
    problems,
    warnings,
  );
  for (const u of env.unknown)
    warnings.push({
      path: '',
      message: `environment variable ${u.name} is not a setting and is ignored${u.suggestion ? `; did you mean ${u.suggestion}?` : ''}`,
    });
  const format = formatter(source, file, env);
  for (const w of warnings) opts.onWarning?.(w.path ? format(w) : w.message);
  if (problems.length > 0) throw new ConfigError(source, sortByLine(problems.map(format), source));
  return config;
}

export function loadConfig(path: string | null, opts: LoadOptions): AgentConfig {
  if (path === null) return parseConfig(null, 'defaults and environment', opts);
  let text: string;
  try {
    text = (opts.readFile ?? ((p) => readFileSync(p, 'utf8')))(path);
  } catch (err) {
    throw new ConfigError(path, [`${path}: cannot read the configuration file: ${(err as Error).message}`]);
  }
  return parseConfig(text, path, opts);
}
