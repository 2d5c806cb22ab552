/**
 * Two Proxmox VE "nodes" on one machine, for real: each node is a journald namespace (its journal),
 * a tasks folder (/var/log/pve/tasks) and a view of one shared cluster config folder (/etc/pve, with
 * `qemu-server` linked to the node's own folder). VMs are real QEMU processes run as `kvm` in a real
 * `qemu.slice/<VMID>.scope` cgroup where the machine allows it, their stderr a journald stream with
 * identifier `QEMU`, as pve-qemu does. What qemu-server writes itself (task logs in QemuMigrate.pm's
 * formats, `qm`'s and qmeventd's journal lines, the config move) is written by this harness.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** `YYYY-MM-DD HH:MM:SS` in the node's zone, as Perl's `strftime("%F %H:%M:%S", localtime)`. */
export function localStamp(ms: number, zone = TZ): string {
  const p = new Map(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(ms)
      .map((x) => [x.type, x.value]),
  );
  return `${p.get('year')}-${p.get('month')}-${p.get('day')} ${p.get('hour')}:${p.get('minute')}:${p.get('second')}`;
}

/** pve-common's `render_bytes($v, 1)`: `18.8 MiB`. */
export function renderBytes(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A `qmigrate` task log, named by its UPID, written line by line as AbstractMigrate's `log()` does. */
export class TaskLog {
  readonly file: string;
  readonly start = Date.now();
  constructor(node: PveNode, vmid: string) {
    const hex = (n: number, w = 8) => n.toString(16).toUpperCase().padStart(w, '0');
    const st = Math.floor(this.start / 1000);
    const upid = `UPID:${node.name}:${hex(process.pid)}:${hex(Math.floor(Math.random() * 1e8))}:${hex(st)}:qmigrate:${vmid}:root@pam:`;
    this.file = path.join(node.tasksDir, hex(st).slice(-1), upid);
    writeFileSync(this.file, '');
  }
  log(msg: string, level: 'info' | 'err' = 'info'): void {
    appendFileSync(this.file, `${localStamp(Date.now())} ${level === 'err' ? 'ERROR: ' : ''}${msg}\n`);
  }
  end(line: string): void {
    appendFileSync(this.file, `${line}\n`);
  }
  duration(): string {
    const s = Math.floor((Date.now() - this.start) / 1000);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
  }
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

/** `PVE::QemuConfig->move_config_to_node`: the config moves from the source's folder to the target's. */
export function moveConf(cluster: PveCluster, vmid: string, from: PveNode, to: PveNode): void {
  const f = (n: PveNode) => path.join(cluster.sharedPve, 'nodes', n.name, 'qemu-server', `${vmid}.conf`);
  renameSync(f(from), f(to));
}

export interface MigrateOptions {
  /** Stop the task after the first progress line (the GUI's Stop): `interrupted by signal`. */
  cancel?: boolean;
  /** migrate-set-parameters max-bandwidth (bytes/s), to make the migration last. */
  maxBandwidth?: number;
  /** After the target's `cont`, before the source VM is stopped (inject a failure, kill the target). */
  afterResume?: (target: PveVm) => Promise<void>;
}

export interface MigrateResult {
  task: TaskLog;
  target: PveVm;
  status: string;
}

/**
 * One live migration as qemu-server runs it (QemuMigrate.pm phase 1–3, AbstractMigrate.pm): the
 * target started paused with `-incoming`, `migrate`, `query-migrate` polled and logged, on
 * `completed` the config moved and the target resumed with `cont`, the source stopped; on failure
 * or cancel, phase 2's cleanup (`migrate_cancel`, the target stopped).
 */
export async function pveMigrate(
  cluster: PveCluster,
  source: PveVm,
  targetNode: PveNode,
  o: MigrateOptions & { targetRamMb?: number; port: number },
): Promise<MigrateResult> {
  const task = new TaskLog(source.node, source.vmid);
  task.log(`starting migration of VM ${source.vmid} to node '${targetNode.name}' (127.0.0.1)`);
  task.log(`starting VM ${source.vmid} on remote node '${targetNode.name}'`);
  const target = await startVm(cluster, targetNode, {
    vmid: source.vmid,
    name: source.name,
    incomingPort: o.port,
    ...(o.targetRamMb ? { ramMb: o.targetRamMb } : {}),
  });
  await qmStarted(cluster, target, source.node.name);
  const uri = `tcp:127.0.0.1:${o.port}`;
  task.log('start remote tunnel');
  task.log('ssh tunnel ver 1');
  task.log(`starting online/live migration on ${uri}`);
  task.log('set migration capabilities');
  await source.orch.setCapabilities({ xbzrle: true, 'auto-converge': true });
  task.log('migration downtime limit: 100 ms');
  task.log('migration cachesize: 8.0 MiB');
  task.log('set migration parameters');
  await source.orch.execute('migrate-set-parameters', {
    'downtime-limit': 100,
    'xbzrle-cache-size': 8 * 1024 * 1024,
    'max-bandwidth': o.maxBandwidth ?? 16 * 1024 ** 3,
  });
  task.log(`start migrate command to ${uri}`);
  const migrateStart = Date.now();
  await source.orch.execute('migrate', { uri });
  let status = 'setup';
  let progressLines = 0;
  let cancelled = false;
  for (;;) {
    await sleep(200);
    const stat = (await source.orch.execute('query-migrate')) as {
      status?: string;
      'error-desc'?: string;
      downtime?: number;
      ram?: { transferred?: number; total?: number; 'pages-per-second'?: number; 'page-size'?: number };
    };
    status = stat.status ?? 'none';
    if (status === 'setup' || status === 'cancelling') {
      task.log(`migration in status '${status}' - waiting for transition`);
      continue;
    }
    const ram = stat.ram ?? {};
    if (status === 'completed') {
      const secs = Math.max(1, Math.floor((Date.now() - migrateStart) / 1000));
      task.log(
        `average migration speed: ${renderBytes((ram.total ?? 0) / secs)}/s - downtime ${stat.downtime ?? 0} ms`,
      );
      task.log(`migration completed, transferred ${renderBytes(ram.transferred ?? 0)} VM-state`);
    }
    if (status === 'failed' || status === 'cancelled') {
      task.log(
        `migration status error: ${stat['error-desc'] ? `${status} - ${stat['error-desc']}` : status}`,
      );
      task.log('online migrate failure - aborting', 'err');
      break;
    }
    if (status !== 'active' && status !== 'device') {
      task.log(`migration status: ${status}`);
      break;
    }
    const speed = (ram['pages-per-second'] ?? 0) * (ram['page-size'] ?? 0);
    task.log(
      `migration ${status}, transferred ${renderBytes(ram.transferred ?? 0)} of ${renderBytes(ram.total ?? 0)} VM-state, ${renderBytes(speed)}/s`,
    );
    progressLines++;
    if (o.cancel && progressLines >= 1) {
      cancelled = true;
      task.log('online migrate failure - interrupted by signal', 'err');
      break;
    }
  }
  if (status !== 'completed' || cancelled) {
    // phase2_cleanup
    task.log('aborting phase 2 - cleanup resources');
    task.log('migrate_cancel');
    await source.orch.execute('migrate_cancel').catch(() => undefined);
    // `qm stop VMID --skiplock --migratedfrom SRC` on the target, then qmeventd cleans up there.
    await Promise.race([target.orch.execute('quit').catch(() => undefined), target.qemu.exited]);
    await target.qemu.exited;
    await qmeventdCleanup(target);
    task.log(`migration finished with problems (duration ${task.duration()})`, 'err');
    task.end('TASK ERROR: migration problems');
    return { task, target, status: cancelled ? 'cancelled' : status };
  }
  // phase3_cleanup: config to the target, resume it, stop the source.
  moveConf(cluster, source.vmid, source.node, targetNode);
  await target.orch.execute('cont');
  if (o.afterResume) await o.afterResume(target);
  task.log('stopping migration dbus-vmstate helpers');
  await source.orch.execute('quit').catch(() => undefined);
  await source.qemu.exited;
  await qmeventdCleanup(source);
  task.log(`migration finished successfully (duration ${task.duration()})`);
  task.end('TASK OK');
  return { task, target, status };
}
