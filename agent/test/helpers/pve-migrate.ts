/**
 * A live migration as qemu-server runs it, on the nodes of `pve.ts`: the task log written line by
 * line in QemuMigrate.pm's formats (local time), QEMU driven over QMP as qemu-server drives it.
 */
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TZ, qmStarted, qmeventdCleanup, startVm, type PveCluster, type PveNode, type PveVm } from './pve.js';

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
