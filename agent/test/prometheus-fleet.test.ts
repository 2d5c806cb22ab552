/**
 * The fleet blind spot end to end: two in-process agents (hv-a, hv-b), real QEMU 7.2 migrations
 * hv-a -> hv-b, and a real Prometheus scraping both and evaluating the project's fleet rules.
 * - Both agents up: Prometheus pairs the sides (verdict succeeded) and
 *   QemuMigrationDestinationUnverified never fires for the VM. (It may go pending for a scrape
 *   interval: the two hosts are scraped at different moments, which is what `for` absorbs.)
 * - hv-b's agent stopped: the source completes, nobody reports the destination, and the alert fires
 *   naming the VM, the source host and the peer the source QEMU connected to.
 * The rules are the committed mixin rendered with one change: the alert's `for` is 6 s instead of
 * 5 m (dashboards/scripts/build-rules.mjs --set), so the test takes seconds.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMigrationStatus, until, type QemuProcess } from '@switchover/testbed';
import type { Agent } from '../src/daemon/agent.js';
import { startTestAgent } from './helpers/agents.js';
import { startMigrationPair } from './helpers/migration-pair.js';
import { renderRules, startPrometheus, type Prometheus } from './helpers/prometheus.js';

const ALERT = 'QemuMigrationDestinationUnverified';
/**
 * Longer than the moment both sides can look unpaired right after a migration: the destination's
 * series wait out the agent's 2 s role grace (or its 1 s window here), and the two hosts are
 * scraped a second apart at most.
 */
const FOR_SECONDS = 6;
let root: string;
let hvA: Agent;
let hvB: Agent;
let prometheus: Prometheus;
const qemus: QemuProcess[] = [];
const target = (a: Agent): string => new URL(a.url as string).host;

const agentOn = (host: string) =>
  startTestAgent({ host, dir: join(root, host), windowSeconds: 1, logGlob: join(root, host, '*.log') });

/** Migrate `vm` from hv-a to hv-b for real, as libvirt would (`cont` on the destination afterwards). */
async function migrate(vm: string, watchers: { agent: Agent; host: string }[]): Promise<void> {
  const { srcO, dstO, port } = await startMigrationPair({
    root,
    vm,
    source: 'hv-a',
    destination: 'hv-b',
    watchers,
    started: qemus,
  });
  const dstDone = dstO.waitForEvent(isMigrationStatus('completed'), 20_000);
  await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
  await dstDone;
}

const verdictOf = async (vm: string): Promise<Record<string, string> | undefined> =>
  (await prometheus.query(`vm:qemu_migration_verdict:latest{vm="${vm}"}`))[0]?.metric;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'switchover-fleet-'));
  for (const h of ['hv-a', 'hv-b'])
    for (const d of ['qmp', 'orch']) mkdirSync(join(root, h, d), { recursive: true });
  hvA = await agentOn('hv-a');
  hvB = await agentOn('hv-b');
  const rules = renderRules(join(root, 'rules'), { destinationUnverifiedFor: `${FOR_SECONDS}s` });
  prometheus = await startPrometheus({
    dir: root,
    targets: [target(hvA), target(hvB)],
    ruleFiles: [join(rules, 'switchover-fleet.yaml')],
  });
  await prometheus.scraped(2);
});

afterAll(async () => {
  await Promise.all(qemus.map((q) => q.kill()));
  await prometheus?.stop();
  await hvA?.stop();
  await hvB?.stop().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe('fleet pairing with a real Prometheus and real migrations', () => {
  it('both agents up: the sides pair as succeeded and the alert does not fire', async () => {
    await migrate('vm-both', [
      { agent: hvA, host: 'hv-a' },
      { agent: hvB, host: 'hv-b' },
    ]);
    const paired = await until('Prometheus to pair vm-both', 20_000, async () => {
      const m = await verdictOf('vm-both');
      return m?.verdict === 'succeeded' ? m : null;
    });
    expect(paired).toMatchObject({ source_instance: target(hvA), destination_instance: target(hvB) });
    // Longer than the alert's `for`: had the source stayed unpaired, the alert would have fired by now.
    await sleep((FOR_SECONDS + 2) * 1000);
    const fired = await prometheus.query(
      `max_over_time(ALERTS{alertname="${ALERT}", alertstate="firing", vm="vm-both"}[5m])`,
    );
    expect(fired).toEqual([]);
  });

  it("destination agent stopped: the source's completed migration pages as unverified", async () => {
    await hvB.stop();
    await migrate('vm-alone', [{ agent: hvA, host: 'hv-a' }]);
    const firing = await until(`${ALERT} to fire for vm-alone`, 30_000, async () =>
      (await prometheus.alerts()).find(
        (a) => a.labels.alertname === ALERT && a.labels.vm === 'vm-alone' && a.state === 'firing',
      ),
    );
    expect(firing.labels).toMatchObject({ severity: 'warning', instance: target(hvA) });
    // The source QEMU's outgoing connection named its peer (tcp:127.0.0.1:PORT).
    expect(firing.annotations.description).toContain(
      'completed a live migration of VM vm-alone to 127.0.0.1',
    );
    // The migration before keeps its pairing though its destination agent is gone (pairing memory).
    expect(await verdictOf('vm-both')).toMatchObject({ verdict: 'succeeded' });
    const alerts = (await prometheus.alerts()).filter((a) => a.labels.alertname === ALERT);
    expect(alerts.map((a) => a.labels.vm)).toEqual(['vm-alone']);
  });
});
