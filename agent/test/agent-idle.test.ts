/**
 * Issue 9.12, the behaviour behind the idle footprint (the figures are the benchmark's): an agent
 * with nothing happening writes nothing. It used to append a snapshot of the whole correlator state
 * to the flight recorder every 5 s, changed or not, which on a host with 500 VMs is CPU, disk and
 * recorder space spent on the same bytes. A change is still snapshotted.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type AgentConfig } from '../src/config/schema.js';
import { Agent } from '../src/daemon/agent.js';
import { silentLogger } from '../src/lib/log.js';
import { until } from '@switchover/testbed';

let dir: string;
let agent: Agent | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sw-idle-'));
  await mkdir(path.join(dir, 'logs'));
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function recorderBytes(): Promise<number> {
  const state = path.join(dir, 'state');
  let total = 0;
  for (const f of await readdir(state).catch(() => [] as string[]))
    if (f.startsWith('recorder-')) total += (await stat(path.join(state, f))).size;
  return total;
}

describe('an idle agent', () => {
  it('appends no snapshot while nothing changes, and one after a change', async () => {
    const log = path.join(dir, 'logs', 'vm1.log');
    await writeFile(log, '2026-01-10 08:00:00.000+0000: starting up libvirt version: 9.0.0\n');
    const base = defaultConfig('hv-idle');
    const config: AgentConfig = {
      ...base,
      stateDir: path.join(dir, 'state'),
      http: { ...base.http, port: 0 },
      inputs: {
        ...base.inputs,
        libvirtLogs: { ...base.inputs.libvirtLogs, enabled: true, glob: path.join(dir, 'logs', '*.log') },
      },
    };
    agent = new Agent(config, { logger: silentLogger, version: 'test', env: {}, snapshotEveryMs: 100 });
    await agent.start();
    // The first snapshot after start (there was input: the file's first line).
    await sleep(400);
    const settled = await recorderBytes();
    await sleep(1000); // ten snapshot periods with nothing new
    expect(await recorderBytes()).toBe(settled);
    // A change is recorded, and snapshotted once more.
    await appendFile(log, '-name guest=vm1,debug-threads=on \\\n');
    await until('the change recorded', 5000, async () => (await recorderBytes()) > settled).catch(
      () => undefined,
    );
    expect(await recorderBytes()).toBeGreaterThan(settled);
  });
});
