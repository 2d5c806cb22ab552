import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportEncoder, type ExportEntry } from '../export-format.js';
import { journalRemoteBinary, writeJournal } from '../journal-file.js';

/** Runs `journalctl` and returns its output byte for byte (what the agent's journald source reads). */
export const journalctl = (args: readonly string[]): string =>
  execFileSync('journalctl', ['--no-pager', '-o', 'json', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });

/**
 * Stores entries in a real journal file (`systemd-journal-remote`, Journal Export Format on stdin)
 * and reads them back with `journalctl --directory`, once plain and once with `--all`.
 */
export async function throughJournalRemote(
  entries: readonly ExportEntry[],
): Promise<{ export: Buffer; json: string; jsonAll: string }> {
  const bin = journalRemoteBinary();
  if (!bin)
    throw new Error('systemd-journal-remote not found (Debian: apt-get install systemd-journal-remote)');
  const dir = mkdtempSync(join(tmpdir(), 'switchover-capture-journal-'));
  try {
    await writeJournal(bin, dir, entries);
    const enc = new ExportEncoder();
    for (const e of entries) enc.add(e);
    return {
      export: enc.take(),
      json: journalctl([`--directory=${dir}`]),
      jsonAll: journalctl([`--directory=${dir}`, '--all']),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A boot id that is not this machine's: the agent must not look such pids up in /proc. */
const OTHER_BOOT = '0123456789abcdef0123456789abcdef';

/**
 * What journald would hold for a QEMU whose stderr went to the journal under a systemd unit: one entry
 * per stderr line of a real capture, stamped with the line's own time (trace `tid@sec.usec:` prefix).
 */
export function qemuStderrEntries(stderr: string, pid: number, unit: string): ExportEntry[] {
  const out: ExportEntry[] = [];
  let last = 0;
  for (const line of stderr.split('\n')) {
    if (line === '') continue;
    const m = /^\d+@(\d+)\.(\d{6}):/.exec(line);
    const iso = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z /.exec(line);
    const us = m
      ? Number(m[1]) * 1e6 + Number(m[2])
      : iso
        ? Date.parse(`${iso[1]}Z`) * 1000 + Number(iso[2])
        : last;
    last = us;
    out.push([
      ['__REALTIME_TIMESTAMP', String(us)],
      ['__MONOTONIC_TIMESTAMP', String(us % 1e12)],
      ['_BOOT_ID', OTHER_BOOT],
      ['_TRANSPORT', 'stdout'],
      ['PRIORITY', '6'],
      ['SYSLOG_FACILITY', '3'],
      ['SYSLOG_IDENTIFIER', 'qemu-system-x86_64'],
      ['_PID', String(pid)],
      ['_COMM', 'qemu-system-x86'],
      ['_EXE', '/usr/bin/qemu-system-x86_64'],
      ['_SYSTEMD_UNIT', unit],
      ['_HOSTNAME', 'testhost'],
      ['MESSAGE', line],
    ]);
  }
  return out;
}

/**
 * The MESSAGE forms journalctl's JSON output can take (systemd 252): a multi-line string, an array of
 * byte numbers (not UTF-8, or control characters), and null (over 4096 bytes without `--all`); a
 * repeated field (EXTRA) becomes an array of strings. One boot of all zeros, not this one.
 */
export function edgeCaseEntries(): ExportEntry[] {
  const common: ExportEntry = [
    ['__REALTIME_TIMESTAMP', '1795702811235566'],
    ['__MONOTONIC_TIMESTAMP', '0'],
    ['_BOOT_ID', '00000000000000000000000000000000'],
    ['SYSLOG_IDENTIFIER', 'qemu-system-x86_64'],
    ['_PID', '7'],
    ['EXTRA', 'a'],
    ['EXTRA', 'b'],
  ];
  return [
    [...common, ['MESSAGE', 'line1\nline2 (embedded newline)']],
    [
      ...common,
      ['MESSAGE', Buffer.concat([Buffer.from('bad utf8 '), Buffer.from([0xff, 0xfe]), Buffer.from(' here')])],
    ],
    [...common, ['MESSAGE', 'x'.repeat(5000)]],
    [...common, ['MESSAGE', 'normal \x1b[31mANSI\x1b[0m']],
  ];
}
