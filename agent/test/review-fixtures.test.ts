import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERDICTS, type Verdict } from '@switchover/model';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { FILE_KINDS } from '../src/review/detect.js';
import { toReviewJson } from '../src/review/render-json.js';
import { review, type HostFile, type ReviewResult } from '../src/review/review.js';
import { SCHEMA, validateOutput } from './helpers/review-schema.js';

// Incidents written for these tests (see fixtures/review/README.md) and the real QEMU 7.2 captures
// (fixtures/qemu-7.2/README.md), all run through review() and the CLI exactly as a responder would.
const ROOT = fileURLToPath(new URL('./fixtures/review/', import.meta.url));
const Q72 = fileURLToPath(new URL('./fixtures/qemu-7.2/', import.meta.url));

describe('the review output contract (contracts/review-output.schema.json)', () => {
  it("names exactly the model's verdicts and the review's file kinds", () => {
    expect([...SCHEMA.properties.migrations.items.properties.verdict.enum].sort()).toEqual(
      [...VERDICTS].sort(),
    );
    expect([...SCHEMA.properties.files.items.properties.kind.enum].sort()).toEqual([...FILE_KINDS].sort());
  });

  it('rejects a verdict the model does not have', () => {
    const doc = {
      migrations: [
        {
          vm: 'v',
          vmUuid: null,
          verdict: 'lost',
          source: null,
          destination: null,
          failedDevices: [],
          evidence: [],
        },
      ],
    };
    expect(validateOutput(doc)).toBe(false);
    doc.migrations[0]!.verdict = 'destination-lost';
    expect(validateOutput(doc)).toBe(true);
  });
});

interface Cite {
  host: string;
  file: string;
  line: number;
}
interface ExpectedMigration {
  vm: string;
  vmUuid: string | null;
  verdict: Verdict;
  source: { host: string } | null;
  destination: { host: string } | null;
  failedDevices: string[];
  evidence: Cite[];
}
interface Expected {
  about: string;
  files: Array<[string, string]>;
  exitCode: number;
  migrations: ExpectedMigration[];
  unattributed: Cite[];
}

/** The banner renderReview prints for each verdict (kept here so a renamed banner fails a test). */
const BANNER: Record<Verdict, string> = {
  succeeded: 'SUCCEEDED',
  'destination-lost': 'DESTINATION LOST',
  'silent-destination-failure': 'SILENT DESTINATION FAILURE',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
  unverified: 'UNVERIFIED',
  'in-progress': 'IN PROGRESS',
};

const fileLine = (path: string, line: number): string =>
  readFileSync(path, 'utf8').split(/\r?\n/)[line - 1] ?? '';

/** What evidence quotes for a line: the line itself, or the MESSAGE of a `journalctl -o json` entry. */
function quoted(path: string, line: number): string {
  const text = fileLine(path, line);
  if (!text.startsWith('{')) return text;
  const message = (JSON.parse(text) as { MESSAGE?: unknown }).MESSAGE;
  return typeof message === 'string' ? message : text;
}

const hostArgs = (inputs: readonly HostFile[]): string[] =>
  inputs.flatMap((f) => ['--host', `${f.host}=${f.path}`]);

type Summary = Pick<ExpectedMigration, 'vm' | 'vmUuid' | 'verdict' | 'failedDevices'> & {
  source: string | null;
  destination: string | null;
};

function summarise(r: ReviewResult): Summary[] {
  return r.migrations
    .map((m) => ({
      vm: m.vm,
      vmUuid: m.vmUuid,
      verdict: m.verdict,
      source: m.source?.host ?? null,
      destination: m.destination?.host ?? null,
      failedDevices: [...m.failedDevices].sort(),
    }))
    .sort((a, b) => a.vm.localeCompare(b.vm));
}

const expectedSummary = (e: Expected): Summary[] =>
  e.migrations
    .map((m) => ({
      vm: m.vm,
      vmUuid: m.vmUuid,
      verdict: m.verdict,
      source: m.source?.host ?? null,
      destination: m.destination?.host ?? null,
      failedDevices: [...m.failedDevices].sort(),
    }))
    .sort((a, b) => a.vm.localeCompare(b.vm));

/** Text output: the verdict banner, both hosts' timeline columns, and every cited line as file:line. */
function expectText(
  out: string,
  migrations: Array<{ verdict: Verdict; source: string | null; destination: string | null }>,
): void {
  for (const m of migrations) {
    expect(out).toContain(BANNER[m.verdict]);
    expect(out).toContain(`source (${m.source ?? '-'})`);
    expect(out).toContain(`destination (${m.destination ?? '-'})`);
    if (m.source === null || m.destination === null) expect(out).toContain('(not observed)');
  }
  expect(out).toMatch(/\n\d+ migrations?, \d+ with a failure\./);
}

const folders = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

it('has one fixture folder per incident kind the review must handle', () => {
  expect(folders).toEqual([
    'cancel-9.2',
    'healthy-8.2-libvirt',
    'healthy-journald-9.0',
    'libvirt-healthy-9.2',
    'libvirt-silent-9.1',
    'loud-load-failure-8.2',
    'loud-load-failure-9.2',
    'silent-10.1-running-p2p-trace',
    'silent-8.2-running',
    'silent-8.2-running-p2p',
    'silent-9.2-hostdev0-journald',
    'source-only-9.2',
    'stale-failure-9.2',
    'two-vms-9.1',
  ]);
});

describe.each(folders)('fixture %s', (folder) => {
  const dir = join(ROOT, folder);
  const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  const inputs: HostFile[] = exp.files.map(([host, file]) => ({ host, path: join(dir, file) }));

  it('lists every file of the folder in expected.json', () => {
    const onDisk = readdirSync(dir)
      .filter((f) => f !== 'expected.json')
      .sort();
    expect(exp.files.map(([, f]) => f).sort()).toEqual(onDisk);
  });

  it('review() gives the expected verdicts, hosts and failed devices, and cites the lines', async () => {
    const r = await review(inputs);
    expect(summarise(r)).toEqual(expectedSummary(exp));
    const json = toReviewJson(r);
    for (const em of exp.migrations) {
      const got = json.migrations.find((m) => m.vm === em.vm);
      expect(got, em.vm).toBeDefined();
      for (const cite of em.evidence) {
        const path = join(dir, cite.file);
        const hit = got?.evidence.find(
          (e) => e.host === cite.host && basename(e.file) === cite.file && e.line === cite.line,
        );
        expect(hit, `${em.vm}: ${cite.file}:${cite.line}`).toBeDefined();
        // The cited text is the line itself, not a re-rendering.
        expect(hit?.text).toBe(quoted(path, cite.line));
      }
      // A failed device is named by the failure line the evidence quotes (the destination's address or QOM id).
      for (const dev of em.failedDevices) {
        const failureLine = got?.evidence.find((e) =>
          e.text.includes(`${dev}: Failed setting device state to`),
        );
        expect(failureLine, dev).toBeDefined();
        expect(failureLine?.host).toBe(em.destination?.host);
      }
    }
    expect(
      json.unattributed.map((u) => ({ host: u.host, file: basename(u.file ?? ''), line: u.line })),
    ).toEqual(exp.unattributed);
    for (const u of json.unattributed) expect(u.text).toBe(quoted(u.file ?? '', u.line ?? 0));
  });

  it('does not depend on the order the files are given in', async () => {
    const forward = await review(inputs);
    const backward = await review([...inputs].reverse());
    expect(summarise(backward)).toEqual(summarise(forward));
    expect(toReviewJson(backward).migrations).toEqual(toReviewJson(forward).migrations);
  });

  it('CLI --json matches the schema and exits with the expected code', async () => {
    const { code, out, err } = await runCli(['review', '--json', ...hostArgs(inputs)]);
    expect(err).toBe('');
    expect(code).toBe(exp.exitCode);
    const doc = JSON.parse(out) as {
      migrations: Array<{ vm: string; verdict: string; source: { host: string } | null }>;
    };
    expect(validateOutput(doc), JSON.stringify(validateOutput.errors)).toBe(true);
    expect(doc.migrations.map((m) => [m.vm, m.verdict]).sort()).toEqual(
      exp.migrations.map((m) => [m.vm, m.verdict]).sort(),
    );
  });

  it('CLI text shows the paired timeline, the verdict and the cited lines', async () => {
    const { code, out } = await runCli(['review', ...hostArgs(inputs)]);
    expect(code).toBe(exp.exitCode);
    expect(out).not.toContain('\x1b['); // not a TTY: no colour
    expectText(
      out,
      exp.migrations.map((m) => ({
        verdict: m.verdict,
        source: m.source?.host ?? null,
        destination: m.destination?.host ?? null,
      })),
    );
    for (const m of exp.migrations)
      for (const c of m.evidence) expect(out).toContain(`${join(dir, c.file)}:${c.line}`);
    for (const u of exp.unattributed) {
      expect(out).toContain('outside every migration window');
      expect(out).toContain(`${join(dir, u.file)}:${u.line}`);
    }
    for (const m of exp.migrations)
      for (const d of m.failedDevices)
        expect(out).toMatch(new RegExp(`failed devices?: .*${d.replace(/[.]/g, '\\.')}`));
  });
});

describe('libvirt incidents in the shapes responders collect (fixtures/review/libvirt-*)', () => {
  const srcHost = 'kvm-mad-b04';
  const dstHost = 'kvm-mad-b11';
  const silent = join(ROOT, 'libvirt-silent-9.1');
  const srcFiles = (d: string): HostFile[] => [
    { host: srcHost, path: join(d, `${srcHost}.libvirt.log`) },
    { host: srcHost, path: join(d, `${srcHost}.events.txt`) },
  ];

  it('healthy-9.2: succeeded, no failed devices', async () => {
    const d = join(ROOT, 'libvirt-healthy-9.2');
    const inputs = [
      ...srcFiles(d),
      { host: dstHost, path: join(d, `${dstHost}.libvirt.log`) },
      { host: dstHost, path: join(d, `${dstHost}.events.txt`) },
    ];
    const r = await review(inputs);
    expect(summarise(r)).toEqual([
      {
        vm: 'web-cache-3',
        vmUuid: '3c1f9a52-7d0e-4b8a-9e21-5f6a0c4d8b17',
        verdict: 'succeeded',
        source: srcHost,
        destination: dstHost,
        failedDevices: [],
      },
    ]);
    expect(r.unattributed).toEqual([]);
    const { code, out } = await runCli(['review', '--json', ...hostArgs(inputs)]);
    expect(code).toBe(0);
    expect(validateOutput(JSON.parse(out))).toBe(true);
  });

  const variants: Array<[string, string[]]> = [
    ['events with --timestamp', [`${dstHost}.events.txt`]],
    ['events in QEMU time', [`${dstHost}.events-qemu-time.txt`]],
    ['both events files', [`${dstHost}.events.txt`, `${dstHost}.events-qemu-time.txt`]],
  ];
  it.each(variants)(
    'silent-9.1 with the destination %s: silent failure of 0000:c3:00.5 citing the destination log line 71',
    async (_name, events) => {
      const inputs = [
        ...srcFiles(silent),
        { host: dstHost, path: join(silent, `${dstHost}.libvirt.log`) },
        ...events.map((f) => ({ host: dstHost, path: join(silent, f) })),
      ];
      const r = await review(inputs);
      expect(summarise(r)).toEqual([
        {
          vm: 'sim-gpu-12',
          vmUuid: 'b8e24d61-0f3a-4c97-a5d2-6e19f0b7c3a8',
          verdict: 'silent-destination-failure',
          source: srcHost,
          destination: dstHost,
          failedDevices: ['0000:c3:00.5'],
        },
      ]);
      expect(r.unattributed).toEqual([]);
      // Regression: with both captures, the one RESUME was listed twice.
      expect(r.migrations[0]?.destination?.evidence.filter((e) => e.kind === 'vm-resume')).toHaveLength(1);
      const { code, out } = await runCli(['review', '--json', ...hostArgs(inputs)]);
      expect(code).toBe(1);
      const doc = JSON.parse(out) as ReturnType<typeof toReviewJson>;
      expect(validateOutput(doc)).toBe(true);
      const cite = doc.migrations[0]?.evidence.find((e) => basename(e.file) === `${dstHost}.libvirt.log`);
      expect(cite).toMatchObject({ host: dstHost, line: 71 });
      expect(cite?.text).toBe(
        '0000:c3:00.5: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error',
      );
      const text = await runCli(['review', ...hostArgs(inputs)]);
      expect(text.code).toBe(1);
      expectText(text.out, [
        { verdict: 'silent-destination-failure', source: srcHost, destination: dstHost },
      ]);
      expect(text.out).toContain(`${join(silent, `${dstHost}.libvirt.log`)}:71`);
    },
  );

  it('silent-9.1 from the destination alone is already a silent failure', async () => {
    const r = await review([
      { host: dstHost, path: join(silent, `${dstHost}.libvirt.log`) },
      { host: dstHost, path: join(silent, `${dstHost}.events.txt`) },
    ]);
    expect(summarise(r)).toMatchObject([
      {
        verdict: 'silent-destination-failure',
        source: null,
        destination: dstHost,
        failedDevices: ['0000:c3:00.5'],
      },
    ]);
  });
});

describe('real QEMU 7.2 QMP transcripts (fixtures/qemu-7.2, with --vm)', () => {
  const cases: Array<[string, Verdict, number]> = [
    ['real-migration', 'succeeded', 0],
    ['failed-migration-ram-mismatch', 'failed', 1],
    ['cancelled-migration', 'cancelled', 0],
  ];
  it.each(cases)('%s → %s', async (name, verdict, exitCode) => {
    const inputs: HostFile[] = [
      { host: 'src', path: join(Q72, `${name}-src.qmp.jsonl`) },
      { host: 'dst', path: join(Q72, `${name}-dst.qmp.jsonl`) },
    ];
    const r = await review(inputs, { vm: 'guest' });
    expect(r.files.map((f) => f.kind)).toEqual(['qmp-transcript', 'qmp-transcript']);
    expect(summarise(r)).toEqual([
      { vm: 'guest', vmUuid: null, verdict, source: 'src', destination: 'dst', failedDevices: [] },
    ]);
    expect(r.migrations[0]?.source?.qemuVersion).toBe('7.2.22');

    const json = await runCli(['review', '--json', '--vm', 'guest', ...hostArgs(inputs)]);
    expect(json.code).toBe(exitCode);
    const doc = JSON.parse(json.out) as ReturnType<typeof toReviewJson>;
    expect(validateOutput(doc), JSON.stringify(validateOutput.errors)).toBe(true);
    expect(doc.migrations.map((m) => [m.vm, m.verdict, m.source?.host, m.destination?.host])).toEqual([
      ['guest', verdict, 'src', 'dst'],
    ]);
    // Each side's terminal MIGRATION event is cited by file and line.
    const terminal = verdict === 'succeeded' ? 'completed' : verdict;
    const srcCite = doc.migrations[0]?.evidence.find(
      (e) => e.host === 'src' && e.text.includes(`"status":"${terminal}"`),
    );
    expect(srcCite?.file).toBe(join(Q72, `${name}-src.qmp.jsonl`));
    expect(fileLine(srcCite?.file ?? '', srcCite?.line ?? 0)).toContain(`${terminal}`);

    const text = await runCli(['review', '--vm', 'guest', ...hostArgs(inputs)]);
    expect(text.code).toBe(exitCode);
    expectText(text.out, [{ verdict, source: 'src', destination: 'dst' }]);
  });
});
