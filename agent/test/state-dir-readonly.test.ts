/**
 * Regression (issue 9.9), a fault test that stays: a real agent process whose state directory is a
 * read-only bind mount reported itself healthy while it saved nothing. Now `/healthz` answers 503
 * `degraded` with the reason, `switchover_state_writable` is 0, one log line says so (not one per
 * observation), detection goes on, and no input position is saved; when the directory becomes
 * writable again all of that flips back once, and what the agent saw is saved.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '@switchover/model';
import { bindReadOnly, freePort, mountUnavailable, sampleValue, unmount, until } from '@switchover/testbed';
import {
  libvirtLogsInput,
  startAgentProcess,
  writeAgentConfig,
  type AgentProcess,
} from './helpers/agent-process.js';
import { libvirtHeader, libvirtTime } from './helpers/libvirt-lines.js';

let root: string;
let agent: AgentProcess | undefined;
let mounted = false;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sw-ro-'));
  for (const d of ['logs', 'state']) mkdirSync(join(root, d));
});
afterAll(async () => {
  await agent?.kill();
  if (mounted) unmount(join(root, 'state'));
  rmSync(root, { recursive: true, force: true });
});

const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

describe.skipIf(mountUnavailable() !== null)('a real agent on a read-only state directory', () => {
  it('reports it once, keeps detecting, saves no position, and recovers when it is writable again', async () => {
    const state = join(root, 'state');
    bindReadOnly(state);
    mounted = true;
    const port = await freePort();
    const config = writeAgentConfig({
      dir: root,
      host: 'hv-src',
      stateDir: state,
      port,
      inputs: ['  virsh: {enabled: false}', libvirtLogsInput(join(root, 'logs'))],
    });
    const log = join(root, 'logs', 'vm-ro.log');
    const t0 = Date.now() - 60_000;
    writeFileSync(log, `${libvirtHeader({ vm: 'vm-ro', t0 }).join('\n')}\n`);
    agent = await startAgentProcess(config, port);
    // Known at start (its first snapshot), not only after the first observation.
    expect((await agent.get('/healthz')).status).toBe(503);
    appendFileSync(
      log,
      `${libvirtTime(t0 + 10_000)}: initiating migration\n${libvirtTime(t0 + 12_000)}: shutting down, reason=migrated\n`,
    );
    // Detection goes on without a disk.
    const session = await until('the migration to be followed', 10_000, async () =>
      (await agent!.sessions()).find((s) => s.vm === 'vm-ro' && s.closed),
    );
    const health = await agent.get<{ status: string; stateDir: { writable: boolean; error?: string } }>(
      '/healthz',
    );
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({
      status: 'degraded',
      healthy: false,
      running: true,
      stateDir: { writable: false },
    });
    expect(health.body.stateDir.error).toMatch(/EROFS|read-only/i);
    expect(sampleValue(await agent.text('/metrics'), METRICS.stateWritable)).toBe(0);
    for (let i = 0; i < 20; i++)
      appendFileSync(log, `2024-11-19T03:26:48.${100 + i}Z qemu-system-x86_64: noise ${i}\n`);
    await sleep(500);
    expect(count(agent.stderr(), /state directory not writable/)).toBe(1);
    expect(existsSync(join(state, 'libvirt-log-positions.json'))).toBe(false);

    unmount(state);
    mounted = false;
    await until(
      'the agent to report itself healthy again',
      15_000,
      async () => (await agent!.get('/healthz')).status === 200,
    );
    expect(sampleValue(await agent.text('/metrics'), METRICS.stateWritable)).toBe(1);
    expect(count(agent.stderr(), /state directory writable again/)).toBe(1);
    // Positions are saved once a snapshot holds what was seen while nothing could be written.
    await until('the log position to be saved', 15_000, () =>
      existsSync(join(state, 'libvirt-log-positions.json')),
    );

    await agent.kill('SIGKILL');
    agent = await startAgentProcess(config, port);
    const after = await until('the restarted agent to know the migration', 10_000, async () =>
      (await agent!.sessions()).find((s) => s.vm === 'vm-ro'),
    );
    expect(after).toMatchObject({ id: session.id, outcome: 'completed', closed: true });
    // HTTP answers while the inputs still start (503 until then): healthy once they have.
    await until(
      'the restarted agent to be healthy',
      10_000,
      async () => (await agent!.get('/healthz')).status === 200,
    );
    expect(await agent.kill('SIGTERM')).toBe(0);
    agent = undefined;
  });
});
