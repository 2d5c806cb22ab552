import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Session } from '@switchover/model';

/** One simulated hypervisor: its own directories and its own agent process. */
export interface DemoHost {
  name: string;
  dir: string;
  /** Agent-facing QMP sockets (the agent watches `*.qmp` here). */
  qmpDir: string;
  /** Orchestrator QMP sockets (libvirt's monitor in real life). */
  orchDir: string;
  /** QEMU stderr per VM, tailed like /var/log/libvirt/qemu. */
  logDir: string;
  port: number;
  agent: ChildProcess | null;
  agentLog: string;
}

export function prepareHost(root: string, name: string, port: number): DemoHost {
  const dir = join(root, name);
  const h: DemoHost = {
    name,
    dir,
    qmpDir: join(dir, 'qmp'),
    orchDir: join(dir, 'orchestrator'),
    logDir: join(dir, 'log'),
    port,
    agent: null,
    agentLog: join(dir, 'agent.log'),
  };
  for (const d of [h.qmpDir, h.orchDir, h.logDir, join(dir, 'state')]) mkdirSync(d, { recursive: true });
  return h;
}

/** Write the host's agent config: QMP sockets + "libvirt" logs, a short attribution window for the demo. */
export function writeAgentConfig(h: DemoHost, windowSeconds: number): string {
  const path = join(h.dir, 'agent.yaml');
  writeFileSync(
    path,
    [
      `host: ${h.name}`,
      `stateDir: ${join(h.dir, 'state')}`,
      `http: {address: 127.0.0.1, port: ${h.port}}`,
      'inputs:',
      `  qmp: {enabled: true, sockets: ['${join(h.qmpDir, '*.qmp')}']}`,
      `  libvirtLogs: {enabled: true, glob: '${join(h.logDir, '*.log')}', startAt: beginning, pollIntervalMs: 100}`,
      `detection: {windowSeconds: ${windowSeconds}}`,
      'log: {level: info}',
      '',
    ].join('\n'),
  );
  return path;
}

export function startAgent(h: DemoHost, cliPath: string, configPath: string, logFd: number): ChildProcess {
  h.agent = spawn(process.execPath, [cliPath, 'agent', '--config', configPath], {
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
  });
  return h.agent;
}

export async function waitHealthy(h: DemoHost, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${h.port}/healthz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    if (h.agent?.exitCode !== null) throw new Error(`the agent of ${h.name} exited (see ${h.agentLog})`);
    await sleep(100);
  }
  throw new Error(`the agent of ${h.name} did not become healthy within ${timeoutMs} ms (see ${h.agentLog})`);
}

/** The host's agent's current `/metrics` text (read with `sampleValue` / `inputUp`). */
export async function metricsOf(h: DemoHost): Promise<string> {
  return (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
}

export async function sessionsOf(h: DemoHost): Promise<Session[]> {
  const r = await fetch(`http://127.0.0.1:${h.port}/api/migrations?format=sessions`);
  if (!r.ok) throw new Error(`${h.name}: /api/migrations answered ${r.status}`);
  return ((await r.json()) as { sessions: Session[] }).sessions;
}

export async function stopAgent(h: DemoHost): Promise<void> {
  const a = h.agent;
  if (!a || a.exitCode !== null) return;
  const exited = new Promise((r) => a.once('exit', r));
  a.kill('SIGTERM');
  const t = setTimeout(() => a.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}
