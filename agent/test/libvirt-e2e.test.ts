/**
 * Every scenario of issue 8 §1 run for real on two libvirt 9.0 hosts (testbed `startLibvirtHosts`):
 * the fresh files must have the shape the committed capture's expected.json claims, `switchover
 * review` must reach its verdicts with both inputs and with the domain logs alone, and so must a live
 * agent on each host (virsh relay + domain logs), and one on the domain logs alone. What today's code
 * does not get right yet is asserted with `it.fails` (PART2 in helpers/libvirt-cases.ts).
 * The scenarios share one pair of hosts and run one after the other (about 40 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS, pairSessions, SPANS } from '@switchover/model';
import {
  libvirtUnavailable,
  LIBVIRT_SCENARIOS,
  runScenario,
  sampleValue,
  startLibvirtHosts,
  type LibvirtHosts,
  type Scenario,
  type ScenarioRun,
} from '@switchover/testbed';
import type { Agent } from '../src/daemon/agent.js';
import { startLibvirtAgent } from './helpers/agents.js';
import { startOtlpReceiver, type FlatSpan, type OtlpReceiver } from './helpers/otlp-receiver.js';
import {
  captureProblems,
  expectedSummary,
  LIBVIRT_FIXTURES,
  loadExpectation,
  reviewCapture,
  reviewFiles,
  summarise,
} from './helpers/libvirt-cases.js';

const unavailable = libvirtUnavailable();
let hosts: LibvirtHosts;
let root: string;
let otlp: OtlpReceiver;
/** Per host: an agent with the virsh relay and the domain logs, and one with the domain logs alone. */
const agents: { full: Agent[]; logsOnly: Agent[] } = { full: [], logsOnly: [] };
const runs = new Map<string, ScenarioRun | Error>();

function ran(s: Scenario): ScenarioRun {
  const r = runs.get(s.name);
  if (r === undefined) throw new Error(`${s.name} did not run`);
  if (r instanceof Error) throw r;
  return r;
}

/** What a group of live agents made of the scenario's VMs (an attempt run again is not counted twice). */
const liveMigrations = (group: Agent[], s: Scenario) => {
  const vms = new Set(s.vms.map((v) => v.name));
  const since = ran(s).startedAt;
  return pairSessions(
    group.flatMap((a) => a.recorder.sessions()).filter((x) => vms.has(x.vm) && x.start >= since),
  );
};

describe.skipIf(unavailable !== null)(
  `two real libvirt hosts${unavailable ? ` (${unavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'switchover-libvirt-e2e-'));
      hosts = await startLibvirtHosts();
      otlp = await startOtlpReceiver();
      for (const h of [hosts.a, hosts.b]) {
        const dir = (kind: string) => join(root, 'agents', `${h.name}-${kind}`);
        agents.full.push(
          await startLibvirtAgent({
            host: h.name,
            dir: dir('full'),
            virshUri: h.uri,
            logDir: h.logDir,
            otlpUrl: otlp.url,
          }),
        );
        agents.logsOnly.push(await startLibvirtAgent({ host: h.name, dir: dir('logs'), logDir: h.logDir }));
      }
      await sleep(500); // the agents' virsh relays register for events
      for (const s of LIBVIRT_SCENARIOS) {
        try {
          runs.set(s.name, await runScenario(hosts, s, { outDir: join(root, s.name), qemuTimeEvents: true }));
        } catch (err) {
          runs.set(s.name, err instanceof Error ? err : new Error(String(err)));
        }
      }
      // Destination windows are 1 s after RESUME: let the full agents close what they can.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && agents.full.some((a) => a.recorder.sessions().some((x) => !x.closed)))
        await sleep(200);
    }, 300_000);

    afterAll(async () => {
      for (const a of [...agents.full, ...agents.logsOnly]) await a.stop();
      await hosts?.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('both hosts answer with libvirt 9.0 and distinct host names', async () => {
      const names = await Promise.all(
        [hosts.a, hosts.b].map(async (h) => (await h.virshOk(['hostname'])).stdout.trim()),
      );
      expect(names).toEqual(['hv-a', 'hv-b']);
      expect((await hosts.a.virshOk(['version'])).stdout).toContain('libvirt 9.0.');
    });

    describe.each(LIBVIRT_SCENARIOS.map((s) => [s.name, s] as const))('%s', (name, s) => {
      const committed = loadExpectation(join(LIBVIRT_FIXTURES, name));
      const fresh = () => join(root, name);

      it('ran for real, and its files have the shape the committed expected.json claims', () => {
        const r = ran(s);
        expect(r.problems).toEqual([]);
        expect(captureProblems(fresh(), committed)).toEqual([]);
        // The committed capture is of this scenario as it is now (not a stale one).
        const { captured: _fresh, ...now } = r.expectation;
        const { captured: _then, ...then } = committed;
        expect(now).toEqual(then);
      });

      // virsh's `--timestamp` is its receive time, a few ms (more on a loaded machine) after QEMU's; a
      // fresh capture may then order an event after a log line QEMU printed later, which today's
      // review gets wrong (the committed `destination-rejects-stream-virsh-lag` capture asserts that).
      // So fresh captures are reviewed with the same watchers' QEMU-time twins, as the live agents read.
      it("review with the domain logs and the virsh events (QEMU's event times) reaches the verdicts of expected.json", async () => {
        ran(s);
        const events = [hosts.a.name, hosts.b.name].map((h) => [h, `${h}.events-qemu-time.txt`] as const);
        const r = await reviewFiles(fresh(), [...committed.logsOnly, ...events]);
        expect(summarise(r.migrations)).toEqual(expectedSummary(committed, 'bothInputs'));
      });

      it('review with the domain logs alone reaches the verdicts of expected.json', async () => {
        ran(s);
        const r = await reviewCapture(fresh(), committed, 'logsOnly');
        expect(summarise(r.migrations)).toEqual(expectedSummary(committed, 'logsOnly'));
      });

      it('live agents (virsh relay + domain logs) reach the same verdicts', async () => {
        ran(s);
        expect(summarise(liveMigrations(agents.full, s))).toEqual(expectedSummary(committed, 'bothInputs'));
        for (const m of committed.migrations)
          if (m.verdict.bothInputs === 'silent-destination-failure') {
            // The alert's counter names VM and device; the destination's span is an error that
            // carries the real log line.
            const dst = agents.full.find((a) => a.config.host === m.destination) as Agent;
            for (const device of m.failedDevices)
              expect(
                sampleValue(await dst.registry.metrics(), METRICS.silentDestinationFailures, {
                  vm: m.vm,
                  device,
                }),
              ).toBe(1);
            const isRoot = (x: FlatSpan) =>
              x.name === SPANS.migration &&
              x.attributes['vm.name'] === m.vm &&
              x.attributes['migration.role'] === 'destination';
            const spans = await otlp.waitFor((all) => all.some(isRoot), 15_000);
            const dstSpan = spans.find(isRoot);
            expect(dstSpan?.status.code).toBe(2);
            const line = committed.simulated.flatMap((x) => x.lines)[0];
            expect(dstSpan?.events.some((e) => e.attributes['qemu.log.line'] === line)).toBe(true);
          }
      });

      it('live agents on the domain logs alone reach the logs-only verdicts', async () => {
        ran(s);
        expect(summarise(liveMigrations(agents.logsOnly, s))).toEqual(expectedSummary(committed, 'logsOnly'));
      });
    });
  },
);
