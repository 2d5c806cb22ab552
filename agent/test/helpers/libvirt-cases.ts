/**
 * What the libvirt capture tests share: the committed captures (fixtures/libvirt/<scenario>/), their
 * expected.json, a comparable summary of migrations, and the list of what today's code gets wrong.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Migration } from '@switchover/model';
import { shapeProblems, type ScenarioExpectation } from '@switchover/testbed';
import { review, type HostFile } from '../../src/review/review.js';

export const LIBVIRT_FIXTURES = fileURLToPath(new URL('../fixtures/libvirt/', import.meta.url));

export function loadExpectation(dir: string): ScenarioExpectation {
  return JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as ScenarioExpectation;
}

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
