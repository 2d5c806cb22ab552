/** The shared byte-level line splitter and the atomic checkpoint file the log sources rely on. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { CheckpointFile } from '../src/sources/checkpoint.js';

describe('LineSplitter', () => {
  it('splits on newline bytes and decodes a multi-byte character cut across chunks intact', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('a\u20acb\nsecond \u00e9\n');
    const got = [];
    // Feed one byte at a time: every character boundary and every cut inside one is exercised.
    for (let i = 0; i < bytes.length; i++) got.push(...s.push(bytes.subarray(i, i + 1)));
    expect(got).toEqual([
      { text: 'a\u20acb', end: 6, line: 1 },
      { text: 'second \u00e9', end: bytes.length, line: 2 },
    ]);
    expect(s.pendingBytes).toBe(0);
  });

  it('keeps a partial tail until its newline arrives, and flush() returns it for streams that end', () => {
    const s = new LineSplitter({ startOffset: 100, startLine: 9 });
    expect(s.push(Buffer.from('one\ntw'))).toEqual([{ text: 'one', end: 104, line: 10 }]);
    expect(s.consumed).toBe(104);
    expect(s.push(Buffer.from('o\nthr'))).toEqual([{ text: 'two', end: 108, line: 11 }]);
    expect(s.flush()).toEqual({ text: 'thr', end: 111, line: 12 });
    expect(s.flush()).toBeUndefined();
  });

  it('skips an oversize line, reports it once, and counts its bytes and line number', () => {
    const reports: unknown[] = [];
    const s = new LineSplitter({ maxLineBytes: 10, onOversize: (i) => reports.push(i) });
    const out = [
      ...s.push(Buffer.from('ok\n' + 'x'.repeat(8))),
      ...s.push(Buffer.from('x'.repeat(8))),
      ...s.push(Buffer.from('x'.repeat(30) + '\nafter\n')),
    ];
    expect(out).toEqual([
      { text: 'ok', end: 3, line: 1 },
      { text: 'after', end: 3 + 46 + 1 + 6, line: 3 },
    ]);
    expect(reports).toEqual([{ start: 3, line: 2, bytesSeen: 16 }]);
    expect(s.linesConsumed).toBe(3);
  });

  it('reset() drops a partial line (a restarted journalctl re-sends it after the cursor)', () => {
    const s = new LineSplitter();
    s.push(Buffer.from('{"MESSAGE":"half'));
    s.reset();
    expect(s.push(Buffer.from('{"MESSAGE":"whole"}\n'))).toEqual([
      { text: '{"MESSAGE":"whole"}', end: 20, line: 1 },
    ]);
  });
});

describe('CheckpointFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sw-cp-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads nothing at first, persists the newest of many coalesced saves, leaves no temp file', async () => {
    const cp = CheckpointFile.in<{ n: number }>(path.join(dir, 'state'), 'x.json');
    expect(await cp.load()).toBeUndefined();
    const saves = Array.from({ length: 50 }, (_, n) => cp.save({ n }));
    await Promise.all(saves);
    await cp.flush();
    expect(await cp.load()).toEqual({ n: 49 });
    expect(await readdir(path.join(dir, 'state'))).toEqual(['x.json']);
    expect(JSON.parse(await readFile(path.join(dir, 'state', 'x.json'), 'utf8'))).toEqual({ n: 49 });
  });

  it('throws on a corrupt file (the source reports it and starts fresh) and reports a failing write once', async () => {
    await writeFile(path.join(dir, 'bad.json'), '{"cursor": "s=1;');
    const errors: unknown[] = [];
    await expect(new CheckpointFile(path.join(dir, 'bad.json')).load()).rejects.toThrow(SyntaxError);
    // A directory where the file's parent should be: every write fails.
    await writeFile(path.join(dir, 'notadir'), '');
    const broken = new CheckpointFile<number>(path.join(dir, 'notadir', 'c.json'), (e) => errors.push(e));
    await broken.save(1);
    await broken.save(2);
    expect(errors).toHaveLength(1);
  });
});
