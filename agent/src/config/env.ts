import { closest } from '../lib/closest.js';
import type { Json } from './checks.js';

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

const PREFIX = 'SWITCHOVER_';

export interface EnvLayer {
  /** The overrides as a partial configuration tree. */
  tree: Record<string, Json>;
  /** Dotted path → the variable that set it, so a problem there names the variable, not the file. */
  origins: Map<string, { name: string; raw: string }>;
  /** `SWITCHOVER_*` variables that set nothing (typos), with the closest real one. */
  unknown: { name: string; suggestion: string | undefined }[];
}

export function envLayer(env: NodeJS.ProcessEnv): EnvLayer {
  const tree: Record<string, Json> = {};
  const origins = new Map<string, { name: string; raw: string }>();
  for (const [name, { path, parse }] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let node = tree;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, Json>;
    node[path[path.length - 1] as string] = parse(raw);
    origins.set(path.join('.'), { name, raw });
  }
  const unknown = Object.keys(env)
    .filter((n) => n.startsWith(PREFIX) && !Object.hasOwn(ENV_OVERRIDES, n))
    .sort()
    .map((name) => {
      // Compared without the shared prefix, which would make every name look close.
      const near = closest(
        name.slice(PREFIX.length),
        Object.keys(ENV_OVERRIDES).map((n) => n.slice(PREFIX.length)),
      );
      return { name, suggestion: near === undefined ? undefined : PREFIX + near };
    });
  return { tree, origins, unknown };
}
