import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSession, type Observation, type Session } from '@switchover/model';
import type { CorrelatorState } from '../src/correlator/types.js';
import { FileRecorder } from '../src/recorder/file-recorder.js';
import { readRecorderFile } from '../src/recorder/format.js';
import { T0 } from './sinks-fixtures.js';

const dirs: string[] = [];
const recorders: FileRecorder[] = [];
afterEach(async () => {
  for (const r of recorders.splice(0)) await r.stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'switchover-recorder-'));
  dirs.push(d);
  return join(d, 'state'); // does not exist yet: the recorder creates it
}

function recorder(stateDir: string, extra: Partial<ConstructorParameters<typeof FileRecorder>[0]> = {}) {
  const errors: string[] = [];
  const failedWrites: string[] = [];
  const health: boolean[] = [];
  const bytes: number[] = [];
  const r = new FileRecorder({
    stateDir,
    onError: (stage, type) => errors.push(`${stage}/${type}`),
    onWriteFailed: (stage, type) => failedWrites.push(`${stage}/${type}`),
    onHealth: (h) => health.push(h.writable),
    onBytes: (b) => bytes.push(b),
    ...extra,
  });
  recorders.push(r);
  return { r, errors, failedWrites, health, bytes };
}

const obs = (i: number): Observation => ({
  kind: 'migration-status',
  status: 'active',
  host: 'hv-a',
  vm: { name: 'vm1' },
  time: T0 + i,
  timeSource: 'event',
  origin: { kind: 'qmp' },
  // a return-path-like top-level `event` must stay nested inside the line
  raw: `{"event":"MIGRATION","data":{"status":"active"},"n":${i}}`,
});

const session = (vm: string, start = T0): Session =>
  createSession({ host: 'hv-a', vm, role: 'source', start });

/** The recorder reads only `vms[].session` of a state; the rest of VmState belongs to the correlator. */
const stateWith = (s: Session): CorrelatorState =>
  ({ vms: { [s.vm]: { vm: { name: s.vm }, session: s } }, pending: [] }) as unknown as CorrelatorState;

describe('FileRecorder', () => {
  it('appends in call order and a new instance loads the snapshot and latest sessions', async () => {
    const dir = await tempDir();
    const { r, bytes } = recorder(dir);
    const s1 = session('vm1');
    const s2 = session('vm2', T0 + 10);
    // Not awaited one by one: the queue must keep the order anyway.
    const writes = [
      r.appendObservations([obs(1), obs(2)]),
      r.appendSession(s1),
      r.appendSession(s2),
      r.snapshot(stateWith(s1)),
      r.appendSession({ ...s1, outcome: 'completed', end: T0 + 1200, closed: true }),
      r.appendObservations([obs(3)]),
    ];
    await Promise.all(writes);
    await r.flush();
    expect(r.sessions().map((s) => [s.vm, s.outcome])).toEqual([
      ['vm2', 'in-progress'],
      ['vm1', 'completed'],
    ]);
    const files = await readdir(dir);
    expect(files).toEqual(['recorder-000001.jsonl']);
    const lines = (await readFile(join(dir, files[0]!), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).t)).toEqual([
      'obs',
      'obs',
      'session',
      'session',
      'state',
      'session',
      'obs',
    ]);
    expect(JSON.parse(lines[6]!).obs.time).toBe(T0 + 3);
    expect(bytes.at(-1)).toBe((await stat(join(dir, files[0]!))).size);
    await r.stop();

    const { r: again, errors } = recorder(dir);
    const loaded = await again.load();
    expect(loaded.state?.vms.vm1?.session?.id).toBe(s1.id);
    expect(loaded.sessions.map((s) => [s.vm, s.outcome])).toEqual([
      ['vm1', 'completed'],
      ['vm2', 'in-progress'],
    ]);
    expect(again.sessions()).toHaveLength(2);
    expect(errors).toEqual([]);

    const file = await readRecorderFile(join(dir, files[0]!));
    expect(file.observations.map((o) => o.time)).toEqual([T0 + 1, T0 + 2, T0 + 3]);
    expect(file.sessions).toHaveLength(2);
    expect(file.badLines).toBe(0);
  });

  it('rolls segments at the size cap, deletes the oldest and keeps the snapshot', async () => {
    const dir = await tempDir();
    const { r, bytes } = recorder(dir, { maxBytes: 8_000, segmentBytes: 2_000 });
    const open = session('vm-open');
    await r.appendSession(open);
    await r.snapshot(stateWith(open));
    for (let i = 0; i < 200; i++) await r.appendObservations([obs(i)]);
    await r.flush();
    const files = (await readdir(dir)).sort();
    expect(files.length).toBeGreaterThan(1);
    expect(files).not.toContain('recorder-000001.jsonl'); // the oldest went
    let total = 0;
    for (const f of files) {
      total += (await stat(join(dir, f))).size;
      const first = (await readFile(join(dir, f), 'utf8')).split('\n')[0]!;
      expect(JSON.parse(first).t).toBe('state'); // each segment starts with the snapshot
    }
    expect(total).toBeLessThanOrEqual(8_000);
    expect(r.bytes()).toBe(total);
    expect(bytes.at(-1)).toBe(total);
    await r.stop();

    const { r: again } = recorder(dir);
    const loaded = await again.load();
    expect(loaded.state?.vms['vm-open']?.session?.id).toBe(open.id);
    // The session line itself was in a deleted segment; the snapshot still names it.
    expect(loaded.sessions.map((s) => s.id)).toEqual([open.id]);
  });

  it('skips a torn last line with a counted error and appends after it cleanly', async () => {
    const dir = await tempDir();
    const { r } = recorder(dir);
    await r.appendSession(session('vm1'));
    await r.appendObservations([obs(1)]);
    await r.stop();
    const file = join(dir, 'recorder-000001.jsonl');
    await appendFile(file, '{"t":"session","at":1,"session":{"id":"hv-a/vm'); // crash mid-write

    const { r: again, errors } = recorder(dir);
    const loaded = await again.load();
    expect(loaded.sessions.map((s) => s.vm)).toEqual(['vm1']);
    expect(errors).toEqual(['recorder/torn_line']);
    await again.appendSession(session('vm3'));
    await again.stop();

    const content = await readRecorderFile(file);
    expect(content.badLines).toBe(1);
    expect(content.sessions.map((s) => s.vm)).toEqual(['vm1', 'vm3']);
  });

  it('bounds the in-memory sessions to the most recently updated', async () => {
    const dir = await tempDir();
    const { r } = recorder(dir, { maxSessions: 3 });
    for (let i = 0; i < 5; i++) await r.appendSession(session(`vm${i}`, T0 + i));
    await r.appendSession({ ...session('vm2', T0 + 2), outcome: 'completed' });
    expect(r.sessions().map((s) => s.vm)).toEqual(['vm3', 'vm4', 'vm2']);
  });

  it('rejects and counts a write when the state dir is unusable, and recovers when it is back', async () => {
    const dir = await tempDir();
    await appendFile(dir, 'a file where the directory should be');
    const { r, errors, failedWrites, health } = recorder(dir);
    await expect(r.appendSession(session('vm1'))).rejects.toThrow();
    await expect(r.appendSession(session('vm1'))).rejects.toThrow();
    // Every failed write is counted; the change of state is reported once, not once per write.
    expect(failedWrites).toEqual(['recorder/init_failed', 'recorder/init_failed']);
    expect(errors).toEqual([]);
    expect(health).toEqual([false]);
    expect(r.health()).toMatchObject({ writable: false, error: expect.stringMatching(/ENOTDIR|EEXIST/) });
    await rm(dir);
    await r.appendSession(session('vm2'));
    expect(health).toEqual([false, true]);
    await r.flush();
    const content = await readRecorderFile(join(dir, 'recorder-000001.jsonl'));
    // vm1's session, which could not be written while the directory was unusable, follows.
    expect(content.sessions.map((s) => s.vm)).toEqual(['vm2', 'vm1']);
  });
});
