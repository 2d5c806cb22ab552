/**
 * Regression (issue 9.9): the flight recorder on real small and full filesystems, and its cap.
 * - With 300 VMs the snapshot copy at the head of every segment made the recorder twice its cap.
 * - A recorder that filled its filesystem itself never recovered: every later write failed.
 * - A full or failing state directory was not reported: the agent looked healthy and saved nothing.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Observation } from '@switchover/model';
import { mountTmpfs, mountUnavailable, unmount } from '@switchover/testbed';
import { Ingest } from '../src/ingest/ingest.js';
import { FileRecorder } from '../src/recorder/file-recorder.js';
import type { RecorderHealth } from '../src/recorder/types.js';
import { virshEvent } from './helpers/libvirt-lines.js';

const T0 = Date.UTC(2024, 10, 19, 3, 0, 0);
let root: string;
const mounted: string[] = [];
const recorders: FileRecorder[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sw-rec-disk-'));
});
afterEach(async () => {
  for (const r of recorders.splice(0)) await r.stop();
  for (const m of mounted.splice(0)) unmount(m);
  await rm(root, { recursive: true, force: true });
});

async function diskBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) n += (await stat(join(dir, f))).size;
  return n;
}

function make(dir: string, maxBytes?: number) {
  const health: RecorderHealth[] = [];
  const errors: string[] = [];
  const failed: string[] = [];
  const warnings: string[] = [];
  const r = new FileRecorder({
    stateDir: dir,
    ...(maxBytes ? { maxBytes } : {}),
    now: () => T0,
    onHealth: (h) => health.push(h),
    onError: (_s, type) => errors.push(type),
    onWriteFailed: (_s, type) => failed.push(type),
    onWarning: (m) => warnings.push(m),
  });
  recorders.push(r);
  return { r, health, errors, failed, warnings };
}

/** `vms` migrations in progress, one MIGRATION_PASS per VM per round, as virsh relays them. */
function* traffic(vms: number, rounds: number): Generator<{ obs: Observation[]; round: number }> {
  const ingest = new Ingest();
  for (let round = 0; round < rounds; round++)
    for (let v = 0; v < vms; v++) {
      const t = T0 + round * 1000 + v;
      const vm = `vm-${String(v).padStart(3, '0')}`;
      const text =
        round === 0
          ? virshEvent(vm, 'MIGRATION', t, { status: 'setup' })
          : virshEvent(vm, 'MIGRATION_PASS', t, { pass: round });
      const d = ingest.decode({ kind: 'virsh-line', host: 'h', arrival: t, origin: { kind: 'virsh' }, text });
      for (const o of d.observations) ingest.observe(o, t);
      yield { obs: d.observations, round };
      if (v === vms - 1) snapshotOf.state = ingest.snapshot();
    }
}
const snapshotOf: { state: ReturnType<Ingest['snapshot']> | null } = { state: null };

describe('FileRecorder cap', () => {
  it('holds its cap with 300 VMs whose snapshot is close to a segment or bigger', async () => {
    const dir = join(root, 'state');
    // The snapshot of 300 open sessions is ~240 kB: more than a segment (cap / 8), less than the cap.
    const cap = 300 * 1024;
    const { r } = make(dir, cap);
    let peak = 0;
    for (const { obs, round } of traffic(300, 20)) {
      await r.appendObservations(obs);
      if (snapshotOf.state && obs[0]?.vm.name === 'vm-299') {
        await r.snapshot(snapshotOf.state);
        expect(round).toBeGreaterThanOrEqual(0);
      }
      peak = Math.max(peak, await diskBytes(dir));
    }
    expect(peak).toBeLessThanOrEqual(cap);
    expect(r.bytes()).toBe(await diskBytes(dir));
    const again = make(dir, cap);
    const loaded = await again.r.load();
    expect(Object.keys(loaded.state?.vms ?? {})).toHaveLength(300);
  });
});

describe.skipIf(mountUnavailable() !== null)('FileRecorder on a real small filesystem (tmpfs size=…)', () => {
  it('never fills a small filesystem by itself: its cap is lowered to half of it', async () => {
    const fs = join(root, 'fs');
    mountTmpfs(fs, 1024 * 1024);
    mounted.push(fs);
    const dir = join(fs, 'state');
    const { r, health, warnings } = make(dir); // default cap 64 MiB: far more than the filesystem
    for (const { obs } of traffic(50, 200)) {
      await r.appendObservations(obs);
      if (obs[0]?.vm.name === 'vm-049' && snapshotOf.state) await r.snapshot(snapshotOf.state);
    }
    expect(health).toEqual([]); // never stopped writing
    expect(warnings).toEqual([expect.stringMatching(/more than half of the state directory's filesystem/)]);
    expect(await diskBytes(dir)).toBeLessThanOrEqual(512 * 1024);
    expect(await r.durable()).toBe(true);
    // What a restart finds: the latest snapshot and everything after it.
    const loaded = await make(dir).r.load();
    expect(Object.keys(loaded.state?.vms ?? {})).toHaveLength(50);
    expect(loaded.sinceSnapshot.length).toBeLessThan(50);
  });

  it('when the disk fills up anyway, deletes its own oldest segments and goes on writing', async () => {
    const fs = join(root, 'fs');
    mountTmpfs(fs, 1024 * 1024);
    mounted.push(fs);
    const dir = join(fs, 'state');
    const { r, health, errors } = make(dir, 400 * 1024);
    const flood = traffic(50, 400);
    const write = async (): Promise<void> => {
      const { obs } = flood.next().value!;
      await r.appendObservations(obs);
      if (obs[0]?.vm.name === 'vm-049' && snapshotOf.state) await r.snapshot(snapshotOf.state);
    };
    while (r.bytes() < 350 * 1024) await write();
    // Another program takes every block left.
    await writeFile(join(fs, 'filler'), Buffer.alloc(1024 * 1024)).catch(() => {});
    for (let i = 0; i < 3000; i++) await write();
    expect(health).toEqual([]);
    expect(errors).toEqual(['disk_full']); // said once
    expect(await r.durable()).toBe(true);
    expect((await make(dir, 400 * 1024).r.load()).state).not.toBeNull();
  });

  it('reports a filesystem it cannot write to once, holds positions, and recovers when space returns', async () => {
    const fs = join(root, 'fs');
    mountTmpfs(fs, 512 * 1024);
    mounted.push(fs);
    const dir = join(fs, 'state');
    await mkdir(dir);
    const { r, health, failed } = make(dir);
    const flood = traffic(20, 1000);
    const next = (): Observation[] => flood.next().value!.obs;
    await r.appendObservations(next());
    await r.snapshot(snapshotOf.state!);
    // Another program takes every free block; the recorder has nothing of its own to delete.
    const filler = join(fs, 'filler');
    await writeFile(filler, Buffer.alloc(1024 * 1024)).catch(() => {});
    let failures = 0;
    for (let i = 0; i < 50; i++) await r.appendObservations(next()).catch(() => failures++);
    expect(failures).toBeGreaterThan(0);
    expect(health.map((h) => h.writable)).toEqual([false]);
    expect(health[0]?.error).toMatch(/ENOSPC/);
    expect(failed.filter((t) => t === 'write_failed').length).toBe(failures);
    expect(await r.durable()).toBe(false); // observations were lost: input positions must stay put

    await rm(filler);
    await r.appendObservations(next());
    expect(health.map((h) => h.writable)).toEqual([false, true]);
    expect(await r.durable()).toBe(false); // still a gap until a snapshot holds what was lost
    await r.snapshot(snapshotOf.state!);
    expect(await r.durable()).toBe(true);
  });
});
