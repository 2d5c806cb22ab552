/**
 * The child-process supervisor behind the virsh and journald sources: backoff, stop, and children
 * that die with their owner.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { backoffDelay, RESTART_BACKOFF } from '../src/lib/backoff.js';
import { ChildSupervisor, type ChildExit } from '../src/sources/child-process.js';
import { until } from './helpers/until.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie waiting for a reaper is dead for our purpose.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('backoffDelay', () => {
  it('doubles from the initial delay, caps at the maximum and stays inside the jitter band', () => {
    const o = { ...RESTART_BACKOFF, initialMs: 100, maxMs: 1000, jitter: 0.2 };
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, o, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(2, o, () => 0)).toBe(320);
    expect(backoffDelay(2, o, () => 0.999999)).toBe(480);
  });
});

describe('ChildSupervisor', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sw-sup-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function script(name: string, body: string): Promise<string> {
    const p = path.join(dir, name);
    await writeFile(p, `#!/bin/sh\n${body}\n`);
    await chmod(p, 0o755);
    return p;
  }

  // Regression (issue 9.5): a handler that threw left the read loop while a `--follow` child kept
  // running; nothing was read again and the supervisor waited for an exit that never came.
  it('keeps reading a long-lived child after its stdout handler throws, and reports the failure', async () => {
    const cmd = await script('follow', 'echo one; sleep 0.2; echo two; sleep 0.2; echo three; exec sleep 60');
    const out: string[] = [];
    const failures: unknown[] = [];
    const sup = new ChildSupervisor({
      command: cmd,
      args: () => [],
      onStdout: (chunk) => {
        const text = chunk.toString().trim();
        if (text === 'one') throw new Error('handler bug');
        out.push(text);
      },
      onHandlerError: (err) => failures.push(err),
      onStderrLine: () => {},
      onStart: () => {},
      onExit: () => {},
    });
    sup.start();
    try {
      await until(() => out.length >= 2, 5000);
      expect(out).toEqual(['two', 'three']);
      expect(failures.map((e) => (e as Error).message)).toEqual(['handler bug']);
      expect(sup.running).toBe(true);
    } finally {
      await sup.stop();
    }
  });

  it('restarts an exiting child with growing delays and recomputes its arguments each time', async () => {
    const cmd = await script('quick', 'echo "$1"; exit 3');
    const starts: number[] = [];
    const exits: ChildExit[] = [];
    const out: string[] = [];
    let n = 0;
    const sup = new ChildSupervisor({
      command: cmd,
      args: () => [`run-${++n}`],
      backoff: { initialMs: 40, maxMs: 400, jitter: 0 },
      onStart: () => void starts.push(Date.now()),
      onStdout: (c) => void out.push(c.toString().trim()),
      onStderrLine: () => {},
      onExit: (e) => void exits.push(e),
    });
    sup.start();
    await until(() => exits.length >= 4);
    await sup.stop();
    expect(out.slice(0, 4)).toEqual(['run-1', 'run-2', 'run-3', 'run-4']);
    expect(exits[0]).toMatchObject({ code: 3, signal: null });
    const gaps = starts.slice(1, 4).map((t, i) => t - starts[i]!);
    // 40, 80, 160 ms of backoff (plus process start-up): each gap longer than the last one's delay.
    expect(gaps[0]!).toBeGreaterThanOrEqual(35);
    expect(gaps[2]!).toBeGreaterThanOrEqual(150);
  });

  it('stop() escalates to SIGKILL for a child that ignores SIGTERM and awaits it', async () => {
    const cmd = await script(
      'stubborn',
      `trap '' TERM; echo $$ > "${dir}/pid"; while :; do sleep 0.05; done`,
    );
    const exits: ChildExit[] = [];
    const sup = new ChildSupervisor({
      command: cmd,
      args: () => [],
      killTimeoutMs: 300,
      onStart: () => {},
      onStdout: () => {},
      onStderrLine: () => {},
      onExit: (e, stopping) => void exits.push({ ...e, stderrTail: [String(stopping)] }),
    });
    sup.start();
    await until(() => existsSync(path.join(dir, 'pid')));
    const pid = Number(await readFile(path.join(dir, 'pid'), 'utf8'));
    const t0 = Date.now();
    await sup.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(exits).toEqual([{ code: null, signal: 'SIGKILL', stderrTail: ['true'] }]);
    expect(alive(pid)).toBe(false);
    expect(sup.running).toBe(false);
  });

  it('the child dies with its owner even when the owner is SIGKILLed (pdeathsig)', async () => {
    // A generic long-running child; the real virsh dying with a real agent is in virsh-source.test.ts.
    const fake = await script('long-running', `echo $$ > "${dir}/child.pid"; exec sleep 3600`);
    const owner = path.join(dir, 'owner.ts');
    const sup = path.resolve(__dirname, '../src/sources/child-process.ts');
    await writeFile(
      owner,
      `import { ChildSupervisor } from ${JSON.stringify(sup)};\n` +
        `const s = new ChildSupervisor({ command: ${JSON.stringify(fake)}, args: () => [], onStart() {}, onStdout() {}, onStderrLine() {}, onExit() {} });\n` +
        `s.start();\nsetInterval(() => {}, 1000);\n`,
    );
    const viteNode = path.resolve(__dirname, '../../node_modules/vite-node/vite-node.mjs');
    const proc = spawn(process.execPath, [viteNode, owner], {
      cwd: path.resolve(__dirname, '..'),
      stdio: 'ignore',
    });
    let pid = 0;
    try {
      await until(() => existsSync(path.join(dir, 'child.pid')), 20_000);
      pid = Number(await readFile(path.join(dir, 'child.pid'), 'utf8'));
      expect(alive(pid)).toBe(true);
      proc.kill('SIGKILL');
      await until(() => !alive(pid), 5000);
    } finally {
      proc.kill('SIGKILL');
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
