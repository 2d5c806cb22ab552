/**
 * `npm run capture:qemu -w @switchover/testbed`: makes the real QEMU captures the agent's tests read
 * (agent/test/fixtures/qemu-7.2/, see its README) by driving this machine's QEMU, journald and
 * systemd-journal-remote. Needs root (a journald namespace) and the Debian packages of
 * `scripts/system-deps.sh test`. Writes only the files it makes; review the diff before committing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { journaldUnavailable, startJournald } from '../journald-namespace.js';
import { until } from '../wait.js';
import { edgeCaseEntries, journalctl, qemuStderrEntries, throughJournalRemote } from './journal.js';
import {
  MIGRATION_CAPTURES,
  captureFileName,
  captureMigration,
  type MigrationCapture,
} from './migrations.js';

const HELP = `Usage: npm run capture:qemu -w @switchover/testbed -- [--out DIR] [--qemu BINARY]

Runs real QEMU live migrations (TCG, 64 MiB, loopback) and journald, and writes the captures the
agent's tests read: QMP transcripts, QEMU stderr with traces, results, journal files read back with
journalctl -o json. Default DIR: agent/test/fixtures/qemu-7.2 of this checkout. Needs root.
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      qemu: { type: 'string', default: 'qemu-system-x86_64' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const why = journaldUnavailable();
  if (why) {
    process.stderr.write(`capture: ${why}\n`);
    return 1;
  }
  const out = resolve(
    values.out ?? new URL('../../../agent/test/fixtures/qemu-7.2', import.meta.url).pathname,
  );
  const qemu = values.qemu ?? 'qemu-system-x86_64';
  mkdirSync(out, { recursive: true });
  const write = (name: string, content: string | Buffer): void => {
    writeFileSync(join(out, name), content);
    process.stdout.write(`  ${name}\n`);
  };
  process.stdout.write(
    `${execFileSync(qemu, ['--version'], { encoding: 'utf8' }).split('\n')[0]} → ${out}\n`,
  );

  const run = async (c: MigrationCapture, stderr?: Parameters<typeof captureMigration>[3]) => {
    const dir = mkdtempSync(join(tmpdir(), `switchover-capture-${c.name}-`));
    try {
      return await captureMigration(c, dir, qemu, stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  let healthySource: { stderr: string; pid: number } | null = null;
  for (const c of MIGRATION_CAPTURES) {
    process.stdout.write(`${c.name}: ${c.about}\n`);
    const r = await run(c);
    for (const [f, content] of r.files) write(captureFileName(c, f), content);
    if (c.name === 'real-migration')
      healthySource = { stderr: r.files.get('src.trace') ?? '', pid: r.pids.src };
  }

  // The healthy source's stderr as journald stores it for a QEMU run by a systemd unit.
  if (healthySource) {
    const j = await throughJournalRemote(
      qemuStderrEntries(healthySource.stderr, healthySource.pid, 'qemu-src.service'),
    );
    write('journal-export-qemu-src-trace.export', j.export);
    write('journalctl-json-qemu-src-trace.jsonl', j.json);
  }

  const edge = await throughJournalRemote(edgeCaseEntries());
  write('journalctl-json-edge-cases.jsonl', edge.json);
  write('journalctl-json-edge-cases-all.jsonl', edge.jsonAll);

  // Both QEMUs of a healthy migration writing their stderr to a real journald (stdout streams).
  const jd = await startJournald('swcap');
  try {
    const c = MIGRATION_CAPTURES.find((m) => m.name === 'real-migration')!;
    const streams = { src: await jd.openStream(), dst: await jd.openStream() };
    const r = await run({ ...c, name: 'journald-standalone' }, streams);
    const ns = [`--namespace=${jd.namespace}`, '--merge'];
    // Both QEMUs print migrate_fd_cancel as they quit: the capture is complete once both are stored.
    const text = await until('journald to store both QEMUs’ last lines', 10_000, () => {
      const t = journalctl(ns);
      return [r.pids.src, r.pids.dst].every(
        (p) =>
          t.includes(`${p}@`) &&
          t.split('\n').some((l) => l.includes(`"_PID":"${p}"`) && l.includes('migrate_fd_cancel')),
      )
        ? t
        : null;
    });
    write('journald-standalone-real-qemu-migration.jsonl', text);
  } finally {
    await jd.stop();
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`capture: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
