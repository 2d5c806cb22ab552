import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentCli, renderMigration } from '@switchover/agent';
import { prepareHost, startAgent, stopAgent, waitHealthy, writeAgentConfig, type DemoHost } from './hosts.js';
import { runMigration } from './migrate.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { METRICS } from '@switchover/model';

export interface DemoOptions {
  qemuBinary: string;
  windowSeconds: number;
  bandwidth: number;
  keep: boolean;
  only: Scenario['key'][] | null;
  basePort: number;
  color: boolean;
  tty: boolean;
  out: (s: string) => void;
}

export interface DemoResult {
  key: Scenario['key'];
  vm: string;
  verdict: string;
  detectionMs: number | null;
  /** Each side's QEMU log (the role of libvirt's domain log), as `switchover review --host` takes it. */
  logs: { host: string; path: string }[];
}

function checkQemu(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? binary;
  } catch {
    throw new Error(
      `${binary} not found: install QEMU (Debian: apt-get install qemu-system-x86), or run \`npm run demo\`, which installs it`,
    );
  }
}

/** Two "hosts" on this machine, each with its own agent, and real QEMU migrations between them. */
export async function runDemo(o: DemoOptions): Promise<DemoResult[]> {
  const bold = (s: string) => (o.color ? `\x1b[1m${s}\x1b[0m` : s);
  let lastWasProgress = false;
  const progress = (line: string, final = false) => {
    if (o.tty) {
      o.out(`\r\x1b[2K${line}${final ? '\n' : ''}`);
      lastWasProgress = !final;
    } else o.out(`${line}\n`);
  };
  const println = (s = '') => {
    if (lastWasProgress) o.out('\n');
    lastWasProgress = false;
    o.out(`${s}\n`);
  };
  println(
    bold('Switchover demo: real QEMU live migrations between two hosts, each watched by its own agent'),
  );
  println(`  ${checkQemu(o.qemuBinary)} (TCG, 64 MiB guests; only the VFIO device is simulated)`);
  const root = mkdtempSync(join(tmpdir(), 'switchover-demo-'));
  const cli = agentCli;
  const hosts: DemoHost[] = [
    prepareHost(root, 'hv-a', o.basePort),
    prepareHost(root, 'hv-b', o.basePort + 1),
  ];
  const results: DemoResult[] = [];
  try {
    for (const h of hosts) {
      startAgent(h, cli, writeAgentConfig(h, o.windowSeconds), openSync(h.agentLog, 'a'));
      await waitHealthy(h);
      println(`  agent for host ${h.name}: http://127.0.0.1:${h.port}/metrics  (state and logs in ${h.dir})`);
    }
    const [a, b] = hosts as [DemoHost, DemoHost];
    const scenarios = SCENARIOS.filter((s) => !o.only || o.only.includes(s.key));
    for (const [i, s] of scenarios.entries()) {
      // Alternate directions like a fleet does: a → b, then b → a.
      const [src, dst] = i % 2 === 0 ? [a, b] : [b, a];
      println();
      println(bold(`${i + 1}/${scenarios.length} ${s.title}: ${s.vm}, ${src.name} → ${dst.name}`));
      println(`  ${s.explain}`);
      const r = await runMigration(
        {
          src,
          dst,
          qemuBinary: o.qemuBinary,
          bandwidth: o.bandwidth,
          windowSeconds: o.windowSeconds,
          progress,
        },
        s,
      );
      println();
      println(
        r.migration
          ? renderMigration(r.migration, { color: o.color })
          : '  (no migration seen by the agents)',
      );
      if (r.detectionMs !== null)
        println(
          `  caught by ${dst.name}'s agent ${r.detectionMs} ms after the line was written: ${METRICS.silentDestinationFailures}{vm="${s.vm}"} = ${r.silentCount}`,
        );
      results.push({
        key: s.key,
        vm: s.vm,
        verdict: r.migration?.verdict ?? 'none',
        detectionMs: r.detectionMs,
        logs: [src, dst].map((h) => ({ host: h.name, path: join(h.logDir, `${s.vm}.log`) })),
      });
    }
    println();
    println(bold('Summary'));
    for (const r of results)
      println(
        `  ${r.vm.padEnd(20)} ${r.verdict}${r.detectionMs !== null ? ` (detected in ${r.detectionMs} ms)` : ''}`,
      );
    println(
      "  QEMU's own status said 'completed' on both hosts for every migration but the loud failure; only the",
    );
    println("  destination's one log line tells the silent failure apart.");
    return results;
  } finally {
    await Promise.all(hosts.map((h) => stopAgent(h)));
    if (!o.keep) rmSync(root, { recursive: true, force: true });
    for (const line of afterwards(hosts, results, root, o.keep)) println(line);
  }
}

/** What the demo leaves behind and what to do next: printed last, right before the demo exits. */
export function afterwards(hosts: DemoHost[], results: DemoResult[], root: string, kept: boolean): string[] {
  const out = ['', 'Where it was'];
  for (const h of hosts)
    out.push(
      `  ${h.name}'s agent: http://127.0.0.1:${h.port}/metrics and /api/migrations (stopped with the demo)`,
    );
  out.push(
    kept
      ? `  evidence, kept in ${root}: HOST/log/VM.log (QEMU's stderr, as libvirt's domain logs), HOST/state/ (flight recorders), HOST/agent.log`
      : `  evidence: ${root} (removed; run with --keep to keep the logs and flight recorders)`,
  );
  out.push('', 'Next');
  const silent = results.find((r) => r.key === 'silent');
  if (silent) {
    const hostArgs = silent.logs.map((l) => `--host ${l.host}=${l.path}`).join(' ');
    out.push(
      kept
        ? "  review the silent failure from the two hosts' logs, as a responder would after an incident:"
        : "  with --keep, review the silent failure from the two hosts' logs, as a responder would:",
      `    npx switchover review --vm ${silent.vm} ${hostArgs}`,
    );
  }
  out.push(
    '  what to do when QemuMigrationSilentDestinationFailure pages: dashboards/RUNBOOK.md',
    '  put the agent on your hypervisors (npm run package builds the .deb): deploy/README.md',
  );
  return out;
}
