/**
 * A real Prometheus scrapes a real agent and evaluates the project's alert rules: a silent destination
 * failure written into the destination's log makes QemuMigrationSilentDestinationFailure fire, naming
 * the VM, the device and the host.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/daemon/agent.js';
import { startTestAgent } from './helpers/agents.js';
import { RULES_DIR, startPrometheus, type Prometheus, type PrometheusAlert } from './helpers/prometheus.js';

let root: string;
let agent: Agent;
let prometheus: Prometheus;
const alerts = (): Promise<PrometheusAlert[]> => prometheus.alerts();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'switchover-prom-'));
  mkdirSync(join(root, 'logs'));
  agent = await startTestAgent({
    host: 'hv-b',
    dir: join(root, 'hv-b'),
    logGlob: join(root, 'logs', '*.log'),
    windowSeconds: 30,
  });
  prometheus = await startPrometheus({
    dir: root,
    targets: [new URL(agent.url as string).host],
    ruleFiles: [join(RULES_DIR, 'switchover-alerts.yaml')],
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await agent?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('alerting with a real Prometheus', () => {
  it('fires QemuMigrationSilentDestinationFailure for a silent failure, naming VM, device and host', async () => {
    // Prometheus 2.42 scrapes the agent for the first time ~5 s after it starts.
    await prometheus.scraped(1);
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
    let firing: PrometheusAlert | undefined;
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
