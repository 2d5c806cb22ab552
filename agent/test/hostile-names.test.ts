/**
 * Regression (issue 9.1): a VM named `__proto__` replaced the prototype of a plain object keyed by VM
 * names, after which every metric update threw; VMs named `constructor`, `toString`, `valueOf` and
 * `hasOwnProperty` were never tracked. Every stage that keys anything by an external name (the
 * correlator through `Ingest`, metrics, spans, the recorder and its snapshot, review, pairing) is fed
 * those names here, with a device named after one too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTRS, METRICS, SPANS, type Session } from '@switchover/model';
import type { Effect } from '../src/correlator/types.js';
import { Ingest } from '../src/ingest/ingest.js';
import { FileRecorder } from '../src/recorder/file-recorder.js';
import type { RawRecord } from '../src/records/types.js';
import { review } from '../src/review/review.js';
import { MetricsSink } from '../src/sinks/metrics.js';
import { SpanSink } from '../src/sinks/spans.js';
import {
  HOSTILE_NAMES,
  destinationEvents,
  libvirtHeader,
  sourceEvents,
  sourceLog,
  vfioFailureLine,
} from './helpers/libvirt-lines.js';

const T0 = Date.UTC(2024, 10, 19, 3, 26, 40);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sw-hostile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  // Whatever happened, nothing may have reached the shared prototype.
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  expect(({} as Record<string, unknown>).lastSeen).toBeUndefined();
});

const virsh = (host: string, text: string): RawRecord => ({
  kind: 'virsh-line',
  host,
  arrival: T0 + 60_000,
  origin: { kind: 'virsh' },
  text,
});
const logLine = (host: string, vm: string, text: string, line: number, arrival = T0): RawRecord => ({
  kind: 'log-line',
  host,
  vm: { name: vm },
  arrival,
  origin: { kind: 'libvirt-log', file: `/var/log/libvirt/qemu/${vm}.log`, line },
  text,
});

/** The destination's input for every hostile VM, as the live inputs deliver it, through one Ingest. */
function destinationRecords(): RawRecord[] {
  const out: RawRecord[] = [];
  HOSTILE_NAMES.forEach((vm, i) => {
    const start = T0 + 8000 + i * 1000;
    const header = libvirtHeader({ vm, t0: T0 + i, incoming: true, device: 'constructor' });
    header.forEach((l, n) => out.push(logLine('dst', vm, l, n + 1)));
    for (const l of destinationEvents(vm, start, start + 500)) out.push(virsh('dst', l));
    // Printed during libvirt's `cont`, read right after the RESUME event.
    out.push(logLine('dst', vm, vfioFailureLine('constructor'), header.length + 1, start + 600));
  });
  return out;
}

describe('hostile VM and device names', () => {
  it('are tracked by Ingest and counted by the metrics and span sinks, which keep working', async () => {
    const registry = new Registry();
    const metrics = new MetricsSink({ registry, host: 'dst', version: 'test' });
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const spanErrors: unknown[] = [];
    const spans = new SpanSink({
      tracer: provider.getTracer('test'),
      onError: (_s, _t, err) => spanErrors.push(err),
    });
    const ingest = new Ingest({ windowMs: 30_000 });
    const sessions = new Map<string, Session>();
    const handle = (effects: Effect[], now: number): void => {
      metrics.handle(effects, now);
      spans.handle(effects, now);
      for (const e of effects) if (e.kind !== 'unattributed') sessions.set(e.session.id, e.session);
    };
    let now = T0;
    for (const r of destinationRecords()) {
      const d = ingest.decode(r);
      expect(d.status, JSON.stringify(r)).not.toBe('unknown');
      for (const o of d.observations) handle(ingest.observe(o, (now = Math.max(now, o.time))), now);
    }
    handle(ingest.tick(now + 60_000), now + 60_000);

    const byVm = new Map([...sessions.values()].map((s) => [s.vm, s]));
    expect([...byVm.keys()].sort()).toEqual([...HOSTILE_NAMES].sort());
    for (const s of byVm.values()) {
      expect(s.role).toBe('destination');
      expect(s.outcome).toBe('completed-with-device-failure');
      expect(s.devices.map((d) => d.device)).toEqual(['constructor']);
    }
    const text = await registry.metrics();
    for (const vm of HOSTILE_NAMES)
      expect(text).toContain(`${METRICS.silentDestinationFailures}{vm="${vm}",device="constructor"} 1`);
    expect(text).not.toMatch(/switchover_errors_total\{[^}]*\} [1-9]/);
    const roots = exporter.getFinishedSpans().filter((s) => s.name === SPANS.migration);
    expect(roots.map((s) => s.attributes[ATTRS.vmName]).sort()).toEqual([...HOSTILE_NAMES].sort());
    expect(spanErrors).toEqual([]);
    await provider.shutdown();
  });

  it('survive the recorder: a snapshot with them restores every open session by its own name', async () => {
    const ingest = new Ingest();
    for (const [i, vm] of HOSTILE_NAMES.entries())
      for (const l of sourceEvents(vm, T0 + i * 1000, T0 + 60_000).slice(0, 2))
        for (const o of ingest.decode(virsh('src', l)).observations) ingest.observe(o, o.time);
    expect(ingest.openSessions()).toHaveLength(HOSTILE_NAMES.length);

    const first = new FileRecorder({ stateDir: dir });
    await first.load();
    await first.snapshot(ingest.snapshot());
    await first.stop();
    const second = new FileRecorder({ stateDir: dir });
    const { state, sessions } = await second.load();
    await second.stop();
    expect(sessions.map((s) => s.vm).sort()).toEqual([...HOSTILE_NAMES].sort());
    const restored = new Ingest();
    expect(
      restored
        .restore(state!)
        .map((s) => s.vm)
        .sort(),
    ).toEqual([...HOSTILE_NAMES].sort());
    // The restored state keeps working: each VM's completion closes its own session.
    const closed: string[] = [];
    for (const vm of HOSTILE_NAMES)
      for (const l of sourceEvents(vm, T0, T0 + 60_000).slice(2))
        for (const o of restored.decode(virsh('src', l)).observations)
          for (const e of restored.observe(o, o.time))
            if (e.kind === 'session-closed') closed.push(e.session.vm);
    for (const e of restored.tick(T0 + 120_000)) if (e.kind === 'session-closed') closed.push(e.session.vm);
    expect(closed.sort()).toEqual([...HOSTILE_NAMES].sort());
  });

  it('review pairs both hosts of each of them from libvirt logs and virsh output', async () => {
    const files: { host: string; path: string }[] = [];
    const srcEvents: string[] = [];
    const dstEvents: string[] = [];
    for (const [i, vm] of HOSTILE_NAMES.entries()) {
      const start = T0 + 8000 + i * 1000;
      const end = start + 500;
      const src = join(dir, `src-${i}.log`);
      await writeFile(src, `${sourceLog({ vm, t0: T0, start, end: end + 200 }).join('\n')}\n`);
      const dst = join(dir, `dst-${i}.log`);
      await writeFile(
        dst,
        `${[...libvirtHeader({ vm, t0: T0, incoming: true }), vfioFailureLine()].join('\n')}\n`,
      );
      files.push({ host: 'src', path: src }, { host: 'dst', path: dst });
      srcEvents.push(...sourceEvents(vm, start, end));
      dstEvents.push(...destinationEvents(vm, start + 20, end + 10));
    }
    await writeFile(join(dir, 'src.events'), `${srcEvents.join('\n')}\n`);
    await writeFile(join(dir, 'dst.events'), `${dstEvents.join('\n')}\n`);
    files.push(
      { host: 'src', path: join(dir, 'src.events') },
      { host: 'dst', path: join(dir, 'dst.events') },
    );
    const r = await review(files);
    expect(r.migrations.map((m) => [m.vm, m.verdict]).sort()).toEqual(
      HOSTILE_NAMES.map((vm) => [vm, 'silent-destination-failure']).sort(),
    );
    for (const m of r.migrations) {
      expect(m.source?.host).toBe('src');
      expect(m.destination?.host).toBe('dst');
    }
  });
});
