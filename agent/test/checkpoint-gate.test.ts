/**
 * Regression (issue 9.6): input positions must never run ahead of what the flight recorder holds.
 * A checkpoint file with the recorder's `durable()` as its gate holds a position while the gate is
 * closed, writes the latest one as soon as it opens, and never writes one at stop that is not durable.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointFile } from '../src/sources/checkpoint.js';
import { until } from './helpers/until.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sw-cp-gate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CheckpointFile with a durability gate', () => {
  it('holds positions while the recorder cannot write, then saves the latest one', async () => {
    let durable = false;
    const asked: number[] = [];
    const cp = new CheckpointFile<{ offset: number }>(
      join(dir, 'pos.json'),
      () => {},
      async () => {
        asked.push(Date.now());
        return durable;
      },
      50,
    );
    for (let offset = 1; offset <= 5; offset++) await cp.save({ offset });
    expect(existsSync(join(dir, 'pos.json'))).toBe(false);
    expect(cp.held).toBe(true);
    await until(() => asked.length >= 3, 2000); // retried on its own
    durable = true;
    await until(() => existsSync(join(dir, 'pos.json')), 2000);
    expect(JSON.parse(await readFile(join(dir, 'pos.json'), 'utf8'))).toEqual({ offset: 5 });

    durable = false;
    await cp.save({ offset: 6 });
    await cp.flush(); // a stop while the recorder is failing: the undurable position is dropped
    expect(JSON.parse(await readFile(join(dir, 'pos.json'), 'utf8'))).toEqual({ offset: 5 });
    const n = asked.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(asked.length).toBe(n); // and nothing retries after the flush
  });
});
