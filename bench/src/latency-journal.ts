import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineSplitter } from '@switchover/agent';
import { FAILURE_LINE, type LatencyRunner, type VmStream } from './latency.js';
import { streamHeader, type JournaldNamespace } from '@switchover/testbed';

/**
 * The writer a QEMU would be: a process whose command line carries `-name guest=VM` and whose stderr
 * is a journald stdout stream. journald stamps each entry with the *connecting* process's `_PID` and
 * reads its `_CMDLINE`, so the child connects itself; the benchmark feeds it lines on stdin. Kept on
 * one line without the word `-name`: journald space-joins argv and the agent parses the result.
 */
const WRITER = [
  "const net=require('net');",
  'const s=net.createConnection({path:process.env.SWB_SOCKET,allowHalfOpen:true});',
  's.on("error",()=>process.exit(3));',
  's.on("close",()=>process.exit(0));',
  's.on("connect",()=>s.write(process.env.SWB_HEADER,()=>{process.stdin.pipe(s);process.stdout.write("ready\\n");}));',
].join('');

/**
 * The baseline: a bare `journalctl --follow` on the same namespace, printing only messages, so the
 * journal's own delivery delay is measured on the very lines the agent detects.
 */
function startWitness(ns: JournaldNamespace): { arrivals: number[]; stop(): Promise<void> } {
  const child = spawn(
    'journalctl',
    [
      `--namespace=${ns.namespace}`,
      '--follow',
      '--merge',
      '-o',
      'cat',
      '--lines=0',
      '--no-pager',
      'SYSLOG_IDENTIFIER=qemu-system-x86_64',
    ],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const closed = once(child, 'close');
  const arrivals: number[] = [];
  const splitter = new LineSplitter();
  child.stdout.on('data', (c: Buffer) => {
    const now = performance.now();
    for (const l of splitter.push(c)) if (l.text === FAILURE_LINE) arrivals.push(now);
  });
  return {
    arrivals,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await closed;
    },
  };
}

export async function journalRunner(ns: JournaldNamespace): Promise<LatencyRunner> {
  const witness = startWitness(ns);
  // `--lines=0` shows nothing old: give it time to reach the end of the journal before run 1.
  await sleep(500);
  return {
    input: 'journal',
    async delivered(n: number, timeoutMs: number) {
      const end = performance.now() + timeoutMs;
      while (witness.arrivals.length <= n && performance.now() < end) await sleep(5);
      return witness.arrivals[n];
    },
    close: () => witness.stop(),
    path: `journald namespace ${ns.namespace} (journalctl --follow, SYSLOG_IDENTIFIER=qemu-system-x86_64)`,
    async open(vm: string): Promise<VmStream> {
      const child = spawn(
        process.execPath,
        ['-e', WRITER, '--', '-name', `guest=${vm},debug-threads=on`, '-msg', 'timestamp=on'],
        {
          stdio: ['pipe', 'pipe', 'ignore'],
          env: { SWB_SOCKET: ns.stdoutSocket, SWB_HEADER: streamHeader('qemu-system-x86_64') },
        },
      );
      const closed = once(child, 'close');
      child.stdin.on('error', () => {});
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('error', reject);
        child.once('close', (code) =>
          reject(new Error(`journal writer exited with ${code} before connecting`)),
        );
      });
      await ready;
      const write = (line: string): Promise<void> =>
        new Promise((resolve, reject) =>
          child.stdin.write(`${line}\n`, (err) => (err ? reject(err) : resolve())),
        );
      return {
        tid: child.pid!,
        write,
        async close() {
          child.stdin.end();
          const t = setTimeout(() => child.kill('SIGKILL'), 2000);
          await closed;
          clearTimeout(t);
        },
      };
    },
  };
}
