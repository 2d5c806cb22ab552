import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { agentCli } from '@switchover/agent';
import { INPUTS, LABELS, METRICS } from '@switchover/model';
import { freePort, spawnOwned, startQmpResponders, until, type QmpResponders } from '@switchover/testbed';
import type { Cleanups } from './cleanups.js';
import { sampleWindow, type Footprint } from './proc-sample.js';

/**
 * The agent's cost on an idle hypervisor: the built agent as a child process following `logs` real
 * domain log files and `sockets` real listening QMP sockets (QMP-speaking Unix sockets, a real QEMU
 * each would be too heavy), with nothing happening; CPU and RSS sampled from /proc over a window,
 * side by side with a bare Node process (`setInterval(() => {}, 1e9)`) sampled over the same window.
 */
export interface FootprintOptions {
  logs: number;
  sockets: number;
  windowMs: number;
  repeats: number;
  /** Wait after every input is up before measuring: start-up (identifying 500 VMs) is not idle. */
  settleMs: number;
  /** The agent's libvirt-log poll period, when the default is not what is measured. */
  pollIntervalMs?: number;
  keep: boolean;
  log: (line: string) => void;
}

export interface FootprintWindow {
  loadAverage: number[];
  agent: Footprint;
  baseline: Footprint;
}

export interface FootprintResult {
  logs: number;
  sockets: number;
  windowMs: number;
  settleMs: number;
  node: string;
  /** Seconds from spawn until every input was up. */
  startupSeconds: number;
  /** The agent while it settled (identifying every VM, opening every file, then collecting that). */
  settling: Footprint;
  windows: FootprintWindow[];
}

export const FOOTPRINT_TARGETS = { cpuPercent: 1, rssRatio: 1.8 } as const;

/** A libvirt domain log as an idle VM leaves it: start line, command line, a few QEMU lines. */
const domainLog = (vm: string): string =>
  [
    `2026-01-10 08:00:00.000+0000: starting up libvirt version: 9.0.0, package: 9.0.0-4+deb12u2 (Debian), qemu version: 7.2.0Debian 1:7.2+dfsg-7+deb12u13, kernel: 6.1.0-37-amd64, hostname: bench-host`,
    'LC_ALL=C \\',
    '/usr/bin/qemu-system-x86_64 \\',
    `-name guest=${vm},debug-threads=on \\`,
    '-msg timestamp=on',
    'char device redirected to /dev/pts/3 (label charserial0)',
    '',
  ].join('\n');

function spawnNode(args: string[], stderr: (s: string) => void): ChildProcess {
  const child = spawnOwned(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' },
  });
  child.stderr?.on('data', (d: Buffer) => stderr(d.toString('utf8')));
  return child;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

/** The process's own pid (setpriv execs in place, so the child's pid is the program's). */
const pidOf = (c: ChildProcess): number => {
  if (c.pid === undefined) throw new Error('process did not start');
  return c.pid;
};

export async function runFootprint(o: FootprintOptions, cleanups: Cleanups): Promise<FootprintResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchover-bench-footprint-'));
  let responders: QmpResponders | undefined;
  let agent: ChildProcess | undefined;
  let baseline: ChildProcess | undefined;
  let stderr = '';
  const undo = async (): Promise<void> => {
    await stopChild(agent);
    await stopChild(baseline);
    await responders?.close();
    if (o.keep) o.log(`  kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  };
  return cleanups.with(`footprint ${dir}`, undo, async () => {
    const logs = path.join(dir, 'logs');
    const qmp = path.join(dir, 'qmp');
    await mkdir(logs);
    await mkdir(qmp);
    for (let i = 0; i < o.logs; i++) {
      const vm = `vm-${String(i).padStart(4, '0')}`;
      await writeFile(path.join(logs, `${vm}.log`), domainLog(vm));
    }
    responders = await startQmpResponders(qmp, o.sockets);
    const port = await freePort();
    const config = path.join(dir, 'agent.yaml');
    await writeFile(
      config,
      [
        'host: bench-host',
        `stateDir: ${path.join(dir, 'state')}`,
        `http: {address: 127.0.0.1, port: ${port}}`,
        'inputs:',
        `  qmp: {enabled: ${o.sockets > 0}, sockets: ['${path.join(qmp, '*.qmp')}']}`,
        '  virsh: {enabled: false}',
        `  libvirtLogs: {enabled: ${o.logs > 0}, glob: '${path.join(logs, '*.log')}'${
          o.pollIntervalMs ? `, pollIntervalMs: ${o.pollIntervalMs}` : ''
        }}`,
        'log: {level: warn}',
        '',
      ].join('\n'),
    );
    o.log(`footprint: agent with ${o.logs} domain logs and ${o.sockets} QMP sockets, idle ...`);
    const t0 = Date.now();
    agent = spawnNode([agentCli, 'agent', '--config', config], (s) => (stderr += s));
    const metrics = async (): Promise<string> => {
      if (agent!.exitCode !== null) throw new Error(`the agent exited (${agent!.exitCode}): ${stderr}`);
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      return r.text();
    };
    const up = (text: string, input: string): number =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${METRICS.sourceUp}{${LABELS.input}="${input}"`) && l.endsWith(' 1'))
        .length;
    await until('every input of the agent up', 120_000, async () => {
      const text = await metrics();
      return up(text, INPUTS.qmp) === o.sockets && up(text, INPUTS.libvirtLog) === (o.logs > 0 ? 1 : 0);
    }).catch((err: Error) => {
      throw new Error(`${err.message}; agent stderr: ${stderr.slice(-2000)}`);
    });
    const startupSeconds = (Date.now() - t0) / 1000;
    baseline = spawnNode(['-e', 'setInterval(() => {}, 1e9)'], () => undefined);
    // Start-up is not idle: identifying every VM and opening every file leave garbage that V8 only
    // collects, and memory it only returns, some seconds later. Both processes wait the same.
    const peak = await sampleWindow([pidOf(agent)], o.settleMs);
    const windows: FootprintWindow[] = [];
    for (let i = 0; i < o.repeats; i++) {
      const loadAverage = os.loadavg().map((l) => Number(l.toFixed(2)));
      const [a, b] = await sampleWindow([pidOf(agent), pidOf(baseline)], o.windowMs);
      windows.push({ loadAverage, agent: a!, baseline: b! });
      o.log(
        `  window ${i + 1}/${o.repeats}: agent ${a!.cpuPercent.toFixed(2)} % CPU, ${(a!.rssMaxBytes / 2 ** 20).toFixed(1)} MiB; ` +
          `bare node ${b!.cpuPercent.toFixed(2)} %, ${(b!.rssMaxBytes / 2 ** 20).toFixed(1)} MiB (load ${loadAverage.join(' ')})`,
      );
    }
    if (agent.exitCode !== null) throw new Error(`the agent exited during the measurement: ${stderr}`);
    return {
      logs: o.logs,
      sockets: o.sockets,
      windowMs: o.windowMs,
      settleMs: o.settleMs,
      node: process.version,
      startupSeconds,
      settling: peak[0]!,
      windows,
    };
  });
}
