/**
 * Regression (issue 9.7): after a restart an input resumes from its saved position, which may lag
 * what the recorder already holds (positions are saved after recording, coalesced, and a SIGKILL can
 * drop the last write). Those lines were recorded a second time and correlated again: libvirt's
 * `initiating migration` read again opened a bogus in-progress session with the id of the finished
 * one, which replaced it in `/api/migrations`. Here the position file is rolled back to before the
 * migration's lines, as such a crash leaves it, and a real agent process is restarted on it.
 */
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, METRICS } from '@switchover/model';
import { freePort, sampleValue, until } from '@switchover/testbed';
import {
  libvirtLogsInput,
  startAgentProcess,
  writeAgentConfig,
  type AgentProcess,
} from './helpers/agent-process.js';
import { libvirtHeader, libvirtTime } from './helpers/libvirt-lines.js';

let root: string;
let agent: AgentProcess | undefined;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sw-dups-'));
  for (const d of ['logs', 'state']) mkdirSync(join(root, d));
});
afterAll(async () => {
  await agent?.kill();
  rmSync(root, { recursive: true, force: true });
});

const positions = (): string => join(root, 'state', 'libvirt-log-positions.json');
const recordedObservations = (): number =>
  readdirSync(join(root, 'state'))
    .filter((f) => f.startsWith('recorder-'))
    .flatMap((f) => readFileSync(join(root, 'state', f), 'utf8').split('\n'))
    .filter((l) => l.startsWith('{"t":"obs"')).length;

describe('a restart with input positions behind the recorder', () => {
  it('skips and counts what the input delivers again: no bogus session, nothing recorded twice', async () => {
    const port = await freePort();
    const config = writeAgentConfig({
      dir: root,
      host: 'hv-src',
      stateDir: join(root, 'state'),
      port,
      inputs: ['  virsh: {enabled: false}', libvirtLogsInput(join(root, 'logs'))],
    });
    const log = join(root, 'logs', 'vm-dup.log');
    const t0 = Date.now() - 60_000;
    writeFileSync(log, `${libvirtHeader({ vm: 'vm-dup', t0 }).join('\n')}\n`);
    agent = await startAgentProcess(config, port);
    await until('the header to be read', 10_000, async () => {
      const p = JSON.parse(readFileSync(positions(), 'utf8')) as { files: Record<string, { line: number }> };
      return p.files[log]?.line === libvirtHeader({ vm: 'vm-dup', t0 }).length;
    });
    const before = join(root, 'positions-before.json');
    copyFileSync(positions(), before);

    appendFileSync(
      log,
      `${libvirtTime(t0 + 10_000)}: initiating migration\n${libvirtTime(t0 + 12_000)}: shutting down, reason=migrated\n`,
    );
    const finished = await until('the migration to close', 10_000, async () =>
      (await agent!.sessions()).find((s) => s.vm === 'vm-dup' && s.closed),
    );
    expect(finished.outcome).toBe('completed');
    await sleep(300); // its position saved after it
    const recorded = recordedObservations();
    await agent.kill('SIGKILL');
    // What a crash may leave: the position of the lines before the migration.
    copyFileSync(before, positions());

    agent = await startAgentProcess(config, port);
    await until('the lines to be read again', 10_000, async () => {
      const p = JSON.parse(readFileSync(positions(), 'utf8')) as { files: Record<string, { line: number }> };
      return (p.files[log]?.line ?? 0) > libvirtHeader({ vm: 'vm-dup', t0 }).length;
    });
    await sleep(500);
    const sessions = (await agent.sessions()).filter((s) => s.vm === 'vm-dup');
    expect(sessions).toEqual([finished]);
    const migrations = (await agent.get<{ migrations: { id: string; verdict: string }[] }>('/api/migrations'))
      .body.migrations;
    expect(migrations.map((m) => [m.id, m.verdict])).toEqual([[finished.id, 'unverified']]);
    const metrics = await agent.text('/metrics');
    expect(sampleValue(metrics, METRICS.duplicateObservations, { [LABELS.input]: 'libvirt-log' })).toBe(2);
    expect(sampleValue(metrics, METRICS.inProgress, { [LABELS.role]: 'source' })).toBe(0);
    expect(recordedObservations()).toBe(recorded);
    expect(await agent.kill('SIGTERM')).toBe(0);
    agent = undefined;
  });
});
