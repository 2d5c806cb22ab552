import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INPUTS, LABELS, METRICS, pairSessions, type Migration } from '@switchover/model';
import {
  freePort,
  inputUp,
  isMigrationStatus,
  Orchestrator,
  sampleValue,
  startQemu,
  until,
  type QemuProcess,
} from '@switchover/testbed';
import { metricsOf, sessionsOf, type DemoHost } from './hosts.js';
import type { Scenario } from './scenarios.js';

export interface MigrationContext {
  src: DemoHost;
  dst: DemoHost;
  qemuBinary: string;
  /** Bytes per second; throttles the stream so progress is visible. */
  bandwidth: number;
  windowSeconds: number;
  progress: (line: string, final?: boolean) => void;
}

export interface MigrationOutcome {
  migration: Migration | null;
  /** ms from writing the failure line until the destination agent's counter showed it. */
  detectionMs: number | null;
  /** The destination agent's silent-failure counter for this VM at the end. */
  silentCount: number;
}

const KIB = 1024;
const fmtBytes = (n: number): string =>
  n >= KIB * KIB ? `${(n / KIB / KIB).toFixed(1)} MiB` : `${Math.round(n / KIB)} KiB`;

/** One real migration between the two demo hosts, played the way libvirt plays it. */
export async function runMigration(ctx: MigrationContext, s: Scenario): Promise<MigrationOutcome> {
  const { src, dst } = ctx;
  const uuid = randomUUID();
  const port = await freePort();
  const sock = (h: DemoHost, dir: 'qmpDir' | 'orchDir') => join(h[dir], `${s.vm}.qmp`);
  const common = {
    binary: ctx.qemuBinary,
    name: s.vm,
    uuid,
    traces: ['migrate_set_state', 'source_return_path_thread_shut'],
  };
  const silentCount = (text: string) =>
    sampleValue(text, METRICS.silentDestinationFailures, { [LABELS.vm]: s.vm });
  const qemus: QemuProcess[] = [];
  const orchestrators: Orchestrator[] = [];
  try {
    // libvirt starts the destination paused with -incoming and resumes it with `cont` after completion.
    const dstQemu = await startQemu({
      ...common,
      ramMb: s.dstRamMb,
      incomingPort: port,
      paused: true,
      qmpSockets: [sock(dst, 'orchDir'), sock(dst, 'qmpDir')],
      logFile: join(dst.logDir, `${s.vm}.log`),
    });
    const srcQemu = await startQemu({
      ...common,
      ramMb: 64,
      qmpSockets: [sock(src, 'orchDir'), sock(src, 'qmpDir')],
      logFile: join(src.logDir, `${s.vm}.log`),
    });
    qemus.push(dstQemu, srcQemu);
    const dstO = await Orchestrator.connect(sock(dst, 'orchDir'));
    const srcO = await Orchestrator.connect(sock(src, 'orchDir'));
    orchestrators.push(dstO, srcO);
    ctx.progress(`  waiting for both agents to attach to ${s.vm}'s QMP sockets`);
    await until(
      'the agents to attach',
      10_000,
      async () =>
        inputUp(await metricsOf(src), INPUTS.qmp, sock(src, 'qmpDir')) &&
        inputUp(await metricsOf(dst), INPUTS.qmp, sock(dst, 'qmpDir')),
    );
    // As libvirt does: events on (or QEMU emits no MIGRATION events) and the return path.
    for (const o of [dstO, srcO]) await o.setCapabilities({ events: true, 'return-path': true });
    await srcO.execute('migrate-set-parameters', { 'max-bandwidth': ctx.bandwidth });
    const dstCompleted = dstO.waitForEvent(isMigrationStatus('completed'), 120_000).catch(() => null);
    const started = Date.now();
    await srcO.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    let status = 'setup';
    while (!['completed', 'failed', 'cancelled'].includes(status)) {
      await sleep(250);
      const info = (await srcO.execute('query-migrate')) as {
        status: string;
        ram?: { transferred: number; total: number };
      };
      status = info.status;
      const ram = info.ram
        ? `, ${fmtBytes(info.ram.transferred)} sent of ${fmtBytes(info.ram.total)} RAM`
        : '';
      ctx.progress(
        `  migrating ${s.vm} ${src.name} → ${dst.name}: ${status}${ram}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    ctx.progress(`  source says: ${status}`, true);
    let detectionMs: number | null = null;
    if (status === 'completed') {
      await dstCompleted;
      const resumed = dstO.waitForEvent((m) => m.event === 'RESUME', 10_000);
      await dstO.execute('cont'); // libvirt's Finish phase
      await resumed;
      if (s.injectAfterResume) {
        const written = Date.now();
        appendFileSync(join(dst.logDir, `${s.vm}.log`), `${s.injectAfterResume}\n`);
        ctx.progress(`  destination QEMU printed (simulated VFIO device): ${s.injectAfterResume}`, true);
        await until('the destination agent to count the failure', 10_000, async () =>
          silentCount(await metricsOf(dst)),
        );
        detectionMs = Date.now() - written;
      }
      await srcO.execute('quit').catch(() => undefined); // libvirt's Confirm kills the source
    } else {
      await srcO.execute('quit').catch(() => undefined);
    }
    ctx.progress(`  waiting for the destination's ${ctx.windowSeconds} s attribution window to close`);
    const migration = await until(
      'both agents to close their sessions',
      (ctx.windowSeconds + 15) * 1000,
      async () => {
        const sessions = [...(await sessionsOf(src)), ...(await sessionsOf(dst))].filter(
          (x) => x.vm === s.vm,
        );
        const m = pairSessions(sessions)[0];
        return m && m.source?.closed && m.destination?.closed && m.verdict !== 'in-progress' ? m : null;
      },
    ).catch(
      async () =>
        pairSessions(
          [...(await sessionsOf(src)), ...(await sessionsOf(dst))].filter((x) => x.vm === s.vm),
        )[0] ?? null,
    );
    return { migration, detectionMs, silentCount: silentCount(await metricsOf(dst)) ?? 0 };
  } finally {
    for (const o of orchestrators) o.close();
    await Promise.all(qemus.map((q) => q.kill()));
  }
}
