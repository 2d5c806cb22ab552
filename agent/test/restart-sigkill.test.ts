/**
 * Regression (issues 9.6, 9.7), a fault test that stays: a real agent process is SIGKILLed at a
 * random point of a real QEMU migration it follows (QMP socket + the source QEMU's log with its
 * migration trace lines), and restarted at once. Before the fix a restart resumed the last 5-second
 * snapshot while the log input had already saved a position past what that snapshot held: a
 * migration that finished just before the crash was never counted, or stayed `in-progress` forever;
 * and log lines read again after the restart were recorded twice, reopening a finished session.
 *
 * After every restart: exactly one session for the migration, closed and `completed`; nothing in
 * progress; and the completion counted exactly once by the restarted process unless the killed one
 * had already counted it before its last snapshot (what the recorder files say, not a guess).
 * Iterations: SWITCHOVER_FAULT_RUNS (default 3).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUTS, LABELS, METRICS, type Session } from '@switchover/model';
import {
  freePort,
  inputUp,
  isMigrationStatus,
  Orchestrator,
  sampleValue,
  startQemu,
  until,
  type QemuProcess,
} from '@switchover/testbed';
import {
  libvirtLogsInput,
  startAgentProcess,
  writeAgentConfig,
  type AgentProcess,
} from './helpers/agent-process.js';

const RUNS = Number(process.env.SWITCHOVER_FAULT_RUNS ?? 3);
let root: string;
let port: number;
let config: string;
const qemus: QemuProcess[] = [];
let agent: AgentProcess | undefined;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sw-sigkill-'));
  for (const d of ['qmp', 'orch', 'logs', 'state', 'dst']) mkdirSync(join(root, d));
  port = await freePort();
  config = writeAgentConfig({
    dir: root,
    host: 'hv-src',
    stateDir: join(root, 'state'),
    port,
    inputs: [
      `  qmp: {enabled: true, sockets: ['${join(root, 'qmp', '*.qmp')}']}`,
      libvirtLogsInput(join(root, 'logs')),
      '  virsh: {enabled: false}',
    ],
  });
});
afterAll(async () => {
  await agent?.kill();
  await Promise.all(qemus.map((q) => q.kill()));
  rmSync(root, { recursive: true, force: true });
});

interface Line {
  t: string;
  session?: Session;
  state?: { vms?: Record<string, { session?: Session | null }> };
}

/** From the recorder the killed agent left: was the session closed before its last snapshot? */
function closedBeforeLastSnapshot(vm: string): boolean {
  const dir = join(root, 'state');
  const lines: Line[] = readdirSync(dir)
    .filter((f) => /^recorder-\d+\.jsonl$/.test(f))
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Line];
      } catch {
        return [];
      }
    });
  let closed = false;
  let closedAtSnapshot = false;
  for (const l of lines) {
    if (l.t === 'session' && l.session?.vm === vm && l.session.closed) closed = true;
    if (l.t === 'state') closedAtSnapshot = closed;
  }
  return closedAtSnapshot;
}

async function migration(i: number): Promise<{ srcO: Orchestrator; incoming: number; vm: string }> {
  const vm = `vm-kill-${i}`;
  const uuid = randomUUID();
  const incoming = await freePort();
  const traces = ['migrate_set_state', 'source_return_path_thread_shut'];
  const dst = await startQemu({
    name: vm,
    uuid,
    incomingPort: incoming,
    qmpSockets: [join(root, 'orch', `dst-${i}.qmp`)],
    logFile: join(root, 'dst', `${vm}.log`),
    traces,
  });
  const src = await startQemu({
    name: vm,
    uuid,
    qmpSockets: [join(root, 'orch', `src-${i}.qmp`), join(root, 'qmp', `${vm}.qmp`)],
    logFile: join(root, 'logs', `${vm}.log`),
    traces,
  });
  qemus.push(dst, src);
  const dstO = await Orchestrator.connect(join(root, 'orch', `dst-${i}.qmp`));
  const srcO = await Orchestrator.connect(join(root, 'orch', `src-${i}.qmp`));
  for (const o of [dstO, srcO]) await o.setCapabilities({ events: true, 'return-path': true });
  dstO.close();
  return { srcO, incoming, vm };
}

describe('SIGKILL of a real agent at random points of a real migration', () => {
  it(
    `restarts without losing or doubling the migration (${RUNS} iterations)`,
    async () => {
      agent = await startAgentProcess(config, port);
      const results: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        const { srcO, incoming, vm } = await migration(i);
        await until('the agent to attach', 10_000, async () =>
          inputUp(await agent!.text('/metrics'), INPUTS.qmp, join(root, 'qmp', `${vm}.qmp`)),
        );
        // Slow at first, so the kill can land while the migration runs; then fast to completion.
        await srcO.execute('migrate-set-parameters', { 'max-bandwidth': 60_000 });
        await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${incoming}` });
        const t0 = Date.now();
        const completed = srcO
          .waitForEvent(isMigrationStatus('completed'), 30_000)
          .then(() => Date.now() - t0);
        const speedUpAt = 100 + Math.random() * 1200;
        // Up to 8 s: before, during and after completion, the 2 s close and the next 5-second snapshot.
        const killAt = Math.random() * 8000;
        const speedUp = sleep(speedUpAt).then(() =>
          srcO.execute('migrate-set-parameters', { 'max-bandwidth': 1_000_000_000 }),
        );
        await sleep(killAt);
        await agent.kill('SIGKILL');
        const state = closedBeforeLastSnapshot(vm) ? 'counted-before-snapshot' : 'not-yet-counted';
        agent = await startAgentProcess(config, port);
        await speedUp;
        const completedAt = await completed;
        const done = await until(`the ${vm} session to close after the restart`, 20_000, async () => {
          const s = (await agent!.sessions()).filter((x) => x.vm === vm);
          return s.length > 0 && s.every((x) => x.closed) && s;
        });
        results.push(`kill at ${Math.round(killAt)} ms, completed at ${completedAt} ms: ${state}`);
        expect(done, results.at(-1)).toHaveLength(1);
        expect(done[0]).toMatchObject({ role: 'source', outcome: 'completed', closed: true });
        const metrics = await agent.text('/metrics');
        const counted =
          sampleValue(metrics, METRICS.sessions, {
            [LABELS.role]: 'source',
            [LABELS.outcome]: 'completed',
          }) ?? 0;
        expect(counted, results.at(-1)).toBe(state === 'counted-before-snapshot' ? 0 : 1);
        expect(sampleValue(metrics, METRICS.inProgress, { [LABELS.role]: 'source' })).toBe(0);
        srcO.close();
        // Each iteration's counters start from a fresh process: the next one restarts it anyway.
        await agent.kill('SIGTERM');
        agent = await startAgentProcess(config, port);
      }
      console.log(`SIGKILL iterations:\n  ${results.join('\n  ')}`);
    },
    RUNS * 40_000,
  );
});
