import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, until } from '@switchover/testbed';

/** The project's rule files as committed (dashboards/prometheus/rules). */
export const RULES_DIR = resolve(import.meta.dirname, '../../../dashboards/prometheus/rules');
const BUILD_RULES = resolve(import.meta.dirname, '../../../dashboards/scripts/build-rules.mjs');

/**
 * Renders the rules with some CONFIG values changed (`destinationUnverifiedFor: '3s'`) into `dir`,
 * with the project's own generator: for tests that cannot wait out a production `for`.
 */
export function renderRules(dir: string, overrides: Record<string, string>): string {
  const set = Object.entries(overrides).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const r = spawnSync(process.execPath, [BUILD_RULES, '--out', dir, ...set], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-rules failed: ${r.stderr}`);
  return dir;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

export interface Prometheus {
  url: string;
  /** Instant query; the result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  alerts(): Promise<PrometheusAlert[]>;
  /** Resolves once every `job="switchover"` target has been scraped at least once. */
  scraped(targets: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus (Debian's 2.42) scraping the given agents every second as job `switchover` and
 * evaluating `ruleFiles` every second. Its first scrape comes ~5.5 s after start (target discovery
 * is throttled to 5 s), which `scraped()` waits out.
 */
export async function startPrometheus(o: {
  dir: string;
  targets: string[];
  ruleFiles: string[];
}): Promise<Prometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(o.dir, 'prometheus.yml'),
    [
      'global: {scrape_interval: 1s, evaluation_interval: 1s}',
      `rule_files: [${o.ruleFiles.map((f) => `'${f}'`).join(', ')}]`,
      'scrape_configs:',
      '  - job_name: switchover',
      `    static_configs: [{targets: [${o.targets.map((t) => `'${t}'`).join(', ')}]}]`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(o.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(o.dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${url}${path}`);
    return ((await r.json()) as { data: T }).data;
  };
  const query = (expr: string) =>
    get<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    ).then((d) => d.result);
  return {
    url,
    query,
    alerts: () => get<{ alerts: PrometheusAlert[] }>('/api/v1/alerts').then((d) => d.alerts),
    scraped: async (targets, timeoutMs = 30_000) => {
      await until(
        `Prometheus to scrape ${targets} agent(s)`,
        timeoutMs,
        async () => {
          return (await query('up{job="switchover"}')).length >= targets;
        },
        250,
      );
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
