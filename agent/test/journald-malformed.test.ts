/**
 * Regression (issue 9.5): one malformed entry from journalctl stopped the journald input for good.
 * The entry parser threw on a field value it could not turn into text (an object whose `toString`
 * is not a function); the exception left the child supervisor's read loop, which then waited for a
 * `journalctl --follow` that never exits: nothing after that line was ever read. Here a stand-in
 * prints such lines and then execs the real journalctl on a real journal written by
 * systemd-journal-remote; every real entry must still arrive, and each bad line is counted once.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_TYPES } from '@switchover/model';
import { journalRemoteBinary, writeJournal, type ExportEntry } from '@switchover/testbed';
import { silentLogger } from '../src/lib/log.js';
import { JournaldSource } from '../src/sources/journald/journald-source.js';
import type { LogLineRecord, RawRecord } from '../src/records/types.js';
import type { SourceCallbacks } from '../src/sources/types.js';
import { until } from './helpers/until.js';

const remote = journalRemoteBinary();
const BOOT = '0d5e1e4a6b7c4d2e9f8a7b6c5d4e3f2a';

/** Lines a journalctl stand-in (or a corrupt journal) can print that are JSON but not an entry. */
const MALFORMED = [
  '{"MESSAGE":{"toString":1},"__CURSOR":"s=bad;i=1"}',
  '{"__CURSOR":{"valueOf":1,"toString":2},"MESSAGE":"x"}',
  `{"MESSAGE":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
  '{"_PID":{"toString":"nope"},"MESSAGE":"y"}',
];

function entries(n: number, t0: number): ExportEntry[] {
  return Array.from({ length: n }, (_, i) => [
    ['__REALTIME_TIMESTAMP', String((t0 + i) * 1000)],
    ['__MONOTONIC_TIMESTAMP', String(1_000_000 + i)],
    ['_BOOT_ID', BOOT],
    ['_PID', '4242'],
    ['_CMDLINE', '/usr/bin/qemu-system-x86_64 -name guest=jd-vm -S'],
    ['SYSLOG_IDENTIFIER', 'qemu-system-x86_64'],
    ['MESSAGE', `real entry ${i}`],
  ]);
}

describe.skipIf(remote === undefined)('JournaldSource and malformed journalctl output', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sw-jd-bad-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('counts and skips each malformed line and keeps reading the real journalctl after it', async () => {
    const journal = path.join(dir, 'journal');
    await mkdir(journal);
    await writeJournal(remote!, journal, entries(50, Date.UTC(2024, 10, 19, 3, 26, 41)));
    const stand = path.join(dir, 'journalctl');
    const printf = MALFORMED.map((l) => `printf '%s\\n' '${l}'`).join('\n');
    await writeFile(stand, `#!/bin/sh\n${printf}\nexec /usr/bin/journalctl "$@"\n`);
    await chmod(stand, 0o755);

    const records: LogLineRecord[] = [];
    const errors: string[] = [];
    const cb: SourceCallbacks = {
      record: (r: RawRecord) => void records.push(r as LogLineRecord),
      status: () => {},
      error: (_stage, type) => void errors.push(type),
    };
    const src = new JournaldSource(
      { host: 'h', stateDir: dir, journalctl: stand, directory: journal, startAt: 'all' },
      cb,
      { logger: silentLogger, readCmdline: null },
    );
    await src.start();
    try {
      await until(() => records.length >= 50, 15_000);
      expect(records.map((r) => r.text)).toEqual(Array.from({ length: 50 }, (_, i) => `real entry ${i}`));
      expect(records.every((r) => r.vm?.name === 'jd-vm')).toBe(true);
      expect(errors).toEqual(MALFORMED.map(() => ERROR_TYPES.journald.json));
      // The cursor moved past real entries only: never to a malformed line's.
      expect(src.lastCursor).toMatch(/^s=[0-9a-f]{32};/);
    } finally {
      await src.stop();
    }
  });
});
