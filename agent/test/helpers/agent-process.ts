/**
 * The built agent as a child process (`bin/switchover.js agent --config FILE`), for tests that must
 * see what an operator sees: the process staying up, its HTTP endpoints, its exit, and a SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Session } from '@switchover/model';
import { until } from '@switchover/testbed';

export const CLI = fileURLToPath(new URL('../../bin/switchover.js', import.meta.url));

export interface AgentProcess {
  child: ChildProcess;
  /** Resolves with the exit code (null after a signal). */
  exit: Promise<number | null>;
  stderr(): string;
  url: string;
  alive(): boolean;
  get<T>(path: string): Promise<{ status: number; body: T }>;
  text(path: string): Promise<string>;
  sessions(): Promise<Session[]>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Writes `dir/agent.yaml` for an agent process serving 127.0.0.1:`port`, and returns its path.
 * `inputs` are YAML lines under `inputs:` (indented by the caller), `extra` further top-level lines.
 */
export function writeAgentConfig(o: {
  dir: string;
  host: string;
  stateDir: string;
  port: number;
  inputs: string[];
  extra?: string[];
}): string {
  const file = join(o.dir, 'agent.yaml');
  const head = [`host: ${o.host}`, `stateDir: ${o.stateDir}`, `http: {address: 127.0.0.1, port: ${o.port}}`];
  writeFileSync(file, [...head, 'inputs:', ...o.inputs, ...(o.extra ?? [])].join('\n'));
  return file;
}

/** A libvirt domain-log input line for `writeAgentConfig`: `dir/*.log`, read from the start, fast polls. */
export const libvirtLogsInput = (dir: string): string =>
  `  libvirtLogs: {enabled: true, glob: '${join(dir, '*.log')}', startAt: beginning, pollIntervalMs: 50}`;

/** Starts the agent and waits until `/healthz` answers (any status). */
export async function startAgentProcess(
  config: string,
  port: number,
  env: NodeJS.ProcessEnv = {},
): Promise<AgentProcess> {
  let err = '';
  const child = spawn(process.execPath, [CLI, 'agent', '--config', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', ...env },
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const p: AgentProcess = {
    child,
    exit,
    stderr: () => err,
    url,
    alive: () => child.exitCode === null && child.signalCode === null,
    async get<T>(path: string) {
      const res = await fetch(`${url}${path}`);
      return { status: res.status, body: (await res.json()) as T };
    },
    async text(path: string) {
      return (await fetch(`${url}${path}`)).text();
    },
    async sessions() {
      return (await p.get<{ sessions: Session[] }>('/api/migrations?format=sessions')).body.sessions;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (p.alive()) child.kill(signal);
      return exit;
    },
  };
  const state = await until('the agent to listen', 20_000, async () =>
    !p.alive() ? 'exited' : (await fetch(`${url}/healthz`).catch(() => null)) !== null && 'listening',
  ).catch((e: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${e.message}; agent stderr: ${err}`);
  });
  if (state === 'exited') throw new Error(`the agent exited (code ${child.exitCode}): ${err}`);
  return p;
}
