/**
 * Per-VM series on a real agent's /metrics: a source migration read from its QEMU log (7.2 trace lines,
 * with the outgoing connection naming the peer) exports start, end and peer; a restarted agent on the
 * same state directory exports them again from its flight recorder, so Prometheus sees no gap in
 * what this host vouched for.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '@switchover/model';
import { sampleValue, until } from '@switchover/testbed';
import type { Agent } from '../src/daemon/agent.js';
import { startTestAgent } from './helpers/agents.js';

let root: string;
const agents: Agent[] = [];

const start = () =>
  startTestAgent({ host: 'hv-a', dir: join(root, 'hv-a'), logGlob: join(root, 'logs', '*.log') }).then(
    (a) => {
      agents.push(a);
      return a;
    },
  );
const scrape = async (a: Agent): Promise<string> => (await fetch(`${a.url}/metrics`)).text();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'switchover-vmseries-'));
  mkdirSync(join(root, 'logs'));
});

afterAll(async () => {
  for (const a of agents) await a.stop().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe('per-VM series of a real agent', () => {
  it('exports a source migration with its peer, and again after a restart', async () => {
    const agent = await start();
    const t = Date.now() / 1000;
    const trace = (dt: number, body: string) => `4242@${(t + dt).toFixed(6)}:${body}`;
    appendFileSync(
      join(root, 'logs', 'vm-out.log'),
      [
        trace(0, 'migrate_set_state new state setup'),
        trace(0.0005, 'migration_socket_outgoing_connected hostname=hv-b.example.net'),
        trace(0.01, 'migrate_set_state new state active'),
        trace(0.4, 'migrate_set_state new state completed'),
        '',
      ].join('\n'),
    );
    const labels = { vm: 'vm-out', role: 'source' };
    const ended = await until('the source session to end', 10_000, async () => {
      const text = await scrape(agent);
      return sampleValue(text, METRICS.vmSessionEnd, labels) !== undefined ? text : null;
    });
    expect(sampleValue(ended, METRICS.vmSessionStart, labels)).toBeCloseTo(t, 3);
    expect(
      sampleValue(ended, METRICS.vmSessionEnd, { ...labels, outcome: 'completed', verdict: 'unverified' }),
    ).toBeCloseTo(t + 0.4, 3);
    expect(sampleValue(ended, METRICS.vmPeerInfo, { ...labels, peer: 'hv-b.example.net' })).toBe(1);

    await agent.stop();
    const again = await start();
    const text = await scrape(again);
    expect(sampleValue(text, METRICS.vmSessionStart, labels)).toBeCloseTo(t, 3);
    expect(sampleValue(text, METRICS.vmSessionEnd, { ...labels, outcome: 'completed' })).toBeCloseTo(
      t + 0.4,
      3,
    );
    expect(sampleValue(text, METRICS.vmPeerInfo, { ...labels, peer: 'hv-b.example.net' })).toBe(1);
  });
});
