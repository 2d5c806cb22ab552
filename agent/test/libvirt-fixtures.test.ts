/**
 * The committed real-libvirt captures (fixtures/libvirt/, made by `npm run capture:libvirt -w
 * @switchover/testbed`): every folder has the files and the shape its expected.json claims, and
 * `switchover review` gives the verdicts it names, with both inputs and with the domain logs alone.
 * What today's code does not get right yet is asserted with `it.fails` (see PART2 in the helper).
 * Runs anywhere: no libvirt needed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isProblem } from '@switchover/model';
import { LIBVIRT_SCENARIOS } from '@switchover/testbed';
import { describe, expect, it } from 'vitest';
import { toReviewJson } from '../src/review/render-json.js';
import { validateOutput } from './helpers/review-schema.js';
import { runCli } from './helpers/cli.js';
import {
  captureProblems,
  expectedSummary,
  LIBVIRT_FIXTURES,
  loadExpectation,
  reviewCapture,
  summarise,
} from './helpers/libvirt-cases.js';

const folders = readdirSync(LIBVIRT_FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** Further captures of a scenario, kept for what they show (see the folder's README). */
const EXTRA_CAPTURES = ['destination-rejects-stream-virsh-lag'];

it('holds one capture per libvirt scenario of the testbed, each named after it, plus the extra ones', () => {
  expect(folders).toEqual([...LIBVIRT_SCENARIOS.map((s) => s.name), ...EXTRA_CAPTURES].sort());
  for (const f of folders) {
    const { scenario } = loadExpectation(join(LIBVIRT_FIXTURES, f));
    expect(LIBVIRT_SCENARIOS.map((s) => s.name)).toContain(scenario);
    if (!EXTRA_CAPTURES.includes(f)) expect(scenario).toBe(f);
  }
});

describe.each(folders)('capture %s', (folder) => {
  const dir = join(LIBVIRT_FIXTURES, folder);
  const e = loadExpectation(dir);

  it('expected.json names every file of the folder; the domain logs are the logs-only input', () => {
    const onDisk = readdirSync(dir).filter((f) => f !== 'expected.json');
    expect(e.files.map(([, f]) => f).sort()).toEqual(onDisk.sort());
    expect(e.logsOnly.every(([, f]) => f.endsWith('.libvirt.log'))).toBe(true);
    expect(e.files.filter(([, f]) => f.endsWith('.libvirt.log'))).toEqual(e.logsOnly);
    expect(e.captured).toMatchObject({
      libvirt: expect.stringMatching(/^9\.0\./),
      qemu: expect.stringMatching(/^7\.2\./),
    });
  });

  it('the files hold the real libvirt and QEMU lines expected.json lists, and the simulated lines', () => {
    expect(captureProblems(dir, e)).toEqual([]);
  });

  for (const inputs of ['bothInputs', 'logsOnly'] as const) {
    const label = inputs === 'bothInputs' ? 'with both inputs' : 'with the domain logs alone';
    it(`review ${label}: the verdicts, hosts and failed devices of expected.json, in JSON the contract allows`, async () => {
      const r = await reviewCapture(dir, e, inputs);
      expect(summarise(r.migrations)).toEqual(expectedSummary(e, inputs));
      const doc = toReviewJson(r);
      expect(validateOutput(doc), JSON.stringify(validateOutput.errors)).toBe(true);
      // A failure line belongs to its migration, never to "outside every window".
      if (e.migrations.some((m) => m.failedDevices.length)) expect(r.unattributed).toEqual([]);
    });
  }

  it('review --json prints those verdicts and exits 1 exactly when one needs a human', async () => {
    const args = e.files.flatMap(([host, f]) => ['--host', `${host}=${join(dir, f)}`]);
    const { code, out, err } = await runCli(['review', '--json', ...args]);
    expect(err).toBe('');
    const doc = JSON.parse(out) as { migrations: Array<{ vm: string; verdict: string }> };
    expect(doc.migrations.map((m) => [m.vm, m.verdict]).sort()).toEqual(
      e.migrations.map((m) => [m.vm, m.verdict.bothInputs]).sort(),
    );
    expect(code).toBe(e.migrations.some((m) => isProblem(m.verdict.bothInputs)) ? 1 : 0);
  });
});
