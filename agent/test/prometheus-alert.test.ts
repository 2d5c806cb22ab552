/**
 * A real Prometheus scrapes a real agent and evaluates the project's alert rules: a silent destination
 * failure written into the destination's log makes QemuMigrationSilentDestinationFailure fire, naming
 * the VM, the device and the host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/daemon/agent.js';
import { startTestAgent } from './helpers/agents.js';
import { freePort } from '@switchover/testbed';

const RULES = resolve(import.meta.dirname, '../../dashboards/prometheus/rules/switchover-alerts.yaml');
let root: string;
let agent: Agent;
let prometheus: ChildProcess;
let promUrl: string;

interface Alert {
  labels: Record<string, string>;
  state: string;
}

async function alerts(): Promise<Alert[]> {
  const r = await fetch(`${promUrl}/api/v1/alerts`);
  return ((await r.json()) as { data: { alerts: Alert[] } }).data.alerts;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'switchover-prom-'));
  mkdirSync(join(root, 'logs'));
  agent = await startTestAgent({
    host: 'hv-b',
    dir: join(root, 'hv-b'),
    logGlob: join(root, 'logs', '*.log'),
    windowSeconds: 30,
  });
  const agentTarget = new URL(agent.url as string).host;
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(root, 'prometheus.yml'),
    [
      'global: {scrape_interval: 1s, evaluation_interval: 1s}',
      `rule_files: ['${RULES}']`,
      'scrape_configs:',
      `  - job_name: switchover`,
      `    static_configs: [{targets: ['${agentTarget}']}]`,
      '',
    ].join('\n'),
  );
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(root, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(root, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
});

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  await agent?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('alerting with a real Prometheus', () => {
  it('fires QemuMigrationSilentDestinationFailure for a silent failure, naming VM, device and host', async () => {
    // Wait for Prometheus to scrape the agent (its first scrape comes after ~5 s in 2.42).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = (await fetch(`${promUrl}/api/v1/query?query=up{job="switchover"}`)
        .then((x) => x.json())
        .catch(() => null)) as { data?: { result: unknown[] } } | null;
      if (r?.data?.result.length) break;
      if (Date.now() > deadline) throw new Error('Prometheus never scraped the agent');
      await sleep(250);
    }
    expect(
      (await alerts()).filter((a) => a.labels.alertname === 'QemuMigrationSilentDestinationFailure'),
    ).toEqual([]);
    // A destination's QEMU log: the incoming migration (QEMU 7.2 trace lines), then the VFIO failure line.
    const t = Date.now() / 1000;
    const trace = (dt: number, state: string) =>
      `4242@${(t + dt).toFixed(6)}:migrate_set_state new state ${state}`;
    const log = join(root, 'logs', 'vm-prom.log');
    appendFileSync(log, `${trace(0, 'active')}\n${trace(0.5, 'completed')}\n`);
    await sleep(300);
    appendFileSync(
      log,
      '0000:3b:00.1: Failed setting device state to RUNNING, err: Input/output error. Recover state is ERROR. Resetting device\n',
    );
    const until = Date.now() + 30_000;
    let firing: Alert | undefined;
    while (!firing && Date.now() < until) {
      firing = (await alerts()).find(
        (a) => a.labels.alertname === 'QemuMigrationSilentDestinationFailure' && a.state === 'firing',
      );
      if (!firing) await sleep(500);
    }
    expect(firing?.labels).toMatchObject({
      vm: 'vm-prom',
      device: '0000:3b:00.1',
      severity: 'critical',
      job: 'switchover',
      instance: new URL(agent.url as string).host,
    });
  });
});
