import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSession, METRICS, type Role, type Session, type SideOutcome } from '@switchover/model';
import type { Effect } from '../src/correlator/types.js';
import { ROLE_GRACE_MS, VmSeries } from '../src/sinks/vm-series.js';

const T0 = Date.UTC(2024, 4, 2, 10, 0, 0);
const HOUR = 3_600_000;

/** `name{labels}` → value, for the per-VM metrics only. */
async function vmSamples(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function setup(maxEntries?: number) {
  const clock = { now: T0 };
  const registry = new Registry();
  const errors: string[] = [];
  const sink = new VmSeries({
    registry,
    ttlMs: HOUR,
    clock: () => clock.now,
    ...(maxEntries !== undefined ? { maxEntries } : {}),
    onError: (stage, type) => errors.push(`${stage}/${type}`),
  });
  return { clock, registry, sink, errors };
}

function session(
  vm: string,
  role: Role,
  start: number,
  o: { end?: number; outcome?: SideOutcome; peer?: string; closed?: boolean } = {},
): Session {
  const s = createSession({ host: role === 'source' ? 'hv-a' : 'hv-b', vm, role, start });
  Object.assign(s, {
    end: o.end ?? null,
    outcome: o.outcome ?? 'in-progress',
    peer: o.peer ?? null,
    closed: o.closed ?? false,
  });
  return s;
}

/** The effects of one whole session: opened, a phase, closed. */
function lifecycle(s: Session): Effect[] {
  const open = { ...s, end: null, outcome: 'in-progress' as const, closed: false };
  return [
    { kind: 'session-opened', session: open },
    { kind: 'phase-changed', session: open, phase: { name: 'active', start: s.start, end: null } },
    { kind: 'session-closed', session: { ...s, closed: true } },
  ];
}

const start = (vm: string, role: Role) => `${METRICS.vmSessionStart}{vm="${vm}",role="${role}"}`;
const end = (vm: string, role: Role, outcome: string, verdict: string) =>
  `${METRICS.vmSessionEnd}{vm="${vm}",role="${role}",outcome="${outcome}",verdict="${verdict}"}`;
const peer = (vm: string, role: Role, p: string) =>
  `${METRICS.vmPeerInfo}{vm="${vm}",role="${role}",peer="${p}"}`;

describe('VmSeries: per-VM migration series with a bounded lifetime', () => {
  it('a completed source: start, end by outcome and single-side verdict, and its peer', async () => {
    const { registry, sink } = setup();
    sink.handle(
      lifecycle(session('vm1', 'source', T0, { end: T0 + 1200, outcome: 'completed', peer: '10.0.0.19' })),
    );
    const m = await vmSamples(registry);
    expect(m.get(start('vm1', 'source'))).toBe(T0 / 1000);
    expect(m.get(end('vm1', 'source', 'completed', 'unverified'))).toBe((T0 + 1200) / 1000);
    expect(m.get(peer('vm1', 'source', '10.0.0.19'))).toBe(1);
    expect(m.size).toBe(3);
  });

  it('a destination with a device failure: its verdict alone already says silent-destination-failure, no peer', async () => {
    const { registry, sink } = setup();
    sink.handle(
      lifecycle(
        session('vm1', 'destination', T0, { end: T0 + 1190, outcome: 'completed-with-device-failure' }),
      ),
    );
    const m = await vmSamples(registry);
    expect(
      m.get(end('vm1', 'destination', 'completed-with-device-failure', 'silent-destination-failure')),
    ).toBe((T0 + 1190) / 1000);
    expect([...m.keys()].filter((k) => k.startsWith(METRICS.vmPeerInfo))).toEqual([]);
    expect(m.size).toBe(2);
  });

  it('an ended session goes one TTL after it ended; a running one never does', async () => {
    const { clock, registry, sink } = setup();
    sink.handle(
      lifecycle(session('done', 'source', T0, { end: T0 + 1000, outcome: 'completed', peer: 'hv-b' })),
    );
    sink.handle([{ kind: 'session-opened', session: session('running', 'destination', T0) }]);
    clock.now = T0 + HOUR;
    expect((await vmSamples(registry)).size).toBe(4);
    clock.now = T0 + HOUR + 1;
    const m = await vmSamples(registry);
    expect([...m.keys()]).toEqual([start('running', 'destination')]);
    clock.now = T0 + 10 * HOUR;
    expect([...(await vmSamples(registry)).keys()]).toEqual([start('running', 'destination')]);
    expect(sink.size).toBe(1);
  });

  it('the next session of a VM: new start, the previous end until it ends, no stale peer', async () => {
    const { clock, registry, sink } = setup();
    sink.handle(
      lifecycle(session('vm1', 'source', T0, { end: T0 + 1000, outcome: 'completed', peer: 'hv-b' })),
    );
    clock.now = T0 + 60_000;
    const next = session('vm1', 'source', T0 + 60_000);
    sink.handle([{ kind: 'session-opened', session: next }]);
    clock.now += ROLE_GRACE_MS;
    let m = await vmSamples(registry);
    expect(m.get(start('vm1', 'source'))).toBe((T0 + 60_000) / 1000);
    expect(m.get(end('vm1', 'source', 'completed', 'unverified'))).toBe((T0 + 1000) / 1000);
    expect(m.has(peer('vm1', 'source', 'hv-b'))).toBe(false);
    sink.handle([
      { kind: 'session-closed', session: { ...next, end: T0 + 61_000, outcome: 'failed', closed: true } },
    ]);
    m = await vmSamples(registry);
    expect(m.has(end('vm1', 'source', 'completed', 'unverified'))).toBe(false);
    expect(m.get(end('vm1', 'source', 'failed', 'failed'))).toBe((T0 + 61_000) / 1000);
    expect(m.size).toBe(2);
    // A late effect of the older session changes nothing.
    sink.handle([
      { kind: 'outcome', session: session('vm1', 'source', T0, { end: T0 + 1000, outcome: 'completed' }) },
    ]);
    expect(await vmSamples(registry)).toEqual(m);
  });

  it('a provisional role is never shown: the session waits for its grace, or its end', async () => {
    const { clock, registry, sink } = setup();
    // 7.2 `setup` opens the session as a guessed destination; the next event says source.
    const guessed = session('vm1', 'destination', T0);
    sink.handle([{ kind: 'session-opened', session: guessed }]);
    expect((await vmSamples(registry)).size).toBe(0);
    clock.now += 5;
    const settled = { ...guessed, role: 'source' as const, peer: 'hv-b' };
    sink.handle([
      { kind: 'phase-changed', session: settled, phase: { name: 'setup', start: T0, end: null } },
    ]);
    expect(sink.held).toBe(1);
    clock.now = T0 + ROLE_GRACE_MS;
    const m = await vmSamples(registry);
    expect([...m.keys()].sort()).toEqual([peer('vm1', 'source', 'hv-b'), start('vm1', 'source')].sort());
    // A session that ends within the grace is shown at once, with its final role.
    sink.handle(lifecycle(session('vm2', 'destination', T0, { end: T0 + 500, outcome: 'completed' })));
    expect((await vmSamples(registry)).get(end('vm2', 'destination', 'completed', 'unverified'))).toBe(
      (T0 + 500) / 1000,
    );
  });

  it('a role that changes after the grace gives the wrong role its previous session back', async () => {
    const { clock, registry, sink } = setup();
    sink.handle(lifecycle(session('vm1', 'destination', T0, { end: T0 + 1000, outcome: 'completed' })));
    clock.now = T0 + 60_000;
    const next = session('vm1', 'destination', T0 + 60_000);
    sink.handle([{ kind: 'session-opened', session: next }]);
    clock.now += ROLE_GRACE_MS;
    expect((await vmSamples(registry)).get(start('vm1', 'destination'))).toBe((T0 + 60_000) / 1000);
    sink.handle([{ kind: 'outcome', session: { ...next, role: 'source' } }]);
    const m = await vmSamples(registry);
    expect(m.get(start('vm1', 'destination'))).toBe(T0 / 1000);
    expect(m.get(end('vm1', 'destination', 'completed', 'unverified'))).toBe((T0 + 1000) / 1000);
    expect(m.get(start('vm1', 'source'))).toBe((T0 + 60_000) / 1000);
  });

  it('restores from recorded sessions after a restart, counting the TTL from when each ended', async () => {
    const { clock, registry, sink } = setup();
    clock.now = T0 + 2 * HOUR;
    const old = session('old', 'source', T0, { end: T0 + 1000, outcome: 'completed', closed: true });
    const recent = session('vm1', 'destination', T0 + HOUR + 30 * 60_000, {
      end: T0 + HOUR + 30 * 60_000 + 900,
      outcome: 'completed',
      closed: true,
    });
    const before = session('vm1', 'destination', T0 + HOUR, {
      end: T0 + HOUR + 900,
      outcome: 'failed',
      closed: true,
    });
    const live = session('vm2', 'source', T0 + 2 * HOUR - 5000);
    // The pipeline re-announced the session it restored open before the sink is seeded.
    sink.handle([{ kind: 'session-opened', session: live }]);
    sink.restore([recent, old, before, live], new Set([live.id]));
    clock.now += ROLE_GRACE_MS;
    const m = await vmSamples(registry);
    expect([...m.keys()].sort()).toEqual(
      [
        start('vm1', 'destination'),
        end('vm1', 'destination', 'completed', 'unverified'),
        start('vm2', 'source'),
      ].sort(),
    );
    expect(m.get(start('vm1', 'destination'))).toBe(recent.start / 1000);
    clock.now = recent.end! + HOUR + 1;
    expect([...(await vmSamples(registry)).keys()]).toEqual([start('vm2', 'source')]);
  });

  it('keeps tenant-chosen VM names as data: __proto__, constructor, quotes and newlines', async () => {
    const { registry, sink } = setup();
    for (const vm of ['__proto__', 'constructor', 'a"b\\c\nd'])
      sink.handle(lifecycle(session(vm, 'source', T0, { end: T0 + 1, outcome: 'completed', peer: 'hv-b' })));
    expect(sink.size).toBe(3);
    const text = await registry.metrics();
    expect(text).toContain(`${METRICS.vmSessionStart}{vm="__proto__",role="source"}`);
    expect(text).toContain(`vm="a\\"b\\\\c\\nd"`);
    if (existsSync('/usr/bin/promtool')) {
      const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('beyond maxEntries drops the least recently changed ended VMs (a named failure), never a running one', async () => {
    const { clock, registry, sink, errors } = setup(3);
    sink.handle([{ kind: 'session-opened', session: session('running', 'source', T0) }]);
    clock.now += ROLE_GRACE_MS;
    sink.sweep();
    for (let i = 0; i < 4; i++)
      sink.handle(lifecycle(session(`vm${i}`, 'source', T0 + i, { end: T0 + i + 1, outcome: 'completed' })));
    expect(sink.size).toBe(3);
    expect(errors).toEqual(['metrics/vm_series_dropped', 'metrics/vm_series_dropped']);
    const starts = [...(await vmSamples(registry)).keys()].filter((k) =>
      k.startsWith(METRICS.vmSessionStart),
    );
    expect(starts.sort()).toEqual(
      [start('running', 'source'), start('vm2', 'source'), start('vm3', 'source')].sort(),
    );
  });
});
