import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventWatcher } from '../events.js';
import type { LibvirtHost } from '../host.js';
import type { LibvirtHosts } from '../hosts.js';
import { appendToDomainLog } from '../vfio-lines.js';
import { shapeProblems } from './shape.js';
import type { HostKey, Scenario, ScenarioContext, ScenarioExpectation, SimulatedLines } from './types.js';

export interface RunOptions {
  /** Where the scenario's files and `expected.json` go (created if missing). */
  outDir: string;
  /** Throw when the capture does not fit the scenario (the capture script); otherwise report it. */
  strict?: boolean;
  /**
   * Also watch both hosts without `--timestamp` (`HOST.events-qemu-time.txt`), for a test that needs
   * QEMU's own event times; listed in expected.json only when the scenario itself asks for them.
   */
  qemuTimeEvents?: boolean;
  log?: (line: string) => void;
}

export interface ScenarioRun {
  expectation: ScenarioExpectation;
  /** Where the capture does not fit the scenario: shape mismatches, a VM running on the wrong host. */
  problems: string[];
  /** Wall time of the scenario, from defining its domains to the last file written. */
  ms: number;
  /** When the attempt that produced these files began (epoch ms); earlier attempts were discarded. */
  startedAt: number;
  /** 1, or more when a missed window made the scenario run again. */
  attempts: number;
}

/** The file a host's domain log of `vm` is saved as: `HOST.libvirt.log`, or `HOST.VM.libvirt.log` with several VMs. */
export const logFileName = (s: Scenario, host: string, vm: string): string =>
  s.vms.length > 1 ? `${host}.${vm}.libvirt.log` : `${host}.libvirt.log`;

const eventsFileName = (host: string, qemuTime: boolean): string =>
  `${host}.events${qemuTime ? '-qemu-time' : ''}.txt`;

/** `starting up libvirt version: 9.0.0, package: …, qemu version: 7.2.22Debian …` */
function versions(text: string): { libvirt: string; qemu: string } {
  const m = /starting up libvirt version: (\d+\.\d+\.\d+).*?qemu version: (\d+\.\d+\.\d+)/.exec(text);
  return { libvirt: m?.[1] ?? 'unknown', qemu: m?.[2] ?? 'unknown' };
}

/**
 * Run one scenario on the hosts: define and start its domains, watch both hosts' events into files,
 * act, wait for the domain logs to settle, then save both hosts' domain logs and event files and an
 * `expected.json` into `outDir`. The domains are destroyed and undefined afterwards.
 */
export async function runScenario(hosts: LibvirtHosts, s: Scenario, o: RunOptions): Promise<ScenarioRun> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ...(await runOnce(hosts, s, o, attempt < ATTEMPTS)), attempts: attempt };
    } catch (err) {
      if (!(err instanceof MissedWindow) || attempt >= ATTEMPTS) throw err;
      (o.log ?? (() => {}))(`${s.name}: ${err.message} (attempt ${attempt})`);
    }
  }
}

const ATTEMPTS = 3;

/**
 * A scenario missed a window of a few milliseconds it must act in (stopping a QEMU before libvirt's
 * `cont`), or an event watcher registered too late for the first events: running it again is safe.
 */
export class MissedWindow extends Error {
  override name = 'MissedWindow';
}

async function runOnce(
  hosts: LibvirtHosts,
  s: Scenario,
  o: RunOptions,
  mayRetry: boolean,
): Promise<Omit<ScenarioRun, 'attempts'>> {
  const t0 = Date.now();
  const log = o.log ?? (() => {});
  const byKey = (k: HostKey): LibvirtHost => (k === 'a' ? hosts.a : hosts.b);
  const keys: HostKey[] = ['a', 'b'];
  mkdirSync(o.outDir, { recursive: true });
  // A fresh start: a run again after a missed window must not find the last attempt's processes.
  for (const k of keys) for (const vm of s.vms) rmSync(byKey(k).domainLog(vm.name), { force: true });
  const simulated: SimulatedLines[] = [];
  const watchers = new Map<string, EventWatcher>();
  try {
    await Promise.all(s.vms.map(({ startOn, ...spec }) => byKey(startOn).defineAndStart(spec)));
    const forms = s.qemuTimeEvents || o.qemuTimeEvents ? [true, false] : [true];
    const started = keys.flatMap((k) =>
      forms.map(async (timestamp) => {
        const file = join(o.outDir, eventsFileName(byKey(k).name, !timestamp));
        watchers.set(`${k}${timestamp}`, await EventWatcher.start(byKey(k).uri, file, { timestamp }));
      }),
    );
    await Promise.all(started);
    const ctx: ScenarioContext = {
      a: hosts.a,
      b: hosts.b,
      host: byKey,
      events: (k) => watchers.get(`${k}true`) as EventWatcher,
      simulate(k, vm, lines, why) {
        appendToDomainLog(byKey(k).domainLog(vm), lines);
        simulated.push({ host: byKey(k).name, file: logFileName(s, byKey(k).name, vm), lines, why });
      },
      log,
    };
    await s.run(ctx);
    await settle(s, byKey);
  } catch (err) {
    for (const w of watchers.values()) await w.stop();
    await cleanup(s, hosts);
    throw err;
  }
  for (const w of watchers.values()) await w.stop();

  const files: Array<[string, string]> = [];
  const logsOnly: Array<[string, string]> = [];
  for (const k of keys)
    for (const vm of s.vms) {
      const from = byKey(k).domainLog(vm.name);
      if (!existsSync(from)) continue;
      const name = logFileName(s, byKey(k).name, vm.name);
      copyFileSync(from, join(o.outDir, name));
      files.push([byKey(k).name, name]);
      logsOnly.push([byKey(k).name, name]);
    }
  for (const k of keys)
    for (const qemuTime of s.qemuTimeEvents ? [false, true] : [false])
      files.push([byKey(k).name, eventsFileName(byKey(k).name, qemuTime)]);

  const problems: string[] = [];
  const vmRunsOn: Record<string, string | null> = {};
  for (const vm of s.vms) {
    const running: HostKey[] = [];
    for (const k of keys) if ((await byKey(k).domainState(vm.name)) === 'running') running.push(k);
    vmRunsOn[vm.name] = running.length === 1 ? byKey(running[0] as HostKey).name : null;
    const want = s.vmRunsOn[vm.name] ?? null;
    if (running.length > 1 || (running[0] ?? null) !== want)
      problems.push(`${vm.name} runs on [${running.join(', ')}], the scenario says ${want ?? 'nowhere'}`);
  }
  await cleanup(s, hosts);

  const shape: ScenarioExpectation['shape'] = {};
  for (const sh of s.shape) {
    const host = byKey(sh.host).name;
    const file =
      sh.file === 'log'
        ? logFileName(s, host, sh.vm ?? (s.vms[0]?.name as string))
        : eventsFileName(host, sh.file === 'events-qemu-time');
    const one = { inOrder: sh.inOrder, ...(sh.absent ? { absent: sh.absent } : {}) };
    (shape[file] ??= []).push(one);
    const path = join(o.outDir, file);
    if (!existsSync(path)) problems.push(`${file}: not captured`);
    else
      for (const p of shapeProblems(readFileSync(path, 'utf8'), one, sh.file !== 'log'))
        problems.push(`${file}: ${p}`);
  }
  // virsh gives no sign that it has registered for events; a watcher that missed the first ones
  // (a loaded machine) shows here, and the scenario is run again rather than reported as wrong.
  const late = problems.filter((p) => /^[^ ]+\.txt: missing /.test(p));
  if (late.length && mayRetry) throw new MissedWindow(`an event watcher missed events: ${late.join('; ')}`);
  const firstLog = logsOnly[0];
  const expectation: ScenarioExpectation = {
    scenario: s.name,
    about: s.about,
    captured: versions(firstLog ? readFileSync(join(o.outDir, firstLog[1]), 'utf8') : ''),
    files,
    logsOnly,
    migrations: s.migrations.map((m) => ({
      ...m,
      source: byKey(m.source).name,
      destination: byKey(m.destination).name,
    })),
    notMigrations: (s.notMigrations ?? []).map((n) => ({ ...n, host: byKey(n.host).name })),
    vmRunsOn,
    simulated,
    shape,
  };
  if (o.strict && problems.length)
    throw new Error(`scenario ${s.name} did not go as it should:\n  ${problems.join('\n  ')}`);
  writeFileSync(join(o.outDir, 'expected.json'), `${JSON.stringify(expectation, null, 2)}\n`);
  return { expectation, problems, ms: Date.now() - t0, startedAt: t0 };
}

/** Wait until every domain log holds what its shape wants (libvirt writes the last lines asynchronously). */
async function settle(s: Scenario, byKey: (k: HostKey) => LibvirtHost): Promise<void> {
  const deadline = Date.now() + 15_000;
  const logShapes = s.shape.filter((sh) => sh.file === 'log');
  for (;;) {
    const ok = logShapes.every((sh) => {
      const path = byKey(sh.host).domainLog(sh.vm ?? (s.vms[0]?.name as string));
      return (
        existsSync(path) &&
        shapeProblems(readFileSync(path, 'utf8'), { inOrder: sh.inOrder }, false).length === 0
      );
    });
    if (ok || Date.now() > deadline) break;
    await sleep(50);
  }
  // Lines that follow the last awaited one (QEMU's `terminating on signal` after libvirt's own line).
  await sleep(500);
}

async function cleanup(s: Scenario, hosts: LibvirtHosts): Promise<void> {
  for (const h of [hosts.a, hosts.b])
    for (const vm of s.vms) {
      await h.virsh(['destroy', vm.name]);
      await h.virsh(['undefine', vm.name]);
    }
}
