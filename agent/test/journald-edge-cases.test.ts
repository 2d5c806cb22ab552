import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_TYPES } from '@switchover/model';
import { silentLogger } from '../src/lib/log.js';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  JournaldSource,
  journalctlArgs,
  journaldCheckpointName,
} from '../src/sources/journald/journald-source.js';
import { parseEntry } from '../src/records/journal-entry.js';
import { vmFromCmdline } from '../src/records/qemu-cmdline.js';
import { readLocalBootId } from '../src/sources/journald/proc.js';
import { spawnDyingWithParent } from '../src/sources/child-process.js';
import type { LogLineRecord, RawRecord } from '../src/records/types.js';
import type { SourceCallbacks, SourceStatus } from '../src/sources/types.js';

import { FIXTURES } from './helpers/fixtures.js';
import { until } from './helpers/until.js';
const FIXTURE = `${FIXTURES}/qemu-7.2/journalctl-json-edge-cases.jsonl`;

const quiet = silentLogger;

function collector() {
  const records: RawRecord[] = [];
  const statuses: SourceStatus[] = [];
  const errors: { stage: string; type: string; err: unknown }[] = [];
  const cb: SourceCallbacks = {
    record: (r) => void records.push(r),
    status: (s) => void statuses.push(s),
    error: (stage, type, err) => void errors.push({ stage, type, err }),
  };
  return { records, statuses, errors, cb };
}

describe('journal entry parsing', () => {
  it('reads -name in libvirt, plain and escaped-comma forms, and -uuid', () => {
    expect(
      vmFromCmdline(
        '/usr/bin/qemu-system-x86_64 -name guest=ml-train-2,debug-threads=on -S -uuid f59da17c-95ce-44e4-8f08-26b65c9ad8f5',
      ),
    ).toEqual({
      name: 'ml-train-2',
      uuid: 'f59da17c-95ce-44e4-8f08-26b65c9ad8f5',
    });
    expect(vmFromCmdline(['qemu-system-x86_64', '-name', 'src,process=qemu-src'])).toEqual({ name: 'src' });
    expect(vmFromCmdline(['qemu', '-name', 'guest=a,,b'])).toEqual({ name: 'a,b' });
    expect(vmFromCmdline('/lib/systemd/systemd-journald feas')).toBeUndefined();
  });

  it('keeps a repeated field as several values and rejects non-JSON', () => {
    const r = parseEntry(
      JSON.stringify({ MESSAGE: ['one', [0x74, 0x77, 0x6f]], _PID: ['5', '6'], __CURSOR: 'c' }),
    );
    expect(r).toMatchObject({ ok: true, entry: { lines: ['one', 'two'], pid: 5, cursor: 'c' } });
    expect(parseEntry('{"MESSAGE": "trunc')).toEqual({ ok: false, reason: 'json' });
  });

  it('builds journalctl arguments: --all off by default, a cursor always comes with --lines=all', () => {
    const base = {
      host: 'h',
      stateDir: '/x',
      namespace: 'ns',
      matches: ['SYSLOG_IDENTIFIER=qemu-system-x86_64'],
    };
    expect(journalctlArgs(base, undefined)).toEqual([
      '--follow',
      '--merge',
      '--output=json',
      '--no-pager',
      '--namespace=ns',
      '--lines=0',
      'SYSLOG_IDENTIFIER=qemu-system-x86_64',
    ]);
    const withCursor = journalctlArgs({ ...base, all: true, startAt: 'all' }, 's=1;i=2');
    expect(withCursor).toContain('--all');
    expect(withCursor).toContain('--after-cursor=s=1;i=2');
    // Regression: `--follow --after-cursor=C` alone prints only the last 10 entries after C.
    expect(withCursor.filter((a) => a.startsWith('--lines'))).toEqual(['--lines=all']);
  });
});

describe('JournaldSource with a stand-in journalctl', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sw-jd-edge-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('decodes MESSAGE strings, byte arrays and embedded newlines, skips null and bad JSON, uses /proc fallback', async () => {
    const bootId = (await readLocalBootId()) ?? 'noboot';
    // One extra entry from this boot without _CMDLINE: attribution must come from the cmdline reader.
    const extra = JSON.stringify({
      MESSAGE: 'from a live pid',
      _PID: '4242',
      _BOOT_ID: bootId,
      __REALTIME_TIMESTAMP: '1795702811300000',
      __CURSOR: 'extra-1',
    });
    const out = path.join(dir, 'out.jsonl');
    await writeFile(out, (await readFile(FIXTURE, 'utf8')) + '{"MESSAGE": "truncated\n' + extra + '\n');
    const script = path.join(dir, 'journalctl');
    await writeFile(
      script,
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args.txt"\ncat "${out}"\nexec sleep 3600\n`,
    );
    await chmod(script, 0o755);

    const c = collector();
    const asked: number[] = [];
    const src = new JournaldSource(
      {
        host: 'h1',
        stateDir: path.join(dir, 'state'),
        journalctl: script,
        directory: '/nonexistent',
        matches: ['SYSLOG_IDENTIFIER=qemu-system-x86_64'],
      },
      c.cb,
      {
        logger: quiet,
        readCmdline: async (pid) => {
          asked.push(pid);
          return pid === 4242
            ? ['qemu-system-x86_64', '-name', 'guest=vm42', '-uuid', '11111111-2222-3333-4444-555555555555']
            : undefined;
        },
      },
    );
    await src.start();
    try {
      await until(() => c.records.length >= 5);
      // --directory disables /proc (another host's pids), so use a namespace-less second run below.
      const texts = c.records.map((r) => (r as LogLineRecord).text);
      expect(texts).toEqual([
        'line1',
        'line2 (embedded newline)',
        'bad utf8 \uFFFD\uFFFD here',
        'normal \x1b[31mANSI\x1b[0m',
        'from a live pid',
      ]);
      const first = c.records[0] as LogLineRecord;
      expect(first).toMatchObject({
        kind: 'log-line',
        host: 'h1',
        origin: { kind: 'journald' },
        transportTime: 1795702811235.566,
      });
      expect(first.vm).toBeUndefined();
      expect(asked).toEqual([]);
      expect(c.errors.map((e) => e.type).sort()).toEqual(
        [ERROR_TYPES.journald.json, ERROR_TYPES.journald.messageNull].sort(),
      );
      expect(c.errors.every((e) => e.stage === 'journald')).toBe(true);
      const args = (await readFile(path.join(dir, 'args.txt'), 'utf8')).trim().split('\n');
      expect(args).toContain('--directory=/nonexistent');
      expect(args).not.toContain('--all');
      expect(args).toContain('SYSLOG_IDENTIFIER=qemu-system-x86_64');
      expect(c.statuses.at(-1)).toEqual({ input: 'journald', instance: '/nonexistent', up: true });
    } finally {
      await src.stop();
    }
    expect(c.statuses.at(-1)?.up).toBe(false);

    // Same output on the local journal (no --directory): the entry of this boot is attributed via /proc.
    const c2 = collector();
    const src2 = new JournaldSource(
      { host: 'h1', stateDir: path.join(dir, 'state2'), journalctl: script, startAt: 'all' },
      c2.cb,
      {
        logger: quiet,
        readCmdline: async (pid) => (
          asked.push(pid),
          pid === 4242
            ? ['qemu-system-x86_64', '-name', 'guest=vm42', '-uuid', '11111111-2222-3333-4444-555555555555']
            : undefined
        ),
      },
    );
    await src2.start();
    try {
      await until(() => c2.records.length >= 5);
      expect((c2.records[4] as LogLineRecord).vm).toEqual({
        name: 'vm42',
        uuid: '11111111-2222-3333-4444-555555555555',
      });
      // The fixture's all-zero boot is not this boot: pid 7 there is never looked up here.
      expect(asked).toEqual([4242]);
      expect((c2.records[0] as LogLineRecord).vm).toBeUndefined();
    } finally {
      await src2.stop();
    }
  });

  it('drops a saved cursor that the real journalctl cannot seek to, and follows from the configured start', async () => {
    const state = path.join(dir, 'state');
    const journalDir = path.join(dir, 'journal');
    await (await import('node:fs/promises')).mkdir(journalDir);
    await (await import('node:fs/promises')).mkdir(state);
    const cfg = { host: 'h', stateDir: state, directory: journalDir };
    await writeFile(
      path.join(state, journaldCheckpointName(cfg)),
      JSON.stringify({ version: 1, cursor: 'garbage' }),
    );
    const c = collector();
    const seen: (readonly string[])[] = [];
    const src = new JournaldSource(cfg, c.cb, {
      logger: quiet,
      backoff: { initialMs: 50, maxMs: 100 },
      spawn: (cmd, args, opts) => {
        seen.push(args);
        return spawnDyingWithParent(cmd, args, opts);
      },
    });
    await src.start();
    try {
      await until(() => seen.length >= 2);
      expect(c.errors.map((e) => e.type)).toEqual([ERROR_TYPES.journald.cursorRejected]);
      expect(String(c.errors[0]!.err)).toContain('Failed to seek to cursor');
      expect(seen[0]).toContain('--after-cursor=garbage');
      expect(seen[1]!.some((a) => a.startsWith('--after-cursor'))).toBe(false);
      expect(seen[1]).toContain('--lines=0');
    } finally {
      await src.stop();
    }
  });

  it('reports a journalctl that cannot start and keeps retrying with backoff', async () => {
    const c = collector();
    const src = new JournaldSource(
      { host: 'h', stateDir: dir, journalctl: path.join(dir, 'missing-journalctl') },
      c.cb,
      {
        backoff: { initialMs: 50, maxMs: 100 },
        logger: quiet,
      },
    );
    await src.start();
    try {
      await until(() => c.errors.length >= 3);
      expect(c.errors.every((e) => e.type === ERROR_TYPES.journald.spawn)).toBe(true);
      expect((c.errors[0]!.err as NodeJS.ErrnoException).code).toBe('ENOENT');
    } finally {
      await src.stop();
    }
    expect(c.statuses.some((s) => s.up)).toBe(false);
  });
});
