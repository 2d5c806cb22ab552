import { createDataFrame, FieldType } from '@grafana/data';
import { ATTRS, isProblem, SPANS } from '@switchover/model';
import { buildModel, EXPECTED_SCHEMA } from './migrations';
import { allSpans, progressFrame, spansFrame, tableFrame, traceFrame, tracesFrame } from '../../tests/fixtures/frames';
import { failureLine, manyMigrations, migrationPair } from '../../tests/fixtures/sessions';

const T0 = Date.UTC(2025, 0, 1, 10);
const SKEW = 5000;

describe('buildModel: Tempo frames → paired migrations', () => {
  const silent = migrationPair({ vm: 'guest1', t0: T0, kind: 'silent', devices: ['0000:3b:00.2', '0000:3b:00.3'] });

  it('pairs source and destination from a Spans table (different traces) into a silent destination failure', () => {
    const spans = allSpans(silent);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(2);
    const { migrations, problems } = buildModel([spansFrame(spans)], SKEW);
    expect(problems).toEqual([]);
    expect(migrations).toHaveLength(1);
    const m = migrations[0]!;
    expect(m.verdict).toBe('silent-destination-failure');
    expect(m.source?.host).toBe('src01');
    expect(m.destination?.host).toBe('dst01');
    expect(m.failedDevices).toEqual(['0000:3b:00.2']);
    const lane = m.destination!.devices.find((d) => d.device === '0000:3b:00.2')!;
    expect(lane.failure?.raw).toBe(failureLine('0000:3b:00.2'));
    expect(lane.failure?.target).toBe('RUNNING');
    // units: Spans `duration` is ns, `time` ms; the phase spans come back in ms
    expect(m.source!.phases.map((p) => [p.name, p.end! - p.start])).toEqual([
      ['setup', 100],
      ['active', 800],
      ['device', 48],
      ['completed', 2],
    ]);
    // numbers sent as strings (int64 over HTTP) and as numbers both arrive as numbers
    expect(m.source!.downtimeMs).toBe(40);
    expect(m.source!.stopTime).toBe(T0 + 900);
    expect(m.destination!.resumeTime).toBe(T0 + 940);
  });

  it('reads the Traces frame with nested spanset frames and ignores Streaming Progress', () => {
    const spans = allSpans(silent);
    const { migrations, framesRead } = buildModel([tracesFrame(spans), progressFrame()], SKEW);
    expect(framesRead).toBe(1);
    expect(migrations).toHaveLength(1);
    expect(migrations[0]!.verdict).toBe('silent-destination-failure');
    expect(migrations[0]!.destination!.devices).toHaveLength(2);
  });

  it('reads trace-by-ID frames: ms units, resource host.name, STOP/RESUME from span events', () => {
    const spans = allSpans(silent, { stopResumeAsEvents: true });
    const src = spans.filter((s) => s.host === 'src01');
    const dst = spans.filter((s) => s.host === 'dst01');
    const { migrations } = buildModel([traceFrame(src), traceFrame(dst)], SKEW);
    expect(migrations).toHaveLength(1);
    const m = migrations[0]!;
    expect(m.verdict).toBe('silent-destination-failure');
    expect(m.source!.stopTime).toBe(T0 + 900);
    expect(m.destination!.resumeTime).toBe(T0 + 940);
    expect(m.source!.end! - m.source!.start).toBe(950);
  });

  it('does not double-count spans delivered in both Spans and Traces frames', () => {
    const spans = allSpans(silent);
    const { migrations } = buildModel([spansFrame(spans), tracesFrame(spans)], SKEW);
    expect(migrations).toHaveLength(1);
    expect(migrations[0]!.source!.phases).toHaveLength(4);
  });

  it('keeps two VMs migrating at the same time apart', () => {
    const sessions = [
      ...migrationPair({ vm: 'alpha', t0: T0, kind: 'healthy' }),
      ...migrationPair({ vm: 'beta', t0: T0 + 200, kind: 'silent', srcHost: 'src02', dstHost: 'dst01' }),
    ];
    const { migrations } = buildModel([spansFrame(allSpans(sessions))], SKEW);
    expect(migrations.map((m) => [m.vm, m.verdict, m.source?.host, m.destination?.host])).toEqual([
      ['beta', 'silent-destination-failure', 'src02', 'dst01'],
      ['alpha', 'succeeded', 'src01', 'dst01'],
    ]);
  });

  it('still pairs across skewed clocks within the allowance, and reports the start offset', () => {
    const sessions = migrationPair({ vm: 'skewed', t0: T0, kind: 'healthy', skewMs: -3000 });
    const { migrations } = buildModel([spansFrame(allSpans(sessions))], SKEW);
    expect(migrations).toHaveLength(1);
    expect(migrations[0]!.verdict).toBe('succeeded');
    expect(migrations[0]!.startOffsetMs).toBe(150 - 3000);
    // beyond the allowance the sides stay apart, each unverified / alone
    const far = buildModel([spansFrame(allSpans(migrationPair({ vm: 'far', t0: T0, skewMs: -20_000 })))], SKEW);
    expect(far.migrations).toHaveLength(2);
  });

  it('coerces attribute values that Tempo declares string but delivers as numbers, booleans or undefined', () => {
    const frame = createDataFrame({
      name: 'Spans',
      fields: [
        { name: 'traceIdHidden', type: FieldType.string, values: ['t1', 't1'] },
        { name: 'spanID', type: FieldType.string, values: ['a', 'b'] },
        { name: 'time', type: FieldType.time, values: [T0, T0 + 10] },
        { name: 'name', type: FieldType.string, values: [SPANS.migration, SPANS.phase] },
        { name: ATTRS.vmName, type: FieldType.string, values: [42, 42] },
        { name: ATTRS.role, type: FieldType.string, values: ['source', 'source'] },
        { name: ATTRS.outcome, type: FieldType.string, values: ['completed', undefined] },
        { name: ATTRS.phase, type: FieldType.string, values: [undefined, 'active'] },
        { name: ATTRS.stopTimeMs, type: FieldType.string, values: [String(T0 + 500), undefined] },
        { name: ATTRS.downtimeMs, type: FieldType.string, values: [false, undefined] },
        { name: 'duration', type: FieldType.number, values: [1e9, 5e8] },
      ],
    });
    const { migrations } = buildModel([frame], SKEW);
    const s = migrations[0]!.source!;
    expect(s.vm).toBe('42');
    expect(s.stopTime).toBe(T0 + 500);
    expect(s.downtimeMs).toBeNull();
    expect(s.end).toBe(T0 + 1000);
    expect(s.phases).toEqual([{ name: 'active', start: T0 + 10, end: T0 + 510 }]);
    expect(migrations[0]!.verdict).toBe('unverified');
  });
});

describe('buildModel: sessions table', () => {
  it('reads the model table schema (JSON numbers) via sessionsFromRows', () => {
    const sessions = [
      ...migrationPair({ vm: 'a', t0: T0, kind: 'failed' }),
      ...migrationPair({ vm: 'b', t0: T0, kind: 'unverified' }),
    ];
    const { migrations } = buildModel([tableFrame(sessions)], SKEW);
    expect(migrations.map((m) => [m.vm, m.verdict])).toEqual([
      ['a', 'failed'],
      ['b', 'unverified'],
    ]);
  });

  it('reads the same table as CSV text cells', () => {
    const { migrations } = buildModel([tableFrame(migrationPair({ vm: 'csv', t0: T0, kind: 'silent' }), true)], SKEW);
    expect(migrations).toHaveLength(1);
    expect(migrations[0]!.verdict).toBe('silent-destination-failure');
    expect(migrations[0]!.destination!.devices[0]!.failure!.raw).toBe(failureLine('0000:3b:00.2'));
    expect(migrations[0]!.source!.stopTime).toBe(T0 + 900);
  });

  it('sorts problems first for 500 migrations', () => {
    const { migrations } = buildModel([tableFrame(manyMigrations(500))], SKEW);
    expect(migrations).toHaveLength(500);
    const firstOk = migrations.findIndex((m) => !isProblem(m.verdict));
    expect(migrations.slice(firstOk).some((m) => isProblem(m.verdict))).toBe(false);
    expect(migrations[0]!.verdict).toBe('silent-destination-failure');
  });
});

describe('buildModel: missing fields', () => {
  it('names the missing table fields', () => {
    const frame = createDataFrame({
      name: 'api',
      fields: [
        { name: 'session_id', type: FieldType.string, values: ['x'] },
        { name: 'vm', type: FieldType.string, values: ['v'] },
      ],
    });
    const { migrations, problems } = buildModel([frame], SKEW);
    expect(migrations).toEqual([]);
    expect(problems).toEqual([{ frame: 'api', missing: ['host', 'role', 'kind', 'start'] }]);
  });

  it('names the missing span attributes when the TraceQL select() left them out', () => {
    const spans = allSpans(migrationPair({ vm: 'v', t0: T0 })).map((s) => ({
      ...s,
      attrs: Object.fromEntries(Object.entries(s.attrs).filter(([k]) => k !== ATTRS.role)),
    }));
    const { problems } = buildModel([spansFrame(spans)], SKEW);
    expect(problems).toEqual([{ frame: 'Tempo spans', missing: [ATTRS.vmName, ATTRS.role] }]);
  });

  it('describes an unrelated frame with the table schema, and accepts no frames at all', () => {
    const frame = createDataFrame({ name: 'cpu', fields: [{ name: 'Value', type: FieldType.number, values: [1] }] });
    expect(buildModel([frame], SKEW).problems).toEqual([{ frame: 'cpu', missing: [...EXPECTED_SCHEMA.table] }]);
    expect(buildModel([], SKEW)).toMatchObject({ migrations: [], problems: [] });
  });
});
