/**
 * Smoke test of the benchmark at small sizes, with the real tools it drives: systemd-journal-remote
 * and journalctl for throughput, a real in-process agent for latency. Guards the sanity check (the
 * decode + correlate pass must find exactly the generated migrations) and the argument parser; the
 * figures themselves are not asserted.
 */
import { describe, expect, it } from 'vitest';
import { countSeries, runCardinality } from '../src/cardinality.js';
import { Cleanups } from '../src/cleanups.js';
import { journalRemoteBinary, sampleValue } from '@switchover/testbed';
import { runFootprint } from '../src/footprint-bench.js';
import { runLatency } from '../src/latency-bench.js';
import { footprintReport } from '../src/report.js';
import { parseArgs } from '../src/options.js';
import { checkTally, runThroughput } from '../src/throughput-bench.js';

const quiet = (): void => {};

describe('bench options', () => {
  it('defaults meet the issue minimums and bad values are all reported at once', () => {
    const d = parseArgs([]);
    expect(d.ok && d.options.entries >= 1_000_000 && d.options.runs >= 100).toBe(true);
    const bad = parseArgs(['--only', 'nope', '--entries', '-3', '--latency-inputs', 'file,x', '--frob']);
    expect(parseArgs(['--only', 'cardinality', '--per-hour', '100']).ok).toBe(true);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors).toHaveLength(4);
    const one = parseArgs(['--only=latency', '--runs', '7', '--latency-inputs', 'file']);
    expect(one.ok && one.options.parts).toEqual(['latency']);
  });

  it('a sample is found by its exact VM label, not a prefix of it', () => {
    const text = '# HELP x\nqemu_migration_silent_destination_failures_total{vm="lat-10",device="d"} 1\n';
    expect(sampleValue(text, 'qemu_migration_silent_destination_failures_total', { vm: 'lat-10' })).toBe(1);
    expect(
      sampleValue(text, 'qemu_migration_silent_destination_failures_total', { vm: 'lat-1' }),
    ).toBeUndefined();
  });
});

describe.skipIf(!journalRemoteBinary())('bench throughput (real journal)', () => {
  it('finds exactly the generated sessions and silent failures, and times both sides', async () => {
    const r = await runThroughput({
      entries: 6000,
      migrations: 40,
      repeats: 1,
      journalctl: 'journalctl',
      keep: false,
      log: quiet,
    });
    expect(r.sanity.problems).toEqual([]);
    expect(r.tally.entries).toBe(6000);
    expect(r.tally.silentFailures).toBe(4);
    expect(r.tally.sessionsOpened).toBe(40);
    expect(r.best.baselineSeconds).toBeGreaterThan(0);
    expect(r.best.switchoverSeconds).toBeGreaterThan(0);
    // The check can fail: a tally missing one failure is reported.
    expect(checkTally({ ...r.tally, silentFailures: 3 }, r.expected, 6000)).toHaveLength(1);
  }, 60_000);
});

describe('bench latency (real agent, libvirt log file)', () => {
  it('measures every run through /metrics', async () => {
    const cleanups = new Cleanups();
    try {
      const [r] = await runLatency(
        { inputs: ['file'], runs: 3, scrapeMs: 5, runTimeoutMs: 5000, keep: false, log: quiet },
        cleanups,
      );
      if (!r || 'skipped' in r) throw new Error('file latency was skipped');
      expect(r.misses).toEqual({ sessionNotOpened: 0, notDetected: 0 });
      expect(r.samplesMs).toHaveLength(3);
      for (const s of r.samplesMs) expect(s).toBeGreaterThan(0);
    } finally {
      await cleanups.runAll(quiet);
    }
  }, 60_000);
});

describe('bench cardinality (real agent, simulated hours)', () => {
  it('per-VM series follow the last hour of migrations and are gone one TTL after the last', async () => {
    const r = await runCardinality('source', { perHour: 10, hours: 2, keep: false, log: quiet });
    expect(r.idle.perVm).toBe(0);
    for (const h of r.hourly) {
      // The hour's 10 VMs, plus the last of the hour before (it closed as the hour ended).
      expect(h.vms).toBeGreaterThanOrEqual(10);
      expect(h.vms).toBeLessThanOrEqual(11);
      expect(h.perVm).toBe(3 * h.vms); // start, end, peer
    }
    expect(r.drained.perVm).toBe(0);
  }, 60_000);

  it('counts sample lines and the per-VM ones by VM', () => {
    const text = [
      '# HELP x',
      'switchover_build_info{version="1"} 1',
      'qemu_migration_vm_session_start_timestamp_seconds{vm="a",role="source"} 1',
      'qemu_migration_vm_peer_info{vm="a",role="source",peer="b"} 1',
      'qemu_migration_vm_session_start_timestamp_seconds{vm="x\\"y",role="destination"} 1',
      '',
    ].join('\n');
    expect(countSeries(text)).toEqual({ series: 4, perVm: 3, vms: 2 });
  });
});

describe('bench idle footprint (the built agent as a child process)', () => {
  it('measures the agent and a bare node over the same window, with every input up', async () => {
    const cleanups = new Cleanups();
    try {
      const r = await runFootprint(
        { logs: 10, sockets: 10, windowMs: 1000, repeats: 1, settleMs: 1000, keep: false, log: quiet },
        cleanups,
      );
      expect(r.windows).toHaveLength(1);
      const [w] = r.windows;
      // Both processes were really sampled: a Node process holds tens of MiB, the agent more.
      expect(w!.baseline.rssMaxBytes).toBeGreaterThan(20 * 2 ** 20);
      expect(w!.agent.rssMaxBytes).toBeGreaterThan(w!.baseline.rssMaxBytes);
      expect(w!.agent.samples).toBeGreaterThanOrEqual(1);
      expect(Number.isFinite(w!.agent.cpuPercent)).toBe(true);
      expect(footprintReport(r)).toMatch(/target idle CPU < 1 % of a core: (met|NOT met)/);
    } finally {
      await cleanups.runAll(quiet);
    }
  }, 60_000);
});
