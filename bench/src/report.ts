import type { CardinalityResult } from './cardinality.js';
import { FOOTPRINT_TARGETS, type FootprintResult } from './footprint-bench.js';
import type { LatencyOutcome } from './latency-bench.js';
import { LATENCY_TARGET_MS } from './latency.js';
import { fixed, grouped, table } from './table.js';
import type { ThroughputResult } from './throughput-bench.js';

export const THROUGHPUT_TARGET_RATIO = 1.3;

const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');

export function throughputReport(r: ThroughputResult): string {
  const n = r.journal.entries;
  const eps = (s: number): string => grouped(n / s);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length / 2) - 1]!;
  const cpu = median(r.switchover.map((s) => s.nodeCpuSeconds));
  const repeats = r.baseline.length;
  const t = r.tally;
  const closed = (role: 'source' | 'destination'): string =>
    Object.entries(t.sessionsClosed[role])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    '1. Throughput: journalctl JSON -> decode -> correlate, in-process',
    `journal: ${grouped(n)} entries (${grouped(r.expected.migrations)} QEMU migrations in ${grouped(r.expected.qemuEntries)} QEMU entries, the rest host noise), ` +
      `${r.journal.files} file(s), ${fixed(r.journal.bytes / 1e6, 0)} MB, written by systemd-journal-remote in ${fixed(r.journal.seconds, 1)} s`,
    `runs: ${repeats} per side, alternating; headline = best of ${repeats}, median alongside`,
    '',
    table(
      ['', 'best s', 'median s', 'entries/s (best)', 'ratio (best)', 'ratio (median)'],
      [
        [
          'journalctl -o json > /dev/null',
          fixed(r.best.baselineSeconds),
          fixed(r.median.baselineSeconds),
          eps(r.best.baselineSeconds),
          '1.00',
          '1.00',
        ],
        [
          'journalctl -o json | switchover',
          fixed(r.best.switchoverSeconds),
          fixed(r.median.switchoverSeconds),
          eps(r.best.switchoverSeconds),
          fixed(r.best.ratio),
          fixed(r.median.ratio),
        ],
      ],
    ),
    '',
    `target ratio <= ${fixed(THROUGHPUT_TARGET_RATIO)}x journalctl: ${verdict(r.best.ratio <= THROUGHPUT_TARGET_RATIO)} (best ${fixed(r.best.ratio)}x, median ${fixed(r.median.ratio)}x)`,
    `switchover side CPU (this Node process, median): ${fixed(cpu)} s = ${grouped(n / cpu)} entries per CPU-second`,
    `decoded lines: ${grouped(t.lines)} lines -> ${grouped(t.decoded)} decoded, ${grouped(t.ignored)} ignored, ${grouped(t.unknown)} unknown; ${grouped(t.observations)} observations`,
    `found: ${t.sessionsOpened} sessions (source: ${closed('source')}; destination: ${closed('destination')}), ${t.silentFailures} silent destination failures`,
    r.sanity.ok
      ? `sanity: matches what was generated (${r.expected.migrations} migrations, ${r.expected.silentFailures} silent failures)`
      : `sanity: MISMATCH\n  ${r.sanity.problems.join('\n  ')}`,
  ].join('\n');
}

export function latencyReport(outcomes: readonly LatencyOutcome[], scrapeMs: number): string {
  const rows = outcomes.map((o) => {
    if ('skipped' in o) return [o.input, '-', '-', '-', '-', '-', '-', '-', `skipped: ${o.skipped}`];
    const m = o.ms;
    const missed = o.misses.sessionNotOpened + o.misses.notDetected;
    return [
      o.input === 'file' ? 'libvirt domain log' : 'journald (namespace)',
      String(o.runs),
      `${m.n}${missed ? ` (${missed} missed)` : ''}`,
      fixed(m.p50, 1),
      fixed(m.p90, 1),
      fixed(m.p99, 1),
      fixed(m.max, 1),
      `${o.withinTarget}/${m.n}`,
      m.n ? verdict(m.p99 <= LATENCY_TARGET_MS && missed === 0) : 'no samples',
    ];
  });
  for (const o of outcomes) {
    if ('skipped' in o || !o.baselineMs) continue;
    const b = o.baselineMs;
    rows.push([
      `  baseline: bare journalctl --follow`,
      String(o.runs),
      String(b.n),
      fixed(b.p50, 1),
      fixed(b.p90, 1),
      fixed(b.p99, 1),
      fixed(b.max, 1),
      '',
      '(same lines)',
    ]);
  }
  const paths = outcomes
    .filter((o): o is Exclude<LatencyOutcome, { skipped: string }> => !('skipped' in o))
    .map((o) => `  ${o.input}: ${o.path}`);
  return [
    '2. Detection latency: failure line appended -> silent-failure counter on GET /metrics (ms)',
    table(
      [
        'input',
        'runs',
        'detected',
        'p50',
        'p90',
        'p99',
        'max',
        `<= ${LATENCY_TARGET_MS} ms`,
        `p99 <= ${LATENCY_TARGET_MS} ms`,
      ],
      rows,
    ),
    '',
    ...paths,
    `  each run: fresh VM, destination session open (active), random 0-250 ms pause, then clock start -> append failure line`,
    `  -> scrape every ${scrapeMs} ms until qemu_migration_silent_destination_failures_total{vm=...} appears;`,
    `  figures include up to one scrape period plus the scrape itself.`,
  ].join('\n');
}

export function cardinalityReport(results: readonly CardinalityResult[]): string {
  const role = { source: 'source only', destination: 'destination only', both: 'source and destination' };
  const rows = results.map((r) => {
    const [h1, h2] = [r.hourly[0], r.hourly.at(-1)];
    return [
      `${role[r.scenario]}, ${r.migrationsPerHour}/h`,
      String(r.idle.series),
      h1 ? `${h1.series} (+${h1.series - r.idle.series})` : '-',
      h2 ? `${h2.series} (+${h2.series - r.idle.series})` : '-',
      h2 ? `${h2.perVm} for ${h2.vms} VMs` : '-',
      `${r.drained.series} (per-VM ${r.drained.perVm})`,
    ];
  });
  return [
    "3. Series per host: a real agent's GET /metrics while the host takes part in migrations, each of another VM",
    table(
      ['host', 'idle (baseline)', 'after 1 h', 'after 2 h', 'per-VM series at 2 h', 'after TTL, idle'],
      rows,
    ),
    '',
    '  migrations read from the libvirt-log input (QEMU 7.2 traces; sources name their peer); simulated time',
    '  (injected clock), metrics.vmSeriesTtlSeconds 3600: per-VM series follow the last hour, then expire.',
    '  With no QMP or virsh input nothing can show a RESUME, so a completed destination closes after the',
    '  attribution window (detection.windowSeconds) rather than waiting resumeWaitSeconds for one.',
  ].join('\n');
}

const mib = (b: number): string => fixed(b / 2 ** 20, 1);

export function footprintReport(r: FootprintResult): string {
  const rows: string[][] = [];
  r.windows.forEach((w, i) => {
    rows.push([
      `window ${i + 1} (load ${w.loadAverage.join(' ')})`,
      fixed(w.agent.cpuPercent, 2),
      fixed(w.baseline.cpuPercent, 2),
      mib(w.agent.rssMaxBytes),
      mib(w.baseline.rssMaxBytes),
      fixed(w.agent.rssMaxBytes / w.baseline.rssMaxBytes),
    ]);
  });
  const cpu = r.windows.map((w) => w.agent.cpuPercent);
  const ratio = r.windows.map((w) => w.agent.rssMaxBytes / w.baseline.rssMaxBytes);
  const spread = (xs: number[], d = 2): string => `${fixed(Math.min(...xs), d)}-${fixed(Math.max(...xs), d)}`;
  const cpuOk = Math.max(...cpu) < FOOTPRINT_TARGETS.cpuPercent;
  const rssOk = Math.max(...ratio) <= FOOTPRINT_TARGETS.rssRatio;
  return [
    `4. Idle footprint: the built agent as a child process, ${r.logs} domain logs and ${r.sockets} listening QMP sockets, nothing happening`,
    `baseline: bare \`node -e 'setInterval(() => {}, 1e9)'\` (${r.node}) sampled over the same windows; ${r.windows.length} windows of ${fixed(r.windowMs / 1000, 0)} s; RSS sampled every second (max shown); agent ready in ${fixed(r.startupSeconds, 1)} s, then ${fixed(r.settleMs / 1000, 0)} s to settle`,
    '',
    table(['', 'agent CPU %', 'node CPU %', 'agent RSS MiB', 'node RSS MiB', 'RSS ratio'], rows),
    '',
    `while settling (the ${fixed(r.settleMs / 1000, 0)} s before window 1): agent ${fixed(r.settling.cpuPercent, 2)} % CPU, RSS up to ${mib(r.settling.rssMaxBytes)} MiB (start-up garbage V8 has not returned yet)`,
    `target idle CPU < ${FOOTPRINT_TARGETS.cpuPercent} % of a core: ${verdict(cpuOk)} (spread ${spread(cpu)} %)`,
    `target RSS <= ${fixed(FOOTPRINT_TARGETS.rssRatio, 1)}x bare node: ${verdict(rssOk)} (spread ${spread(ratio)}x)`,
  ].join('\n');
}
