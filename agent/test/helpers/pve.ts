/**
 * Two Proxmox VE "nodes" on one machine, for real: each node is a journald namespace (its journal),
 * a tasks folder (/var/log/pve/tasks) and a view of one shared cluster config folder (/etc/pve, with
 * `qemu-server` linked to the node's own folder). VMs are real QEMU processes run as `kvm` in a real
 * `qemu.slice/<VMID>.scope` cgroup where the machine allows it, their stderr a journald stream with
 * identifier `QEMU`, as pve-qemu does. What qemu-server writes itself (task logs in QemuMigrate.pm's
 * formats, `qm`'s and qmeventd's journal lines, the config move) is written by this harness.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createVmScope,
  kvmBinary,
  Orchestrator,
  startJournald,
  startQemu,
  until,
  vmScopeUnavailable,
  type JournaldNamespace,
  type QemuProcess,
  type VmScope,
} from '@switchover/testbed';
import { defaultConfig, type AgentConfig } from '../../src/config/schema.js';
import { Agent } from '../../src/daemon/agent.js';
import { silentLogger } from '../../src/lib/log.js';

export const TZ = 'Europe/Vienna';
/**
 * Why VMs get no real `<VMID>.scope` cgroup here (then the stream header names the unit), or null.
 * SWITCHOVER_TEST_NO_SCOPE=1 runs the tests as on a machine without a writable cgroup hierarchy.
 */
export const SCOPE_UNAVAILABLE = process.env.SWITCHOVER_TEST_NO_SCOPE
  ? 'SWITCHOVER_TEST_NO_SCOPE is set'
  : vmScopeUnavailable();

export interface PveNode {
  name: string;
  ns: JournaldNamespace;
  tasksDir: string;
  pveDir: string;
  stateDir: string;
  agent: Agent | null;
}

export interface PveCluster {
  root: string;
  sharedPve: string;
  nodes: PveNode[];
  /** Everything started, stopped in reverse by `stop()`. */
  stop(): Promise<void>;
  cleanups: Array<() => unknown>;
}

export async function startCluster(root: string, names: string[]): Promise<PveCluster> {
  const sharedPve = path.join(root, 'pve');
  const cleanups: Array<() => unknown> = [];
  const nodes: PveNode[] = [];
  for (const name of names)
    mkdirSync(path.join(sharedPve, 'nodes', name, 'qemu-server'), { recursive: true });
  for (const name of names) {
    const base = path.join(root, name);
    const pveDir = path.join(base, 'etc-pve');
    mkdirSync(pveDir, { recursive: true });
    // /etc/pve/nodes is the cluster's; /etc/pve/qemu-server is this node's folder in it.
    symlinkSync(path.join(sharedPve, 'nodes'), path.join(pveDir, 'nodes'));
    symlinkSync(path.join(sharedPve, 'nodes', name, 'qemu-server'), path.join(pveDir, 'qemu-server'));
    const tasksDir = path.join(base, 'tasks');
    for (const d of '0123456789ABCDEF') mkdirSync(path.join(tasksDir, d), { recursive: true });
    const ns = await startJournald('swpve');
    cleanups.push(() => ns.stop());
    nodes.push({ name, ns, tasksDir, pveDir, stateDir: path.join(base, 'state'), agent: null });
  }
  return {
    root,
    sharedPve,
    nodes,
    cleanups,
    async stop() {
      for (const c of cleanups.splice(0).reverse()) {
        try {
          await c();
        } catch {
          // best effort: the rest still gets cleaned up
        }
      }
    },
  };
}

/** The node's agent with the `proxmox` input, as the deploy docs configure it. */
export async function startPveAgent(node: PveNode, windowSeconds = 2): Promise<Agent> {
  const base = defaultConfig(node.name);
  const config: AgentConfig = {
    ...base,
    stateDir: node.stateDir,
    http: { ...base.http, port: 0 },
    inputs: {
      ...base.inputs,
      proxmox: {
        enabled: true,
        tasksDir: node.tasksDir,
        pveDir: node.pveDir,
        timeZone: TZ,
        directory: null,
        namespace: node.ns.namespace,
        startAt: 'all',
        pollIntervalMs: 200,
      },
    },
    detection: { ...base.detection, windowSeconds },
  };
  const agent = new Agent(config, { logger: silentLogger, version: 'test', env: {} });
  await agent.start();
  node.agent = agent;
  return agent;
}

export interface PveVm {
  vmid: string;
  name: string;
  node: PveNode;
  qemu: QemuProcess;
  orch: Orchestrator;
  scope: VmScope | null;
  port?: number;
}

/**
 * A VM's QEMU on a node: `kvm` (so QEMU's own prefix is `kvm: `), `-name NAME,debug-threads=on`
 * and no `-msg timestamp=on`, as qemu-server runs it, in `qemu.slice/<VMID>.scope`, stderr to the
 * node's journal as `QEMU` at LOG_ERR.
 */
export async function startVm(
  cluster: PveCluster,
  node: PveNode,
  o: { vmid: string; name: string; incomingPort?: number; ramMb?: number },
): Promise<PveVm> {
  const scope = SCOPE_UNAVAILABLE ? null : createVmScope(o.vmid);
  const stream = await node.ns.openStream('QEMU', {
    priority: 3,
    ...(scope ? {} : { unit: `${o.vmid}.scope` }),
  });
  const orchSock = path.join(cluster.root, node.name, `${o.vmid}.qmp`);
  const qemu = await startQemu({
    binary: kvmBinary(cluster.root),
    name: o.name,
    ramMb: o.ramMb ?? 64,
    qmpSockets: [orchSock],
    stderr: stream,
    timestamps: false,
    extraArgs: ['-name', `${o.name},debug-threads=on`],
    ...(scope ? { wrap: scope.wrap } : {}),
    ...(o.incomingPort !== undefined ? { incomingPort: o.incomingPort, paused: true } : {}),
  });
  cluster.cleanups.push(async () => {
    await qemu.kill();
    scope?.remove();
  });
  const orch = await Orchestrator.connect(orchSock);
  cluster.cleanups.push(() => orch.close());
  const vm: PveVm = { vmid: o.vmid, name: o.name, node, qemu, orch, scope };
  if (o.incomingPort !== undefined) vm.port = o.incomingPort;
  return vm;
}

/** QEMU's `query-version` package string, as qemu-server puts it in its start line. */
async function qemuPackage(vm: PveVm): Promise<string> {
  const v = (await vm.orch.execute('query-version')) as { package?: string };
  return (v.package ?? '').trim();
}

/**
 * `qm`'s syslog line after it started a VM (QemuServer.pm vm_start), sent with the credentials of a
 * process whose command line is `qm start VMID [--migratedfrom NODE …]`, so journald stamps the
 * entry with that `_CMDLINE` as on a node.
 */
export async function qmStarted(cluster: PveCluster, vm: PveVm, migratedFrom?: string): Promise<void> {
  const qm = path.join(cluster.root, 'qm');
  // Not `exec sleep`: the process must keep qm's command line while journald reads it. Written once:
  // rewriting a script a running shell reads ends it.
  if (!existsSync(qm)) {
    writeFileSync(qm, '#!/bin/sh\nsleep 30 &\nwait\n');
    chmodSync(qm, 0o755);
  }
  const args = [
    'start',
    vm.vmid,
    ...(migratedFrom
      ? ['--skiplock', '--migratedfrom', migratedFrom, '--migration_type', 'insecure', '--stateuri', 'tcp']
      : []),
  ];
  const child: ChildProcess = spawn('/bin/sh', [qm, ...args], { stdio: 'ignore', detached: true });
  try {
    await until('the qm stand-in', 5_000, () => child.pid !== undefined);
    await sleep(50);
    const line = `VM ${vm.vmid} started with PID ${vm.qemu.pid} using ${await qemuPackage(vm)}.`;
    await vm.node.ns.writeAsPid(child.pid as number, [line], 'qm', 'daemon.info');
    await until('qm line in the journal', 10_000, () => vm.node.ns.entries().some((e) => e.MESSAGE === line));
  } finally {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** qmeventd's `qm cleanup` once a VM's QEMU is gone (CLI/qm.pm). */
export async function qmeventdCleanup(vm: PveVm): Promise<void> {
  await vm.node.ns.writeLines(
    [`Starting cleanup for ${vm.vmid}`, `Finished cleanup for ${vm.vmid}`],
    'qmeventd',
  );
}

export function writeConf(cluster: PveCluster, node: PveNode, vmid: string, name: string): void {
  writeFileSync(
    path.join(cluster.sharedPve, 'nodes', node.name, 'qemu-server', `${vmid}.conf`),
    `boot: order=scsi0\nmemory: 64\nname: ${name}\n\n[pre-upgrade]\nname: old-${name}\n`,
  );
}
