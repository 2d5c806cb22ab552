/**
 * Proxmox VE, for real: two nodes (journald namespaces, task folders, one cluster config folder),
 * real QEMU 7.2 migrations driven as qemu-server does, one agent per node with the `proxmox` input,
 * then `switchover review` on what a responder copies off both nodes (the task log, and each
 * journal as `journalctl -o json`, `short`, `short-iso`, `short-precise`). Only the VFIO line is
 * simulated: written into the target node's journal as the target QEMU, in QEMU 9.1+'s form
 * (PVE 8.4 ships QEMU 9.2; printed inside `cont`, so without prefix).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, METRICS, pairSessions, type Migration, type Verdict } from '@switchover/model';
import { freePort, journaldUnavailable, sampleValue, until } from '@switchover/testbed';
import { review } from '../src/review/review.js';
import { renderReview } from '../src/review/render-text.js';
import { pveMigrate } from './helpers/pve-migrate.js';
import {
  SCOPE_UNAVAILABLE,
  TZ,
  qmStarted,
  startCluster,
  startPveAgent,
  startVm,
  writeConf,
  type PveCluster,
  type PveNode,
  type PveVm,
} from './helpers/pve.js';

const BDF = '0000:3b:00.1';
const MDEV = 'c2a4e7b0-5d1f-4a8e-9c3b-7f6e5d4c3b2a';
const vfioLine = (dev: string) =>
  `${dev}: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error`;
const FORMATS = ['json', 'short', 'short-iso', 'short-precise'] as const;

const hasQemu = existsSync('/usr/bin/qemu-system-x86_64');
const skip = journaldUnavailable() ?? (hasQemu ? null : 'qemu-system-x86_64 not installed');

let root: string;
let cluster: PveCluster;
let pve1: PveNode;
let pve2: PveNode;
let nextVmid = 7000 + Math.floor(Math.random() * 900) * 10;

/** The migration of `vmid` as both agents' flight recorders pair it (the live verdict). */
function livePair(vmid: string): Migration | undefined {
  const sessions = [pve1, pve2]
    .flatMap((n) => n.agent?.recorder.sessions() ?? [])
    .filter((s) => s.vmUuid === vmid);
  return pairSessions(sessions).find((m) => m.vmUuid === vmid);
}

async function liveVerdict(vmid: string, want: Verdict): Promise<Migration> {
  return until(`the live verdict of VM ${vmid} to be ${want}`, 20_000, () => {
    const m = livePair(vmid);
    return m && m.verdict === want && m.source?.closed && m.destination?.closed ? m : null;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; got ${JSON.stringify(livePair(vmid), null, 1)?.slice(0, 3000)}`);
  });
}

/** What a responder copies off the nodes, in one journal format. */
function exportFiles(task: string, format: (typeof FORMATS)[number], tag: string) {
  const dir = path.join(root, `responder-${tag}`);
  const ext = format === 'json' ? 'json' : 'txt';
  const env = { ...process.env, TZ, LC_ALL: 'C' };
  const file = (n: PveNode) => {
    const f = path.join(dir, `${n.name}-${format}.${ext}`);
    writeFileSync(f, n.ns.exportAs(format, env));
    return f;
  };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return [
    { host: 'pve1', path: task },
    { host: 'pve1', path: file(pve1) },
    { host: 'pve2', path: file(pve2) },
  ];
}

async function offlineVerdicts(task: string, vmid: string, tag: string) {
  const out: Array<{ format: string; migration: Migration | undefined; text: string }> = [];
  for (const format of FORMATS) {
    const files = exportFiles(task, format, `${tag}-${format}`);
    const r = await review(files, { timeZone: TZ, correlator: { windowMs: 2000 } });
    out.push({
      format,
      migration: r.migrations.find((m) => m.vmUuid === vmid),
      text: renderReview(r, { color: false }),
    });
  }
  return out;
}

async function runningVm(node: PveNode, name: string): Promise<PveVm> {
  const vmid = String(nextVmid++);
  writeConf(cluster, node, vmid, name);
  const vm = await startVm(cluster, node, { vmid, name });
  await qmStarted(cluster, vm);
  // Task log times have one-second resolution: a migration started in the same second as its VM
  // would look as if the VM had started during it.
  await new Promise((r) => setTimeout(r, 1100));
  return vm;
}

describe.skipIf(skip !== null)('Proxmox VE nodes: real QEMU, journald, task logs, two agents', () => {
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'sw-pve-'));
    cluster = await startCluster(root, ['pve1', 'pve2']);
    [pve1, pve2] = cluster.nodes as [PveNode, PveNode];
    await startPveAgent(pve1);
    await startPveAgent(pve2);
    cluster.cleanups.push(
      () => pve1.agent?.stop(),
      () => pve2.agent?.stop(),
    );
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('healthy: succeeded live and offline', async () => {
    const vm = await runningVm(pve1, 'web-healthy');
    const r = await pveMigrate(cluster, vm, pve2, { port: await freePort() });
    expect(r.status).toBe('completed');
    const live = await liveVerdict(vm.vmid, 'succeeded');
    expect(live.vm).toBe('web-healthy');
    expect(live.failedDevices).toEqual([]);
    // The source's task log names the target node: the fleet alert can say where the VM went.
    const peer = { [LABELS.vm]: 'web-healthy', [LABELS.role]: 'source', [LABELS.peer]: 'pve2' };
    expect(sampleValue(await pve1.agent!.registry.metrics(), METRICS.vmPeerInfo, peer)).toBe(1);
    for (const o of await offlineVerdicts(r.task.file, vm.vmid, 'healthy')) {
      expect(o.migration?.verdict, `${o.format}\n${o.text}`).toBe('succeeded');
      expect(o.migration?.destination?.host).toBe('pve2');
    }
  }, 90_000);

  for (const [dev, label] of [
    [BDF, 'a host PCI address'],
    [MDEV, 'an mdev UUID (vGPU)'],
  ] as const) {
    it(`silent failure of ${label}: caught by the target agent alone, confirmed by both, and by review`, async () => {
      const name = `gpu-${dev === BDF ? 'vf' : 'mdev'}`;
      const vm = await runningVm(pve1, name);
      const r = await pveMigrate(cluster, vm, pve2, {
        port: await freePort(),
        afterResume: async (target) => {
          // Printed inside `cont`: no `kvm: ` prefix, no timestamp; on the target node only.
          await target.node.ns.writeAsPid(target.qemu.pid, [vfioLine(dev)], 'QEMU', 'user.err');
        },
      });
      expect(r.status).toBe('completed');
      // The target's agent alone raises it (the alert's counter names VM and device).
      await until('the silent failure counter on pve2', 20_000, async () => {
        const v = sampleValue(await pve2.agent!.registry.metrics(), METRICS.silentDestinationFailures, {
          [LABELS.vm]: name,
          [LABELS.device]: dev,
        });
        return v === 1;
      });
      const live = await liveVerdict(vm.vmid, 'silent-destination-failure');
      expect(live.failedDevices).toEqual([dev]);
      expect(live.source?.outcome).toBe('completed');
      for (const o of await offlineVerdicts(r.task.file, vm.vmid, name)) {
        expect(o.migration?.verdict, `${o.format}\n${o.text}`).toBe('silent-destination-failure');
        expect(o.migration?.failedDevices).toEqual([dev]);
        if (dev === BDF && o.format === 'json') console.log(`\n--- review (${o.format}) ---\n${o.text}\n`);
      }
    }, 90_000);
  }

  it('loud load failure: the target QEMU cannot load the stream (different RAM size)', async () => {
    const vm = await runningVm(pve1, 'db-load');
    const r = await pveMigrate(cluster, vm, pve2, { port: await freePort(), targetRamMb: 128 });
    expect(r.status).toBe('failed');
    // QEMU's own lines, as a real node's journal holds them: `kvm: ` prefix, QEMU's pid.
    const loads = pve2.ns
      .entries()
      .filter(
        (e) =>
          e.SYSLOG_IDENTIFIER === 'QEMU' && String(e.MESSAGE).startsWith('kvm: load of migration failed'),
      );
    expect(loads.length).toBeGreaterThan(0);
    const load = loads[0]!;
    expect(load).toMatchObject({ PRIORITY: '3', _TRANSPORT: 'stdout', _PID: String(r.target.qemu.pid) });
    // QEMU exits right after this line: when journald reads it too late, /proc has nothing left
    // (no _COMM, no unit) and the agent knows the VM from the pid qm announced. Otherwise:
    // (Without a writable cgroup here the unit is the stream header's, or this runner's own.)
    if (load._COMM !== undefined) {
      expect(load).toMatchObject({ _COMM: 'kvm' });
      if (SCOPE_UNAVAILABLE === null)
        expect(load).toMatchObject({ _SYSTEMD_UNIT: `${vm.vmid}.scope`, _SYSTEMD_SLICE: 'qemu.slice' });
    }
    const live = await liveVerdict(vm.vmid, 'failed');
    expect(live.destination?.outcome).toBe('failed');
    expect(live.source?.outcome).toBe('failed');
    for (const o of await offlineVerdicts(r.task.file, vm.vmid, 'load')) {
      expect(o.migration?.verdict, `${o.format}\n${o.text}`).toBe('failed');
      expect(o.migration?.destination?.outcome, o.format).toBe('failed');
    }
  }, 90_000);

  it('cancel: the task stopped mid-migration', async () => {
    const vm = await runningVm(pve1, 'batch-cancel');
    const r = await pveMigrate(cluster, vm, pve2, {
      port: await freePort(),
      cancel: true,
      maxBandwidth: 100_000,
    });
    expect(r.status).toBe('cancelled');
    const live = await liveVerdict(vm.vmid, 'cancelled');
    expect(live.source?.outcome).toBe('cancelled');
    for (const o of await offlineVerdicts(r.task.file, vm.vmid, 'cancel'))
      expect(o.migration?.verdict, `${o.format}\n${o.text}`).toBe('cancelled');
  }, 90_000);

  it('two VMs at once: each gets its own verdict and device', async () => {
    const a = await runningVm(pve1, 'pair-a');
    const b = await runningVm(pve1, 'pair-b');
    const [ra, rb] = await Promise.all([
      pveMigrate(cluster, a, pve2, { port: await freePort() }),
      pveMigrate(cluster, b, pve2, {
        port: await freePort(),
        afterResume: (t) => t.node.ns.writeAsPid(t.qemu.pid, [vfioLine(MDEV)], 'QEMU', 'user.err'),
      }),
    ]);
    expect([ra.status, rb.status]).toEqual(['completed', 'completed']);
    expect((await liveVerdict(a.vmid, 'succeeded')).failedDevices).toEqual([]);
    expect((await liveVerdict(b.vmid, 'silent-destination-failure')).failedDevices).toEqual([MDEV]);
    for (const [r, vm, want] of [
      [ra, a, 'succeeded'],
      [rb, b, 'silent-destination-failure'],
    ] as const)
      for (const o of await offlineVerdicts(r.task.file, vm.vmid, `pair-${vm.vmid}`))
        expect(o.migration?.verdict, `${o.format}\n${o.text}`).toBe(want);
  }, 120_000);

  it('a stale failure line of another VMID is never attributed to the migration', async () => {
    const other = await runningVm(pve2, 'idle-other');
    const vm = await runningVm(pve1, 'web-stale');
    const r = await pveMigrate(cluster, vm, pve2, {
      port: await freePort(),
      afterResume: (t) =>
        other.node.ns.writeAsPid(other.qemu.pid, [vfioLine(BDF)], 'QEMU', 'user.err').then(() => void t),
    });
    expect(r.status).toBe('completed');
    const live = await liveVerdict(vm.vmid, 'succeeded');
    expect(live.failedDevices).toEqual([]);
    expect(
      sampleValue(await pve2.agent!.registry.metrics(), METRICS.silentDestinationFailures, {
        [LABELS.vm]: 'idle-other',
      }),
    ).toBeUndefined();
    for (const o of await offlineVerdicts(r.task.file, vm.vmid, 'stale')) {
      expect(o.migration?.verdict, `${o.format}\n${o.text}`).toBe('succeeded');
      expect(o.text).toContain('outside every migration window');
    }
  }, 90_000);

  it('destination-lost: the target QEMU dies after `completed` and `cont`', async () => {
    const vm = await runningVm(pve1, 'lost-after-cont');
    const r = await pveMigrate(cluster, vm, pve2, {
      port: await freePort(),
      afterResume: async (t) => {
        t.qemu.process.kill('SIGKILL');
        await t.qemu.exited;
        await t.node.ns.writeLines(
          [`Starting cleanup for ${t.vmid}`, `Finished cleanup for ${t.vmid}`],
          'qmeventd',
        );
      },
    });
    expect(r.status).toBe('completed');
    const live = await until('the live verdict', 20_000, () => {
      const m = livePair(vm.vmid);
      return m && m.source?.closed && m.destination?.closed ? m : null;
    });
    expect(live.verdict).toBe('destination-lost');
    for (const o of await offlineVerdicts(r.task.file, vm.vmid, 'lost'))
      expect(o.migration?.verdict, `${o.format}\n${o.text}`).toBe('destination-lost');
  }, 90_000);
});
