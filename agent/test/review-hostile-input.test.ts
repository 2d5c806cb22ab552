/**
 * Regression (issue 9.4): `switchover review` printed stack traces on these inputs and hung forever
 * on a FIFO (and on /dev/zero). Found by fuzzing the built CLI with what a responder might hand it.
 * Every input now ends with exit code 0/1 (reviewed) or 2 (refused, one line naming the file or
 * the limit), no stack trace, within the time and size limits.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers/agent-process.js';
import { libvirtHeader, vfioFailureLine } from './helpers/libvirt-lines.js';

let dir: string;
let server: Server;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sw-review-hostile-'));
  server = createServer();
  await new Promise<void>((r) => server.listen(join(dir, 'a.sock'), r));
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function review(args: string[], input?: string): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'review', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Bounded here too: the bug was a review that never ends.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.end(input ?? '');
  });
}

const file = (name: string, content: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

/** One line on stderr, naming what went wrong, and no stack trace. */
function expectOneLine(r: Run, re: RegExp): void {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
}

const T = '2024-11-19T03:26:48';

describe('switchover review on hostile input', () => {
  // The inputs that crashed with a stack trace (exit 3) before.
  it.each([
    [
      'a QMP event whose timestamp is out of Date range',
      `{"event":"MIGRATION","data":{"status":"setup"},"timestamp":{"seconds":1e306,"microseconds":0}}\n`,
    ],
    ['a QMP transcript line whose message is not an object', '{"dir":"recv","line":"5"}\n'],
    ['a QMP greeting without a body', '{"QMP":null}\n'],
    [
      'a recorder session with wrong field types',
      '{"t":"session","at":1,"session":{"id":"x","vm":"a","role":"source","start":"yesterday","host":5}}\n',
    ],
    [
      'a virsh event time far beyond any date',
      `event MIGRATION at 99999999999999999999.000001 for domain 'a': {"status":"setup"}\nevent MIGRATION at 99999999999999999999.000002 for domain 'a': {"status":"completed"}\n`,
    ],
  ])('%s: reviewed, no stack trace', async (_what, content) => {
    const r = await review(['--host', `h=${file('input', content)}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a realistic log with 120k timed failure lines outside any migration: bounded output that says how many were left out', async () => {
    const lines = [...libvirtHeader({ vm: 'big', t0: Date.UTC(2024, 10, 19) })];
    for (let i = 0; i < 120_000; i++)
      lines.push(
        `2024-11-19T03:${String(Math.floor(i / 60000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}000Z qemu-system-x86_64: ${vfioFailureLine()}`,
      );
    const p = file('many.log', `${lines.join('\n')}\n`);
    const text = await review(['--host', `h=${p}`]);
    expect(text.stderr).toBe(''); // was: RangeError: Maximum call stack size exceeded
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/… and 119980 more such lines, not shown/);
    expect(text.stdout.length).toBeLessThan(20_000);
    const json = await review(['--json', '--host', `h=${p}`]);
    const out = JSON.parse(json.stdout) as {
      unattributed: unknown[];
      unattributedTotal: number;
      unattributedOmitted: number;
    };
    expect(out.unattributed).toHaveLength(1000);
    expect(out).toMatchObject({ unattributedTotal: 120_000, unattributedOmitted: 119_000 });
  });

  it('a FIFO nobody writes to: refused after the timeout instead of hanging', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await review(['--timeout', '2', '--host', `h=${fifo}`]);
    expect(r.status).toBe(2);
    expectOneLine(r, /fifo: no data from this pipe for 2 s: is anything writing to it\?/);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('a pipe that is written to (bash: --host a=<(…)) is read to its end', () => {
    const log = file(
      'piped.log',
      `${[...libvirtHeader({ vm: 'piped', t0: Date.UTC(2024, 10, 19) }), vfioFailureLine()].join('\n')}\n`,
    );
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${CLI}" review --host h=<(sleep 0.2; cat "${log}")`],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Reviewed 1 file: h=\/dev\/fd\/\d+ \(libvirt-log\)/);
  });

  it.each([
    ['/dev/zero (read forever before)', '/dev/zero', /\/dev\/zero: is a device, not a file/],
    ['/dev/urandom', '/dev/urandom', /is a device, not a file/],
    ['a socket', 'SOCKET', /a\.sock: is a socket, not a file/],
    ['a directory', 'DIR', /is a directory, not a file/],
    ['an empty file', 'EMPTY', /empty: is empty/],
    ['a missing file', '/nonexistent/x.log', /no such file/],
  ])('%s: one line, exit 2', async (_what, which, re) => {
    const path =
      which === 'SOCKET'
        ? join(dir, 'a.sock')
        : which === 'DIR'
          ? dir
          : which === 'EMPTY'
            ? file('empty', '')
            : which;
    const r = await review(['--host', `h=${path}`]);
    expect(r.status).toBe(2);
    expectOneLine(r, re);
  });

  it('input over --max-size and a review over --timeout: refused with the limit named', async () => {
    const big = file('big.log', `${`${T}.000000Z qemu-system-x86_64: noise\n`.repeat(60_000)}`);
    const size = await review(['--max-size', '1', '--host', `h=${big}`]);
    expect(size.status).toBe(2);
    expectOneLine(size, /larger than 1 MiB in all \(--max-size\)/);
    const many = join(dir, 'many.log');
    const slow = await review(['--timeout', '0.001', '--host', `h=${many}`, '--host', `h=${big}`]);
    expect(slow.status).toBe(2);
    expectOneLine(slow, /took longer than 0\.001 s \(--timeout\)/);
  });

  it('a file that grows while it is read is reviewed as it was when opened', async () => {
    const p = file(
      'growing.log',
      `${libvirtHeader({ vm: 'grow', t0: Date.UTC(2024, 10, 19) }).join('\n')}\n`,
    );
    const writer = setInterval(
      () => appendFileSync(p, `${T}.000000Z qemu-system-x86_64: noise\n`.repeat(500)),
      1,
    );
    try {
      const r = await review(['--host', `h=${p}`]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      clearInterval(writer);
    }
  });
});
