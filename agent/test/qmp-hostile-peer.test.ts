/**
 * Issue 9.2: a QMP peer answering `{"return":[null]}` to `qom-list` or `query-migrate-capabilities`
 * crashed the agent (an unhandled rejection in identification), taking the healthy sockets down with
 * it. A hostile peer now costs only its own identity; the real QEMU next to it keeps being followed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INPUTS, LABELS, METRICS } from '@switchover/model';
import {
  Orchestrator,
  freePort,
  inputUp,
  sampleValue,
  startQemu,
  until,
  type QemuProcess,
} from '@switchover/testbed';
import { QmpSource } from '../src/sources/qmp/qmp-source.js';
import type { QmpEventRecord, QmpReplyRecord, RawRecord } from '../src/records/types.js';
import { startFakeQmpServer, type FakeHandler, type FakeQmpServer } from './helpers/fake-qmp-server.js';

const CLI = fileURLToPath(new URL('../bin/switchover.js', import.meta.url));

/** Answers like a QEMU, except that the listed commands get `[null]`. */
const hostile =
  (...nullListFor: string[]): FakeHandler =>
  (cmd, conn) => {
    if (typeof cmd.execute === 'string' && nullListFor.includes(cmd.execute)) {
      conn.send(`{"return": [null], "id": ${JSON.stringify(cmd.id)}}\r\n`);
      return true;
    }
    if (cmd.execute === 'query-name') return (void conn.reply(cmd.id, { name: 'tenant-vm' }), true);
    return false;
  };

let dir: string;
let qemus: QemuProcess[];
let servers: FakeQmpServer[];
let children: ChildProcess[];
let orchestrators: Orchestrator[];
let rejections: unknown[];
const onRejection = (reason: unknown): void => void rejections.push(reason);

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-hostile-'));
  qemus = [];
  servers = [];
  children = [];
  orchestrators = [];
  rejections = [];
  process.on('unhandledRejection', onRejection);
});

afterEach(async () => {
  process.off('unhandledRejection', onRejection);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const o of orchestrators) o.close();
  await Promise.all(qemus.map((q) => q.kill()));
  await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
  await fs.rm(dir, { recursive: true, force: true });
});

/** Two hostile peers (one per command) and one real QEMU, all matching `dir/qmp/*.qmp`. */
async function hosts(): Promise<{ orch: Orchestrator; healthy: string; hostiles: string[] }> {
  const qmpDir = path.join(dir, 'qmp');
  await fs.mkdir(qmpDir);
  for (const [name, command] of [
    ['hostile-qom.qmp', 'qom-list'],
    ['hostile-caps.qmp', 'query-migrate-capabilities'],
  ] as const)
    servers.push(await startFakeQmpServer({ dir: qmpDir, name, handler: hostile(command) }));
  const healthy = path.join(qmpDir, 'vm-healthy.qmp');
  const orchSocket = path.join(dir, 'vm-healthy.orch');
  qemus.push(await startQemu({ name: 'vm-healthy', qmpSockets: [orchSocket, healthy], paused: true }));
  const orch = await Orchestrator.connect(orchSocket);
  orchestrators.push(orch);
  return { orch, healthy, hostiles: servers.map((s) => s.path) };
}

describe('a hostile QMP peer next to a real QEMU', () => {
  it('the source survives `[null]` replies, identifies what it can, and keeps following the real QEMU', async () => {
    const { orch, healthy, hostiles } = await hosts();
    const records: RawRecord[] = [];
    const errors: { stage: string; type: string }[] = [];
    const source = new QmpSource({
      host: 'hv-a',
      globs: [path.join(dir, 'qmp', '*.qmp')],
      callbacks: {
        record: (r) => void records.push(r),
        status: () => undefined,
        error: (stage, type) => void errors.push({ stage, type }),
      },
    });
    try {
      await source.start();
      const replies = (socket: string, command: string): QmpReplyRecord[] =>
        records.filter(
          (r): r is QmpReplyRecord =>
            r.kind === 'qmp-reply' && r.origin.file === socket && r.command === command,
        );
      // Identification of every socket finishes (it used to reject on the hostile ones).
      for (const s of [healthy, ...hostiles])
        await until(`identity of ${s}`, 10_000, () => replies(s, 'query-status')[0]);
      await until('the healthy VM identified', 10_000, () => replies(healthy, 'vfio-devices')[0]);
      expect(replies(hostiles[0]!, 'query-name')[0]!.vm).toEqual({ name: 'tenant-vm' });
      // Passed on as QEMU's reply, exactly as received: the decoder skips entries that are not capabilities.
      expect(replies(hostiles[1]!, 'query-migrate-capabilities')[0]!.result).toEqual([null]);
      // The malformed qom-list is a named protocol failure, not a crash.
      expect(errors).toContainEqual({ stage: 'qmp-identify', type: 'QmpProtocolError' });

      const resumed = orch.waitForEvent((e) => e.event === 'RESUME');
      await orch.execute('cont');
      await resumed;
      await until('RESUME from the real QEMU', 10_000, () =>
        records.find(
          (r): r is QmpEventRecord =>
            r.kind === 'qmp-event' && r.origin.file === healthy && r.event.event === 'RESUME',
        ),
      );
      expect(rejections).toEqual([]);
    } finally {
      await source.stop();
    }
  });

  it('the agent process stays up and the healthy socket keeps reporting', async () => {
    const { orch, healthy } = await hosts();
    const port = await freePort();
    const config = path.join(dir, 'agent.yaml');
    await fs.writeFile(
      config,
      `host: hv-a\nstateDir: ${path.join(dir, 'state')}\nhttp: {address: 127.0.0.1, port: ${port}}\n` +
        `inputs: {qmp: {enabled: true, sockets: ['${path.join(dir, 'qmp', '*.qmp')}']}}\n`,
    );
    let stderr = '';
    const child = spawn(process.execPath, [CLI, 'agent', '--config', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
    });
    children.push(child);
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const metrics = async (): Promise<string> => {
      if (child.exitCode !== null) throw new Error(`the agent exited (${child.exitCode}): ${stderr}`);
      return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    };
    const qmpRecords = async (): Promise<number> =>
      sampleValue(await metrics(), METRICS.records, { [LABELS.input]: INPUTS.qmp }) ?? 0;
    const withStderr = (e: Error): never => {
      throw new Error(`${e.message}; agent exit code ${child.exitCode}, stderr: ${stderr}`);
    };
    await until('the agent to listen', 15_000, async () => (await metrics()) !== '').catch(withStderr);
    await until('the healthy socket up', 15_000, async () =>
      inputUp(await metrics(), INPUTS.qmp, healthy),
    ).catch(withStderr);
    // Let identification of every socket run its course before looking.
    await new Promise((r) => setTimeout(r, 1000));
    const before = await qmpRecords();
    const resumed = orch.waitForEvent((e) => e.event === 'RESUME');
    await orch.execute('cont');
    await resumed;
    await until('the RESUME counted', 10_000, async () => (await qmpRecords()) > before).catch(withStderr);
    expect(child.exitCode).toBeNull();
    expect(inputUp(await metrics(), INPUTS.qmp, healthy)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
