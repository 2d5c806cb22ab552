import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from '@switchover/agent';
import type { LatencyInput } from './options.js';
import { MetricsProbe } from './probe.js';
import { distribution, type Distribution } from './stats.js';

export const LATENCY_TARGET_MS = 250;

/** One VM's log stream as the benchmark writes it: a libvirt domain log file, or a journald stream. */
export interface VmStream {
  /** Appends one line (QEMU's stderr); resolves once the write was handed to the kernel. */
  write(line: string): Promise<void>;
  /** The thread id QEMU's trace prefix would carry. */
  readonly tid: number;
  close(): Promise<void>;
}

export interface LatencyRunner {
  input: LatencyInput;
  /** What the stream goes through, for the report. */
  path: string;
  open(vm: string): Promise<VmStream>;
  /**
   * Baseline measured alongside: when the transport itself delivered the n-th failure line (0-based)
   * to a plain reader (e.g. a bare `journalctl --follow`), as `performance.now()`; undefined if never.
   */
  delivered?(n: number, timeoutMs: number): Promise<number | undefined>;
  close?(): Promise<void>;
}

export interface LatencyResult {
  input: LatencyInput;
  path: string;
  runs: number;
  samplesMs: number[];
  /** Same runs, the transport's own delivery to a plain reader (journal only). */
  baselineMs?: Distribution;
  /** Runs whose session never opened, or whose failure never showed on /metrics within the timeout. */
  misses: { sessionNotOpened: number; notDetected: number };
  ms: Distribution;
  withinTarget: number;
  targetMs: number;
  scrapeMs: number;
}

const traceLine = (tid: number, name: string, args: string): string => {
  const us = Math.round(performance.timeOrigin * 1000 + performance.now() * 1000);
  return `${tid}@${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}:${name} ${args}`;
};

async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs: number,
): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > end) return false;
    await sleep(everyMs);
  }
}

export const FAILURE_LINE =
  '0000:3b:00.1: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error';

/**
 * Per run: a fresh VM whose destination migration is open (QEMU 7.2 autostart order: `active`, then
 * the VM starts and the VFIO failure is printed, then `completed`). Once the agent shows the session
 * open, the clock starts, the failure line is appended, and `/metrics` is scraped every `scrapeMs`
 * until the VM's silent-failure sample appears. The session opening first keeps file discovery and
 * session set-up out of the figure: it is the failure line's own path to the counter.
 */
export async function measureLatency(
  runner: LatencyRunner,
  agent: Agent,
  o: { runs: number; scrapeMs: number; runTimeoutMs: number; log: (line: string) => void },
): Promise<LatencyResult> {
  const probe = new MetricsProbe(agent.url!);
  const samples: number[] = [];
  const baseline: number[] = [];
  let failuresWritten = 0;
  const misses = { sessionNotOpened: 0, notDetected: 0 };
  const stamp = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  try {
    for (let i = 0; i < o.runs; i++) {
      const vm = `lat-${runner.input}-${stamp}-${i}`;
      const stream = await runner.open(vm);
      try {
        await stream.write(traceLine(stream.tid, 'migrate_set_state', 'new state active'));
        await stream.write(traceLine(stream.tid, 'loadvm_state_setup', ''));
        const open = await until(
          () => agent.pipeline.openSessions().some((s) => s.vm === vm),
          o.runTimeoutMs * 2,
          2,
        );
        if (!open) {
          misses.sessionNotOpened += 1;
          continue;
        }
        // A random pause, so the failure line does not line up with the periodic timers of the
        // agent (its rescan and 250 ms tick) or journald (coalesced change notifications).
        await sleep(Math.random() * 250);
        const t0 = performance.now();
        await stream.write(FAILURE_LINE);
        const n = failuresWritten++;
        let latency = Number.NaN;
        const seen = await until(
          async () => {
            const yes = await probe.hasSilentFailure(vm);
            if (yes) latency = performance.now() - t0;
            return yes;
          },
          o.runTimeoutMs,
          o.scrapeMs,
        );
        if (seen) samples.push(latency);
        else misses.notDetected += 1;
        const at = await runner.delivered?.(n, o.runTimeoutMs);
        if (at !== undefined) baseline.push(at - t0);
        await stream.write(traceLine(stream.tid, 'migrate_set_state', 'new state completed'));
      } finally {
        await stream.close();
      }
      if ((i + 1) % 25 === 0) o.log(`  ${runner.input}: ${i + 1}/${o.runs} runs`);
    }
  } finally {
    probe.close();
    await runner.close?.();
  }
  return {
    input: runner.input,
    path: runner.path,
    runs: o.runs,
    samplesMs: samples,
    ...(runner.delivered ? { baselineMs: distribution(baseline) } : {}),
    misses,
    ms: distribution(samples),
    withinTarget: samples.filter((s) => s <= LATENCY_TARGET_MS).length,
    targetMs: LATENCY_TARGET_MS,
    scrapeMs: o.scrapeMs,
  };
}
