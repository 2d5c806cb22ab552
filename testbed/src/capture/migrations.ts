import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Orchestrator, type QmpMessage, type TranscriptLine } from '../orchestrator.js';
import { startQemu, type QemuProcess } from '../qemu.js';
import { freePort } from '../wait.js';

/**
 * The trace events every capture enables (QEMU's log backend writes them to stderr, beside its
 * error_report lines): what the agent's decoders read on the source and destination of a migration.
 */
export const CAPTURE_TRACES = [
  'migrate_set_state',
  'migrate_fd_*',
  'migration_thread_*',
  'migration_completion_*',
  'migration_return_path_*',
  'migration_socket_*',
  'migrate_transferred',
  'open_return_path_on_source*',
  'await_return_path_*',
  'source_return_path_thread_*',
  'savevm_state_*',
  'savevm_send_open_return_path',
  'loadvm_state_*',
  'loadvm_process_command*',
  'qemu_loadvm_state_post_main',
  'process_incoming_migration_*',
  'migrate_global_state_*',
  'migration_set_*',
  'vfio_migration_*',
];

/** One real migration between two local QEMUs, played by the test as libvirt would play it. */
export interface MigrationCapture {
  /** File prefix: NAME-src.qmp.jsonl, NAME-dst.trace.log, NAME-results.json … */
  name: string;
  about: string;
  returnPath: boolean;
  msgTimestamp: boolean;
  /** Destination RAM in MiB (source: 64); a different size makes the destination reject the stream. */
  dstRamMb?: number;
  /** 100 kB/s, so that the migration is still running when the action below happens. */
  slow?: boolean;
  /** `cancel`: `migrate_cancel` after 1 s; `kill-destination`: SIGKILL the destination after 1.5 s. */
  action?: 'cancel' | 'kill-destination';
  /** Files to keep (default: all five). */
  keep?: ReadonlyArray<CaptureFile>;
}

export type CaptureFile = 'src.qmp' | 'dst.qmp' | 'src.trace' | 'dst.trace' | 'results';

export const MIGRATION_CAPTURES: readonly MigrationCapture[] = [
  {
    name: 'real-migration',
    about: 'healthy migration, events and return-path on, -msg timestamp=on',
    returnPath: true,
    msgTimestamp: true,
  },
  {
    name: 'real-migration-no-return-path',
    about: 'healthy migration without the return path',
    returnPath: false,
    msgTimestamp: true,
  },
  {
    name: 'real-migration-no-msg-timestamp-no-return-path',
    about: 'healthy migration, no return path, no -msg timestamp (bare trace lines)',
    returnPath: false,
    msgTimestamp: false,
  },
  {
    name: 'failed-migration-ram-mismatch',
    about: 'destination started with 128 MiB: it rejects the stream (load failure) and exits',
    returnPath: true,
    msgTimestamp: true,
    dstRamMb: 128,
  },
  {
    name: 'failed-migration-ram-mismatch-no-msg-timestamp',
    about: 'the same load failure without -msg timestamp (destination stderr only)',
    returnPath: false,
    msgTimestamp: false,
    dstRamMb: 128,
    keep: ['dst.trace'],
  },
  {
    name: 'failed-migration-dst-killed',
    about: 'destination QEMU killed (SIGKILL) 1.5 s into a throttled migration',
    returnPath: true,
    msgTimestamp: true,
    slow: true,
    action: 'kill-destination',
  },
  {
    name: 'cancelled-migration',
    about: 'migrate_cancel on the source 1 s into a throttled migration',
    returnPath: true,
    msgTimestamp: true,
    slow: true,
    action: 'cancel',
  },
];

export interface CapturedMigration {
  /** File name (without the NAME- prefix) → content. */
  files: Map<CaptureFile, string>;
  results: Record<string, unknown>;
  pids: { src: number; dst: number };
}

const terminal = (statuses: readonly string[]) => (m: QmpMessage) =>
  m.event === 'MIGRATION' && statuses.includes(String((m.data as { status?: unknown })?.status));

const transcriptText = (lines: readonly TranscriptLine[]): string =>
  lines.map((l) => `${JSON.stringify(l)}\n`).join('');

/** Runs one capture in `dir` (QMP sockets and stderr files go there) and returns what it recorded. */
export async function captureMigration(
  c: MigrationCapture,
  dir: string,
  qemuBinary: string,
  /** Both QEMUs' stderr to these streams (journald) instead of DIR/{src,dst}.trace.log. */
  stderr?: { src: Socket; dst: Socket },
): Promise<CapturedMigration> {
  const uuid = randomUUID();
  const port = await freePort();
  const transcripts = { src: [] as TranscriptLine[], dst: [] as TranscriptLine[] };
  const base = {
    binary: qemuBinary,
    name: 'guest',
    uuid,
    traces: CAPTURE_TRACES,
    timestamps: c.msgTimestamp,
  };
  const qemus: QemuProcess[] = [];
  const pids = { src: 0, dst: 0 };
  const orchestrators: Orchestrator[] = [];
  const results: Record<string, unknown> = { about: c.about };
  try {
    const dst = await startQemu({
      ...base,
      ramMb: c.dstRamMb ?? 64,
      incomingPort: port,
      qmpSockets: [join(dir, 'dst.qmp')],
      logFile: join(dir, 'dst.trace.log'),
      ...(stderr ? { stderr: stderr.dst } : {}),
    });
    qemus.push(dst);
    const src = await startQemu({
      ...base,
      qmpSockets: [join(dir, 'src.qmp')],
      logFile: join(dir, 'src.trace.log'),
      ...(stderr ? { stderr: stderr.src } : {}),
    });
    qemus.push(src);
    Object.assign(pids, { src: src.pid, dst: dst.pid });
    const dstO = await Orchestrator.connect(join(dir, 'dst.qmp'), 10_000, {
      transcript: (l) => transcripts.dst.push(l),
    });
    orchestrators.push(dstO);
    const srcO = await Orchestrator.connect(join(dir, 'src.qmp'), 10_000, {
      transcript: (l) => transcripts.src.push(l),
    });
    orchestrators.push(srcO);
    const dstClosed = new Promise<void>((r) => dstO.waitForEvent(() => false, 120_000).catch(() => r()));
    const srcClosed = new Promise<void>((r) => srcO.waitForEvent(() => false, 120_000).catch(() => r()));

    const caps = { events: true, ...(c.returnPath ? { 'return-path': true } : {}) };
    results.src_setcaps = await srcO.setCapabilities(caps);
    results.dst_setcaps = await dstO.setCapabilities(caps);
    if (c.slow)
      results.src_setparams = await srcO.execute('migrate-set-parameters', { 'max-bandwidth': 100_000 });
    results.src_status_before = await srcO.execute('query-status');
    results.dst_status_before = await dstO.execute('query-status');

    const srcTerminal = srcO.waitForEvent(terminal(['completed', 'failed', 'cancelled']), 60_000);
    const dstTerminal = dstO.waitForEvent(terminal(['completed', 'failed']), 60_000).catch(() => null);
    const dstResume = dstO.waitForEvent((m) => m.event === 'RESUME', 60_000).catch(() => null);
    const started = performance.now();
    results.migrate = await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    if (c.action === 'cancel') {
      await sleep(1000);
      results.src_query_migrate_during = await srcO.execute('query-migrate');
      results.migrate_cancel = await srcO.execute('migrate_cancel');
    } else if (c.action === 'kill-destination') {
      await sleep(1500);
      results.src_query_migrate_during = await srcO.execute('query-migrate');
      dst.process.kill('SIGKILL');
    }
    results.src_terminal_event = await srcTerminal;
    results.wall_migrate_to_src_terminal_s = (performance.now() - started) / 1000;
    results.dst_terminal_event = await dstTerminal;
    // Let QEMU finish the migration's cleanup (its bottom half prints the last errors and traces)
    // before querying and quitting, as libvirt's pace would.
    await sleep(300);
    const completed = (results.src_terminal_event as QmpMessage).data?.status === 'completed';
    if (completed) results.dst_resume = await dstResume;
    results.src_query_migrate = await srcO.execute('query-migrate');
    results.src_query_status = await srcO.execute('query-status');
    if (completed) {
      results.dst_query_migrate = await dstO.execute('query-migrate');
      results.dst_query_status = await dstO.execute('query-status');
    }
    results.src_quit = await srcO.execute('quit').catch((e: Error) => e.message);
    if (completed) results.dst_quit = await dstO.execute('quit').catch((e: Error) => e.message);
    // QEMU prints its last trace lines (migrate_fd_cancel) while quitting: wait for both to exit.
    results.src_exit = await src.exited;
    results.dst_exit = await dst.exited;
    await Promise.all([srcClosed, dstClosed]);
  } finally {
    for (const o of orchestrators) o.close();
    await Promise.all(qemus.map((q) => q.kill()));
  }
  const all = new Map<CaptureFile, string>([
    ['src.qmp', transcriptText(transcripts.src)],
    ['dst.qmp', transcriptText(transcripts.dst)],
    ...(stderr
      ? []
      : ([
          ['src.trace', readFileSync(join(dir, 'src.trace.log'), 'utf8')],
          ['dst.trace', readFileSync(join(dir, 'dst.trace.log'), 'utf8')],
        ] as const)),
    ['results', `${JSON.stringify(results, null, 1)}\n`],
  ]);
  const keep = c.keep ?? [...all.keys()];
  return { files: new Map([...all].filter(([k]) => keep.includes(k))), results, pids };
}

/** The file name a capture's part is committed under. */
export const captureFileName = (c: MigrationCapture, f: CaptureFile): string =>
  f === 'results'
    ? `${c.name}-results.json`
    : `${c.name}-${f.replace('.qmp', '.qmp.jsonl').replace('.trace', '.trace.log')}`;
