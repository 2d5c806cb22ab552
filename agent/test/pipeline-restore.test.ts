/**
 * Regression (issue 9.6), in process: what the correlator handled after the last snapshot survives a
 * crash. The daemon's pipeline records each observation before correlating it; a new pipeline on
 * the same state directory resumes the snapshot and replays what was recorded after it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LABELS, METRICS } from '@switchover/model';
import { sampleValue } from '@switchover/testbed';
import { Pipeline } from '../src/daemon/pipeline.js';
import { silentLogger } from '../src/lib/log.js';
import type { RawRecord } from '../src/records/types.js';
import { FileRecorder } from '../src/recorder/file-recorder.js';
import { MetricsSink } from '../src/sinks/metrics.js';
import { sourceEvents, virshEvent } from './helpers/libvirt-lines.js';

const T0 = Date.UTC(2024, 10, 19, 3, 26, 48);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sw-restore-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One agent lifetime: its own recorder, metrics and pipeline on `dir`, and a settable clock. */
function lifetime() {
  const clock = { now: T0 };
  const recorder = new FileRecorder({ stateDir: dir, now: () => clock.now });
  const registry = new Registry();
  const metrics = new MetricsSink({ registry, host: 'hv-src', version: 'test' });
  const pipeline = new Pipeline({
    recorder,
    sinks: [metrics],
    self: metrics,
    logger: silentLogger,
    clock: () => clock.now,
  });
  const completed = async (): Promise<number> =>
    sampleValue(await registry.metrics(), METRICS.sessions, {
      [LABELS.role]: 'source',
      [LABELS.outcome]: 'completed',
    }) ?? 0;
  return { clock, recorder, pipeline, completed };
}

const virsh = (text: string, arrival: number): RawRecord => ({
  kind: 'virsh-line',
  host: 'hv-src',
  arrival,
  origin: { kind: 'virsh' },
  text,
});

describe('Pipeline.restore after a crash', () => {
  it('replays what was recorded after the last snapshot: a migration that ended just before the crash is closed and counted', async () => {
    const a = lifetime();
    await a.pipeline.restore();
    const [setup, active, stop, done] = sourceEvents('vm-a', T0, T0 + 3000);
    for (const line of [setup!, active!]) await a.pipeline.ingest(virsh(line, (a.clock.now += 100)));
    await a.pipeline.snapshot();
    for (const line of [stop!, done!]) await a.pipeline.ingest(virsh(line, (a.clock.now = T0 + 3000)));
    // SIGKILL here: no drain, no final snapshot. The recorder's appends are in the file already.

    const b = lifetime();
    b.clock.now = T0 + 10_000;
    const restored = await b.pipeline.restore();
    expect(restored).toEqual({ sessions: 1, replayed: 2 });
    const sessions = b.recorder.sessions().filter((s) => s.vm === 'vm-a');
    expect(sessions.map((s) => [s.outcome, s.closed])).toEqual([['completed', true]]);
    expect(await b.completed()).toBe(1);
    expect(b.pipeline.openSessions()).toEqual([]);
    await a.recorder.stop();
    await b.recorder.stop();
  });

  it('takes a snapshot in turn with the records: one asked for mid-record still holds that record', async () => {
    const a = lifetime();
    await a.pipeline.restore();
    await a.pipeline.ingest(virsh(virshEvent('vm-b', 'MIGRATION', T0, { status: 'setup' }), T0));
    // The record's observations are being recorded when the timer asks for a snapshot.
    const record = a.pipeline.ingest(
      virsh(virshEvent('vm-b', 'MIGRATION', T0 + 500, { status: 'failed' }), T0 + 500),
    );
    const snapshot = a.pipeline.snapshot();
    await Promise.all([record, snapshot]);

    const b = lifetime();
    b.clock.now = T0 + 1000;
    await b.pipeline.restore();
    const s = b.recorder.sessions().find((x) => x.vm === 'vm-b');
    expect(s?.outcome).toBe('failed');
    expect(b.pipeline.openSessions()).toEqual([]);
    await a.recorder.stop();
    await b.recorder.stop();
  });

  it('an unchanged state is not written again (an idle agent does not rewrite its snapshot every 5 s)', async () => {
    const a = lifetime();
    await a.pipeline.restore();
    await a.pipeline.ingest(virsh(virshEvent('vm-c', 'MIGRATION', T0, { status: 'setup' }), T0));
    await a.pipeline.snapshot();
    const bytes = a.recorder.bytes();
    for (let i = 0; i < 3; i++) {
      await a.pipeline.tick();
      await a.pipeline.snapshot();
    }
    expect(a.recorder.bytes()).toBe(bytes);
    await a.recorder.stop();
  });
});
