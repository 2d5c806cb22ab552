import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, type AgentConfig } from '../../src/config/schema.js';
import { Agent } from '../../src/daemon/agent.js';
import { silentLogger } from '../../src/lib/log.js';

/** Starts an in-process test agent: state in `dir/state`, a free port, short windows, no log output. */
async function startAgent(
  o: { host: string; dir: string; windowSeconds?: number; otlpUrl?: string; logGlob?: string },
  inputs: Partial<AgentConfig['inputs']>,
): Promise<Agent> {
  const base = defaultConfig(o.host);
  const config: AgentConfig = {
    ...base,
    stateDir: join(o.dir, 'state'),
    http: { ...base.http, port: 0 },
    inputs: {
      ...base.inputs,
      ...inputs,
      ...(o.logGlob
        ? {
            libvirtLogs: {
              enabled: true,
              glob: o.logGlob,
              startAt: 'beginning' as const,
              pollIntervalMs: 50,
            },
          }
        : {}),
    },
    detection: { ...base.detection, windowSeconds: o.windowSeconds ?? 1 },
    otlp: { endpoint: o.otlpUrl ?? null, headers: {} },
  };
  const agent = new Agent(config, { logger: silentLogger, version: 'test', env: {} });
  await agent.start();
  return agent;
}

/** An in-process agent for one simulated host: QMP sockets in `dir/qmp`, state in `dir/state`. */
export async function startTestAgent(o: {
  host: string;
  dir: string;
  otlpUrl?: string;
  windowSeconds?: number;
  logGlob?: string;
}): Promise<Agent> {
  mkdirSync(join(o.dir, 'qmp'), { recursive: true });
  return startAgent(o, {
    qmp: { enabled: true, sockets: [join(o.dir, 'qmp', '*.qmp')], pollIntervalMs: 1000 },
  });
}

/**
 * An in-process agent for one real libvirt host: the virsh event relay against that host's libvirtd
 * (`virshUri`, QEMU's own event times) and/or its domain logs (`logDir/*.log`, read from the start).
 */
export async function startLibvirtAgent(o: {
  host: string;
  dir: string;
  virshUri?: string;
  logDir?: string;
  windowSeconds?: number;
  otlpUrl?: string;
}): Promise<Agent> {
  return startAgent(
    { ...o, ...(o.logDir ? { logGlob: join(o.logDir, '*.log') } : {}) },
    o.virshUri
      ? { virsh: { enabled: true, binary: '/usr/bin/virsh', uri: o.virshUri, timestamp: false } }
      : {},
  );
}
