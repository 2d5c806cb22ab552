/**
 * The built agent as a child process (`bin/switchover.js agent`): SIGTERM → clean exit with the flight
 * recorder flushed; a restart resumes the open session from the recorder, and the session completes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUTS, type Session } from '@switchover/model';
import { Orchestrator, startQemu, type QemuProcess, freePort, until, inputUp } from '@switchover/testbed';

const CLI = fileURLToPath(new URL('../bin/switchover.js', import.meta.url));
let root: string;
let port: number;
const qemus: QemuProcess[] = [];
const children: ChildProcess[] = [];

function startAgent(): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  let err = '';
  const child = spawn(process.execPath, [CLI, 'agent', '--config', join(root, 'agent.yaml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  children.push(child);
  return { child, exit: new Promise((r) => child.once('exit', (code) => r(code))), stderr: () => err };
}

const sessions = async (): Promise<Session[]> =>
  (
    (await (await fetch(`http://127.0.0.1:${port}/api/migrations?format=sessions`)).json()) as {
      sessions: Session[];
    }
  ).sessions;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'switchover-process-'));
  for (const d of ['qmp', 'orch', 'state']) mkdirSync(join(root, d));
  port = await freePort();
  writeFileSync(
    join(root, 'agent.yaml'),
    `host: hv-a\nstateDir: ${join(root, 'state')}\nhttp: {address: 127.0.0.1, port: ${port}}\ninputs: {qmp: {enabled: true, sockets: ['${join(root, 'qmp', '*.qmp')}']}}\n`,
  );
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all(qemus.map((q) => q.kill()));
  rmSync(root, { recursive: true, force: true });
});

describe('the agent as a process', () => {
  it('exits cleanly on SIGTERM with the recorder flushed, and resumes the open session after a restart', async () => {
    const uuid = randomUUID();
    const incoming = await freePort();
    const common = { name: 'vm-restart', uuid };
    const dst = await startQemu({
      ...common,
      incomingPort: incoming,
      qmpSockets: [join(root, 'orch', 'dst.qmp')],
      logFile: join(root, 'dst.log'),
    });
    const src = await startQemu({
      ...common,
      qmpSockets: [join(root, 'orch', 'src.qmp'), join(root, 'qmp', 'vm-restart.qmp')],
      logFile: join(root, 'src.log'),
    });
    qemus.push(dst, src);
    const first = startAgent();
    await until(
      'the agent to listen',
      15_000,
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; agent stderr: ${first.stderr()}`);
    });
    const dstO = await Orchestrator.connect(join(root, 'orch', 'dst.qmp'));
    const srcO = await Orchestrator.connect(join(root, 'orch', 'src.qmp'));
    // As libvirt does: events on (or QEMU emits no MIGRATION events) and the return path.
    for (const o of [dstO, srcO]) await o.setCapabilities({ events: true, 'return-path': true });
    await until('the agent to identify the VM', 10_000, async () =>
      inputUp(
        await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
        INPUTS.qmp,
        join(root, 'qmp', 'vm-restart.qmp'),
      ),
    );
    await srcO.execute('migrate-set-parameters', { 'max-bandwidth': 60_000 });
    await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${incoming}` });
    const open = await until('an open session', 10_000, async () =>
      (await sessions()).find((s) => s.vm === 'vm-restart' && s.outcome === 'in-progress'),
    );
    expect(open.role).toBe('source');

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.stderr()).toMatch(/agent stopped/);
    // Flushed: the last snapshot in the recorder holds the open session.
    const lines = readdirSync(join(root, 'state'))
      .filter((f) => f.startsWith('recorder-'))
      .flatMap((f) =>
        readFileSync(join(root, 'state', f), 'utf8')
          .split('\n')
          .filter(Boolean),
      )
      .map(
        (l) => JSON.parse(l) as { t: string; state?: { vms: Record<string, { session: Session | null }> } },
      );
    const snapshot = lines.filter((l) => l.t === 'state').at(-1);
    expect(snapshot?.state?.vms['vm-restart']?.session?.id).toBe(open.id);
    expect(((await srcO.execute('query-migrate')) as { status: string }).status).toBe('active');

    const second = startAgent();
    await until(
      'the restarted agent to listen',
      15_000,
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
    );
    const done = await until('the resumed session to complete', 30_000, async () =>
      (await sessions()).find((s) => s.id === open.id && s.closed),
    );
    expect(done).toMatchObject({ id: open.id, start: open.start, role: 'source', outcome: 'completed' });
    expect(second.stderr()).toMatch(/resumed open migrations from the flight recorder/);
    srcO.close();
    dstO.close();
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });
});
