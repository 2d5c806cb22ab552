/**
 * What the libvirt capture tests share: the committed captures (fixtures/libvirt/<scenario>/), their
 * expected.json, a comparable summary of migrations, and the list of what today's code gets wrong.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Migration } from '@switchover/model';
import { it } from 'vitest';
import { shapeProblems, type ScenarioExpectation } from '@switchover/testbed';
import { review, type HostFile } from '../../src/review/review.js';

export const LIBVIRT_FIXTURES = fileURLToPath(new URL('../fixtures/libvirt/', import.meta.url));

export function loadExpectation(dir: string): ScenarioExpectation {
  return JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as ScenarioExpectation;
}

/** The checks of one scenario, each against its own inputs. */
export type Check = 'bothInputs' | 'logsOnly' | 'liveAgents' | 'liveLogsOnly';

/**
 * What today's code does not get right yet: part 2 of issue 8 (the domain log as QEMU process
 * lifetimes, pairing from the logs, `destination-lost`, save/restore) must make each of these true,
 * then move it out of this table. Keyed by capture folder (the scenario's name) -> check -> what is
 * wrong today.
 */
const LOGS_TODAY =
  'logs alone: no destination session is paired (unverified / in-progress / unattributed line)';
export const PART2: ReadonlyMap<string, Partial<Record<Check, string>>> = new Map<
  string,
  Partial<Record<Check, string>>
>([
  ['healthy-p2p', { logsOnly: LOGS_TODAY, liveLogsOnly: LOGS_TODAY }],
  ['healthy-direct', { logsOnly: LOGS_TODAY, liveLogsOnly: LOGS_TODAY }],
  ['ping-pong', { logsOnly: LOGS_TODAY, liveLogsOnly: LOGS_TODAY }],
  ['two-domains', { logsOnly: LOGS_TODAY, liveLogsOnly: LOGS_TODAY }],
  ['trace-options', { liveLogsOnly: 'live, logs alone: the destination session stays in progress' }],
  ['cancel', { logsOnly: LOGS_TODAY, liveLogsOnly: LOGS_TODAY }],
  ['destination-killed', { logsOnly: LOGS_TODAY, liveLogsOnly: LOGS_TODAY }],
  ['destination-rejects-stream', { logsOnly: LOGS_TODAY, liveLogsOnly: LOGS_TODAY }],
  [
    // The same scenario captured on a loaded machine: virsh printed hv-b's `active` (its --timestamp is
    // its receive time) 2 ms after QEMU's own `load of migration failed` line.
    'destination-rejects-stream-virsh-lag',
    {
      bothInputs:
        "a second, destination-only `failed` migration: the load-failure line sorts before virsh's late `active`",
      logsOnly: LOGS_TODAY,
    },
  ],
  [
    'save-restore',
    {
      bothInputs: 'an events file with no event (only the Ctrl-C trailer) is refused as "not recognised"',
      liveAgents: 'the restore is paired with the save as a migration hv-a -> hv-a that succeeded',
    },
  ],
  ['silent-failure-9.1', { logsOnly: LOGS_TODAY, liveLogsOnly: LOGS_TODAY }],
  ['silent-failure-8.0', { logsOnly: LOGS_TODAY, liveLogsOnly: LOGS_TODAY }],
  [
    'destination-hardware-error',
    {
      bothInputs: 'a destination-only `failed` plus a phantom `succeeded` instead of one failed migration',
      logsOnly: LOGS_TODAY,
      liveLogsOnly: LOGS_TODAY,
    },
  ],
  [
    'destination-crash-after-completion',
    {
      bothInputs: '`succeeded`: the destination QEMU crashing after completion is not destination-lost yet',
      logsOnly: LOGS_TODAY,
      liveAgents: '`succeeded`: the destination QEMU crashing after completion is not destination-lost yet',
      liveLogsOnly: LOGS_TODAY,
    },
  ],
]);

/** What is wrong today with `check` of `scenario`, or undefined when today's code gets it right. */
export const knownWrong = (scenario: string, check: Check): string | undefined =>
  PART2.get(scenario)?.[check];

export interface Summary {
  vm: string;
  verdict: string;
  source: string | null;
  destination: string | null;
  failedDevices: string[];
}

/** Migrations by VM, each VM's in the order they started. */
export function summarise(migrations: readonly Migration[]): Summary[] {
  return [...migrations]
    .sort(
      (x, y) =>
        x.vm.localeCompare(y.vm) ||
        (x.source?.start ?? x.destination?.start ?? 0) - (y.source?.start ?? y.destination?.start ?? 0),
    )
    .map((m) => ({
      vm: m.vm,
      verdict: m.verdict,
      source: m.source?.host ?? null,
      destination: m.destination?.host ?? null,
      failedDevices: [...m.failedDevices].sort(),
    }));
}

/** What expected.json says the migrations are, with both inputs or with the logs alone. */
export function expectedSummary(e: ScenarioExpectation, inputs: 'bothInputs' | 'logsOnly'): Summary[] {
  return e.migrations
    .map((m, i) => ({ m, i }))
    .sort((x, y) => x.m.vm.localeCompare(y.m.vm) || x.i - y.i)
    .map(({ m }) => ({
      vm: m.vm,
      verdict: m.verdict[inputs],
      source: m.source,
      destination: m.destination,
      failedDevices: [...m.failedDevices].sort(),
    }));
}

/** `review()` of `[host, file]`s of a captured folder. */
export function reviewFiles(dir: string, files: ReadonlyArray<readonly [string, string]>) {
  return review(files.map(([host, f]): HostFile => ({ host, path: join(dir, f) })));
}

/** `review()` of a captured folder with every file, or the domain logs alone. */
export function reviewCapture(dir: string, e: ScenarioExpectation, inputs: 'bothInputs' | 'logsOnly') {
  return reviewFiles(dir, inputs === 'bothInputs' ? e.files : e.logsOnly);
}

/** Every way the files of a captured folder miss the shape its expected.json claims. */
export function captureProblems(dir: string, e: ScenarioExpectation): string[] {
  const out: string[] = [];
  for (const [file, shapes] of Object.entries(e.shape)) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      out.push(`${file}: missing`);
      continue;
    }
    for (const s of shapes)
      for (const p of shapeProblems(text, s, !file.endsWith('.log'))) out.push(`${file}: ${p}`);
  }
  for (const sim of e.simulated) {
    const lines = readFileSync(join(dir, sim.file), 'utf8').split('\n');
    for (const l of sim.lines) if (!lines.includes(l)) out.push(`${sim.file}: simulated line missing: ${l}`);
  }
  return out;
}

/**
 * `it`, or `it.fails` when today's code is known to get it wrong: the name says what part 2 of issue 8
 * must make true, and the test starts failing (to be turned into `it`) the day it does.
 */
export function check(why: string | undefined, name: string, fn: () => Promise<void>): void {
  if (why) it.fails(`${name} (part 2 of issue 8; today: ${why})`, fn);
  else it(name, fn);
}
