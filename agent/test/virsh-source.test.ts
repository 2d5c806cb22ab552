import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_TYPES } from '@switchover/model';
import { silentLogger } from '../src/lib/log.js';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { VirshSource } from '../src/sources/virsh/virsh-source.js';
import type { RawRecord, VirshLineRecord } from '../src/records/types.js';
import type { SourceCallbacks, SourceStatus } from '../src/sources/types.js';

import { FIXTURES } from './helpers/fixtures.js';
import { until } from './helpers/until.js';
const EX = `${FIXTURES}/review/libvirt-silent-9.1`;
const quiet = silentLogger;

function collector() {
  const records: VirshLineRecord[] = [];
  const statuses: SourceStatus[] = [];
  const errors: { stage: string; type: string; err: unknown }[] = [];
  const cb: SourceCallbacks = {
    record: (r: RawRecord) => void records.push(r as VirshLineRecord),
    status: (s) => void statuses.push(s),
    error: (stage, type, err) => void errors.push({ stage, type, err }),
  };
  return { records, statuses, errors, cb };
}

async function fixtureLines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
}

describe('VirshSource with a stand-in virsh', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sw-virsh-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A fake virsh that logs its argv, replays FILE line by line with small delays, then exits 1. */
  async function fakeVirsh(file: string, lastLineWithoutNewline = false): Promise<string> {
    const script = path.join(dir, 'virsh');
    const tail = lastLineWithoutNewline
      ? `printf 'event SHUTDOWN at 1731988500.000001 for domain '"'"'x'"'"': <null>'\n`
      : '';
    await writeFile(
      script,
      `#!/bin/sh\necho "$*" >> "${dir}/argv.log"\necho "starting" >&2\nwhile IFS= read -r l; do printf '%s\\n' "$l"; sleep 0.01; done < "${file}"\n${tail}echo "error: Disconnected from qemu:///system due to end of file" >&2\nexit 1\n`,
    );
    await chmod(script, 0o755);
    return script;
  }

  for (const [form, file, timestamp] of [
    ['--timestamp (virsh time)', `${EX}/kvm-mad-b11.events.txt`, true],
    ['QEMU event time', `${EX}/kvm-mad-b11.events-qemu-time.txt`, false],
  ] as const) {
    it(`emits every line of the ${form} form and restarts virsh when it exits`, async () => {
      const lines = await fixtureLines(file);
      const c = collector();
      const src = new VirshSource(
        { host: 'kvm-mad-b11', virsh: await fakeVirsh(file), uri: 'qemu:///system', timestamp },
        c.cb,
        {
          logger: quiet,
          backoff: { initialMs: 50, maxMs: 100 },
        },
      );
      await src.start();
      try {
        await until(() => c.records.length >= 2 * lines.length);
      } finally {
        await src.stop();
      }
      expect(c.records.slice(0, 2 * lines.length).map((r) => r.text)).toEqual([...lines, ...lines]);
      expect(c.records[0]).toMatchObject({
        kind: 'virsh-line',
        host: 'kvm-mad-b11',
        origin: { kind: 'virsh' },
      });
      expect(c.records[0]!.vm).toBeUndefined();
      expect(src.starts).toBeGreaterThanOrEqual(2);
      const argv = (await readFile(path.join(dir, 'argv.log'), 'utf8')).trim().split('\n');
      expect(argv[0]).toBe(`-c qemu:///system qemu-monitor-event --loop${timestamp ? ' --timestamp' : ''}`);
      const exits = c.errors.filter((e) => e.type === ERROR_TYPES.virsh.childExit);
      expect(exits.length).toBeGreaterThanOrEqual(1);
      expect(String(exits[0]!.err)).toContain('Disconnected from qemu:///system');
      // up while running, down after each exit, down after stop.
      const ups = c.statuses.map((s) => s.up);
      expect(ups.slice(0, 4)).toEqual([false, true, false, true]);
      expect(ups.at(-1)).toBe(false);
      expect(c.statuses.every((s) => s.input === 'virsh' && s.instance === 'qemu:///system')).toBe(true);
    });
  }

  it('keeps a last line that virsh printed without a newline before exiting', async () => {
    const file = path.join(dir, 'one.txt');
    await writeFile(file, "event RESUME at 1731986847.494954 for domain 'ml-train-2': <null>\n");
    const c = collector();
    const src = new VirshSource({ host: 'h', virsh: await fakeVirsh(file, true) }, c.cb, {
      logger: quiet,
      backoff: { initialMs: 5000 },
    });
    await src.start();
    try {
      await until(() => c.records.length >= 2);
    } finally {
      await src.stop();
    }
    expect(c.records.map((r) => r.text)).toEqual([
      "event RESUME at 1731986847.494954 for domain 'ml-train-2': <null>",
      "event SHUTDOWN at 1731988500.000001 for domain 'x': <null>",
    ]);
    expect((await readFile(path.join(dir, 'argv.log'), 'utf8')).trim()).toBe('qemu-monitor-event --loop');
  });
});
