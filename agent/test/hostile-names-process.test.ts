/**
 * Regression (issue 9.1), end to end: one line in `__proto__.log` or one virsh event for a domain
 * named `__proto__` polluted `Object.prototype`, every metric update then threw and the agent did not
 * start (or died); `constructor`, `toString`, `valueOf`, `hasOwnProperty` were never tracked. A real
 * agent process follows real libvirt-style domain logs and a virsh-format event stream (a stand-in
 * `virsh` that follows a file) for those VMs, keeps running, and reports each one's silent failure;
 * `switchover review` reads the same files.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, METRICS, type Session } from '@switchover/model';
import { freePort, sampleValue, until } from '@switchover/testbed';
import {
  CLI,
  libvirtLogsInput,
  startAgentProcess,
  writeAgentConfig,
  type AgentProcess,
} from './helpers/agent-process.js';
import { HOSTILE_NAMES, destinationEvents, libvirtHeader, vfioFailureLine } from './helpers/libvirt-lines.js';

let root: string;
let agent: AgentProcess | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sw-hostile-process-'));
  for (const d of ['logs', 'state']) mkdirSync(join(root, d));
});
afterAll(async () => {
  await agent?.kill();
  rmSync(root, { recursive: true, force: true });
});

describe('a real agent process and hostile VM names', () => {
  it('keeps running and reports the silent failure of VMs named __proto__, constructor, toString, …', async () => {
    const events = join(root, 'events.txt');
    writeFileSync(events, '');
    const virsh = join(root, 'virsh');
    // virsh qemu-monitor-event --loop: every event line as it comes; here, the lines appended to a file.
    writeFileSync(virsh, `#!/bin/sh\nexec tail -n +1 -f "${events}"\n`);
    chmodSync(virsh, 0o755);
    const port = await freePort();
    const config = writeAgentConfig({
      dir: root,
      host: 'hv-dst',
      stateDir: join(root, 'state'),
      port,
      inputs: [`  virsh: {enabled: true, binary: ${virsh}}`, libvirtLogsInput(join(root, 'logs'))],
      extra: ['detection: {windowSeconds: 1}'],
    });
    const t0 = Date.now();
    for (const vm of HOSTILE_NAMES)
      writeFileSync(
        join(root, 'logs', `${vm}.log`),
        `${libvirtHeader({ vm, t0, incoming: true }).join('\n')}\n`,
      );
    agent = await startAgentProcess(config, port);
    for (const [i, vm] of HOSTILE_NAMES.entries()) {
      const start = Date.now() + i;
      appendFileSync(events, `${destinationEvents(vm, start, start + 200).join('\n')}\n`);
    }
    // The destination's `cont`: each VM's failure line lands in its log after its RESUME.
    await until('every RESUME to be seen', 15_000, async () => {
      const s = await agent!.sessions();
      return HOSTILE_NAMES.every((vm) => s.some((x) => x.vm === vm && x.resumeTime !== null));
    });
    for (const vm of HOSTILE_NAMES) appendFileSync(join(root, 'logs', `${vm}.log`), `${vfioFailureLine()}\n`);

    const closed = await until('every session to close with its device failure', 15_000, async () => {
      const s = (await agent!.sessions()).filter((x) => x.closed);
      return HOSTILE_NAMES.every((vm) => s.some((x) => x.vm === vm)) && s;
    });
    const byVm = new Map<string, Session>(closed.map((s) => [s.vm, s]));
    for (const vm of HOSTILE_NAMES) expect(byVm.get(vm)?.outcome, vm).toBe('completed-with-device-failure');
    const metrics = await agent.text('/metrics');
    for (const vm of HOSTILE_NAMES)
      expect(
        sampleValue(metrics, METRICS.silentDestinationFailures, {
          [LABELS.vm]: vm,
          [LABELS.device]: '0000:e1:00.4',
        }),
        vm,
      ).toBe(1);
    expect(sampleValue(metrics, METRICS.errors)).toBeUndefined();
    expect(agent.alive()).toBe(true);
    expect((await agent.get('/healthz')).status).toBe(200);
    expect(await agent.kill('SIGTERM')).toBe(0);
    agent = undefined;

    // The responder's copy of the same files.
    const args = [CLI, 'review', '--json', `--host=hv-dst=${events}`];
    for (const vm of HOSTILE_NAMES) args.push(`--host=hv-dst=${join(root, 'logs', `${vm}.log`)}`);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { migrations: { vm: string; verdict: string }[] };
    expect(out.migrations.map((m) => [m.vm, m.verdict]).sort()).toEqual(
      HOSTILE_NAMES.map((vm) => [vm, 'silent-destination-failure']).sort(),
    );
  });
});
