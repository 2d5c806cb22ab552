import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { METRICS } from '@switchover/model';
import type { Agent } from '@switchover/agent';
import { sampleValue } from '@switchover/testbed';
import { startBenchAgent } from './bench-agent.js';
import { migrationLines, renderLine, type MigrationKind } from './migrations.js';

/**
 * Series a real agent serves on /metrics while a host takes part in `perHour` migrations an hour,
 * each of another VM (the worst case: per-VM series scale with distinct VMs). The agent reads the
 * migrations from its libvirt-log input (QEMU 7.2 trace lines, the sources naming their peer); its
 * injected clock lets simulated hours pass in seconds, so its per-VM series expire as in
 * production (`metrics.vmSeriesTtlSeconds`, default 1 h). Baseline: the same agent before any
 * migration, scraped in the same run.
 */
export const CARDINALITY_SCENARIOS = ['source', 'destination', 'both'] as const;
export type CardinalityScenario = (typeof CARDINALITY_SCENARIOS)[number];

export interface CardinalityOptions {
  perHour: number;
  /** Simulated hours of migrations; the count is read after each. */
  hours: number;
  keep: boolean;
  log: (line: string) => void;
}

export interface Scrape {
  series: number;
  perVm: number;
  vms: number;
}

export interface CardinalityResult {
  scenario: CardinalityScenario;
  migrationsPerHour: number;
  idle: Scrape;
  /** After each simulated hour of migrations. */
  hourly: Scrape[];
  /** One TTL (plus the destination's RESUME wait) after the last migration, nothing new. */
  drained: Scrape;
}

const PER_VM: readonly string[] = [METRICS.vmSessionStart, METRICS.vmSessionEnd, METRICS.vmPeerInfo];
const HOUR_MS = 3_600_000;

/** Counts the series of one exposition: every sample line, and those of the per-VM metrics. */
export function countSeries(exposition: string): Scrape {
  let series = 0;
  let perVm = 0;
  const vms = new Set<string>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    series += 1;
    const name = line.slice(0, line.search(/[{ ]/));
    if (!PER_VM.includes(name)) continue;
    perVm += 1;
    const vm = /[{,]vm="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    if (vm !== undefined) vms.add(vm);
  }
  return { series, perVm, vms: vms.size };
}

/** One host's hour(s): migration i of `perHour` an hour, out (source) or in (destination). */
function kindsOf(scenario: CardinalityScenario): MigrationKind[] {
  if (scenario === 'source') return ['src-ok'];
  if (scenario === 'destination') return ['dst-ok'];
  return ['src-ok', 'dst-ok'];
}

export async function runCardinality(
  scenario: CardinalityScenario,
  o: CardinalityOptions,
): Promise<CardinalityResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchover-cardinality-'));
  const logs = path.join(dir, 'logs');
  await mkdir(logs);
  const t0 = Date.now();
  let now = t0;
  const agent = await startBenchAgent({
    stateDir: path.join(dir, 'state'),
    libvirtLogGlob: path.join(logs, '*.log'),
    clock: () => now,
    pollIntervalMs: 20,
  });
  const scrape = async (): Promise<Scrape> => countSeries(await (await fetch(`${agent.url}/metrics`)).text());
  try {
    const idle = await scrape();
    const hourly: Scrape[] = [];
    const kinds = kindsOf(scenario);
    let lines = 0;
    let vm = 0;
    for (let h = 0; h < o.hours; h++) {
      for (let i = 0; i < o.perHour; i++) {
        now = t0 + h * HOUR_MS + Math.round((i * HOUR_MS) / o.perHour);
        for (const kind of kinds) {
          const text = migrationLines(kind)
            .map((l) => renderLine(l, now * 1000 + l.dtUs, 4242 + l.thread))
            .join('\n');
          await appendFile(path.join(logs, `card-${vm++}.log`), `${text}\n`);
          lines += migrationLines(kind).length;
        }
        await processed(agent, lines);
      }
      // The hour is over: let the last sessions close (a source 2 s after completing).
      now = t0 + (h + 1) * HOUR_MS;
      await settle(agent);
      hourly.push(await scrape());
      o.log(`cardinality ${scenario}: hour ${h + 1}: ${hourly.at(-1)!.series} series`);
    }
    // Past every destination's RESUME wait (600 s: these logs carry no RESUME), which closes the
    // last sessions, then one TTL after that: every per-VM series must be gone.
    now += 600_000 + 1000;
    await settle(agent);
    now += HOUR_MS + 1000;
    await settle(agent);
    const drained = await scrape();
    return { scenario, migrationsPerHour: o.perHour * kinds.length, idle, hourly, drained };
  } finally {
    await agent.stop();
    if (!o.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** Every line written so far went through the pipeline (records counted by the libvirt-log input). */
async function processed(agent: Agent, lines: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const seen = sampleValue(await agent.registry.metrics(), METRICS.records, { input: 'libvirt-log' }) ?? 0;
    if (seen >= lines) return;
    if (Date.now() > deadline) throw new Error(`the agent read ${seen} of ${lines} lines in 30 s`);
    await sleep(5);
  }
}

/** Two pipeline ticks (every 250 ms) at the current simulated time close what is due. */
async function settle(agent: Agent): Promise<void> {
  await agent.pipeline.tick();
  await sleep(600);
  await agent.pipeline.tick();
}
