import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { packagedBinary } from './debian.js';
import { ExportEncoder, type ExportEntry } from './export-format.js';

/** `systemd-journal-remote` is not on PATH on Debian. */
export const journalRemoteBinary = (): string | undefined =>
  packagedBinary('systemd-journal-remote', 'systemd-journal-remote');

export interface WrittenJournal {
  dir: string;
  entries: number;
  bytes: number;
  files: number;
  seconds: number;
}

/**
 * Writes entries as Journal Export Format into `systemd-journal-remote -o DIR/bench.journal -`,
 * respecting the pipe's backpressure, and resolves once the tool has exited cleanly. The result is a
 * real journal directory for `journalctl --directory=DIR`.
 */
export async function writeJournal(
  binary: string,
  dir: string,
  entries: Iterable<ExportEntry>,
): Promise<WrittenJournal> {
  const started = process.hrtime.bigint();
  const child = spawn(binary, ['-o', path.join(dir, 'bench.journal'), '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const stdinFailed = new Promise<never>((_, reject) => child.stdin.once('error', reject));
  const write = (buf: Buffer): Promise<void> | undefined =>
    child.stdin.write(buf)
      ? undefined
      : Promise.race([new Promise<void>((r) => child.stdin.once('drain', r)), stdinFailed]);
  let count = 0;
  try {
    const enc = new ExportEncoder();
    for (const entry of entries) {
      enc.add(entry);
      count++;
      if (enc.full) await write(enc.take());
    }
    await write(enc.take());
    child.stdin.end();
  } catch (err) {
    child.kill('SIGKILL');
    await exited.catch(() => undefined);
    throw new Error(
      `systemd-journal-remote stopped reading: ${err instanceof Error ? err.message : String(err)} ${stderr.trim()}`,
    );
  }
  const code = await exited;
  if (code !== 0) throw new Error(`systemd-journal-remote exited with ${code}: ${stderr.trim()}`);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.journal'));
  let bytes = 0;
  for (const n of names) bytes += (await stat(path.join(dir, n))).size;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { dir, entries: count, bytes, files: names.length, seconds };
}
