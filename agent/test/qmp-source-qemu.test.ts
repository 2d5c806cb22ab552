import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpSource } from '../src/sources/qmp/qmp-source.js';
import type { QmpEventRecord, QmpReplyRecord, RawRecord } from '../src/records/types.js';
import type { SourceStatus } from '../src/sources/types.js';
import { Orchestrator, startQemu, type QemuProcess, freePort } from '@switchover/testbed';

/** Real QEMU 7.2 (tcg) with two monitors: the test orchestrates on one, the QmpSource reads the other. */

let dir: string;
let qemus: QemuProcess[] = [];
let orchestrators: Orchestrator[] = [];
let source: QmpSource | undefined;
let records: RawRecord[];
let statuses: SourceStatus[];
let errors: { stage: string; type: string; err: unknown }[];
let recordTimes: Map<RawRecord, number>;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-source-'));
  records = [];
  statuses = [];
  errors = [];
  recordTimes = new Map();
});

afterEach(async () => {
  await source?.stop();
  source = undefined;
  for (const o of orchestrators) o.close();
  await Promise.all(qemus.map((q) => q.kill()));
  qemus = [];
  orchestrators = [];
  await fs.rm(dir, { recursive: true, force: true });
});

function newSource(extra: Partial<ConstructorParameters<typeof QmpSource>[0]> = {}): QmpSource {
  source = new QmpSource({
    host: 'hv-test-1',
    globs: [path.join(dir, '*.qmp')],
    callbacks: {
      record: (r) => {
        records.push(r);
        recordTimes.set(r, Date.now());
      },
      status: (s) => statuses.push(s),
      error: (stage, type, err) => errors.push({ stage, type, err }),
    },
    ...extra,
  });
  return source;
}

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; records: ${JSON.stringify(records).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const replies = (socket: string, command: string): QmpReplyRecord[] =>
  records.filter(
    (r): r is QmpReplyRecord => r.kind === 'qmp-reply' && r.origin.file === socket && r.command === command,
  );
const events = (socket: string, name: string): QmpEventRecord[] =>
  records.filter(
    (r): r is QmpEventRecord => r.kind === 'qmp-event' && r.origin.file === socket && r.event.event === name,
  );

async function vm(
  name: string,
  extra: { incomingPort?: number; extraArgs?: string[] } = {},
): Promise<{ q: QemuProcess; orch: Orchestrator; agentSocket: string; orchSocket: string }> {
  const [orchSocket, agentSocket] = [path.join(dir, `${name}.orch`), path.join(dir, `${name}.qmp`)];
  const q = await startQemu({ name, qmpSockets: [orchSocket, agentSocket], paused: true, ...extra });
  qemus.push(q);
  const orch = await Orchestrator.connect(orchSocket);
  orchestrators.push(orch);
  return { q, orch, agentSocket, orchSocket };
}

describe('QmpSource against real QEMU 7.2', () => {
  it('attaches by glob, identifies the VM, forwards events with QEMU timestamps, and survives quit', async () => {
    const { q, orch, agentSocket } = await vm('vm-alpha');
    await newSource().start();
    await until('identification', () => replies(agentSocket, 'vfio-devices')[0]);

    const expectedVm = { name: 'vm-alpha', uuid: q.uuid };
    for (const r of records) {
      expect(r).toMatchObject({
        host: 'hv-test-1',
        vm: expectedVm,
        origin: { kind: 'qmp', file: agentSocket },
      });
    }
    expect(records.map((r) => (r as QmpReplyRecord).command)).toEqual([
      'query-name',
      'query-uuid',
      'query-version',
      'query-status',
      'query-migrate-capabilities',
      'vfio-devices',
    ]);
    expect(replies(agentSocket, 'query-name')[0]!.result).toEqual({ name: 'vm-alpha' });
    expect(replies(agentSocket, 'query-uuid')[0]!.result).toEqual({ UUID: q.uuid });
    expect(replies(agentSocket, 'query-version')[0]!.result).toMatchObject({ qemu: { major: 7, minor: 2 } });
    expect(replies(agentSocket, 'query-status')[0]!.result).toMatchObject({
      status: 'prelaunch',
      running: false,
    });
    const caps = replies(agentSocket, 'query-migrate-capabilities')[0]!.result as { capability: string }[];
    expect(caps.map((c) => c.capability)).toContain('events');
    expect(replies(agentSocket, 'vfio-devices')[0]!.result).toEqual({});
    expect(statuses).toEqual([{ input: 'qmp', instance: agentSocket, up: true }]);

    // Both monitors get the same event with the same QEMU timestamp: the source keeps it as is.
    // QEMU emits RESUME before it answers `cont`: listen first.
    const resumed = orch.waitForEvent((e) => e.event === 'RESUME');
    await orch.execute('cont');
    const resume = await resumed;
    const seen = await until('RESUME on the agent monitor', () => events(agentSocket, 'RESUME')[0]);
    expect(seen.event.timestamp).toEqual(resume.timestamp);
    expect(seen.vm).toEqual(expectedVm);

    await orch.execute('quit').catch(() => undefined);
    await q.exited;
    await until('SHUTDOWN event', () => events(agentSocket, 'SHUTDOWN')[0]);
    await until('status down', () => statuses.at(-1)?.up === false);
    expect(statuses).toEqual([
      { input: 'qmp', instance: agentSocket, up: true },
      { input: 'qmp', instance: agentSocket, up: false },
    ]);
    // A quitting QEMU is normal: no named failure, and no reconnect storm once the socket is gone.
    await new Promise((r) => setTimeout(r, 500));
    expect(errors).toEqual([]);
  });

  it('attaches and identifies a new QEMU within 2 s of its socket being created', async () => {
    await newSource().start();
    const { q, agentSocket } = await vm('vm-late');
    const created = (await fs.stat(agentSocket)).ctimeMs;
    const identified = await until('identification', () => replies(agentSocket, 'vfio-devices')[0]);
    const firstReply = replies(agentSocket, 'query-name')[0]!;
    const attachMs = recordTimes.get(firstReply)! - created;
    const identifyMs = recordTimes.get(identified)! - created;
    console.log(
      `[qmp-source] new socket: first reply ${attachMs.toFixed(0)} ms, identified ${identifyMs.toFixed(0)} ms after creation`,
    );
    expect(identifyMs).toBeLessThan(2000);
    expect(firstReply.vm).toEqual({ name: 'vm-late', uuid: q.uuid });
    expect(errors).toEqual([]);
  });

  it('on a terminal MIGRATION event issues query-migrate and emits downtime and total-time', async () => {
    const port = await freePort();
    const dst = await vm('vm-mig-dst', { incomingPort: port });
    const src = await vm('vm-mig-src');
    // The source needs a name the destination shares in real life; here separate names keep sockets apart.
    await newSource().start();
    await until(
      'both identified',
      () => replies(src.agentSocket, 'vfio-devices')[0] && replies(dst.agentSocket, 'vfio-devices')[0],
    );
    for (const o of [src.orch, dst.orch]) await o.setCapabilities({ events: true, 'return-path': true });
    const completed = src.orch.waitForEvent((e) => e.event === 'MIGRATION' && e.data?.status === 'completed');
    await src.orch.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    await completed;

    const done = await until('src query-migrate after completed', () =>
      replies(src.agentSocket, 'query-migrate').find(
        (r) => (r.result as { status?: string }).status === 'completed',
      ),
    );
    expect(done.result).toMatchObject({
      status: 'completed',
      downtime: expect.any(Number),
      'total-time': expect.any(Number),
    });
    const srcStatuses = events(src.agentSocket, 'MIGRATION').map((e) => e.event.data?.status);
    expect(srcStatuses).toEqual(['setup', 'active', 'completed']);
    // The reply follows the event that triggered it.
    expect(records.indexOf(done)).toBeGreaterThan(
      records.indexOf(events(src.agentSocket, 'MIGRATION').at(-1)!),
    );
    await until('dst completed', () =>
      events(dst.agentSocket, 'MIGRATION').find((e) => e.event.data?.status === 'completed'),
    );
    await until('dst query-migrate', () => replies(dst.agentSocket, 'query-migrate')[0]);
    expect(errors).toEqual([]);
  });

  it('polls query-migrate when the events capability is off, emitting only status changes', async () => {
    const port = await freePort();
    const dst = await vm('vm-poll-dst', { incomingPort: port });
    const src = await vm('vm-poll-src');
    await newSource({ pollMs: 100 }).start();
    await until(
      'identified',
      () => replies(src.agentSocket, 'vfio-devices')[0] && replies(dst.agentSocket, 'vfio-devices')[0],
    );
    expect(replies(src.agentSocket, 'query-migrate')).toEqual([]); // idle VM: nothing to report
    await src.orch.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    const done = await until('polled completion', () =>
      replies(src.agentSocket, 'query-migrate').find(
        (r) => (r.result as { status?: string }).status === 'completed',
      ),
    );
    expect(done.result).toMatchObject({ downtime: expect.any(Number), 'total-time': expect.any(Number) });
    await new Promise((r) => setTimeout(r, 400)); // several more polls: the unchanged status is not re-emitted
    const seq = replies(src.agentSocket, 'query-migrate').map((r) => (r.result as { status: string }).status);
    expect(seq.at(-1)).toBe('completed');
    expect(seq.filter((s) => s === 'completed')).toHaveLength(1);
    expect(events(src.agentSocket, 'MIGRATION')).toEqual([]); // capability stays off: never switched on
    const caps = (await src.orch.execute('query-migrate-capabilities')) as {
      capability: string;
      state: boolean;
    }[];
    expect(caps.find((c) => c.capability === 'events')!.state).toBe(false);
    expect(errors).toEqual([]);
  });
  it('reports a stale socket left by a killed QEMU once, and re-attaches when a new QEMU takes the name', async () => {
    const first = await vm('vm-crash');
    await newSource().start();
    await until('identified', () => replies(first.agentSocket, 'vfio-devices')[0]);
    first.q.process.kill('SIGKILL');
    await first.q.exited;
    // SIGKILL leaves the socket file behind: connects are refused until someone removes it.
    await until('one connect error', () => errors.find((e) => e.stage === 'qmp-connect'));
    expect(errors.map((e) => [e.stage, e.type])).toEqual([['qmp-connect', 'ECONNREFUSED']]);
    expect(statuses.map((s) => s.up)).toEqual([true, false]);
    await fs.rm(first.agentSocket);
    await fs.rm(first.orchSocket);
    const second = await vm('vm-crash');
    await until('re-attached', () =>
      replies(second.agentSocket, 'vfio-devices').find((r) => r.vm?.uuid === second.q.uuid),
    );
    expect(statuses.map((s) => s.up)).toEqual([true, false, true]);
    expect(errors).toHaveLength(1);
  });
});
