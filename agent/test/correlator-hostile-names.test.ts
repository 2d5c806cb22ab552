/**
 * Regression (issue 9.1): VM and device names are chosen by tenants and other programs. A VM named
 * `__proto__` used to set the prototype of the correlator's VM table (and every later lookup then
 * went astray); `constructor`, `toString`, `valueOf`, `hasOwnProperty` hit inherited members, so
 * those VMs were never tracked. The correlator's name-keyed tables are null-prototype dictionaries,
 * and stay so after a snapshot goes through JSON and back.
 */
import { describe, expect, it } from 'vitest';
import type { Session } from '@switchover/model';
import { Ingest } from '../src/ingest/ingest.js';
import { ob } from './correlator-helpers.js';

const HOSTILE = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];

/** A destination migration of `vm` whose device (named `device`) fails after RESUME. */
function silentFailure(ingest: Ingest, vm: string, device: string, t0: number): Session[] {
  const out: Session[] = [];
  const feed = (o: Parameters<Ingest['observe']>[0]): void => {
    for (const e of ingest.observe(o, o.time)) if (e.kind === 'session-closed') out.push(e.session);
  };
  feed(ob.identity(vm, t0, { incoming: true, devices: { [device]: device } }));
  feed(ob.status(vm, 'active', t0 + 10));
  feed(ob.status(vm, 'completed', t0 + 1000));
  feed(ob.resume(vm, t0 + 1010));
  feed(ob.failure(vm, device, t0 + 1011));
  for (const e of ingest.tick(t0 + 60_000)) if (e.kind === 'session-closed') out.push(e.session);
  return out;
}

describe('correlator: hostile VM and device names', () => {
  it('tracks VMs named like Object.prototype members and never pollutes it', () => {
    const ingest = new Ingest({ windowMs: 5000 });
    const closed = HOSTILE.flatMap((name, i) => silentFailure(ingest, name, name, i * 100_000));
    expect(closed.map((s) => [s.vm, s.outcome, s.devices.map((d) => d.device)])).toEqual(
      HOSTILE.map((name) => [name, 'completed-with-device-failure', [name]]),
    );
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).vm).toBeUndefined();
  });

  it('keeps them apart after a snapshot went through JSON (the flight recorder) and back', () => {
    const before = new Ingest({ windowMs: 5000 });
    for (const name of HOSTILE) before.observe(ob.status(name, 'active', 10), 10);
    const after = new Ingest({ windowMs: 5000 });
    const open = after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    expect(open.map((s) => s.vm).sort()).toEqual([...HOSTILE].sort());
    const closed = HOSTILE.flatMap((name) => {
      after.observe(ob.status(name, 'completed', 1000), 1000);
      after.observe(ob.resume(name, 1010), 1010);
      return after
        .observe(ob.failure(name, 'constructor', 1011), 1011)
        .filter((e) => e.kind === 'device-failure');
    });
    expect(closed).toHaveLength(HOSTILE.length);
  });
});
