import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Agent } from '@switchover/agent';
import { startBenchAgent } from './bench-agent.js';
import type { Cleanups } from './cleanups.js';
import { journaldUnavailable, startJournald } from '@switchover/testbed';
import { measureLatency, type LatencyResult } from './latency.js';
import { fileRunner } from './latency-file.js';
import { journalRunner } from './latency-journal.js';
import type { LatencyInput } from './options.js';

export interface LatencyOptions {
  inputs: LatencyInput[];
  runs: number;
  scrapeMs: number;
  runTimeoutMs: number;
  keep: boolean;
  log: (line: string) => void;
}

export type LatencyOutcome = LatencyResult | { input: LatencyInput; skipped: string };

async function stopAgent(agent: Agent | undefined): Promise<void> {
  if (agent) await agent.stop();
}

/** One agent per input (only that input enabled), in a temp dir removed afterwards. */
export async function runLatency(o: LatencyOptions, cleanups: Cleanups): Promise<LatencyOutcome[]> {
  const out: LatencyOutcome[] = [];
  for (const input of o.inputs) {
    if (input === 'journal') {
      const why = journaldUnavailable();
      if (why) {
        o.log(`latency through the journal skipped: ${why}`);
        out.push({ input, skipped: why });
        continue;
      }
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), `switchover-bench-${input}-`));
    const removeDir = async (): Promise<void> => {
      if (o.keep) o.log(`  kept ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    };
    const result = await cleanups.with(`temp dir ${dir}`, removeDir, async () => {
      const measure = { runs: o.runs, scrapeMs: o.scrapeMs, runTimeoutMs: o.runTimeoutMs, log: o.log };
      o.log(
        `detection latency through the ${input === 'file' ? 'libvirt domain log' : 'journal'}: ${o.runs} runs ...`,
      );
      if (input === 'file') {
        const logs = path.join(dir, 'logs');
        await mkdir(logs, { recursive: true });
        let agent: Agent | undefined;
        return cleanups.with(
          'agent (libvirt logs)',
          () => stopAgent(agent),
          async () => {
            agent = await startBenchAgent({
              stateDir: path.join(dir, 'state'),
              libvirtLogGlob: path.join(logs, '*.log'),
            });
            return measureLatency(fileRunner(logs), agent, measure);
          },
        );
      }
      const ns = await startJournald();
      return cleanups.with(
        `journald ${ns.namespace}`,
        () => ns.stop(),
        async () => {
          let agent: Agent | undefined;
          return cleanups.with(
            'agent (journald)',
            () => stopAgent(agent),
            async () => {
              agent = await startBenchAgent({
                stateDir: path.join(dir, 'state'),
                journaldNamespace: ns.namespace,
              });
              return measureLatency(await journalRunner(ns), agent, measure);
            },
          );
        },
      );
    });
    out.push(result);
  }
  return out;
}
