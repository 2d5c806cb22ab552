import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ERROR_TYPES, METRICS, STAGES } from '@switchover/model';
import type { Effect } from '../src/correlator/types.js';
import { MetricsSink } from '../src/sinks/metrics.js';
import { VmSeries } from '../src/sinks/vm-series.js';
import { loadFailureEffects, silentDestinationEffects, sourceEffects, T0 } from './sinks-fixtures.js';

/** `name{a="b",…} value` lines of the exposition as a map keyed by the series as printed. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function make(): { sink: MetricsSink; registry: Registry } {
  const registry = new Registry();
  return { sink: new MetricsSink({ registry, host: 'hv-b', version: '0.1.0' }), registry };
}

const PROMTOOL = '/usr/bin/promtool';

describe('MetricsSink', () => {
  // Regression: the correlator reports a failure line as a failed `device-state` *and* a `device-failure`;
  // the first used to consume the de-duplication key, so the silent-failure counter never moved (found in the demo).
  it('counts the silent failure when a failed device-state for the same line comes first', async () => {
    const { sink, registry } = make();
    const effects = silentDestinationEffects();
    const failure = effects.find((e) => e.kind === 'device-failure');
    if (failure?.kind !== 'device-failure') throw new Error('fixture has no device-failure');
    const first = {
      kind: 'device-state' as const,
      session: failure.session,
      device: failure.failure.device,
      state: failure.failure.target ?? 'RUNNING',
      ok: false,
      observation: failure.observation,
    };
    sink.handle([...effects.slice(0, 3), first, ...effects.slice(3)], 0);
    const m = samples(await registry.metrics());
    expect(m.get(`${METRICS.silentDestinationFailures}{vm="vm1",device="0000:3b:00.1"}`)).toBe(1);
    expect(m.get(`${METRICS.vfioTransitions}{state="RUNNING",result="failed"}`)).toBe(1);
  });

  it('counts a destination lost after completion once, by VM and host (issue 8)', async () => {
    const { sink, registry } = make();
    const effects = silentDestinationEffects();
    sink.handle(effects.slice(0, 3), 0);
    const opened = effects[0];
    if (opened?.kind !== 'session-opened') throw new Error('fixture does not open a session first');
    const session = { ...opened.session, outcome: 'lost' as const };
    const lost: Effect[] = [{ kind: 'outcome', session }];
    sink.handle([...lost, ...lost, { kind: 'session-closed', session }], 0);
    const m = samples(await registry.metrics());
    expect(m.get(`${METRICS.destinationLost}{vm="vm1",host="hv-b"}`)).toBe(1);
    expect(m.get(`${METRICS.sessions}{role="destination",outcome="lost"}`)).toBe(1);
    expect(m.get(`${METRICS.verdicts}{verdict="destination-lost"}`)).toBe(1);
  });

  it('counts a silent destination failure once, by VM and device, and closes the session', async () => {
    const { sink, registry } = make();
    const effects = silentDestinationEffects();
    sink.handle(effects.slice(0, 3), 0);
    let m = samples(await registry.metrics());
    expect(m.get(`${METRICS.inProgress}{role="destination"}`)).toBe(1);
    expect(m.get(`${METRICS.silentDestinationFailures}{vm="vm1",device="0000:3b:00.1"}`)).toBeUndefined();

    sink.handle(effects.slice(3), 0);
    // A replayed device-failure effect for the same line must not count twice.
    sink.handle([effects[4]!], 0);
    m = samples(await registry.metrics());
    expect(m.get(`${METRICS.silentDestinationFailures}{vm="vm1",device="0000:3b:00.1"}`)).toBe(1);
    expect(m.get(`${METRICS.vfioTransitions}{state="RESUMING",result="ok"}`)).toBe(1);
    expect(m.get(`${METRICS.vfioTransitions}{state="RUNNING",result="failed"}`)).toBe(1);
    expect(m.get(`${METRICS.sessions}{role="destination",outcome="completed-with-device-failure"}`)).toBe(1);
    expect(m.get(`${METRICS.sessions}{role="destination",outcome="completed"}`)).toBe(0);
    expect(m.get(`${METRICS.verdicts}{verdict="silent-destination-failure"}`)).toBe(1);
    expect(m.get(`${METRICS.inProgress}{role="destination"}`)).toBe(0);
    expect(m.get(`${METRICS.duration}_count{role="destination"}`)).toBe(1);
    expect(m.get(`${METRICS.duration}_sum{role="destination"}`)).toBeCloseTo(1.196, 6);
    expect(m.get(`${METRICS.downtime}_count`)).toBe(0);
  });

  it('records a completed source: duration from total-time, downtime, SHUT 0, unverified verdict', async () => {
    const { sink, registry } = make();
    sink.handle(sourceEffects(), 0);
    const m = samples(await registry.metrics());
    expect(m.get(`${METRICS.sessions}{role="source",outcome="completed"}`)).toBe(1);
    expect(m.get(`${METRICS.verdicts}{verdict="unverified"}`)).toBe(1);
    expect(m.get(`${METRICS.duration}_sum{role="source"}`)).toBeCloseTo(1.18, 6);
    expect(m.get(`${METRICS.duration}_bucket{le="2.5",role="source"}`)).toBe(1);
    expect(m.get(`${METRICS.duration}_bucket{le="1",role="source"}`)).toBe(0);
    expect(m.get(`${METRICS.downtime}_sum`)).toBeCloseTo(0.042, 6);
    expect(m.get(`${METRICS.downtime}_bucket{le="0.05"}`)).toBe(1);
    expect(m.get(`${METRICS.returnPathShut}{value="0"}`)).toBe(1);
    expect(m.get(`${METRICS.returnPathErrors}`)).toBe(0);
    expect(m.get(`${METRICS.inProgress}{role="source"}`)).toBe(0);
  });

  it('counts load failures, failed verdicts and evictions', async () => {
    const { sink, registry } = make();
    sink.handle(loadFailureEffects(), 0);
    const [opened] = sourceEffects('hv-a', 'vm9');
    sink.handle([opened!], 0);
    expect(samples(await registry.metrics()).get(`${METRICS.inProgress}{role="source"}`)).toBe(1);
    sink.handle(
      [{ kind: 'session-evicted', session: (opened as Extract<Effect, { kind: 'session-opened' }>).session }],
      0,
    );
    const m = samples(await registry.metrics());
    expect(m.get(METRICS.loadFailures)).toBe(1);
    expect(m.get(`${METRICS.sessions}{role="destination",outcome="failed"}`)).toBe(1);
    expect(m.get(`${METRICS.verdicts}{verdict="failed"}`)).toBe(1);
    expect(m.get(METRICS.evictedSessions)).toBe(1);
    expect(m.get(`${METRICS.sessions}{role="source",outcome="in-progress"}`)).toBe(1);
    expect(m.get(`${METRICS.inProgress}{role="source"}`)).toBe(0);
  });

  it('never drives in_progress negative for sessions it did not see open (after a restart)', async () => {
    const { sink, registry } = make();
    const effects = sourceEffects();
    sink.handle([effects.at(-1)!], 0);
    expect(samples(await registry.metrics()).get(`${METRICS.inProgress}{role="source"}`)).toBe(0);
    // The closed one stays closed even if a late effect or a restart's re-announcement names it again.
    sink.handle([effects[0]!], 0);
    expect(samples(await registry.metrics()).get(`${METRICS.inProgress}{role="source"}`)).toBe(0);
    const other = sourceEffects('hv-a', 'vm7')[0] as Extract<Effect, { kind: 'session-opened' }>;
    sink.handle([other], 0); // how the pipeline re-announces a session restored from the recorder
    expect(samples(await registry.metrics()).get(`${METRICS.inProgress}{role="source"}`)).toBe(1);
  });

  it('exports the self-metrics', async () => {
    const { sink, registry } = make();
    sink.recordSeen('journald');
    sink.recordSeen('journald');
    sink.unknownRecord('journald');
    sink.error(STAGES.journald, ERROR_TYPES.journald.json);
    sink.sourceUp('qmp', '/run/switchover/vm1.qmp', true);
    sink.sourceUp('journald', 'default', false);
    sink.journalLag(1.5);
    sink.openSessions(3);
    sink.recorderBytes(4096);
    const m = samples(await registry.metrics());
    expect(m.get(`${METRICS.records}{input="journald"}`)).toBe(2);
    expect(m.get(`${METRICS.unknownRecords}{input="journald"}`)).toBe(1);
    expect(
      m.get(`${METRICS.errors}{stage="${STAGES.journald}",error_type="${ERROR_TYPES.journald.json}"}`),
    ).toBe(1);
    expect(m.get(`${METRICS.sourceUp}{input="qmp",target="/run/switchover/vm1.qmp"}`)).toBe(1);
    expect(m.get(`${METRICS.sourceUp}{input="journald",target="default"}`)).toBe(0);
    expect(m.get(METRICS.journalLag)).toBe(1.5);
    expect(m.get(METRICS.openSessions)).toBe(3);
    expect(m.get(METRICS.recorderBytes)).toBe(4096);
    expect(m.get(`${METRICS.buildInfo}{version="0.1.0",node_version="${process.version}"}`)).toBe(1);
  });

  it('passes `promtool check metrics` with every metric populated', async () => {
    const present = existsSync(PROMTOOL);
    if (!present && !process.env.CI) return; // only outside CI may a missing promtool skip this
    expect(present, 'promtool is required in CI').toBe(true);
    const { sink, registry } = make();
    // The per-VM series live in their own sink on the same registry (as in the agent).
    const vmSeries = new VmSeries({ registry, ttlMs: 3_600_000, clock: () => T0 });
    const all = [...sourceEffects(), ...silentDestinationEffects(), ...loadFailureEffects()];
    sink.handle(all, 0);
    vmSeries.handle(all);
    sink.recordSeen('qmp');
    sink.unknownRecord('qmp');
    sink.error('source', 'connect_failed');
    sink.sourceUp('qmp', 'vm1', true);
    const text = await registry.metrics();
    for (const name of Object.values(METRICS)) expect(text).toContain(`# HELP ${name} `);
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
