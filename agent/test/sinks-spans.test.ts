import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTRS, SPAN_EVENTS, SPANS } from '@switchover/model';
import type { Effect } from '../src/correlator/types.js';
import { SpanSink } from '../src/sinks/spans.js';
import {
  FAILURE_LINE,
  loadFailureEffects,
  silentDestinationEffects,
  sourceEffects,
  T0,
} from './sinks-fixtures.js';

const providers: BasicTracerProvider[] = [];
afterEach(async () => {
  for (const p of providers.splice(0)) await p.shutdown();
});

function setup(maxOpen?: number) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  providers.push(provider);
  const sink = new SpanSink({ tracer: provider.getTracer('test'), ...(maxOpen ? { maxOpen } : {}) });
  return { sink, spans: () => exporter.getFinishedSpans() };
}

const ms = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;
const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

describe('SpanSink', () => {
  it('builds the destination trace of a silent failure with QEMU times, links and the raw line', () => {
    const { sink, spans } = setup();
    const effects = silentDestinationEffects();
    sink.handle(effects.slice(0, -1), T0 + 5000);
    // Only what has ended so far: the `active` phase and the RESUMING segment the failure closed.
    expect(
      spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual([SPANS.phase, SPANS.deviceState].sort());
    sink.handle(effects.slice(-1), T0 + 40_000);
    const all = spans();
    const [root] = byName(all, SPANS.migration);
    expect(root).toBeDefined();
    expect(parentOf(root!)).toBeUndefined();
    expect(ms(root!.startTime)).toBeCloseTo(T0 + 5, 3);
    expect(ms(root!.endTime)).toBeCloseTo(T0 + 1202, 3); // its last event, not the agent's clock
    expect(root!.attributes).toMatchObject({
      [ATTRS.vmName]: 'vm1',
      [ATTRS.role]: 'destination',
      [ATTRS.hostName]: 'hv-b',
      [ATTRS.qemuVersion]: '7.2.22',
      [ATTRS.outcome]: 'completed-with-device-failure',
      [ATTRS.verdict]: 'silent-destination-failure',
      [ATTRS.failedDevices]: ['0000:3b:00.1'],
      [ATTRS.resumeTimeMs]: T0 + 1201,
    });
    expect(root!.status.code).toBe(SpanStatusCode.ERROR);
    expect(root!.status.message).toContain('0000:3b:00.1');
    const failure = root!.events.find((e) => e.name === SPAN_EVENTS.vfioFailure);
    expect(failure?.attributes?.[ATTRS.rawLine]).toBe(FAILURE_LINE);
    expect(ms(failure!.time)).toBeCloseTo(T0 + 1202, 3);
    expect(root!.events.map((e) => e.name)).toEqual([
      SPAN_EVENTS.status, // active
      SPAN_EVENTS.vfioState, // RESUMING
      SPAN_EVENTS.resume,
      SPAN_EVENTS.status, // completed (outcome)
      SPAN_EVENTS.status, // completed phase
      SPAN_EVENTS.status, // completed-with-device-failure
      SPAN_EVENTS.vfioState, // the failed RESUMING -> RUNNING transition
      SPAN_EVENTS.vfioFailure,
    ]);

    const rootId = root!.spanContext().spanId;
    const children = all.filter((s) => s !== root);
    for (const c of children) {
      expect(parentOf(c)).toBe(rootId);
      expect(c.spanContext().traceId).toBe(root!.spanContext().traceId);
      // Tempo search has no parent ids: every child names its migration.
      expect(c.attributes).toMatchObject({
        [ATTRS.migrationId]: 'hv-b/vm1/' + (T0 + 5),
        [ATTRS.vmName]: 'vm1',
        [ATTRS.role]: 'destination',
        [ATTRS.hostName]: 'hv-b',
      });
    }
    expect(byName(all, SPANS.phase).map((s) => s.attributes[ATTRS.phase])).toEqual(['active', 'completed']);
    const devices = byName(all, SPANS.deviceState);
    expect(devices.map((d) => d.attributes[ATTRS.deviceState])).toEqual(['RESUMING', 'RUNNING']);
    const [resuming, after] = devices as [ReadableSpan, ReadableSpan];
    expect(ms(resuming.endTime)).toBeCloseTo(T0 + 1202, 3);
    expect(resuming.status.code).toBe(SpanStatusCode.UNSET);
    expect(after.attributes).toMatchObject({
      [ATTRS.targetState]: 'RUNNING',
      [ATTRS.rawLine]: FAILURE_LINE,
      [ATTRS.device]: '0000:3b:00.1',
    });
    expect(String(after.attributes[ATTRS.errorMessage])).toContain('Input/output error');
    expect(after.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('puts STOP, return path and times on a completed source', () => {
    const { sink, spans } = setup();
    sink.handle(sourceEffects(), T0 + 9000);
    const [root] = byName(spans(), SPANS.migration);
    expect(root!.attributes).toMatchObject({
      [ATTRS.role]: 'source',
      [ATTRS.verdict]: 'unverified',
      [ATTRS.stopTimeMs]: T0 + 1150,
      [ATTRS.downtimeMs]: 42,
      [ATTRS.totalTimeMs]: 1180,
      [ATTRS.returnPathShut]: 0,
      [ATTRS.vmUuid]: '11111111-2222-3333-4444-555555555555',
    });
    expect(root!.status.code).toBe(SpanStatusCode.UNSET);
    expect(root!.events.find((e) => e.name === SPAN_EVENTS.stop)).toBeDefined();
    expect(
      root!.events.find((e) => e.name === SPAN_EVENTS.returnPath)?.attributes?.[ATTRS.returnPathShut],
    ).toBe(0);
    expect(byName(spans(), SPANS.phase).map((s) => s.attributes[ATTRS.phase])).toEqual([
      'setup',
      'active',
      'completed',
    ]);
  });

  it('marks a load failure and an eviction as errors, and ignores effects after the end', () => {
    const { sink, spans } = setup();
    sink.handle(loadFailureEffects(), T0 + 9000);
    const [failed] = byName(spans(), SPANS.migration);
    expect(failed!.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(
      failed!.events.find((e) => e.name === SPAN_EVENTS.loadFailure)?.attributes?.[ATTRS.errorMessage],
    ).toContain('load of migration failed');
    const [opened] = sourceEffects('hv-a', 'vm5') as [Extract<Effect, { kind: 'session-opened' }>];
    sink.handle([opened, { kind: 'session-evicted', session: opened.session }], T0 + 60_000);
    sink.handle([{ kind: 'outcome', session: opened.session }], T0 + 61_000);
    const roots = byName(spans(), SPANS.migration);
    expect(roots).toHaveLength(2);
    expect(roots[1]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'evicted' });
    expect(ms(roots[1]!.endTime)).toBeCloseTo(T0 + 60_000, 3);
  });

  it('makes the failure device span from the effect when the session lane lacks it (state UNKNOWN)', () => {
    const { sink, spans } = setup();
    const effects = silentDestinationEffects();
    const failure = effects.find((e) => e.kind === 'device-failure') as Extract<
      Effect,
      { kind: 'device-failure' }
    >;
    const bare = structuredClone(failure.session);
    bare.devices = [];
    sink.handle(
      [
        effects[0]!,
        { ...failure, session: bare },
        { kind: 'session-closed', session: { ...bare, closed: true } },
      ],
      T0 + 40_000,
    );
    const [device] = byName(spans(), SPANS.deviceState);
    expect(device?.attributes).toMatchObject({
      [ATTRS.deviceState]: 'UNKNOWN',
      [ATTRS.rawLine]: FAILURE_LINE,
    });
    expect(device?.status.code).toBe(SpanStatusCode.ERROR);
    expect(byName(spans(), SPANS.deviceState)).toHaveLength(1);
  });

  it('bounds open traces: the oldest is ended with an error', () => {
    const { sink, spans } = setup(2);
    for (const vm of ['a', 'b', 'c']) sink.handle([sourceEffects('hv-a', vm)[0]!], T0);
    const roots = byName(spans(), SPANS.migration);
    expect(roots.map((r) => r.attributes[ATTRS.vmName])).toEqual(['a']);
    expect(roots[0]!.status.code).toBe(SpanStatusCode.ERROR);
  });
});
