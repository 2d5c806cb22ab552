import path from 'node:path';
import { Agent, defaultConfig, silentLogger, type AgentConfig } from '@switchover/agent';

export const BENCH_HOST = 'bench-host';

/**
 * A real agent in this process, configured like a production one (default poll periods, window and
 * matches) except for what a benchmark must control: its state directory, an ephemeral HTTP port,
 * the one input under test, and no OTLP exporter.
 */
export async function startBenchAgent(o: {
  stateDir: string;
  libvirtLogGlob?: string;
  journaldNamespace?: string;
  /** The agent's wall clock (the cardinality part lets simulated hours pass). */
  clock?: () => number;
  /** libvirt log poll period (ms); default the production one. */
  pollIntervalMs?: number;
}): Promise<Agent> {
  const base = defaultConfig(BENCH_HOST);
  const config: AgentConfig = {
    ...base,
    stateDir: o.stateDir,
    http: { ...base.http, address: '127.0.0.1', port: 0 },
    inputs: {
      ...base.inputs,
      libvirtLogs: o.libvirtLogGlob
        ? {
            ...base.inputs.libvirtLogs,
            enabled: true,
            glob: o.libvirtLogGlob,
            startAt: 'beginning',
            pollIntervalMs: o.pollIntervalMs ?? base.inputs.libvirtLogs.pollIntervalMs,
          }
        : base.inputs.libvirtLogs,
      journald: o.journaldNamespace
        ? { ...base.inputs.journald, enabled: true, namespace: o.journaldNamespace, startAt: 'all' }
        : base.inputs.journald,
    },
    otlp: { endpoint: null, headers: {} },
  };
  const agent = new Agent(config, {
    logger: silentLogger,
    version: 'bench',
    env: {},
    ...(o.clock ? { clock: o.clock } : {}),
  });
  await agent.start();
  return agent;
}

export const logDir = (dir: string): string => path.join(dir, 'logs');
