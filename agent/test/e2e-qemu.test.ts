/**
 * Real QEMU 7.2 migrations over loopback (TCG). The test is the orchestrator on one QMP monitor of each
 * QEMU; each "host" has its own in-process agent on a second monitor, with its own state directory, and
 * exports spans to an in-process OTLP receiver.
 */
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS, pairSessions, SPANS, type Migration } from '@switchover/model';
import type { Agent } from '../src/daemon/agent.js';
import { isMigrationStatus, type QemuProcess, sampleValue, until } from '@switchover/testbed';
import { startTestAgent } from './helpers/agents.js';
import { startMigrationPair } from './helpers/migration-pair.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';

const FAILURE_LINE =
  '0000:3b:00.1: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error';
let root: string;
let otlp: OtlpReceiver;
let hvA: Agent;
let hvB: Agent;
const qemus: QemuProcess[] = [];

const metrics = async (a: Agent): Promise<string> => a.registry.metrics();

/** Start both QEMUs of one migration hv-a -> hv-b; both agents attach through their watched QMP directories. */
const pair = (vm: string, opts: { dstRamMb?: number; paused?: boolean } = {}) =>
  startMigrationPair({
    root,
    vm,
    source: 'hv-a',
    destination: 'hv-b',
    watchers: [
      { agent: hvA, host: 'hv-a' },
      { agent: hvB, host: 'hv-b' },
    ],
    started: qemus,
    ...opts,
  });

function migrationOf(vm: string): Migration | undefined {
  const sessions = [...hvA.recorder.sessions(), ...hvB.recorder.sessions()].filter((s) => s.vm === vm);
  return pairSessions(sessions)[0];
}

const settled = (vm: string) => () => {
  const m = migrationOf(vm);
  return m && m.source?.closed && m.destination?.closed ? m : null;
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'switchover-e2e-'));
  otlp = await startOtlpReceiver();
  for (const h of ['hv-a', 'hv-b'])
    for (const d of ['qmp', 'orch']) mkdirSync(join(root, h, d), { recursive: true });
  hvA = await startTestAgent({
    host: 'hv-a',
    dir: join(root, 'hv-a'),
    otlpUrl: otlp.url,
    windowSeconds: 1,
    logGlob: join(root, 'hv-a', '*.log'),
  });
  hvB = await startTestAgent({
    host: 'hv-b',
    dir: join(root, 'hv-b'),
    otlpUrl: otlp.url,
    windowSeconds: 1,
    logGlob: join(root, 'hv-b', '*.log'),
  });
});

afterAll(async () => {
  await Promise.all(qemus.map((q) => q.kill()));
  await hvA?.stop();
  await hvB?.stop();
  await otlp?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('real QEMU 7.2 migrations, one agent per host', () => {
  it('a successful migration: sessions on both sides, verdict succeeded, metrics and spans', async () => {
    const { srcO, dstO, port, uuid } = await pair('vm-ok');
    const dstDone = dstO.waitForEvent(isMigrationStatus('completed'), 20_000);
    await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    await dstDone;
    const m = await until('both sides to close', 15_000, settled('vm-ok'));
    expect(m.verdict).toBe('succeeded');
    expect(m.vmUuid).toBe(uuid);
    expect(m.source).toMatchObject({
      host: 'hv-a',
      role: 'source',
      outcome: 'completed',
      qemuVersion: expect.stringMatching(/^7\.2\./),
    });
    expect(m.destination).toMatchObject({ host: 'hv-b', role: 'destination', outcome: 'completed' });
    expect(m.source?.totalTimeMs).toBeGreaterThan(0);
    expect(m.source?.downtimeMs).not.toBeNull();
    expect(m.source?.stopTime).not.toBeNull();
    expect(m.destination?.resumeTime).not.toBeNull();
    expect(m.source?.returnPath.shut).toBe(0);

    const a = await metrics(hvA);
    const b = await metrics(hvB);
    expect(sampleValue(a, METRICS.sessions, { role: 'source', outcome: 'completed' })).toBe(1);
    expect(sampleValue(b, METRICS.sessions, { role: 'destination', outcome: 'completed' })).toBe(1);
    expect(sampleValue(a, `${METRICS.duration}_count`, { role: 'source' })).toBe(1);
    expect(sampleValue(a, `${METRICS.downtime}_count`)).toBe(1);
    expect(sampleValue(a, METRICS.returnPathShut, { value: '0' })).toBe(1);
    expect(sampleValue(b, METRICS.inProgress, { role: 'destination' })).toBe(0);
    expect(sampleValue(b, METRICS.silentDestinationFailures)).toBeUndefined();

    const spans = await otlp.waitFor(
      (all) =>
        all.filter((s) => s.name === SPANS.migration && s.attributes['vm.name'] === 'vm-ok').length === 2,
      15_000,
    );
    const roots = spans.filter((s) => s.name === SPANS.migration && s.attributes['vm.name'] === 'vm-ok');
    const srcRoot = roots.find((s) => s.attributes['migration.role'] === 'source');
    const dstRoot = roots.find((s) => s.attributes['migration.role'] === 'destination');
    expect(srcRoot?.resource).toMatchObject({ 'service.name': 'switchover-agent', 'host.name': 'hv-a' });
    expect(dstRoot?.resource).toMatchObject({ 'host.name': 'hv-b' });
    expect(srcRoot?.attributes).toMatchObject({
      'vm.uuid': uuid,
      'migration.outcome': 'completed',
      'qemu.version': expect.stringMatching(/^7\.2/),
    });
    expect(srcRoot?.status.code).not.toBe(2);
    const phases = spans
      .filter((s) => s.name === SPANS.phase && s.parentSpanId === srcRoot?.spanId)
      .map((s) => s.attributes['migration.phase']);
    expect(phases).toEqual(expect.arrayContaining(['setup', 'active']));
  });

  it('the silent destination failure: the VFIO line after RESUME (libvirt flow) is caught live by the destination agent', async () => {
    // libvirt's flow: the destination starts paused and runs only after `cont`, which prints the failure line.
    const { srcO, dstO, port } = await pair('vm-gpu', { paused: true });
    const dstDone = dstO.waitForEvent(isMigrationStatus('completed'), 20_000);
    await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    await dstDone;
    const resumed = dstO.waitForEvent((e) => e.event === 'RESUME', 5000);
    await dstO.execute('cont');
    await resumed;
    appendFileSync(join(root, 'hv-b', 'vm-gpu.log'), `${FAILURE_LINE}\n`);
    await until(
      'the silent failure counter',
      5000,
      async () =>
        sampleValue(await metrics(hvB), METRICS.silentDestinationFailures, {
          vm: 'vm-gpu',
          device: '0000:3b:00.1',
        }) === 1,
    );
    const m = await until('both sides to close', 15_000, settled('vm-gpu'));
    expect(m.verdict).toBe('silent-destination-failure');
    expect(m.failedDevices).toEqual(['0000:3b:00.1']);
    expect(m.source?.outcome).toBe('completed');
    expect(m.destination?.outcome).toBe('completed-with-device-failure');
    expect(
      sampleValue(await metrics(hvB), METRICS.sessions, {
        role: 'destination',
        outcome: 'completed-with-device-failure',
      }),
    ).toBe(1);
    const spans = await otlp.waitFor(
      (all) =>
        all.some(
          (s) =>
            s.name === SPANS.migration &&
            s.attributes['vm.name'] === 'vm-gpu' &&
            s.attributes['migration.role'] === 'destination',
        ),
      15_000,
    );
    const dstRoot = spans.find(
      (s) =>
        s.name === SPANS.migration &&
        s.attributes['vm.name'] === 'vm-gpu' &&
        s.attributes['migration.role'] === 'destination',
    );
    expect(dstRoot?.status.code).toBe(2);
    expect(dstRoot?.events.some((e) => e.attributes['qemu.log.line'] === FAILURE_LINE)).toBe(true);
  });

  it('libvirt logs rotated (destination) and copy-truncated (source) during a migration: the failure is still caught, once', async () => {
    const { srcO, dstO, port } = await pair('vm-rot', { paused: true });
    await srcO.execute('migrate-set-parameters', { 'max-bandwidth': 200_000 });
    const dstDone = dstO.waitForEvent(isMigrationStatus('completed'), 30_000);
    await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    await until(
      'the migration to be active',
      10_000,
      async () => ((await srcO.execute('query-migrate')) as { status: string }).status === 'active',
    );
    // Destination: logrotate-style rename + create (virtlogd writes to the new file from now on).
    const dstLog = join(root, 'hv-b', 'vm-rot.log');
    renameSync(dstLog, `${dstLog}.1`);
    writeFileSync(dstLog, '');
    // Source: copytruncate (QEMU keeps its fd; O_APPEND writes continue at the new end).
    const srcLog = join(root, 'hv-a', 'vm-rot.log');
    copyFileSync(srcLog, `${srcLog}.1`);
    truncateSync(srcLog, 0);
    await dstDone;
    const resumed = dstO.waitForEvent((e) => e.event === 'RESUME', 5000);
    await dstO.execute('cont');
    await resumed;
    appendFileSync(dstLog, `${FAILURE_LINE}\n`);
    const m = await until('both sides to close', 20_000, settled('vm-rot'));
    expect(m.verdict).toBe('silent-destination-failure');
    expect(m.failedDevices).toEqual(['0000:3b:00.1']);
    expect(m.destination?.evidence.filter((e) => e.text === FAILURE_LINE)).toHaveLength(1);
    expect(m.source?.returnPath.shut).toBe(0);
    expect(
      sampleValue(await metrics(hvB), METRICS.silentDestinationFailures, {
        vm: 'vm-rot',
        device: '0000:3b:00.1',
      }),
    ).toBe(1);
  });

  it('a failed migration (destination RAM size differs): failed, and the destination QEMU exits', async () => {
    const { srcO, dst, port } = await pair('vm-ram', { dstRamMb: 128 });
    await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    expect(await dst.exited).toBe(1);
    const m = await until('both sides to close', 15_000, settled('vm-ram')).catch((e) => {
      for (const a of [hvA, hvB])
        console.log(
          JSON.stringify(
            a.recorder
              .sessions()
              .filter((s) => s.vm === 'vm-ram')
              .map((s) => [
                s.host,
                s.role,
                s.outcome,
                s.closed,
                s.start,
                s.end,
                s.evidence.map((e) => e.text.slice(0, 100)),
              ]),
            null,
            1,
          ),
        );
      throw e;
    });
    expect(m.verdict).toBe('failed');
    expect(m.source?.outcome).toBe('failed');
    expect(m.destination?.outcome).toBe('failed');
    expect(sampleValue(await metrics(hvA), METRICS.sessions, { role: 'source', outcome: 'failed' })).toBe(1);
    expect(
      sampleValue(await metrics(hvB), METRICS.sessions, { role: 'destination', outcome: 'failed' }),
    ).toBe(1);
    const spans = await otlp.waitFor(
      (all) =>
        all.some(
          (s) =>
            s.name === SPANS.migration &&
            s.attributes['vm.name'] === 'vm-ram' &&
            s.attributes['migration.role'] === 'source',
        ),
      15_000,
    );
    expect(
      spans.find(
        (s) =>
          s.name === SPANS.migration &&
          s.attributes['vm.name'] === 'vm-ram' &&
          s.attributes['migration.role'] === 'source',
      )?.status.code,
    ).toBe(2);
  });

  it('a cancelled migration (bandwidth-limited, then migrate_cancel): cancelled', async () => {
    const { srcO, dst, port } = await pair('vm-cancel');
    await srcO.execute('migrate-set-parameters', { 'max-bandwidth': 100_000 });
    await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    await until(
      'the migration to be active',
      10_000,
      async () => ((await srcO.execute('query-migrate')) as { status: string }).status === 'active',
    );
    await sleep(500);
    await srcO.execute('migrate_cancel');
    await dst.exited;
    const m = await until('both sides to close', 15_000, settled('vm-cancel'));
    expect(m.verdict).toBe('cancelled');
    expect(m.source?.outcome).toBe('cancelled');
    expect(sampleValue(await metrics(hvA), METRICS.sessions, { role: 'source', outcome: 'cancelled' })).toBe(
      1,
    );
  });

  it('serves a /metrics that passes `promtool check metrics` after all of the above', async () => {
    for (const a of [hvA, hvB]) {
      const text = await (await fetch(`${a.url}/metrics`)).text();
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(r.error).toBeUndefined();
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    }
  });
});
