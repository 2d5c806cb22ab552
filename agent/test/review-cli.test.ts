import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

// `switchover review` error paths: exit 2 with a message naming the file, nothing on stdout.
const FIX = fileURLToPath(new URL('./fixtures/review/silent-8.2-running/', import.meta.url));
const GOOD = [
  '--host',
  `hv-fra-05=${join(FIX, 'hv-fra-05.libvirt.log')}`,
  '--host',
  `hv-fra-05=${join(FIX, 'hv-fra-05.events.txt')}`,
];

const ESC = String.fromCharCode(27);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchover-review-cli-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('switchover review: files it cannot use → exit 2 naming the file', () => {
  it('a missing file', async () => {
    const path = join(dir, 'no-such.log');
    const r = await runCli(['review', ...GOOD, '--host', `hv-x=${path}`]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(path);
    expect(r.err).toMatch(/no such file/);
  });

  it.skipIf(process.getuid?.() === 0)('a file without read permission', async () => {
    const path = join(dir, 'secret.log');
    await writeFile(path, '2025-01-01 10:00:00.000+0000: starting up libvirt version: 10.0.0\n');
    await chmod(path, 0o000);
    const r = await runCli(['review', '--host', `hv-x=${path}`]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(path);
    expect(r.err).toMatch(/cannot read/);
  });

  it('a directory', async () => {
    const path = join(dir, 'logs');
    await mkdir(path);
    const r = await runCli(['review', '--host', `hv-x=${path}`]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(path);
    expect(r.err).toMatch(/directory/);
  });

  it('a binary file (a journal file copied instead of `journalctl -o json` output)', async () => {
    const path = join(dir, 'system.journal');
    await writeFile(
      path,
      Buffer.concat([Buffer.from('LPKSHHRH'), Buffer.alloc(64), Buffer.from([0xde, 0xad, 0xbe, 0xef])]),
    );
    const r = await runCli(['review', ...GOOD, '--host', `hv-x=${path}`]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(path);
    expect(r.err).toMatch(/binary/);
  });

  it('an unrecognised text file', async () => {
    const path = join(dir, 'notes.txt');
    await writeFile(path, 'Incident 4711\nmigrated ml-train-2 at 03:26, tenant says training job died\n');
    const r = await runCli(['review', ...GOOD, '--host', `hv-x=${path}`]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(path);
    expect(r.err).toMatch(/not recognised/);
  });

  it('an empty file and JSON that is none of the known kinds', async () => {
    const empty = join(dir, 'empty.log');
    const other = join(dir, 'other.json');
    await writeFile(empty, '');
    await writeFile(other, '{"level":"info","msg":"hello"}\n');
    for (const path of [empty, other]) {
      const r = await runCli(['review', '--host', `hv-x=${path}`]);
      expect(r.code, path).toBe(2);
      expect(r.err).toContain(path);
    }
  });
});

describe('switchover review: usage errors → exit 2', () => {
  it.each([
    ['--host without =', ['--host', 'hv-fra-05']],
    ['--host with no name', ['--host', `=${join(FIX, 'hv-fra-05.libvirt.log')}`]],
    ['--host with no file', ['--host', 'hv-fra-05=']],
    ['no --host at all', ['--json']],
    ['an unknown option', [...GOOD, '--verbose']],
    ['a positional argument', [join(FIX, 'hv-fra-05.libvirt.log')]],
    ['a negative --window', [...GOOD, '--window', '-3']],
  ])('%s', async (_name, args) => {
    const r = await runCli(['review', ...args]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^switchover review: /);
    expect(r.err).toContain('Usage: switchover review');
  });

  it('--host without = says what it expected', async () => {
    const r = await runCli(['review', '--host', 'hv-fra-05']);
    expect(r.err).toContain('NAME=FILE');
    expect(r.err).toContain('"hv-fra-05"');
  });
});

describe('switchover review: output options', () => {
  it('colours the verdict on a terminal, not with --no-color or NO_COLOR', async () => {
    const tty = await runCli(['review', ...GOOD], { tty: true });
    expect(tty.code).toBe(1);
    expect(tty.out).toMatch(new RegExp(`${ESC}\\[[0-9;]+m SILENT DESTINATION FAILURE ${ESC}\\[0m`));
    expect((await runCli(['review', '--no-color', ...GOOD], { tty: true })).out).not.toContain('\x1b[');
    expect((await runCli(['review', ...GOOD], { tty: true, env: { NO_COLOR: '1' } })).out).not.toContain(
      '\x1b[',
    );
  });

  it('--help prints the review help and exits 0', async () => {
    const r = await runCli(['review', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--host NAME=FILE');
    expect(r.out).toContain('Exit codes');
  });
});
