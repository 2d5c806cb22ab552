import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_TYPES } from '@switchover/model';
import { silentLogger } from '../src/lib/log.js';
import {
  appendFile,
  copyFile,
  mkdtemp,
  open,
  rename,
  rm,
  truncate,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  LibvirtLogSource,
  type LibvirtLogSourceConfig,
} from '../src/sources/libvirt-log/libvirt-log-source.js';
import { compileGlob, vmNameFromLogPath } from '../src/sources/libvirt-log/glob.js';
import type { LogLineRecord, RawRecord } from '../src/records/types.js';
import type { SourceCallbacks, SourceStatus } from '../src/sources/types.js';
import { until } from './helpers/until.js';

const quiet = silentLogger;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collector() {
  const records: LogLineRecord[] = [];
  const statuses: SourceStatus[] = [];
  const errors: { stage: string; type: string; err: unknown }[] = [];
  const cb: SourceCallbacks = {
    record: (r: RawRecord) => void records.push(r as LogLineRecord),
    status: (s) => void statuses.push(s),
    error: (stage, type, err) => void errors.push({ stage, type, err }),
  };
  return { records, statuses, errors, cb, texts: () => records.map((r) => r.text) };
}

const num = (i: number) =>
  `2026-11-26T10:00:00.000000Z qemu-system-x86_64: numbered line ${String(i).padStart(4, '0')}`;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => num(a + k));

/** Every line exactly once (order across a rotated pair may interleave). */
function expectExactlyOnce(got: string[], want: string[]): void {
  const dups = got.filter((t, i) => got.indexOf(t) !== i);
  expect(dups).toEqual([]);
  expect([...got].sort()).toEqual([...want].sort());
}

describe('glob', () => {
  it('matches * and ? in the file name only', () => {
    const g = compileGlob('/var/log/libvirt/qemu/*.log');
    expect(g.dir).toBe('/var/log/libvirt/qemu');
    expect(g.matches('ml-train-2.log')).toBe(true);
    expect(g.matches('ml-train-2.log.1')).toBe(false);
    expect(g.matches('.log')).toBe(true);
    expect(compileGlob('/x/vm?.log').matches('vm1.log')).toBe(true);
    expect(compileGlob('/x/a+b(*).log').matches('a+b(c).log')).toBe(true);
    expect(() => compileGlob('/x/*/y.log')).toThrow(/file name/);
    expect(vmNameFromLogPath('/var/log/libvirt/qemu/ml-train-2.log')).toBe('ml-train-2');
  });
});

describe('LibvirtLogSource', () => {
  let dir: string;
  let logDir: string;
  let stateDir: string;
  const sources: LibvirtLogSource[] = [];
  const handles: FileHandle[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sw-lvlog-'));
    logDir = path.join(dir, 'qemu');
    stateDir = path.join(dir, 'state');
    await writeFile(path.join(dir, '.keep'), '');
    await (await import('node:fs/promises')).mkdir(logDir);
  });
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.stop();
    for (const h of handles.splice(0)) await h.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  async function startSource(
    c: ReturnType<typeof collector>,
    extra: Partial<LibvirtLogSourceConfig> = {},
    watch?: null,
  ) {
    const src = new LibvirtLogSource(
      { host: 'kvm-a19', stateDir, glob: path.join(logDir, '*.log'), pollIntervalMs: 50, ...extra },
      c.cb,
      {
        logger: quiet,
        ...(watch === null ? { watch: null } : {}),
      },
    );
    sources.push(src);
    await src.start();
    return src;
  }

  async function openAppend(file: string): Promise<FileHandle> {
    const h = await open(file, 'a');
    handles.push(h);
    return h;
  }

  it('starts at the end of existing files, reads appended lines and new files, keeps UTF-8 split across writes', async () => {
    const vmLog = path.join(logDir, 'ml-train-2.log');
    await writeFile(vmLog, 'old 1\nold 2\nold 3\n');
    await writeFile(path.join(logDir, 'ignored.txt'), 'not a log\n');
    const c = collector();
    const src = await startSource(c);
    expect(src.files()).toEqual([vmLog]);
    await appendFile(
      vmLog,
      '0000:e1:00.4: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error\n',
    );
    const euro = Buffer.from('caf\u00e9 \u20ac end\n');
    await appendFile(vmLog, euro.subarray(0, 6)); // cut inside the two-byte é
    await sleep(120);
    await appendFile(vmLog, euro.subarray(6));
    await until(() => c.records.length >= 2);
    expect(c.texts()).toEqual([
      '0000:e1:00.4: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error',
      'caf\u00e9 \u20ac end',
    ]);
    expect(c.records[0]).toMatchObject({
      kind: 'log-line',
      host: 'kvm-a19',
      vm: { name: 'ml-train-2' },
      origin: { kind: 'libvirt-log', file: vmLog, line: 4 },
    });
    expect(c.records[1]!.origin.line).toBe(5);
    // A file that appears later is new: read from its first line.
    const other = path.join(logDir, 'ci-runner-5.log');
    await writeFile(other, 'first\nsecond\n');
    await until(() => c.records.length >= 4);
    expect(c.records.slice(2).map((r) => [r.vm?.name, r.text, r.origin.line])).toEqual([
      ['ci-runner-5', 'first', 1],
      ['ci-runner-5', 'second', 2],
    ]);
    expect(c.statuses).toEqual([{ input: 'libvirt-log', instance: path.join(logDir, '*.log'), up: true }]);
    expect(c.errors).toEqual([]);
  });

  for (const mode of ['fs.watch', 'polling only'] as const) {
    it(`rotation by rename + create during a stream: every line exactly once (${mode})`, async () => {
      const vmLog = path.join(logDir, 'vm1.log');
      await writeFile(vmLog, '');
      const c = collector();
      await startSource(c, { startAt: 'beginning' }, mode === 'polling only' ? null : undefined);
      const a = await openAppend(vmLog);
      for (let i = 0; i < 100; i++) {
        await a.appendFile(num(i) + '\n');
        if (i % 10 === 9) await sleep(15);
      }
      await rename(vmLog, vmLog + '.1');
      // The writer still holds the old file: these land in vm1.log.1 before the new vm1.log exists.
      for (let i = 100; i < 150; i++) {
        await a.appendFile(num(i) + '\n');
        if (i % 10 === 9) await sleep(15);
      }
      await sleep(80);
      const b = await openAppend(vmLog);
      for (let i = 150; i < 300; i++) {
        await b.appendFile(num(i) + '\n');
        if (i % 10 === 9) await sleep(15);
      }
      await until(() => c.records.length >= 300);
      await sleep(300);
      expectExactlyOnce(c.texts(), range(0, 300));
      // Each file's own lines stay in order, and the new file is numbered from 1.
      const newFile = c.records.filter((r) => r.text >= num(150));
      expect(newFile.map((r) => r.text)).toEqual(range(150, 300));
      expect(newFile[0]!.origin.line).toBe(1);
      expect(c.records.every((r) => r.vm?.name === 'vm1' && r.origin.file === vmLog)).toBe(true);
    });
  }

  it('copytruncate: copy, truncate to 0, new lines: every line exactly once', async () => {
    const vmLog = path.join(logDir, 'vm2.log');
    await writeFile(vmLog, '');
    const c = collector();
    await startSource(c);
    const w = await openAppend(vmLog);
    for (let i = 0; i < 50; i++) {
      await w.appendFile(num(i) + '\n');
      if (i % 10 === 9) await sleep(15);
    }
    await until(() => c.records.length >= 50);
    await copyFile(vmLog, vmLog + '.1');
    await truncate(vmLog, 0);
    for (let i = 50; i < 100; i++) {
      await w.appendFile(num(i) + '\n');
      if (i % 10 === 9) await sleep(15);
    }
    await until(() => c.records.length >= 100);
    await sleep(300);
    expect(c.texts()).toEqual(range(0, 100));
    expect(c.records[50]!.origin.line).toBe(1);
  });

  it('copytruncate refilled past the old position before the next look is still detected (first-bytes hash)', async () => {
    const vmLog = path.join(logDir, 'vm3.log');
    await writeFile(vmLog, '');
    const c = collector();
    await startSource(c, { pollIntervalMs: 400 }, null);
    await appendFile(
      vmLog,
      range(0, 10)
        .map((l) => l + '\n')
        .join(''),
    );
    await until(() => c.records.length >= 10);
    // Truncate and refill with more bytes than were read, inside one poll period.
    await truncate(vmLog, 0);
    await appendFile(
      vmLog,
      range(10, 40)
        .map((l) => l + '\n')
        .join(''),
    );
    await until(() => c.records.length >= 40);
    await sleep(500);
    expect(c.texts()).toEqual(range(0, 40));
  });

  it('a restarted source resumes from the saved position with no repeats, also across a rotation while down', async () => {
    const vmLog = path.join(logDir, 'vm4.log');
    await writeFile(vmLog, 'before start\n');
    const c1 = collector();
    const s1 = await startSource(c1);
    await appendFile(
      vmLog,
      range(0, 20)
        .map((l) => l + '\n')
        .join(''),
    );
    await until(() => c1.records.length >= 20);
    await s1.stop();
    sources.splice(sources.indexOf(s1), 1);
    expect(c1.texts()).toEqual(range(0, 20));

    // While the agent is down: more lines, then a rotation with a tail in the old file, then a new file.
    await appendFile(
      vmLog,
      range(20, 30)
        .map((l) => l + '\n')
        .join(''),
    );
    await rename(vmLog, vmLog + '.1');
    await appendFile(
      vmLog + '.1',
      range(30, 35)
        .map((l) => l + '\n')
        .join(''),
    );
    await writeFile(
      vmLog,
      range(35, 40)
        .map((l) => l + '\n')
        .join(''),
    );

    const c2 = collector();
    await startSource(c2);
    await until(() => c2.records.length >= 20);
    await sleep(300);
    expect(c2.texts()).toEqual(range(20, 40));
    expect(c2.records[0]!.origin.line).toBe(22); // 'before start' + 20 lines precede it
    expect(c2.records.every((r) => r.vm?.name === 'vm4')).toBe(true);

    // And a clean restart with nothing new emits nothing.
    await sources[0]!.stop();
    sources.splice(0, 1);
    const c3 = collector();
    await startSource(c3);
    await appendFile(vmLog, 'only this\n');
    await until(() => c3.records.length >= 1);
    await sleep(200);
    expect(c3.texts()).toEqual(['only this']);
  });

  it('skips an oversize line once, reports it, and keeps line numbers right', async () => {
    const vmLog = path.join(logDir, 'vm5.log');
    await writeFile(vmLog, '');
    const c = collector();
    await startSource(c, { maxLineBytes: 100 });
    await appendFile(vmLog, 'short 1\n' + 'x'.repeat(150));
    await sleep(150);
    await appendFile(vmLog, 'y'.repeat(350) + '\nshort 2\n');
    await until(() => c.records.length >= 2);
    await sleep(150);
    expect(c.records.map((r) => [r.text, r.origin.line])).toEqual([
      ['short 1', 1],
      ['short 2', 3],
    ]);
    expect(c.errors.map((e) => [e.stage, e.type])).toEqual([
      ['libvirt-log', ERROR_TYPES.libvirtLog.oversize],
    ]);
  });

  it('hands an appended line off within milliseconds (fs.watch), well under the 250 ms poll', async () => {
    const vmLog = path.join(logDir, 'lat.log');
    await writeFile(vmLog, '');
    const c = collector();
    const arrivedAt = new Map<string, number>();
    const cb: SourceCallbacks = {
      ...c.cb,
      record: (r) => void arrivedAt.set((r as LogLineRecord).text, performance.now()),
    };
    const src = new LibvirtLogSource({ host: 'h', stateDir, glob: path.join(logDir, '*.log') }, cb, {
      logger: quiet,
    });
    sources.push(src);
    await src.start();
    const lat: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await appendFile(vmLog, `lat ${i}\n`);
      await until(() => arrivedAt.has(`lat ${i}`), 5000);
      lat.push(arrivedAt.get(`lat ${i}`)! - t0);
      await sleep(20);
    }
    lat.sort((a, b) => a - b);
    expect(lat[10]!).toBeLessThan(100);
    expect(lat[19]!).toBeLessThan(400);
  });

  it('reports a missing directory once and picks files up when it appears', async () => {
    await rm(logDir, { recursive: true });
    const c = collector();
    await startSource(c, { startAt: 'end' });
    await sleep(200);
    expect(c.errors.map((e) => e.type)).toEqual([ERROR_TYPES.libvirtLog.scan]);
    expect(c.statuses.at(-1)?.up).toBe(false);
    await (await import('node:fs/promises')).mkdir(logDir);
    await writeFile(path.join(logDir, 'late.log'), 'hello\n');
    await until(() => c.records.length >= 1);
    expect(c.texts()).toEqual(['hello']);
    expect(c.statuses.at(-1)?.up).toBe(true);
  });
});
