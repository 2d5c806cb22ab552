/**
 * Issue 9.8, with real files under load: a rotation that happens while the source reads a backlog
 * (after a restart: 27,157 of 300,000 lines were lost at 10k lines/s, a whole renamed generation
 * never opened), and copytruncate while the source is behind (the lines past its position, which
 * the copy holds, were lost without being counted). Every line is now read exactly once, and what
 * cannot be read is counted.
 */
import {
  appendFile,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../src/lib/log.js';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LostLineReason } from '@switchover/model';
import {
  LibvirtLogSource,
  type LibvirtLogSourceConfig,
} from '../src/sources/libvirt-log/libvirt-log-source.js';
import type { LogLineRecord, RawRecord } from '../src/records/types.js';
import type { SourceCallbacks } from '../src/sources/types.js';
import { startWriter, writerLine } from './helpers/log-writer.js';
import { until } from './helpers/until.js';

const quiet = silentLogger;

/** A reader that hands lines on at a realistic pace: an async hop per line, a pause now and then. */
function collector(o: { pauseEvery?: number; pauseMs?: number } = {}) {
  const texts: string[] = [];
  const lost: { reason: LostLineReason; n: number }[] = [];
  const errors: string[] = [];
  let n = 0;
  const cb: SourceCallbacks = {
    record: async (r: RawRecord) => {
      texts.push((r as LogLineRecord).text);
      if (o.pauseEvery && ++n % o.pauseEvery === 0) await sleep(o.pauseMs ?? 1);
      else await new Promise((res) => setImmediate(res));
    },
    status: () => undefined,
    error: (_stage, type) => void errors.push(type),
  };
  return { texts, lost, errors, cb };
}

/** Every line from..to-1 exactly once, in order within each file generation. */
function exactlyOnce(texts: string[], from: number, to: number): { missing: number; duplicates: number } {
  const seen = new Map<string, number>();
  for (const t of texts) seen.set(t, (seen.get(t) ?? 0) + 1);
  let missing = 0;
  for (let i = from; i < to; i++) if (!seen.has(writerLine(i))) missing++;
  const duplicates = [...seen.values()].filter((c) => c > 1).length;
  return { missing, duplicates };
}

const lines = (a: number, b: number): string =>
  Array.from({ length: b - a }, (_, k) => `${writerLine(a + k)}\n`).join('');
const gzipAway = async (file: string): Promise<void> => {
  await writeFile(`${file}.gz`, gzipSync(await readFile(file)));
  await unlink(file);
};

let dir: string;
let logDir: string;
let stateDir: string;
const sources: LibvirtLogSource[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sw-lvlog-load-'));
  logDir = path.join(dir, 'qemu');
  stateDir = path.join(dir, 'state');
  await mkdir(logDir);
});
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
  await rm(dir, { recursive: true, force: true });
});

function source(
  c: ReturnType<typeof collector>,
  extra: Partial<LibvirtLogSourceConfig> = {},
): LibvirtLogSource {
  const s = new LibvirtLogSource(
    { host: 'hv', stateDir, glob: path.join(logDir, '*.log'), startAt: 'beginning', ...extra },
    c.cb,
    { logger: quiet, onLinesLost: (reason, n) => void c.lost.push({ reason, n }) },
  );
  sources.push(s);
  return s;
}

/** One source reads the log until it has `n` lines, then stops: the agent is down from here. */
async function readThenStop(n: number): Promise<void> {
  const c = collector();
  const s = source(c);
  await s.start();
  await until(() => c.texts.length >= n, 30_000);
  await s.stop();
  sources.splice(sources.indexOf(s), 1);
}

/** A restarted source reads the writer's lines `from` to `to` exactly, in order. */
async function restartReads(from: number, to: number): Promise<ReturnType<typeof collector>> {
  const c = collector();
  await source(c).start();
  await until(() => c.texts.length >= to - from);
  await sleep(300);
  expect(c.texts).toEqual(Array.from({ length: to - from }, (_, k) => writerLine(from + k)));
  return c;
}

describe('libvirt log rotation under load', () => {
  it('rename rotation at 10k lines/s while a restarted source reads its backlog: every line exactly once', async () => {
    const vmLog = path.join(logDir, 'vm1.log');
    await startWriter({ file: vmLog, from: 0, count: 20_000, rate: 0, mode: 'none' }).done;
    await readThenStop(20_000);
    // While the agent is down: a backlog in the same file.
    await startWriter({ file: vmLog, from: 20_000, count: 150_000, rate: 0, mode: 'none' }).done;
    // Restart while the writer goes on at 10k lines/s, rotating every 300 ms.
    const writer = startWriter({
      file: vmLog,
      from: 170_000,
      count: 30_000,
      rate: 10_000,
      mode: 'rename',
      rotateEveryMs: 300,
    });
    // The pace of the real pipeline (tens of thousands of lines a second): the backlog outlasts rotations.
    const c2 = collector({ pauseEvery: 100, pauseMs: 1 });
    await source(c2).start();
    const total = await writer.done;
    expect(total).toBe(30_000);
    await until(() => exactlyOnce(c2.texts, 20_000, 200_000).missing === 0, 60_000).catch(() => undefined);
    await sleep(500);
    expect(exactlyOnce(c2.texts, 20_000, 200_000)).toEqual({ missing: 0, duplicates: 0 });
    expect(c2.texts).toHaveLength(180_000);
    expect(c2.lost).toEqual([]);
  }, 90_000);

  it('copytruncate at 10k lines/s with the source behind: the copies give back what was past its position', async () => {
    const vmLog = path.join(logDir, 'vm2.log');
    await writeFile(vmLog, '');
    // About 5k lines/s: slower than the writer, so every truncation finds unread lines.
    const c = collector({ pauseEvery: 10, pauseMs: 2 });
    await source(c).start();
    const total = await startWriter({
      file: vmLog,
      from: 0,
      count: 20_000,
      rate: 10_000,
      mode: 'copytruncate',
      rotateEveryMs: 250,
    }).done;
    await until(() => exactlyOnce(c.texts, 0, total).missing === 0, 30_000).catch(() => undefined);
    await sleep(500);
    expect(exactlyOnce(c.texts, 0, total)).toEqual({ missing: 0, duplicates: 0 });
    expect(c.lost).toEqual([]);
  }, 90_000);
});

describe('libvirt log truncation', () => {
  it('a copytruncate while the agent is down: the lines after the saved position come from the copy', async () => {
    const vmLog = path.join(logDir, 'vm3.log');
    await writeFile(vmLog, lines(0, 100));
    await readThenStop(100);
    await appendFile(vmLog, lines(100, 150));
    await copyFile(vmLog, `${vmLog}.1`);
    await truncate(vmLog, 0);
    await appendFile(vmLog, lines(150, 170));
    const c2 = await restartReads(100, 170);
    expect(c2.lost).toEqual([]);
  });

  it('bytes seen but truncated away before they were read, with no copy, count as one lost range', async () => {
    const vmLog = path.join(logDir, 'vm4.log');
    await writeFile(vmLog, '');
    // The reader stops at the first line until the file is truncated, after the source saw its size.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const texts: string[] = [];
    const lost: { reason: LostLineReason; n: number }[] = [];
    const errors: string[] = [];
    const s = new LibvirtLogSource(
      {
        host: 'hv',
        stateDir,
        glob: path.join(logDir, '*.log'),
        startAt: 'beginning',
        readBudgetBytes: 1 << 20,
      },
      {
        record: async (r) => {
          texts.push((r as LogLineRecord).text);
          if (texts.length === 1) await held;
        },
        status: () => undefined,
        error: (_s, type) => void errors.push(type),
      },
      { logger: quiet, onLinesLost: (reason, n) => void lost.push({ reason, n }) },
    );
    sources.push(s);
    await s.start();
    // Bigger than one read (64 KiB): the rest is still on disk when the reader is held.
    await writeFile(vmLog, Array.from({ length: 3000 }, (_, k) => `${writerLine(k)}\n`).join(''));
    await until(() => texts.length === 1);
    await truncate(vmLog, 0);
    await appendFile(vmLog, 'after truncation\n');
    release();
    await until(() => texts.includes('after truncation'));
    expect(lost).toEqual([{ reason: 'truncated', n: 1 }]);
    expect(errors).toContain('truncated_unread');
    // Nothing of the old content is read twice.
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('a generation rotated and compressed while the agent is down is read from where it stopped', async () => {
    const vmLog = path.join(logDir, 'vm5.log');
    await writeFile(vmLog, lines(0, 100));
    await readThenStop(100);
    await appendFile(vmLog, lines(100, 150));
    await rename(vmLog, `${vmLog}.1`);
    await gzipAway(`${vmLog}.1`);
    await writeFile(vmLog, lines(150, 170));
    await restartReads(100, 170);
  });

  it('a generation compressed after the agent read it is not read again', async () => {
    const vmLog = path.join(logDir, 'vm6.log');
    await writeFile(vmLog, lines(0, 50));
    const c = collector();
    await source(c, { rotateGraceMs: 100, pollIntervalMs: 100 }).start();
    await until(() => c.texts.length >= 50);
    await rename(vmLog, `${vmLog}.1`);
    await writeFile(vmLog, lines(50, 60));
    await until(() => c.texts.length >= 60);
    await sleep(400); // past the grace period: the first generation is closed
    await gzipAway(`${vmLog}.1`);
    await rename(vmLog, `${vmLog}.2`);
    await writeFile(vmLog, lines(60, 70));
    await until(() => c.texts.length >= 70);
    await sleep(400);
    expect(c.texts).toEqual(Array.from({ length: 70 }, (_, k) => writerLine(k)));
  });
});
