import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { JournalReplay, type ReplayTally } from './replay.js';

/** The command both sides read the journal with; only where its stdout goes differs. */
export const journalctlArgs = (dir: string): string[] => [`--directory=${dir}`, '-o', 'json', '--no-pager'];

export interface TimedRun {
  seconds: number;
  /** CPU seconds of this Node process during the run (the agent's share; journalctl's is its own). */
  nodeCpuSeconds: number;
}

const elapsed = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;

function exitOf(child: ReturnType<typeof spawn>, what: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${what} exited with ${code ?? signal}: ${stderr().trim().slice(-500)}`)),
    );
  });
}

/** Baseline: `journalctl --directory=DIR -o json --no-pager > /dev/null`, wall time from spawn to exit. */
export async function timeJournalctl(journalctl: string, dir: string): Promise<TimedRun> {
  const devNull = openSync('/dev/null', 'w');
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  try {
    const child = spawn(journalctl, journalctlArgs(dir), { stdio: ['ignore', devNull, 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    await exitOf(child, 'journalctl', () => err);
  } finally {
    closeSync(devNull);
  }
  const seconds = elapsed(started);
  const used = process.cpuUsage(cpu);
  return { seconds, nodeCpuSeconds: (used.user + used.system) / 1e6 };
}

export interface SwitchoverRun extends TimedRun {
  tally: ReplayTally;
}

/**
 * Switchover: the same journalctl, its stdout read by this process through the agent's decode +
 * correlate path. `for await` pulls chunk by chunk, so a slow consumer backs journalctl up through
 * the pipe instead of buffering the journal in memory: the wall time is the slower of the two.
 */
export async function timeSwitchover(journalctl: string, dir: string, host: string): Promise<SwitchoverRun> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const child = spawn(journalctl, journalctlArgs(dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = exitOf(child, 'journalctl', () => err);
  const replay = new JournalReplay(host);
  try {
    for await (const chunk of child.stdout!) await replay.push(chunk as Buffer);
  } catch (e) {
    child.kill('SIGKILL');
    await exited.catch(() => undefined);
    throw e;
  }
  await exited;
  const tally = replay.finish();
  const seconds = elapsed(started);
  const used = process.cpuUsage(cpu);
  return { seconds, nodeCpuSeconds: (used.user + used.system) / 1e6, tally };
}
