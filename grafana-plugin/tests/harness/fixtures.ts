import type { DataFrame } from '@grafana/data';
import { allSpans, progressFrame, spansFrame, tableFrame, traceFrame, tracesFrame } from '../fixtures/frames';
import { manyMigrations, migrationPair } from '../fixtures/sessions';

const T0 = Date.UTC(2025, 0, 1, 10);

/** Named fixture data sets for the browser test and the benchmark; each returns fresh frames. */
export const HARNESS_FIXTURES: Record<string, () => DataFrame[]> = {
  // Tempo search, tableType spans
  healthy: () => [
    spansFrame(allSpans(migrationPair({ vm: 'web-01', t0: T0, devices: ['0000:3b:00.2', '0000:3b:00.3'] }))),
  ],
  // Tempo search, tableType traces (nested spansets) + the streaming progress frame
  silent: () => [
    tracesFrame(
      allSpans(migrationPair({ vm: 'gpu-07', t0: T0, kind: 'silent', devices: ['0000:3b:00.2', '0000:3b:00.3'] }))
    ),
    progressFrame(),
  ],
  // trace-by-ID frames, one per host
  failed: () => {
    const spans = allSpans(migrationPair({ vm: 'db-02', t0: T0, kind: 'failed' }), { stopResumeAsEvents: true });
    return [traceFrame(spans.filter((s) => s.host === 'src01')), traceFrame(spans.filter((s) => s.host === 'dst01'))];
  },
  // sessions table: only the source host reported
  unverified: () => [tableFrame(migrationPair({ vm: 'batch-11', t0: T0, kind: 'unverified' }))],
  // two VMs at once, one with a destination clock 3 s behind
  skewed: () => [
    spansFrame(
      allSpans([
        ...migrationPair({ vm: 'skewed-01', t0: T0, kind: 'silent', skewMs: -3000 }),
        ...migrationPair({ vm: 'web-02', t0: T0 + 300, srcHost: 'src02', dstHost: 'dst02' }),
      ])
    ),
  ],
  many: () => [tableFrame(manyMigrations(500))],
};
