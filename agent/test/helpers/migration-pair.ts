import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INPUTS } from '@switchover/model';
import { Orchestrator, freePort, inputUp, startQemu, until, type QemuProcess } from '@switchover/testbed';
import type { Agent } from '../../src/daemon/agent.js';

/** Trace events the pair's QEMUs print into their logs (the agents' libvirt-log input reads them). */
export const PAIR_TRACES = [
  'migrate_set_state',
  'source_return_path_thread_shut',
  'migration_socket_outgoing_connected',
];

export interface MigrationPair {
  src: QemuProcess;
  dst: QemuProcess;
  srcO: Orchestrator;
  dstO: Orchestrator;
  port: number;
  uuid: string;
}

/**
 * Both QEMUs of one migration between two simulated hosts under `root`: each host has
 * `root/HOST/qmp` (its agent's monitors), `root/HOST/orch` (the test's) and `root/HOST/VM.log`
 * (QEMU's stderr, as libvirt's domain log). The test is the orchestrator, as libvirt would be.
 * Resolves once every running agent in `watchers` has attached to its side and identified the VM.
 */
export async function startMigrationPair(o: {
  root: string;
  vm: string;
  source: string;
  destination: string;
  watchers: { agent: Agent; host: string }[];
  /** Every QEMU started is pushed here, for the caller's cleanup. */
  started: QemuProcess[];
  dstRamMb?: number;
  paused?: boolean;
}): Promise<MigrationPair> {
  const uuid = randomUUID();
  const port = await freePort();
  const sock = (host: string, who: 'agent' | 'orch') =>
    join(o.root, host, who === 'agent' ? 'qmp' : 'orch', `${o.vm}.qmp`);
  const common = { name: o.vm, uuid, traces: PAIR_TRACES };
  const dst = await startQemu({
    ...common,
    ramMb: o.dstRamMb ?? 64,
    incomingPort: port,
    paused: o.paused ?? false,
    qmpSockets: [sock(o.destination, 'orch'), sock(o.destination, 'agent')],
    logFile: join(o.root, o.destination, `${o.vm}.log`),
  });
  o.started.push(dst);
  const src = await startQemu({
    ...common,
    qmpSockets: [sock(o.source, 'orch'), sock(o.source, 'agent')],
    logFile: join(o.root, o.source, `${o.vm}.log`),
  });
  o.started.push(src);
  const dstO = await Orchestrator.connect(sock(o.destination, 'orch'));
  const srcO = await Orchestrator.connect(sock(o.source, 'orch'));
  // As libvirt does: events on (or QEMU emits no MIGRATION events) and the return path.
  for (const x of [dstO, srcO]) await x.setCapabilities({ events: true, 'return-path': true });
  // The agent identifies the VM with query-name etc. right after attaching: wait for each.
  await until('the agents to identify the VM', 10_000, async () => {
    for (const w of o.watchers)
      if (!inputUp(await w.agent.registry.metrics(), INPUTS.qmp, sock(w.host, 'agent'))) return false;
    return true;
  });
  await sleep(300);
  return { dst, src, dstO, srcO, port, uuid };
}
