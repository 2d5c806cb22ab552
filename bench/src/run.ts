/**
 * `npm run bench` (npm run bench -w @switchover/bench --): Switchover's benchmarks (throughput,
 * detection latency, idle footprint). Prints figures against a
 * baseline measured in the same run and writes a JSON copy to bench-results/; performance is
 * reported, not asserted. Exit 0 when it ran; 1 when a part failed or found other sessions than it
 * generated (the figures would be meaningless); 2 on bad flags; 130 when interrupted.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CARDINALITY_SCENARIOS, runCardinality, type CardinalityResult } from './cardinality.js';
import { Cleanups } from './cleanups.js';
import { runLatency, type LatencyOutcome } from './latency-bench.js';
import { parseArgs, USAGE, type BenchOptions } from './options.js';
import { runFootprint, type FootprintResult } from './footprint-bench.js';
import { cardinalityReport, footprintReport, latencyReport, throughputReport } from './report.js';
import { runThroughput, type ThroughputResult } from './throughput-bench.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function journalctlVersion(bin: string): string {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    for (const e of parsed.errors) log(`bench: ${e}`);
    log(USAGE);
    return 2;
  }
  const o: BenchOptions = parsed.options;
  const cleanups = new Cleanups();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`bench: ${signal}, cleaning up`);
    void cleanups.runAll(log).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const startedAt = new Date();
  const command = `npm run bench -w @switchover/bench --${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const env = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    journalctl: journalctlVersion(o.journalctl),
  };
  let failed = false;
  let throughput: ThroughputResult | { error: string } | undefined;
  let latency: LatencyOutcome[] | { error: string } | undefined;
  let cardinality: CardinalityResult[] | { error: string } | undefined;
  let footprint: FootprintResult | { error: string } | undefined;
  const sections: string[] = [];

  if (o.parts.includes('throughput')) {
    try {
      const r = await runThroughput({
        entries: o.entries,
        migrations: o.migrations,
        repeats: o.repeats,
        journalctl: o.journalctl,
        keep: o.keep,
        log,
      });
      throughput = r;
      sections.push(throughputReport(r));
      if (!r.sanity.ok) failed = true;
    } catch (err) {
      failed = true;
      throughput = { error: err instanceof Error ? err.message : String(err) };
      sections.push(`1. Throughput: FAILED: ${throughput.error}`);
    }
  }
  if (o.parts.includes('latency')) {
    try {
      const r = await runLatency(
        {
          inputs: o.latencyInputs,
          runs: o.runs,
          scrapeMs: o.scrapeMs,
          runTimeoutMs: o.runTimeoutMs,
          keep: o.keep,
          log,
        },
        cleanups,
      );
      latency = r;
      sections.push(latencyReport(r, o.scrapeMs));
    } catch (err) {
      failed = true;
      latency = { error: err instanceof Error ? err.message : String(err) };
      sections.push(`2. Detection latency: FAILED: ${latency.error}`);
    }
  }
  if (o.parts.includes('cardinality')) {
    try {
      const results: CardinalityResult[] = [];
      for (const scenario of CARDINALITY_SCENARIOS)
        results.push(await runCardinality(scenario, { perHour: o.perHour, hours: 2, keep: o.keep, log }));
      cardinality = results;
      sections.push(cardinalityReport(results));
      // Series that never expire would make the figure meaningless.
      if (results.some((r) => r.drained.perVm !== 0)) failed = true;
    } catch (err) {
      failed = true;
      cardinality = { error: err instanceof Error ? err.message : String(err) };
      sections.push(`3. Series per host: FAILED: ${cardinality.error}`);
    }
  }
  if (o.parts.includes('footprint')) {
    try {
      const r = await runFootprint(
        {
          logs: o.footprintLogs,
          sockets: o.footprintSockets,
          windowMs: o.footprintWindowS * 1000,
          repeats: o.footprintRepeats,
          settleMs: o.footprintSettleS * 1000,
          keep: o.keep,
          log,
        },
        cleanups,
      );
      footprint = r;
      sections.push(footprintReport(r));
    } catch (err) {
      failed = true;
      footprint = { error: err instanceof Error ? err.message : String(err) };
      sections.push(`3. Idle footprint: FAILED: ${footprint.error}`);
    }
  }
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const header = [
    `Switchover benchmark, ${startedAt.toISOString()}`,
    `command: ${command}   (cwd ${process.cwd()})`,
    `machine: ${env.cpus} x ${env.cpuModel}, load average at start ${env.loadAverageAtStart.join(' ')}; node ${env.node}; ${env.journalctl}`,
  ].join('\n');
  const footer = `total ${seconds.toFixed(0)} s`;
  process.stdout.write(`\n${[header, ...sections, footer].join('\n\n')}\n`);

  const outDir = path.resolve(o.outDir);
  try {
    await mkdir(outDir, { recursive: true });
    const file = path.join(outDir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    const json = {
      startedAt: startedAt.toISOString(),
      command,
      seconds,
      environment: env,
      options: o,
      throughput,
      latency,
      cardinality,
      footprint,
      ok: !failed,
    };
    await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
    process.stdout.write(`JSON copy: ${file}\n`);
  } catch (err) {
    log(`bench: could not write the JSON copy: ${err instanceof Error ? err.message : String(err)}`);
  }
  await cleanups.runAll(log);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
