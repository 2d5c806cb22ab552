import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation, VmRef } from '@switchover/model';
import { describe, expect, it } from 'vitest';
import { decode, lineTimestamp } from '../../src/decoders/index.js';
import type { DecodeResult } from '../../src/decoders/types.js';
import { utc } from './helpers.js';

import { FIXTURES as FIX } from '../helpers/fixtures.js';
const Q72 = join(FIX, 'qemu-7.2');
const LV = join(FIX, 'review');

const lines = (path: string): string[] => readFileSync(path, 'utf8').replace(/\n$/, '').split('\n');

/** A short, order-preserving description of an observation for sequence assertions. */
function tag(o: Observation): string {
  switch (o.kind) {
    case 'migration-status':
      return `status:${o.status}`;
    case 'return-path':
      return o.event === 'shut' ? `rp-shut:${o.value}` : `rp-error:${o.message}`;
    case 'load-failure':
      return `load-failure:${o.final ? 'final' : 'detail'}`;
    case 'qemu-error':
      return `qemu-error:${o.message}`;
    case 'migration-pass':
      return `pass:${o.pass}`;
    case 'shutdown':
      return `shutdown:${o.reason}`;
    case 'migration-peer':
      return `peer:${o.peer}`;
    default:
      return o.kind;
  }
}

/** Decodes a whole file as the offline review would: untimed lines get their timed neighbours. */
function decodeLogFile(
  path: string,
  vm: VmRef | undefined,
  host = 'h',
): { results: DecodeResult[]; obs: Observation[] } {
  const ls = lines(path);
  const times = ls.map(lineTimestamp);
  const results = ls.map((text, i) => {
    let before: number | null = null;
    let after: number | null = null;
    for (let j = i - 1; j >= 0 && before === null; j--) before = times[j] ?? null;
    for (let j = i + 1; j < ls.length && after === null; j++) after = times[j] ?? null;
    return decode({
      kind: 'log-line',
      host,
      vm,
      arrival: 0,
      origin: { kind: 'file', file: path, line: i + 1 },
      text,
      ...(times[i] === null ? { neighbours: { before, after } } : {}),
    });
  });
  return { results, obs: results.flatMap((r) => r.observations) };
}

describe('QEMU 7.2 trace captures (real)', () => {
  const expected: Record<string, string[]> = {
    // Which lines a cancel or a killed peer produces depends on where each QEMU thread was (the
    // cancel reached the source's migration thread between two rate-limited writes, so no write
    // error; the destination saw its stream cut off mid-section): these lists are the capture's.
    'cancelled-migration-dst': [
      'status:active',
      'qemu-error:check_section_footer: Read section footer failed: -5',
      'load-failure:final',
      'status:failed',
    ],
    'cancelled-migration-src': [
      'status:setup',
      'peer:127.0.0.1',
      'status:active',
      'rp-error:bad end',
      'status:cancelling',
      'status:cancelled',
    ],
    'failed-migration-dst-killed-dst': ['status:active'],
    'failed-migration-dst-killed-src': [
      'status:setup',
      'peer:127.0.0.1',
      'status:active',
      'rp-error:bad end',
      'status:failed',
      'qemu-error:Unable to write to socket: Bad file descriptor',
    ],
    'failed-migration-ram-mismatch-dst': [
      'status:active',
      'load-failure:detail',
      'load-failure:detail',
      'load-failure:final',
      'status:failed',
    ],
    'failed-migration-ram-mismatch-no-msg-timestamp-dst': [
      'status:active',
      'load-failure:detail',
      'load-failure:detail',
      'load-failure:final',
      'status:failed',
    ],
    'failed-migration-ram-mismatch-src': [
      'status:setup',
      'peer:127.0.0.1',
      'status:active',
      'rp-error:bad end',
      'qemu-error:failed to save SaveStateEntry with id(name): 2(ram): -5',
      'status:failed',
      'qemu-error:Unable to write to socket: Bad file descriptor',
    ],
    'real-migration-dst': ['status:active', 'status:completed'],
    'real-migration-no-msg-timestamp-no-return-path-dst': ['status:active', 'status:completed'],
    'real-migration-no-msg-timestamp-no-return-path-src': [
      'status:setup',
      'peer:127.0.0.1',
      'status:active',
      'status:completed',
    ],
    'real-migration-no-return-path-dst': ['status:active', 'status:completed'],
    'real-migration-no-return-path-src': [
      'status:setup',
      'peer:127.0.0.1',
      'status:active',
      'status:completed',
    ],
    'real-migration-src': [
      'status:setup',
      'peer:127.0.0.1',
      'status:active',
      'rp-shut:0',
      'status:completed',
    ],
  };
  const files = readdirSync(Q72).filter((f) => f.endsWith('.trace.log'));

  it('covers every capture', () => {
    expect(files.map((f) => f.replace('.trace.log', '')).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const f of files) {
    it(f, () => {
      const { results, obs } = decodeLogFile(join(Q72, f), { name: 'vm' });
      expect(results.filter((r) => r.status === 'unknown')).toEqual([]);
      expect(obs.map(tag)).toEqual(expected[f.replace('.trace.log', '')]);
      const timed = !f.includes('no-msg-timestamp');
      for (const o of obs) expect(o.timeSource).toBe(timed ? 'event' : 'bounded');
    });
  }

  it('times tid-prefixed traces from their own clock', () => {
    const { obs } = decodeLogFile(join(Q72, 'real-migration-src.trace.log'), { name: 'vm' });
    // `2086@1796174019.675989:source_return_path_thread_shut 0x0`
    expect(obs.find((o) => o.kind === 'return-path')!.time).toBeCloseTo(1796174019675.989, 3);
    const { obs: dst } = decodeLogFile(join(Q72, 'failed-migration-ram-mismatch-dst.trace.log'), {
      name: 'vm',
    });
    expect(dst.find((o) => o.kind === 'load-failure' && o.final)!.time).toBeCloseTo(
      utc('2026-12-02T01:13:40.985878Z'),
      3,
    );
  });
});

describe('QEMU 7.2 QMP transcripts (real)', () => {
  for (const f of readdirSync(Q72).filter((x) => x.endsWith('.qmp.jsonl'))) {
    it(f, () => {
      const commands = new Map<unknown, string>();
      const tags: string[] = [];
      for (const l of lines(join(Q72, f))) {
        const { dir, line, recv_ts } = JSON.parse(l) as { dir: string; line?: string; recv_ts: number };
        if (line === undefined) continue; // `{"dir":"eof"}`: the socket closed
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (dir === 'out') commands.set(msg.id, msg.execute as string);
        if (dir !== 'in') continue;
        const base = {
          host: 'h',
          vm: { name: 'vm' },
          arrival: recv_ts * 1000,
          origin: { kind: 'qmp-transcript' as const, file: f },
        };
        if (typeof msg.event === 'string') {
          const ev = msg as { event: string; timestamp: { seconds: number; microseconds: number } };
          const res = decode({ ...base, kind: 'qmp-event', event: ev });
          expect(res.status).not.toBe('unknown');
          for (const o of res.observations) {
            expect(o.timeSource).toBe('event');
            expect(o.time).toBeCloseTo(ev.timestamp.seconds * 1000 + ev.timestamp.microseconds / 1000, 3);
            tags.push(tag(o));
          }
        } else if ('return' in msg && commands.get(msg.id)?.startsWith('query-')) {
          const res = decode({
            ...base,
            kind: 'qmp-reply',
            command: commands.get(msg.id)!,
            result: msg.return,
          });
          expect(res.status).not.toBe('unknown');
          for (const o of res.observations)
            expect(o).toMatchObject({ timeSource: 'arrival', time: recv_ts * 1000 });
        }
      }
      const statuses = tags.filter((t) => t.startsWith('status:'));
      expect(statuses[0]).toBe(f.includes('-src') ? 'status:setup' : 'status:active');
      if (f.startsWith('real-')) {
        expect(statuses.at(-1)).toBe('status:completed');
        expect(tags).toContain(f.includes('-src') ? 'vm-stop' : 'vm-resume');
      }
      if (f.startsWith('cancelled') && f.includes('-src')) expect(statuses.at(-1)).toBe('status:cancelled');
    });
  }

  it('RESUME of the real destination keeps QEMU microseconds', () => {
    const ev = { event: 'RESUME', timestamp: { seconds: 1796174019, microseconds: 675824 } };
    const res = decode({
      kind: 'qmp-event',
      host: 'h',
      vm: { name: 'dst' },
      arrival: 0,
      origin: { kind: 'qmp' },
      event: ev,
    });
    expect(res.observations[0]!.time).toBeCloseTo(1796174019675.824, 3);
  });
});

describe('libvirt incidents (fixtures/review/libvirt-*)', () => {
  it('silent-9.1 destination log: exactly one vfio-failure, untimed, from line 71', () => {
    const path = join(LV, 'libvirt-silent-9.1', 'kvm-mad-b11.libvirt.log');
    const { results, obs } = decodeLogFile(path, { name: 'sim-gpu-12' }, 'kvm-mad-b11');
    expect(results.filter((r) => r.status === 'unknown')).toEqual([]);
    const failures = obs.filter((o) => o.kind === 'vfio-failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      device: '0000:c3:00.5',
      target: 'RUNNING',
      error: 'Input/output error',
      form: 'errno-9.1',
      fatal: false,
      timeSource: 'bounded',
      time: utc('2025-03-04T22:15:02.772Z'),
      latest: null,
      origin: { line: 71 },
      host: 'kvm-mad-b11',
    });
    expect(obs.find((o) => o.kind === 'process-start')).toMatchObject({
      qemuVersion: '9.1.1',
      timeSource: 'event',
    });
    const ids = obs.filter((o) => o.kind === 'vm-identity');
    expect(ids.some((o) => o.vm.name === 'sim-gpu-12')).toBe(true);
    expect(ids.some((o) => o.vm.uuid === 'b8e24d61-0f3a-4c97-a5d2-6e19f0b7c3a8')).toBe(true);
    expect(ids.some((o) => o.kind === 'vm-identity' && o.incoming === true)).toBe(true);
    expect(ids.flatMap((o) => (o.kind === 'vm-identity' && o.devices ? [o.devices] : []))).toEqual([
      { hostdev0: '0000:c3:00.5' },
    ]);
    expect(obs.filter((o) => o.kind === 'qemu-error')).toEqual([]);
  });

  it('silent-9.1 source log: start, initiation, stop reason=migrated, nothing else', () => {
    const { results, obs } = decodeLogFile(join(LV, 'libvirt-silent-9.1', 'kvm-mad-b04.libvirt.log'), {
      name: 'sim-gpu-12',
    });
    expect(results.filter((r) => r.status === 'unknown')).toEqual([]);
    expect(
      obs
        .filter((o) => o.kind !== 'vm-identity')
        .map((o) => (o.kind === 'process-stop' ? `stop:${o.reason}` : o.kind)),
    ).toEqual(['process-start', 'migration-initiated', 'stop:migrated']);
  });

  it('healthy-9.2 logs: no failure of any kind; the source shows the earlier destroy', () => {
    const src = decodeLogFile(join(LV, 'libvirt-healthy-9.2', 'kvm-mad-b04.libvirt.log'), {
      name: 'web-cache-3',
    });
    const dst = decodeLogFile(join(LV, 'libvirt-healthy-9.2', 'kvm-mad-b11.libvirt.log'), {
      name: 'web-cache-3',
    });
    for (const { results, obs } of [src, dst]) {
      expect(results.filter((r) => r.status === 'unknown')).toEqual([]);
      expect(
        obs.filter((o) => ['vfio-failure', 'load-failure', 'return-path', 'qemu-error'].includes(o.kind)),
      ).toEqual([]);
    }
    expect(
      src.obs.filter((o) => o.kind === 'process-stop').map((o) => (o as { reason?: string }).reason),
    ).toEqual(['destroyed', 'migrated']);
    expect(dst.obs.find((o) => o.kind === 'vm-identity' && o.devices)).toMatchObject({
      devices: { hostdev0: '0000:17:06.3' },
    });
  });

  const virshFile = (path: string, host: string) =>
    lines(path).map((text) =>
      decode({ kind: 'virsh-line', host, arrival: 42, origin: { kind: 'file', file: path }, text }),
    );

  it('every events file decodes without unknowns; other guests keep their own names', () => {
    for (const dir of ['libvirt-healthy-9.2', 'libvirt-silent-9.1']) {
      for (const f of readdirSync(join(LV, dir)).filter((x) => x.endsWith('.txt'))) {
        const res = virshFile(join(LV, dir, f), f.split('.')[0]!);
        expect(
          res.filter((r) => r.status === 'unknown'),
          f,
        ).toEqual([]);
        const vms = new Set(res.flatMap((r) => r.observations.map((o) => o.vm.name)));
        expect(vms.size, f).toBeGreaterThan(0);
        for (const o of res.flatMap((r) => r.observations)) expect(o.timeSource).toBe('event');
      }
    }
    const src = virshFile(join(LV, 'libvirt-silent-9.1', 'kvm-mad-b04.events.txt'), 'kvm-mad-b04').flatMap(
      (r) => r.observations,
    );
    expect(src.filter((o) => o.vm.name === 'sim-cpu-4').map(tag)).toEqual([
      'shutdown:guest-shutdown',
      'vm-stop',
      'shutdown:host-signal',
    ]);
    expect(src.filter((o) => o.vm.name === 'sim-gpu-12').map(tag)).toEqual([
      'status:setup',
      'pass:1',
      'status:active',
      'pass:2',
      'pass:3',
      'pass:4',
      'pass:5',
      'vm-stop',
      'status:pre-switchover',
      'status:device',
      'pass:6',
      'status:completed',
    ]);
  });

  it('both destination event files (virsh time, QEMU time) give the same observations within a few ms', () => {
    const a = virshFile(join(LV, 'libvirt-silent-9.1', 'kvm-mad-b11.events.txt'), 'b11').flatMap(
      (r) => r.observations,
    );
    const b = virshFile(join(LV, 'libvirt-silent-9.1', 'kvm-mad-b11.events-qemu-time.txt'), 'b11').flatMap(
      (r) => r.observations,
    );
    expect(a.map(tag)).toEqual(['status:setup', 'status:active', 'status:completed', 'vm-resume']);
    expect(b.map(tag)).toEqual(a.map(tag));
    a.forEach((o, i) => expect(Math.abs(o.time - b[i]!.time)).toBeLessThan(5));
    expect(b.at(-1)!.time).toBeCloseTo(1741126541280.164, 3);
  });
});

describe('journalctl -o json captures (real)', () => {
  it('MESSAGE strings decode to the source-side sequence with trace times', () => {
    for (const f of [
      'journalctl-json-qemu-src-trace.jsonl',
      'journald-standalone-real-qemu-migration.jsonl',
    ]) {
      const obs: Observation[] = [];
      for (const l of lines(join(Q72, f))) {
        const e = JSON.parse(l) as { MESSAGE: unknown; __REALTIME_TIMESTAMP: string };
        if (typeof e.MESSAGE !== 'string') continue;
        const res = decode({
          kind: 'log-line',
          host: 'h',
          vm: { name: 'vm' },
          arrival: 0,
          transportTime: Number(e.__REALTIME_TIMESTAMP) / 1000,
          origin: { kind: 'journald' },
          text: e.MESSAGE,
        });
        expect(res.status, e.MESSAGE).not.toBe('unknown');
        obs.push(...res.observations);
      }
      const tags = obs.map(tag);
      expect(tags.filter((t) => t === 'status:completed').length, f).toBeGreaterThanOrEqual(1);
      expect(tags, f).toContain('rp-shut:0');
      for (const o of obs) expect(o.timeSource).toBe('event');
    }
  });
});
